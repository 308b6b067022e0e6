// Benchmark of the package in Node: `node pkg/bench/decide.mjs` (after `make wasm`). Not a test: it prints figures.
// Targets (issue 3): policy.decide() with a 110-byte User-Agent <= 1 µs median per call; compiling the default
// policy <= 2 ms.
import { defaultPolicy } from '../node.js';
import { compilePolicy } from '../compiler-node.js';

const UA = 'SendCloud/1.0 (woocommerce; https://www.sendcloud.sc) Mozilla/5.0 (X11; Linux x86_64) Gecko/20100101 ext/1';
const UA110 = (UA + 'x'.repeat(110)).slice(0, 110);
if (UA110.length !== 110) throw new Error('UA length');

const requests = {
  'allow (Sendcloud, 55-byte UA)': {
    remote_addr: '94.232.247.10', method: 'PATCH', uri: '/wp-json/wc/v3/orders/12',
    headers: { 'User-Agent': 'SendCloud/1.0 (woocommerce; https://www.sendcloud.sc)' },
  },
  'impersonation (110-byte UA)': {
    remote_addr: '198.51.100.5', method: 'GET', uri: '/wp-json/wc/v3/orders?page=2',
    headers: { 'User-Agent': UA110, Accept: 'application/json' },
  },
  'method_not_allowed (Sendcloud, _method=PUT in query and form)': {
    remote_addr: '94.232.247.10', method: 'POST', uri: '/wp-json/wc/v3/orders/12', query: '_method=PUT',
    headers: { 'User-Agent': 'SendCloud/1.0 (woocommerce; https://www.sendcloud.sc)' }, form: { _method: 'PUT' },
  },
  'no_match (browser, 110-byte UA)': {
    remote_addr: '203.0.113.9', method: 'GET', uri: '/shop/',
    headers: { 'User-Agent': 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36 ab' },
  },
};

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
}

// Median over rounds of the mean per call within a round (a single call is below the timer's resolution).
function bench(fn, perRound, rounds) {
  for (let i = 0; i < perRound * 5; i++) fn();
  const times = [];
  for (let r = 0; r < rounds; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < perRound; i++) fn();
    times.push(Number(process.hrtime.bigint() - t0) / perRound);
  }
  return median(times);
}

const policy = defaultPolicy();
let sink = 0;
for (const [name, req] of Object.entries(requests)) {
  const ns = bench(() => { sink += policy.decide(req).action.length; }, 20000, 50);
  console.log(`decide ${name}: ${(ns / 1000).toFixed(3)} µs median per call`);
}
const req = requests['impersonation (110-byte UA)'];
const nsExplain = bench(() => { sink += policy.explain(req).trace.length; }, 2000, 30);
console.log(`explain (110-byte UA): ${(nsExplain / 1000).toFixed(2)} µs median per call`);

const nsDefault = bench(() => { const p = defaultPolicy(); p.free(); }, 50, 40);
console.log(`defaultPolicy(): ${(nsDefault / 1e6).toFixed(3)} ms median`);
const nsCompile = bench(() => { const p = compilePolicy('{}'); p.free(); }, 50, 40);
console.log(`compilePolicy('{}') (the default policy): ${(nsCompile / 1e6).toFixed(3)} ms median`);
const bytes = policy.toBytes();
const { Policy } = await import('../node.js');
const nsLoad = bench(() => { const p = Policy.fromBytes(bytes); p.free(); }, 200, 40);
console.log(`Policy.fromBytes(default, ${bytes.length} bytes): ${(nsLoad / 1e6).toFixed(3)} ms median`);
if (sink === 0) console.log('');
