// Pure-JS parts of the tester page, in Node: access-log parsing and the URL-fragment state. No engine here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseLogLine, unescapeField, forEachLine } from '../logparse.mjs';
import { base64urlDecode, base64urlEncode, buildRequest, decodeState, encodeState, formText, parseForm, sanitizeState } from '../state.mjs';

const SC_UA = 'SendCloud/1.0 (woocommerce; https://www.sendcloud.sc)';

test('combined format', () => {
  const r = parseLogLine(`94.232.247.10 - - [23/Nov/2025:10:00:02 +0100] "PATCH /wp-json/wc/v3/orders/12?x=1 HTTP/1.1" 200 812 "-" "${SC_UA}"`);
  assert.equal(r.ok, true);
  assert.deepEqual(r.request, {
    remote_addr: '94.232.247.10', method: 'PATCH', uri: '/wp-json/wc/v3/orders/12?x=1', headers: { 'User-Agent': SC_UA },
  });
  assert.equal(r.status, '200');
});

test('common format has no headers', () => {
  const r = parseLogLine('127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326');
  assert.deepEqual(r.request, { remote_addr: '127.0.0.1', method: 'GET', uri: '/apache_pb.gif', headers: {} });
});

test('trailing X-Forwarded-For field', () => {
  const r = parseLogLine('10.0.0.5 - - [23/Nov/2025:10:00:06 +0100] "GET / HTTP/1.1" 200 900 "-" "Sendcloud/1.0.0" "94.232.247.10, 10.0.0.7"');
  assert.deepEqual(r.request.headers, { 'User-Agent': 'Sendcloud/1.0.0', 'X-Forwarded-For': '94.232.247.10, 10.0.0.7' });
  const none = parseLogLine('10.0.0.5 - - [23/Nov/2025:10:00:06 +0100] "GET / HTTP/1.1" 200 900 "-" "-" "-"');
  assert.deepEqual(none.request.headers, {});
});

test('IPv6 peer, vhost prefix, HTTP/0.9 request line, "-" bytes', () => {
  assert.equal(parseLogLine('2001:db8::1 - - [23/Nov/2025:10:00:00 +0000] "GET / HTTP/2.0" 200 - "-" "x"').request.remote_addr, '2001:db8::1');
  const v = parseLogLine('shop.example:443 94.232.247.10 - - [23/Nov/2025:10:00:00 +0000] "GET /a HTTP/1.1" 200 1 "-" "Sendcloud/1.0.0"');
  assert.equal(v.request.remote_addr, '94.232.247.10');
  assert.equal(parseLogLine('1.2.3.4 - - [d] "GET /" 200 1').request.uri, '/');
});

test('escaped quotes in fields', () => {
  const r = parseLogLine(String.raw`1.2.3.4 - - [d] "GET /q?a=\"b\" HTTP/1.1" 200 1 "-" "Agent \"quoted\" \x41"`);
  assert.equal(r.ok, true);
  assert.equal(r.request.uri, '/q?a="b"');
  assert.equal(r.ua, 'Agent "quoted" A');
  assert.equal(unescapeField(String.raw`a\\b`), 'a\\b');
});

test('unparseable lines say why', () => {
  for (const line of [
    'garbage',
    '1.2.3.4 - - [d] "-" 408 0 "-" "-"',
    '1.2.3.4 - - [d] "\\x16\\x03\\x01" 400 0 "-" "-"',
    '1.2.3.4 - - [d] "GET / HTTP/1.1" 200',
    '1.2.3.4 - - [d] "GET / HTTP/1.1 extra" 200 1',
  ]) {
    const r = parseLogLine(line);
    assert.equal(r.ok, false, line);
    assert.equal(typeof r.error, 'string');
  }
});

test('a long hostile line is parsed in linear time', () => {
  const t0 = performance.now();
  parseLogLine('1.2.3.4 - - [d] "' + '\\"'.repeat(30000));
  parseLogLine('a '.repeat(30000));
  assert.ok(performance.now() - t0 < 500);
});

test('forEachLine numbers lines as in the file, CRLF too', () => {
  const seen = [];
  forEachLine('a\r\n\r\nb\nc', (l, n) => seen.push([l, n]));
  assert.deepEqual(seen, [['a', 1], ['b', 3], ['c', 4]]);
});

test('base64url round trip with non-ASCII', () => {
  for (const s of ['', 'a', 'ab', 'abc', '{"x":"ü€😀"}', 'x'.repeat(100000)]) {
    const e = base64urlEncode(s);
    assert.match(e, /^[A-Za-z0-9_-]*$/);
    assert.equal(base64urlDecode(e), s);
  }
});

test('fragment state round trip and rejection of junk', () => {
  const st = { v: 1, request: { remote_addr: '1.2.3.4', method: 'GET', uri: '/', ua: 'x', headers: [['X-Forwarded-For', '5.6.7.8']] }, policy: '{"rules":[]}' };
  assert.deepEqual(decodeState('#' + encodeState(st)), st);
  assert.equal(decodeState(''), null);
  assert.equal(decodeState('#s=!!!'), null);
  assert.equal(decodeState('#s=' + base64urlEncode('[1,2]')), null);
  assert.deepEqual(sanitizeState({ request: { remote_addr: 5, headers: [['a', 1], ['b', 'c']] }, policy: {} }),
    { v: 1, request: { headers: [['b', 'c']] } });
});

test('buildRequest: empty UA is no header, repeated headers become arrays', () => {
  assert.deepEqual(buildRequest({ remote_addr: '1.2.3.4', method: 'GET', uri: '', ua: '', headers: [] }),
    { remote_addr: '1.2.3.4', method: 'GET' });
  assert.deepEqual(buildRequest({
    remote_addr: '1.2.3.4', method: 'GET', uri: '/x', ua: 'A',
    headers: [['user-agent', 'B'], ['X-Forwarded-For', '1.1.1.1'], ['x-forwarded-for', '2.2.2.2'], [' ', 'ignored']],
  }), {
    remote_addr: '1.2.3.4', method: 'GET', uri: '/x',
    headers: { 'User-Agent': ['A', 'B'], 'X-Forwarded-For': ['1.1.1.1', '2.2.2.2'] },
  });
});

test('fragment state carries query and form; junk in them is dropped', () => {
  const st = {
    v: 1,
    request: { remote_addr: '94.232.247.10', method: 'POST', uri: '/x', ua: 'Sendcloud/1.0.0', headers: [], query: 'rest_route=/wc/v3&é=1', form: '_method=PUT\n_method=PUT\n{x' },
    policy: '{}',
  };
  assert.deepEqual(decodeState('#' + encodeState(st)), st);
  const json = { ...st, request: { ...st.request, form: '{"ps_method": ["PUT"]}' } };
  assert.deepEqual(decodeState('#' + encodeState(json)), json);
  // An old link (without the fields) still reads; wrong types are dropped.
  assert.deepEqual(sanitizeState({ request: { remote_addr: '1.2.3.4', query: 5, form: { _method: 'PUT' } } }), { v: 1, request: { remote_addr: '1.2.3.4' } });
});

test('form parameters: name=value lines or a JSON object', () => {
  assert.deepEqual(parseForm(''), { form: undefined, json: false });
  assert.deepEqual(parseForm('\n\n'), { form: undefined, json: false });
  // Split at the first '='; nothing decoded or trimmed; a line without '=' is an empty value; CRLF is a line end.
  assert.deepEqual(parseForm('_method=PUT\r\nnote=a=b%20c\n x = y \nflag\n'),
    { form: { _method: 'PUT', note: 'a=b%20c', ' x ': ' y ', flag: '' }, json: false });
  // A name on several lines is an array, in order; __proto__ is a name like any other.
  const arr = parseForm('ps_method=PUT\na=1\nps_method=GET\nps_method=PUT\n__proto__=x');
  assert.equal(JSON.stringify(arr.form), '{"ps_method":["PUT","GET","PUT"],"a":"1","__proto__":"x"}');
  // JSON: whatever the object says, sent as it is; a syntax error is reported, not guessed at.
  assert.deepEqual(parseForm('  {"_method": ["PUT"], "x": 1}'), { form: { _method: ['PUT'], x: 1 }, json: true });
  assert.match(parseForm('{"_method": "PUT"').error, /^not valid JSON/);
  // The text for a form object: lines when they say it exactly, else JSON; it always reads back the same.
  for (const form of [{ _method: 'PUT' }, { a: ['1', '2'], b: '' }, { a: ['1'] }, { a: [] }, { 'a=b': 'c' }, { a: 'x\ny' },
    { '{a': 'b' }, { '': 'x' }, { _method: 'PUT', ps_method: ['PATCH', 'PATCH'] }, { 'é': 'ü' }]) {
    assert.deepEqual(parseForm(formText(form)).form, form, JSON.stringify(form));
  }
  assert.equal(formText({ _method: 'PUT', a: ['1', '2'] }), '_method=PUT\na=1\na=2');
  assert.equal(formText({ a: ['1'] }), '{"a":["1"]}');
  assert.equal(formText(undefined), '');
});

test('buildRequest: query when not empty, form when there is one', () => {
  const base = { remote_addr: '1.2.3.4', method: 'POST', uri: '/', ua: '', headers: [] };
  assert.deepEqual(buildRequest({ ...base, query: '', form: undefined }), { remote_addr: '1.2.3.4', method: 'POST', uri: '/' });
  assert.deepEqual(buildRequest({ ...base, query: '_method=PUT', form: { _method: ['PUT', 'GET'] } }),
    { remote_addr: '1.2.3.4', method: 'POST', uri: '/', query: '_method=PUT', form: { _method: ['PUT', 'GET'] } });
  // A header named __proto__ is a header like any other.
  assert.equal(JSON.stringify(buildRequest({ ...base, headers: [['__proto__', 'x']] }).headers), '{"__proto__":"x"}');
});
