// The contract v2 request fields `query` and `form` reach the engine on both of the package's paths: the packed form
// (its optional tail, src/request.rs) and the JSON text; and both paths, and the core module, decide alike.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import * as raw from '../dist/web/sendcloud_gate.js';
import { defaultPolicy } from '../node.js';
import { compilePolicy } from '../compiler-node.js';
import { loadCore } from '../test-support/core-host.mjs';

const wasm = raw.initSync(); // the instance node.js already made
const SC_UA = 'SendCloud/1.0 (woocommerce; https://www.sendcloud.sc)';
const SC = { remote_addr: '94.232.247.10', method: 'POST', uri: '/wp-json/wc/v3/orders/12', headers: { 'User-Agent': SC_UA } };

// Requests with every shape of query and form, and a few without.
const REQUESTS = [
  SC,
  { ...SC, query: '' },
  { ...SC, query: null, form: null },
  { ...SC, form: {} },
  { ...SC, form: { _method: [] } },
  { ...SC, query: '', form: {} },
  { ...SC, query: '_method=PUT' },
  { ...SC, query: 'rest_route=/wp/v2/users/1' },
  { ...SC, query: 'ps_method=DELETE&x=1' },
  { ...SC, query: '_method%00=PUT' },
  { ...SC, query: 'ps[method=PUT' },
  { ...SC, query: '_method[]=PUT&_method[]=GET' },
  { ...SC, uri: '/x?_method=GET', query: '_method=PUT' },
  { ...SC, form: { _method: 'PUT' } },
  { ...SC, form: { _method: 'post' } },
  { ...SC, form: { ps_method: ['PUT', 'PUT'] } },
  { ...SC, form: { ps_method: ['PUT', 'GET'] } },
  { ...SC, form: { rest_route: '/wp/v2/users/1', other: 'x' } },
  { ...SC, form: { _method: '' } },
  { ...SC, query: '', form: { _method: 'DELETE' } },
  { ...SC, query: '_method=PATCH', form: { _method: 'PATCH', note: 'é€😀' } },
  { ...SC, query: 'q=é€', form: { 'naïve': 'ü'.repeat(40) } },
  { ...SC, query: 'a='.repeat(2000), form: Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`p${i}`, String(i)])) },
  { ...SC, method: 'GET', uri: '/wp-json/office/', query: 'rest_route=/wp/v2/users', form: { rest_route: '/wp/v2/users' } },
  { remote_addr: '203.0.113.9', method: 'POST', uri: '/', query: '_method=PUT', form: { _method: 'PUT' }, headers: { 'User-Agent': 'Sendcloud/1.0.0' } },
];

const POLICIES = {
  default: '{}',
  deny: JSON.stringify({
    impersonation: 'deny',
    rules: [
      { id: 'no-put', action: 'deny', methods: ['PUT', 'DELETE'] },
      { id: 'no-users', action: 'deny', paths: ['/wp-json/wp/v2/users'] },
      { id: 'office', action: 'allow', ip: ['94.232.247.0/24'], paths: ['/wp-json/office/'] },
    ],
  }),
};

/** Runs f with the raw layer's decide/explain (packed) and decide_json/explain_json wrapped to record their input. */
function recording(f) {
  const proto = raw.WasmPolicy.prototype;
  const saved = { decide: proto.decide, explain: proto.explain, decide_json: proto.decide_json, explain_json: proto.explain_json };
  const seen = [];
  const packedBytes = (len) => new Uint8Array(wasm.memory.buffer, raw.scratch(0), len).slice();
  proto.decide = function (len) { seen.push({ way: 'packed', bytes: packedBytes(len) }); return saved.decide.call(this, len); };
  proto.explain = function (len) { seen.push({ way: 'packed', bytes: packedBytes(len) }); return saved.explain.call(this, len); };
  proto.decide_json = function (t) { seen.push({ way: 'json', text: t }); return saved.decide_json.call(this, t); };
  proto.explain_json = function (t) { seen.push({ way: 'json', text: t }); return saved.explain_json.call(this, t); };
  try {
    f();
  } finally {
    Object.assign(proto, saved);
  }
  return seen;
}

test('the packed form carries query and form: the bytes decide() hands the engine are the documented packed form', () => {
  const core = loadCore(); // its pack() is an independent writer of the packed form
  const p = defaultPolicy();
  let tails = 0;
  for (const req of REQUESTS) {
    const seen = recording(() => { p.decide(req); p.explain(req); });
    assert.equal(seen.length, 2);
    const want = core.pack(req);
    for (const s of seen) {
      assert.equal(s.way, 'packed', JSON.stringify(req).slice(0, 80));
      assert.deepStrictEqual(s.bytes, want, JSON.stringify(req).slice(0, 80));
    }
    // The tail is there exactly when there is a query or a form parameter.
    const hasTail = (req.query ?? '') !== '' || Object.values(req.form ?? {}).some((v) => [].concat(v).length > 0);
    const withoutTail = core.pack({ ...req, query: undefined, form: undefined });
    assert.equal(want.length > withoutTail.length, hasTail);
    if (hasTail) tails++;
  }
  assert.ok(tails >= 15);
  // The common request costs nothing more: no tail at all.
  const [plain] = recording(() => p.decide(SC));
  assert.deepStrictEqual(plain.bytes, core.pack({ remote_addr: SC.remote_addr, method: SC.method, uri: SC.uri, headers: SC.headers }));
});

test('the JSON path carries query and form', () => {
  const p = defaultPolicy();
  // A lone surrogate in a header sends the request the JSON way (the packed form cannot hold it).
  for (const req of REQUESTS.filter((r) => r.query || r.form)) {
    const odd = { ...req, headers: { ...req.headers, 'X-Note': '\ud800' } };
    const seen = recording(() => { p.decide(odd); p.explain(odd); });
    for (const s of seen) {
      assert.equal(s.way, 'json');
      const sent = JSON.parse(s.text);
      assert.deepStrictEqual(sent.query, req.query ?? undefined);
      assert.deepStrictEqual(sent.form, req.form ?? undefined);
    }
  }
});

test('packed and JSON paths (and the core module) give the same decision and explanation for query and form', () => {
  const core = loadCore();
  const corpus = new URL('../../tests/corpus/policies/', import.meta.url);
  const texts = { ...POLICIES };
  for (const f of readdirSync(corpus)) if (f.endsWith('.json')) texts[`corpus/${f}`] = readFileSync(new URL(f, corpus), 'utf8');
  const failures = [];
  let compared = 0;
  for (const [name, text] of Object.entries(texts)) {
    let p;
    try {
      p = compilePolicy(text);
    } catch {
      continue; // a corpus policy the engine does not take (yet): the corpus tests report it
    }
    const rawPolicy = raw.WasmPolicy.load(compilePolicy(text).toBytes());
    const handle = core.compile(text);
    for (const req of REQUESTS) {
      const seen = recording(() => {
        const viaPacked = p.decide(req);
        const explained = p.explain(req);
        const viaJson = JSON.parse(rawPolicy.decide_json(JSON.stringify(req)));
        const explainedJson = JSON.parse(rawPolicy.explain_json(JSON.stringify(req)));
        const viaCore = core.decide(handle, req);
        const explainedCore = core.explain(handle, req);
        const id = `${name} ${JSON.stringify(req).slice(0, 100)}`;
        if (JSON.stringify(viaPacked) !== JSON.stringify(viaJson)) failures.push(`${id}: packed ${JSON.stringify(viaPacked)} json ${JSON.stringify(viaJson)}`);
        if (JSON.stringify(viaCore) !== JSON.stringify(viaJson)) failures.push(`${id}: core ${JSON.stringify(viaCore)} json ${JSON.stringify(viaJson)}`);
        if (JSON.stringify(explained) !== JSON.stringify(explainedJson)) failures.push(`${id}: explain packed ≠ json`);
        if (JSON.stringify(explainedCore) !== JSON.stringify(explainedJson)) failures.push(`${id}: explain core ≠ json`);
        compared++;
      });
      // The package's own calls went the packed way.
      assert.deepStrictEqual(seen.filter((s) => s.way === 'packed').length, 2);
    }
    rawPolicy.free();
  }
  assert.ok(compared >= REQUESTS.length * 2);
  assert.deepEqual(failures, []);
});

test('corpus cases with query or form: packed and JSON paths agree', () => {
  const corpus = new URL('../../tests/corpus/', import.meta.url);
  const lines = (f) => readFileSync(new URL(f, corpus), 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));
  const cases = [...lines('cases.jsonl'), ...lines('ambiguous.jsonl')].filter((c) => c.request && (c.request.query !== undefined || c.request.form !== undefined));
  const failures = [];
  const compiled = {};
  for (const c of cases) {
    const text = c.policy === 'default' ? '{}' : readFileSync(new URL(`policies/${c.policy}.json`, corpus), 'utf8');
    let entry = compiled[c.policy];
    if (!entry) {
      try {
        entry = compiled[c.policy] = { p: compilePolicy(text), rawPolicy: raw.WasmPolicy.load(compilePolicy(text).toBytes()) };
      } catch {
        continue; // reported by corpus.test.mjs
      }
    }
    const viaPacked = entry.p.decide(c.request);
    const viaJson = JSON.parse(entry.rawPolicy.decide_json(JSON.stringify(c.request)));
    if (JSON.stringify(viaPacked) !== JSON.stringify(viaJson)) failures.push(`${c.id}: packed ${JSON.stringify(viaPacked)} json ${JSON.stringify(viaJson)}`);
    if (JSON.stringify(entry.p.explain(c.request)) !== entry.rawPolicy.explain_json(JSON.stringify(c.request))) failures.push(`${c.id}: explain packed ≠ json`);
  }
  console.log(`corpus cases with query or form compared on both paths: ${cases.length}`);
  assert.deepEqual(failures, []);
});
