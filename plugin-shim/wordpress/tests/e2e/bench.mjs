// The plugin's speed on the real stack (bench.sh starts it and installs the plugin): median time to first byte of a
// page WordPress serves, with the gate Off, On (from the must-use loader) and On from the auto_prepend_file mode,
// interleaved in blocks (Off, On, On-prepend, Off, ...) so that the machine's load hits all three alike; and the PHP
// code and memory the loader adds on a request the engine passes (TEST STAND-IN must-use plugins around the loader:
// stand-ins/bench-measure-*.php). Prints a JSON summary on the last line.
//
// SCG_BENCH_REQUESTS (1000 per variant), SCG_BENCH_BLOCK (50).

import { execFileSync } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const STATE = process.env.SCG_E2E_DIR || '/tmp/sendcloud-gate-e2e';
const PORT = Number(process.env.SCG_E2E_PORT || 18080);
const HOST = process.env.SCG_E2E_HOST || 'shop.test';
const N = Number(process.env.SCG_BENCH_REQUESTS || 1000);
const BLOCK = Number(process.env.SCG_BENCH_BLOCK || 50);
const TARGET = '/wp-json/wc/v3/orders/12';   // the wc/v3 stand-in route: WordPress and its REST server, a small body
const VISITOR = { ip: '198.51.100.20', ua: 'Mozilla/5.0 (X11; Linux x86_64) bench' };   // the engine passes it (no_match)

const phpString = (s) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
function wp(code) {
    const out = execFileSync('php', ['-d', 'display_errors=0', '-d', 'log_errors=0', `${here}/wp-cli-stand-in.php`, 'eval', code], {
        env: { ...process.env, HTTP_HOST: HOST }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'],
    });
    const lines = out.trim().split('\n');
    return JSON.parse(lines[lines.length - 1]);
}

const SETTINGS = { proxy: 'custom', proxy_ranges: '127.0.0.1/32', proxy_header: 'x-forwarded-for', impersonation: 'block' };
function variant(name) {
    const mode = name === 'off' ? 'off' : 'on';
    const prepend = name === 'prepend'
        ? `$p = \\SendcloudGate\\WordPress\\Prepend::enable([], 'apache2handler', ${phpString(`${STATE}/docroot`)}, ${phpString(`${STATE}/prepend.php`)}); if (!$p['ok']) { return $p; }`
        : '\\SendcloudGate\\WordPress\\Prepend::disable();';
    const r = wp(`$r = \\SendcloudGate\\WordPress\\Settings::save(json_decode(${phpString(JSON.stringify({ ...SETTINGS, mode }))}, true)); ${prepend} return $r;`);
    if (!r.ok) throw new Error(`switching to ${name}: ${JSON.stringify(r)}`);
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
/** One GET; resolves [ms to the response's first byte (headers), status, headers]. */
function get(target, headers = {}) {
    return new Promise((resolve, reject) => {
        const h = { Host: `${HOST}:${PORT}`, 'X-Forwarded-For': VISITOR.ip, 'User-Agent': VISITOR.ua, ...headers };
        const t0 = process.hrtime.bigint();
        const req = http.request({ host: '127.0.0.1', port: PORT, method: 'GET', path: target, headers: h, agent }, (res) => {
            const ms = Number(process.hrtime.bigint() - t0) / 1e6;
            res.resume();
            res.on('end', () => resolve([ms, res.statusCode, res.headers]));
        });
        req.setTimeout(30000, () => req.destroy(new Error('timed out')));
        req.on('error', reject);
        req.end();
    });
}

const median = (a) => { const s = [...a].sort((x, y) => x - y); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
const quantile = (a, q) => { const s = [...a].sort((x, y) => x - y); return s[Math.min(s.length - 1, Math.floor(q * s.length))]; };
const r3 = (x) => Math.round(x * 1000) / 1000;

const variants = ['off', 'on', 'prepend'];
const times = { off: [], on: [], prepend: [] };
const blockMedians = { off: [], on: [], prepend: [] };

// Warm up: opcache, MariaDB's buffers, Apache's children (every variant).
for (const v of variants) {
    variant(v);
    for (let i = 0; i < 40; i++) {
        const [, status] = await get(TARGET);
        if (status !== 200) throw new Error(`${v}: ${TARGET} answered ${status}`);
    }
}

const rounds = Math.ceil(N / BLOCK);
const started = Date.now();
for (let r = 0; r < rounds; r++) {
    // The order within a round rotates, so that no variant always follows the switch from the same one.
    const order = variants.map((_, i) => variants[(i + r) % variants.length]);
    for (const v of order) {
        variant(v);
        await get(TARGET);   // the first request after a switch (opcache revalidation of the rewritten files) is not counted
        const block = [];
        for (let i = 0; i < BLOCK && times[v].length + block.length < N; i++) {
            const [ms, status] = await get(TARGET);
            if (status !== 200) throw new Error(`${v}: ${TARGET} answered ${status}`);
            block.push(ms);
        }
        times[v].push(...block);
        blockMedians[v].push(median(block));
    }
}

// Inside PHP, on a request the engine passes, opcache as Apache has it: the time the loader takes (hrtime between the
// measuring must-use plugins before and after it; far less noisy than the time to first byte), and the code and
// memory it adds; in the prepend mode the library was loaded before the must-use plugins (prepend_* fields).
const MEASURE_ROUNDS = 5;
const MEASURE_BLOCK = Number(process.env.SCG_BENCH_MEASURE_BLOCK || 40);
const loaderUs = { off: [], on: [], prepend: [] };
const measure = {};
for (let r = 0; r < MEASURE_ROUNDS; r++) {
    const order = variants.map((_, i) => variants[(i + r) % variants.length]);
    for (const v of order) {
        variant(v);
        await get(TARGET, { 'X-SCG-Bench-Measure': '1' });
        for (let i = 0; i < MEASURE_BLOCK; i++) {
            const [, status, headers] = await get(TARGET, { 'X-SCG-Bench-Measure': '1' });
            if (status !== 200 || !headers['x-scg-bench']) throw new Error(`${v}: no X-SCG-Bench header (${status})`);
            const m = JSON.parse(headers['x-scg-bench']);
            m.request = headers['x-scg-bench-request'] ? JSON.parse(headers['x-scg-bench-request']) : null;
            loaderUs[v].push(m.loader_us);
            measure[v] = m;
        }
    }
}
variant('off');
for (const v of variants) {
    measure[v].loader_us = { median: r3(median(loaderUs[v])), p25: r3(quantile(loaderUs[v], 0.25)), p75: r3(quantile(loaderUs[v], 0.75)), n: loaderUs[v].length };
}

const summary = {
    target: TARGET, requests_per_variant: N, block: BLOCK, seconds: Math.round((Date.now() - started) / 1000),
    median_ms: Object.fromEntries(variants.map((v) => [v, r3(median(times[v]))])),
    p10_ms: Object.fromEntries(variants.map((v) => [v, r3(quantile(times[v], 0.1))])),
    p90_ms: Object.fromEntries(variants.map((v) => [v, r3(quantile(times[v], 0.9))])),
    on_minus_off_ms: r3(median(times.on) - median(times.off)),
    prepend_minus_off_ms: r3(median(times.prepend) - median(times.off)),
    // The same difference round by round (block medians): its spread shows the noise of the machine.
    per_round_on_minus_off_ms: {
        median: r3(median(blockMedians.on.map((x, i) => x - blockMedians.off[i]))),
        p25: r3(quantile(blockMedians.on.map((x, i) => x - blockMedians.off[i]), 0.25)),
        p75: r3(quantile(blockMedians.on.map((x, i) => x - blockMedians.off[i]), 0.75)),
    },
    per_round_prepend_minus_off_ms: {
        median: r3(median(blockMedians.prepend.map((x, i) => x - blockMedians.off[i]))),
        p25: r3(quantile(blockMedians.prepend.map((x, i) => x - blockMedians.off[i]), 0.25)),
        p75: r3(quantile(blockMedians.prepend.map((x, i) => x - blockMedians.off[i]), 0.75)),
    },
    loader: measure,
};
agent.destroy();
console.log(`off ${summary.median_ms.off} ms, on ${summary.median_ms.on} ms, on (prepend) ${summary.median_ms.prepend} ms median TTFB; `
    + `on - off ${summary.on_minus_off_ms} ms (per round p25..p75 ${summary.per_round_on_minus_off_ms.p25}..${summary.per_round_on_minus_off_ms.p75}), `
    + `prepend - off ${summary.prepend_minus_off_ms} ms`);
console.log(`loader time in PHP (median us): off ${measure.off.loader_us.median}, on ${measure.on.loader_us.median}, prepend ${measure.prepend.loader_us.median}`);
console.log(`loader on a passed request: ${measure.on.files} files, ${(measure.on.bytes / 1024).toFixed(1)} KiB of PHP, `
    + `${(measure.on.memory / 1024).toFixed(1)} KiB memory (opcache ${measure.on.opcache}); the whole plugin by the REST response: `
    + `${measure.on.request?.files} files, ${((measure.on.request?.bytes ?? 0) / 1024).toFixed(1)} KiB`);
console.log(JSON.stringify(summary));
