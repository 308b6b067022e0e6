// decide() and explain() for ANY JavaScript value: never a throw; a value that is not a request by the contract's
// JSON is pass / malformed_input with rule, client_ip and method null; a value that is one (a Proxy that reads
// fine, a getter, a toJSON, a class instance…) gets the engine's answer for its JSON text. And the free() and
// warnings API.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as raw from '../dist/web/sendcloud_gate.js';
import { defaultPolicy, Policy, PolicyFreedError, PolicyError } from '../node.js';
import { compilePolicy } from '../compiler-node.js';

const MALFORMED = { action: 'pass', reason: 'malformed_input', rule: null, client_ip: null, method: null };
const SC_UA = 'SendCloud/1.0 (woocommerce; https://www.sendcloud.sc)';
const OK = { remote_addr: '94.232.247.10', method: 'PATCH', uri: '/wp-json/wc/v3/orders/12', headers: { 'User-Agent': SC_UA } };
const ALLOW = { action: 'allow', reason: 'partner_match', rule: 'sendcloud', client_ip: '94.232.247.10', method: 'PATCH' };

const circular = () => {
  const o = { ...OK, headers: { ...OK.headers } };
  o.self = o;
  return o;
};
const throwingGetter = (key, base = OK) => {
  const o = { ...base };
  Object.defineProperty(o, key, { enumerable: true, get() { throw new Error(`getter ${key}`); } });
  return o;
};
const throwingProxy = (trap) => new Proxy({ ...OK }, { [trap]() { throw new Error(`trap ${trap}`); } });

// Every one of these is not a request: pass / malformed_input, nothing resolved, nothing thrown.
const NOT_REQUESTS = {
  'undefined': undefined,
  'null': null,
  'a number': 42,
  'NaN': NaN,
  'a string': 'GET / HTTP/1.1',
  'true': true,
  'a BigInt': 10n,
  'a Symbol': Symbol('request'),
  'a function': () => OK,
  'a class': class Request {},
  'an array': [OK],
  'an empty array': [],
  'an empty object': {},
  'a Date': new Date(0),
  'a Map of the fields': new Map(Object.entries(OK)),
  'a boxed string': new String('{}'),
  'a BigInt as remote_addr': { ...OK, remote_addr: 1n },
  'a BigInt as a header value': { ...OK, headers: { 'User-Agent': 5n } },
  'a BigInt in a header array': { ...OK, headers: { 'User-Agent': [SC_UA, 5n] } },
  'a BigInt as the query': { ...OK, query: 1n },
  'a BigInt as a form value': { ...OK, form: { _method: 1n } },
  'a BigInt in a field the contract does not define': { ...OK, id: 7n },
  'a BigInt deep inside another field': { ...OK, meta: { a: [{ b: 1n }] } },
  'a circular request': circular(),
  'circular headers': (() => { const h = { 'User-Agent': SC_UA }; h.self = h; return { ...OK, headers: h }; })(),
  'a cycle inside another field': (() => { const a = []; a.push(a); return { ...OK, meta: a }; })(),
  'a throwing getter on remote_addr': throwingGetter('remote_addr'),
  'a throwing getter on headers': throwingGetter('headers'),
  'a throwing getter on another field': throwingGetter('extra'),
  'a throwing getter on a header': { ...OK, headers: throwingGetter('User-Agent', {}) },
  'a throwing getter on a form parameter': { ...OK, form: throwingGetter('_method', {}) },
  'a throwing toJSON': { ...OK, toJSON() { throw new Error('toJSON'); } },
  'a Proxy whose get throws': throwingProxy('get'),
  'a Proxy whose ownKeys throws': throwingProxy('ownKeys'),
  'a Proxy whose getOwnPropertyDescriptor throws': throwingProxy('getOwnPropertyDescriptor'),
  'a revoked Proxy': (() => { const r = Proxy.revocable({ ...OK }, {}); r.revoke(); return r.proxy; })(),
  'a Proxy as headers that throws': { ...OK, headers: new Proxy({}, { ownKeys() { throw new RangeError('no'); } }) },
  'remote_addr missing': { method: 'GET' },
  'method missing': { remote_addr: '94.232.247.10' },
  'remote_addr a number': { ...OK, remote_addr: 94 },
  'remote_addr a Symbol': { ...OK, remote_addr: Symbol('x') },
  'remote_addr a function': { ...OK, remote_addr: () => '94.232.247.10' },
  'method an array': { ...OK, method: ['GET'] },
  'uri a number': { ...OK, uri: 5 },
  'uri an object': { ...OK, uri: { path: '/' } },
  'headers an array': { ...OK, headers: [['User-Agent', SC_UA]] },
  'headers a string': { ...OK, headers: 'User-Agent: x' },
  'headers a Map': { ...OK, headers: 'not an object' },
  'headers a boxed string': { ...OK, headers: new String('ab') },
  'a header value a number': { ...OK, headers: { 'User-Agent': 5 } },
  'a header value true': { ...OK, headers: { 'User-Agent': true } },
  'a header value null': { ...OK, headers: { 'User-Agent': null } },
  'a header value an object': { ...OK, headers: { 'User-Agent': { v: SC_UA } } },
  'a header value a nested array': { ...OK, headers: { 'User-Agent': [[SC_UA]] } },
  'a header array with null': { ...OK, headers: { 'User-Agent': [SC_UA, null] } },
  'a header array with a hole': { ...OK, headers: { 'User-Agent': [SC_UA, , SC_UA] } }, // eslint-disable-line no-sparse-arrays
  'a header value a Symbol': { ...OK, headers: { 'User-Agent': Symbol(SC_UA) } },
  'a header value a function': { ...OK, headers: { 'User-Agent': () => SC_UA } },
  'query a number': { ...OK, query: 1 },
  'query an object': { ...OK, query: { _method: 'PUT' } },
  'query a function': { ...OK, query: () => '_method=PUT' },
  'form a string': { ...OK, form: '_method=PUT' },
  'form an array': { ...OK, form: [['_method', 'PUT']] },
  'form a function': { ...OK, form: () => ({}) },
  'a form value a number': { ...OK, form: { _method: 1 } },
  'a form value an object': { ...OK, form: { _method: { a: 'PUT' } } },
  'a form value a Symbol': { ...OK, form: { _method: Symbol('PUT') } },
  'a form array with null': { ...OK, form: { _method: ['PUT', null] } },
};

test('decide() and explain() answer pass / malformed_input for every value that is not a request, never throwing', () => {
  const policies = [defaultPolicy(), compilePolicy({ impersonation: 'deny', rules: [{ id: 'no-trace', action: 'deny', methods: ['TRACE'] }] })];
  for (const p of policies) {
    for (const [what, value] of Object.entries(NOT_REQUESTS)) {
      let d;
      let e;
      assert.doesNotThrow(() => { d = p.decide(value); }, what);
      assert.deepStrictEqual(d, MALFORMED, what);
      assert.doesNotThrow(() => { e = p.explain(value); }, what);
      const { trace, provenance, ...decision } = e;
      assert.deepStrictEqual(decision, MALFORMED, what);
      assert.equal(provenance, undefined, what);
      assert.ok(Array.isArray(trace) && trace.length > 0 && trace.every((s) => typeof s === 'string'), what);
    }
  }
});

test('explain() says why a value is not a request', () => {
  const p = defaultPolicy();
  assert.match(p.explain(10n).trace.join('\n'), /no JSON text.*BigInt/);
  assert.match(p.explain(circular()).trace.join('\n'), /no JSON text.*circular/i);
  assert.match(p.explain(throwingGetter('extra')).trace.join('\n'), /getter extra/);
  assert.match(p.explain({ ...OK, headers: { 'User-Agent': 5 } }).trace.join('\n'), /headers\.User-Agent/);
  // A thrown value that is itself hostile does not get out either.
  const nasty = new Proxy({}, { get() { throw nasty; }, getPrototypeOf() { throw nasty; } });
  const o = { ...OK };
  Object.defineProperty(o, 'x', { enumerable: true, get() { throw nasty; } });
  assert.deepStrictEqual(p.decide(o), MALFORMED);
  assert.equal(p.explain(o).reason, 'malformed_input');
});

test('values that ARE a request by their JSON get the engine\'s answer', () => {
  const p = defaultPolicy();
  const isRequest = {
    'a plain object': OK,
    'a null-prototype object': Object.assign(Object.create(null), OK, { headers: Object.assign(Object.create(null), OK.headers) }),
    'a class instance': new (class { constructor() { Object.assign(this, OK); } get ignored() { throw new Error('not own'); } })(),
    'an object with getters': Object.defineProperties({}, Object.fromEntries(Object.entries(OK).map(([k, v]) => [k, { enumerable: true, get: () => v }]))),
    'a Proxy that reads fine': new Proxy({ ...OK }, {}),
    'a Proxy whose getPrototypeOf throws (JSON does not ask)': throwingProxy('getPrototypeOf'),
    'a Proxy that logs': new Proxy(OK, { get(t, k, r) { return Reflect.get(t, k, r); } }),
    'a toJSON': { toJSON: () => OK },
    'a Date-like toJSON on headers': { ...OK, headers: { toJSON: () => OK.headers } },
    'a boxed string header value': { ...OK, headers: { 'User-Agent': new String(SC_UA) } },
    'undefined optional fields': { ...OK, uri: undefined, query: undefined, form: undefined },
    'null optional fields': { ...OK, query: null, form: null },
    'an undefined header value (absent, as in JSON) beside the User-Agent': { ...OK, headers: { ...OK.headers, 'X-Forwarded-For': undefined } },
    'other fields of any JSON type': { ...OK, id: 7, note: 'x', flag: true, meta: { a: [1, 'b', null] }, gone: undefined },
    'other fields that JSON leaves out': { ...OK, fn: () => 1, sym: Symbol('s') },
    'an inherited field JSON does not see': Object.assign(Object.create({ remote_addr: '203.0.113.9', extra: 1n }), OK),
    'an empty form': { ...OK, query: '', form: {} },
    'an empty form array': { ...OK, form: { _method: [] } },
  };
  for (const [what, value] of Object.entries(isRequest)) {
    assert.deepStrictEqual(p.decide(value), ALLOW, what);
    assert.equal(p.explain(value).reason, 'partner_match', what);
  }
  // Decided, but not allow: the engine's answer for what the JSON says.
  const noUa = { action: 'pass', reason: 'ua_mismatch', rule: 'sendcloud', client_ip: '94.232.247.10', method: 'PATCH' };
  assert.deepStrictEqual(p.decide({ ...OK, headers: { 'User-Agent': undefined } }), noUa);
  assert.deepStrictEqual(p.decide({ ...OK, headers: new Map([['User-Agent', SC_UA]]) }), noUa, 'a Map is the JSON {}');
  // An inherited remote_addr is not part of the JSON: the request has none.
  assert.deepStrictEqual(p.decide(Object.create(OK)), MALFORMED);
});

test('fast and JSON paths: decide(v) is the engine\'s answer for v\'s JSON text, for generated values', () => {
  // The reference, written here independently: JSON.stringify with functions and Symbols as wrong-typed values;
  // no JSON text at all is `null` (not a request).
  const reference = (rawPolicy, v, explain) => {
    let text;
    try {
      text = JSON.stringify(v, (k, x) => (typeof x === 'function' || typeof x === 'symbol' ? 0 : x)) ?? 'null';
    } catch {
      return explain ? { ...MALFORMED, trace: 'no JSON text' } : MALFORMED;
    }
    return JSON.parse(explain ? rawPolicy.explain_json(text) : rawPolicy.decide_json(text));
  };
  const explained = (e) => (/^not a request: the value has no JSON text/.test(e.trace?.[0]) && e.trace.length === 1 ? { ...e, trace: 'no JSON text' } : e);
  let seed = 12345;
  const rnd = (n) => { seed = (seed * 1103515245 + 12345) >>> 0; return (seed >>> 8) % n; };
  const pickOne = (xs) => xs[rnd(xs.length)];
  const strings = ['94.232.247.10', '203.0.113.9', 'GET', 'patch', 'PUT', '', '/', '/wp-json/x?_method=PUT', '_method=DELETE&a=1',
    SC_UA, 'Sendcloud/1.0.0', 'é', '\ud800', 'a\u0000b', '10.0.0.1, 94.232.247.10', 'x'.repeat(40), 'ü'.repeat(30)];
  const odd = [undefined, null, 0, 1n, true, () => 1, Symbol('s'), [], {}, new Date(0), new String('GET')];
  const value = (depth) => {
    const r = rnd(10);
    if (r < 6 || depth > 2) return pickOne(strings);
    if (r < 8) return pickOne(odd);
    if (r < 9) return Array.from({ length: rnd(3) }, () => value(depth + 1));
    return pairs(depth + 1);
  };
  const pairs = (depth) => {
    const o = {};
    for (let i = rnd(4); i > 0; i--) o[pickOne(['User-Agent', 'user-agent', 'X-Forwarded-For', 'X-HTTP-Method-Override', '_method', 'ps_method', 'rest_route', 'a'])] = rnd(4) ? pickOne(strings) : value(depth);
    return o;
  };
  const request = () => {
    const o = {};
    for (const k of ['remote_addr', 'method', 'uri', 'headers', 'query', 'form', 'extra']) {
      const r = rnd(10);
      if (r === 0) continue;
      if (k === 'headers' || k === 'form') o[k] = r < 8 ? pairs(1) : value(1);
      else o[k] = r < 8 ? pickOne(strings) : value(1);
    }
    return o;
  };
  const text = JSON.stringify({ rules: [{ id: 'deny-put', action: 'deny', methods: ['PUT'] }], trusted_proxies: { ranges: ['94.232.247.0/24'] } });
  const p = compilePolicy(text);
  const rawPolicy = raw.WasmPolicy.load(compilePolicy(text).toBytes());
  // Which way each decision went (the packed form or JSON), counted on the raw layer the package calls.
  const proto = raw.WasmPolicy.prototype;
  const { decide: rawDecide, decide_json: rawDecideJson } = proto;
  const ways = { packed: 0, json: 0 };
  proto.decide = function (len) { ways.packed++; return rawDecide.call(this, len); };
  proto.decide_json = function (text) { if (this !== rawPolicy) ways.json++; return rawDecideJson.call(this, text); };
  let requests = 0;
  try {
    for (let i = 0; i < 3000; i++) {
      const v = request();
      if (typeof v.remote_addr === 'string' && typeof v.method === 'string') requests++;
      assert.deepStrictEqual(p.decide(v), reference(rawPolicy, v, false), `case ${i}`);
      assert.deepStrictEqual(explained(p.explain(v)), reference(rawPolicy, v, true), `case ${i} (explain)`);
    }
  } finally {
    Object.assign(proto, { decide: rawDecide, decide_json: rawDecideJson });
    rawPolicy.free();
  }
  assert.ok(requests > 500, `only ${requests} generated values had both required fields`);
  assert.ok(ways.packed > 300 && ways.json > 300, `both ways taken: ${JSON.stringify(ways)}`);
});

test('after free(), every method throws a PolicyFreedError; free() again does nothing', () => {
  for (const make of [() => defaultPolicy(), () => compilePolicy('{}'), () => Policy.fromBytes(defaultPolicy().toBytes())]) {
    const p = make();
    assert.deepStrictEqual(p.decide(OK), ALLOW);
    p.free();
    const calls = {
      decide: () => p.decide(OK),
      'decide (not a request)': () => p.decide(undefined),
      explain: () => p.explain(OK),
      toBytes: () => p.toBytes(),
      show: () => p.show(),
      warnings: () => p.warnings,
    };
    for (const [name, call] of Object.entries(calls)) {
      assert.throws(call, (e) => {
        assert.ok(e instanceof PolicyFreedError, name);
        assert.ok(e instanceof Error, name);
        assert.equal(e.name, 'PolicyFreedError');
        assert.equal(e.message, 'sendcloud-gate: this Policy was freed; compile or load a new one');
        return true;
      }, name);
    }
    assert.doesNotThrow(() => p.free());
    assert.doesNotThrow(() => p.free());
  }
  // Freeing one policy leaves the others working.
  const a = defaultPolicy();
  const b = defaultPolicy();
  a.free();
  assert.deepStrictEqual(b.decide(OK), ALLOW);
});

test('warnings: {path, message} in policy order; none for the default; the same after toBytes/fromBytes', () => {
  assert.deepStrictEqual(defaultPolicy().warnings, []);
  assert.deepStrictEqual(compilePolicy({ rules: [{ id: 'office', action: 'allow', ip: ['10.0.0.0/8'], paths: ['/wp-json/office/'] }] }).warnings, []);
  const p = compilePolicy({
    rules: [
      { id: 'no-trace', action: 'deny', methods: ['TRACE'], paths: ['/x'] },
      { id: 'office', action: 'allow', ip: ['10.0.0.0/8'], paths: ['/wp-json/office/', '/wp-json/office'] },
      { id: 'hooks', action: 'allow', paths: ['/hooks/'] },
    ],
  });
  const w = p.warnings;
  assert.deepStrictEqual(w.map((x) => x.path), ['rules[1].paths[1]', 'rules[2]']);
  for (const x of w) {
    assert.deepStrictEqual(Object.keys(x).sort(), ['message', 'path']);
    assert.equal(typeof x.message, 'string');
    assert.ok(x.message.length > 10);
  }
  assert.match(w[0].message, /\/wp-json\/office/);
  assert.match(w[1].message, /ip/);
  // A fresh array each time: callers may change it.
  w.pop();
  assert.equal(p.warnings.length, 2);
  assert.deepStrictEqual(Policy.fromBytes(p.toBytes()).warnings, p.warnings);
  // A policy with warnings works as any other.
  const req = { remote_addr: '198.51.100.7', method: 'POST', uri: '/hooks/x' };
  assert.deepStrictEqual(p.decide(req), { action: 'allow', reason: 'rule_match', rule: 'hooks', client_ip: '198.51.100.7', method: 'POST' });
  // An error is still an error, not a warning.
  assert.throws(() => compilePolicy({ rules: [{ id: 'x', action: 'allow', ip: ['10.0.0.0/33'] }] }), PolicyError);
});
