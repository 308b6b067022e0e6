// The package API beyond the corpus: hostile input, request shapes, presets, show, version.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as gate from '../node.js';
import { defaultPolicy, presets, version, Policy } from '../node.js';
import { compilePolicy } from '../compiler-node.js';
import { loadCore } from '../test-support/core-host.mjs';

const MALFORMED = { action: 'pass', reason: 'malformed_input', rule: null, client_ip: null, method: null };
const SENDCLOUD_UA = 'SendCloud/1.0 (woocommerce; https://www.sendcloud.sc)';

test('a 1 MiB User-Agent gives malformed_input or a normal decision, never a crash', () => {
  const p = defaultPolicy();
  const core = loadCore();
  const h = core.defaultPolicy();
  const mib = 'a'.repeat(1 << 20);
  const reqs = [
    { remote_addr: '94.232.247.10', method: 'GET', headers: { 'User-Agent': mib } },
    { remote_addr: '198.51.100.1', method: 'GET', headers: { 'User-Agent': 'SendCloud/1.0 (' + mib } },
    { remote_addr: '94.232.247.10', method: 'GET', headers: { 'User-Agent': 'é'.repeat(1 << 19) } },
    { remote_addr: '94.232.247.10', method: 'GET', uri: '/' + mib },
    { remote_addr: '94.232.247.10', method: mib },
    { remote_addr: mib, method: 'GET' },
    { remote_addr: '94.232.247.10', method: 'GET', headers: { 'X-Forwarded-For': '10.0.0.1, '.repeat(100000) } },
  ];
  for (const r of reqs) {
    const d = p.decide(r);
    assert.ok(['malformed_input', 'ua_mismatch', 'impersonation', 'no_match', 'partner_match'].includes(d.reason), JSON.stringify(d));
    assert.notEqual(d.action, 'allow', JSON.stringify(d));
    assert.deepEqual(d, core.decide(h, r));
    const e = p.explain(r);
    assert.equal(e.reason, d.reason);
    // Normal requests still work afterwards (the scratch buffer grew; memory views were refreshed).
    assert.equal(p.decide({ remote_addr: '94.232.247.10', method: 'GET', headers: { 'User-Agent': SENDCLOUD_UA } }).action, 'allow');
  }
});

test('request shapes: the fast path and the JSON path agree with the contract', () => {
  const p = defaultPolicy();
  const allow = { action: 'allow', reason: 'partner_match', rule: 'sendcloud', client_ip: '94.232.247.10', method: 'PATCH' };
  const base = { remote_addr: '94.232.247.10', method: 'patch' };
  assert.deepEqual(p.decide({ ...base, headers: { 'User-Agent': SENDCLOUD_UA } }), allow);
  assert.deepEqual(p.decide({ ...base, uri: null, headers: { 'user-agent': [SENDCLOUD_UA] } }), allow);
  assert.deepEqual(p.decide({ ...base, uri: undefined, headers: { 'User-Agent': SENDCLOUD_UA }, extra: 1 }), allow);
  // Two User-Agent headers (array, or two keys differing in case) are malformed.
  const two = { action: 'pass', reason: 'malformed_input', rule: null, client_ip: '94.232.247.10', method: 'PATCH' };
  assert.deepEqual(p.decide({ ...base, headers: { 'User-Agent': [SENDCLOUD_UA, SENDCLOUD_UA] } }), two);
  assert.deepEqual(p.decide({ ...base, headers: { 'User-Agent': SENDCLOUD_UA, 'user-agent': SENDCLOUD_UA } }), two);
  // Not requests: all malformed, none throws.
  for (const r of [null, undefined, 42, 'GET /', [], {}, { remote_addr: '94.232.247.10' }, { method: 'GET' },
    { remote_addr: 1, method: 'GET' }, { ...base, uri: 5 }, { ...base, headers: [] }, { ...base, headers: 'x' },
    { ...base, headers: { 'User-Agent': 5 } }, { ...base, headers: { 'User-Agent': [SENDCLOUD_UA, null] } }]) {
    assert.deepEqual(p.decide(r), MALFORMED, JSON.stringify(r));
    assert.deepEqual(p.explain(r).reason, 'malformed_input');
  }
  // Non-ASCII and lone surrogates: never allow; a lone surrogate is what the native engine sees from JSON.
  assert.equal(p.decide({ ...base, headers: { 'User-Agent': SENDCLOUD_UA + 'é' } }).reason, 'ua_mismatch');
  assert.notEqual(p.decide({ ...base, headers: { 'User-Agent': SENDCLOUD_UA + '\ud800' } }).action, 'allow');
  assert.deepEqual(p.decide({ ...base, uri: '/\ud800', headers: { 'User-Agent': SENDCLOUD_UA } }), allow);
});

test('explain adds trace and provenance', () => {
  const p = defaultPolicy();
  const e = p.explain({ remote_addr: '94.232.247.10', method: 'GET', headers: { 'User-Agent': 'Sendcloud/1.0.0' } });
  assert.equal(e.action, 'allow');
  assert.ok(e.trace.length >= 3 && e.trace.every((s) => typeof s === 'string'));
  assert.equal(e.provenance.preset, 'sendcloud');
  assert.equal(e.provenance.verified, false);
  const n = p.explain({ remote_addr: '203.0.113.1', method: 'GET' });
  assert.equal(n.reason, 'no_match');
  assert.equal(n.provenance, undefined);
});

test('presets() shows the data with its provenance', () => {
  const all = presets();
  assert.deepEqual(Object.keys(all).sort(), ['cloudflare', 'loopback', 'private', 'sendcloud']);
  const sc = all.sendcloud;
  assert.equal(sc.verified, false);
  assert.match(sc.source, /^https:\/\/support\.sendcloud\.com\//);
  assert.ok(sc.reviewed && sc.note.includes('add_ip'));
  assert.deepEqual(sc.ip, ['94.232.247.0/24', '185.66.200.0/24', '52.58.233.101']);
  assert.deepEqual(sc.methods, ['GET', 'POST', 'OPTIONS', 'PATCH', 'DELETE']);
  const onDisk = JSON.parse(readFileSync(new URL('../../src/presets/sendcloud.json', import.meta.url), 'utf8'));
  assert.deepEqual(sc, onDisk);
  // A fresh copy each time: callers may mutate it.
  sc.ip.push('x');
  assert.equal(presets().sendcloud.ip.length, 3);
});

test('show() is the effective policy, itself compilable once the display keys are dropped', () => {
  const p = compilePolicy({ partners: [{ preset: 'sendcloud', add_ip: ['198.51.100.0/24'], add_methods: ['PUT'] }], rules: [{ id: 'r', action: 'deny', methods: ['TRACE'] }] });
  const s = p.show();
  assert.equal(s.version, 1);
  assert.ok(s.partners[0].ip.includes('198.51.100.0/24'));
  assert.ok(s.partners[0].methods.includes('PUT'));
  assert.equal(s.partners[0].provenance.preset, 'sendcloud');
  delete s.partners[0].provenance;
  delete s.partners[0].preset;
  delete s.trusted_proxies.presets;
  const again = compilePolicy(s);
  const req = { remote_addr: '198.51.100.7', method: 'PUT', headers: { 'User-Agent': 'Sendcloud/1.0.0' } };
  assert.deepEqual(again.decide(req), p.decide(req));
});

test('exports: version, default policy, classes', () => {
  assert.match(version(), /^\d+\.\d+\.\d+/);
  assert.equal(version(), JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version);
  assert.deepEqual(defaultPolicy().toBytes(), compilePolicy('{}').toBytes());
  assert.throws(() => new Policy(), TypeError);
  assert.equal(typeof gate.ready.then, 'function');
  assert.equal(typeof gate.PolicyError, 'function');
  const p = defaultPolicy();
  p.free();
});

test('many policies and many decisions: wasm memory stays bounded', () => {
  const req = { remote_addr: '94.232.247.10', method: 'PATCH', uri: '/x', headers: { 'User-Agent': SENDCLOUD_UA } };
  for (let i = 0; i < 200; i++) compilePolicy({ rules: [{ id: `r${i}`, action: 'allow', ip: ['10.0.0.0/8'] }] }).free();
  const p = defaultPolicy();
  for (let i = 0; i < 1000; i++) p.explain(req);
  for (let i = 0; i < 100000; i++) p.decide(req);
  assert.equal(p.decide(req).action, 'allow');
});
