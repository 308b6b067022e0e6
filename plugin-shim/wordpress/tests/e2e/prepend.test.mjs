// End-to-end tests of the auto_prepend_file mode on the real stack (Apache 2.4 + mod_php: the `.htaccess` kind).
// The stack's Apache sets its own auto_prepend_file (stack.sh's prepend.php, which notes each request's X-SCG-Mark
// header in prepend-chain.log) with php_value, and allows overrides in the document root. A TEST STAND-IN must-use
// plugin (stand-ins/wordpress-loaded-marker.php) notes the requests that reached WordPress. The mode is switched on
// and off as a merchant does it: logged in, on the settings page, with the form's nonce.

import { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import {
    STATE, PORT, PLUGINS, HTACCESS, PREPEND_FILE, MARKER, LOADED_LOG, CHAIN_LOG, PHP_LOG, GATE, PAGE, CONTENT,
    SC_IP, SC_UA, ORDER, BLOCK_BODY, MODSECURITY, plainTest, phpString, lines, wp, configure, merchantClient,
    installGateAndMarkers,
} from './support.mjs';

const SPOOL_DIR = `${CONTENT}/sendcloud-gate-spool`;
const SPOOL = `${SPOOL_DIR}/decisions.php`;
const SPOOL_HEADER = '<?php exit; __halt_compiler();\n';
const LOG_PAGE = '/wp-admin/tools.php?page=sendcloud-gate-log';
const FOREIGN = '203.0.113.7';

const { request, login, adminGet, pressPrepend } = merchantClient(PORT);
let markN = 0;
const phpLogMark = () => lines(PHP_LOG).length;
const mark = () => `m${++markN}-${Date.now()}`;

let originalHtaccess = '';
let startMark = 0;

before(async () => {
    if (MODSECURITY) return;
    startMark = phpLogMark();
    installGateAndMarkers(wp, { empty: true });
    originalHtaccess = fs.readFileSync(HTACCESS, 'utf8');
    configure({ mode: 'on', impersonation: 'block' });
    await login();
});

plainTest('auto_prepend_file mode: switched on from the settings page (nonce checked), lines in .htaccess', async () => {
    // A forged nonce is refused by WordPress, nothing written.
    const forged = await pressPrepend('enable', { nonce: 'forged' });
    assert.equal(forged.status, 403);
    assert.equal(fs.readFileSync(HTACCESS, 'utf8'), originalHtaccess);

    const r = await pressPrepend('enable');
    assert.equal(r.status, 200);
    assert.match(r.body, /id="sendcloud-gate-adapter-result"><p>The gate now runs before WordPress: the lines were written to [^<]*\/docroot\/\.htaccess\./);
    const text = fs.readFileSync(HTACCESS, 'utf8');
    assert.equal(text.slice(0, originalHtaccess.length), originalHtaccess, 'WordPress\'s rules are kept');
    assert.match(text.slice(originalHtaccess.length), /^# BEGIN Sendcloud Gate\n[\s\S]*php_value auto_prepend_file "[^"]*\/wp-content\/sendcloud-gate-prepend\.php"\n[\s\S]*# END Sendcloud Gate\n$/);
    const prepend = fs.readFileSync(PREPEND_FILE, 'utf8');
    assert.ok(prepend.includes(`include_once '${STATE}/prepend.php'`), 'the auto_prepend_file the server had set is chained');

    // The page itself now loads through it.
    const page = await adminGet(PAGE);
    assert.match(page.body, /id="sendcloud-gate-prepend" data-enabled="1"/);
    assert.match(page.body, /This page was itself loaded through it\./);
});

plainTest('auto_prepend_file mode: a deny with "block" is 403 before WordPress and before the chained file; others pass through both', async () => {
    const denied = mark();
    let r = await request('GET', ORDER, { ip: FOREIGN, ua: SC_UA, mark: denied });
    assert.equal(r.status, 403);
    assert.equal(r.body, BLOCK_BODY);
    const allowed = mark();
    r = await request('PATCH', ORDER, { mark: allowed });
    assert.equal(r.status, 200, r.body);
    assert.equal(JSON.parse(r.body).method, 'PATCH');
    const visitor = mark();
    r = await request('GET', '/wp-json/', { ip: '198.51.100.20', ua: 'Mozilla/5.0', mark: visitor });
    assert.equal(r.status, 200);
    assert.deepEqual(lines(LOADED_LOG).filter((l) => [denied, allowed, visitor].includes(l)), [allowed, visitor], 'WordPress never loaded for the denied request');
    assert.deepEqual(lines(CHAIN_LOG).filter((l) => [denied, allowed, visitor].includes(l)), [allowed, visitor], 'the chained prepend file ran after the gate, except for the denied request');
    // The allowed request was decided once, before WordPress, and logged by the request path.
    const rows = wp("return \\SendcloudGate\\WordPress\\Log\\DecisionLog::query(['action' => 'allow'], 1, 5)['rows'];");
    assert.ok(rows.some((x) => x.method === 'PATCH' && x.client_ip === SC_IP));
});

plainTest('auto_prepend_file mode: a deny before WordPress reaches the decision log through the spool, imported on the next WordPress load', async () => {
    const ip = '203.0.113.77';
    const target = '/wp-json/wc/v3/orders/4077';
    const r = await request('GET', `${target}?consumer_secret=e2e_query_secret`, { ip, ua: SC_UA });
    assert.equal(r.status, 403);
    assert.equal(r.body, BLOCK_BODY);
    // Nothing has loaded WordPress since: the row is in the spool, written by the web server's PHP when the 403 ended
    // the request (a shutdown function: before PHP hands the buffered response over; waited for a moment anyway),
    // without the query string.
    for (let i = 0; i < 50 && !(fs.existsSync(SPOOL) && fs.readFileSync(SPOOL, 'utf8').includes(ip)); i++) {
        await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const text = fs.readFileSync(SPOOL, 'utf8');
    assert.ok(text.startsWith(SPOOL_HEADER), 'the file starts with the PHP header');
    const spooled = text.slice(SPOOL_HEADER.length).split('\n').filter((l) => l !== '').map((l) => JSON.parse(l));
    assert.deepEqual(spooled.map((x) => [x.action, x.reason, x.client_ip, x.method, x.path, x.user_agent]),
        [['deny', 'impersonation', ip, 'GET', target, SC_UA]]);
    assert.doesNotMatch(text, /e2e_query_secret/);
    const www = Number(execFileSync('id', ['-u', 'www-data'], { encoding: 'utf8' }).trim());
    assert.equal(fs.statSync(SPOOL).uid, www);
    assert.equal(fs.statSync(SPOOL).mode & 0o777, 0o600);
    assert.equal(fs.statSync(SPOOL_DIR).mode & 0o777, 0o700);
    // Requested over the web (this stack's Apache reads no .htaccess under wp-content), PHP runs it: nothing printed.
    const web = await request('GET', '/wp-content/sendcloud-gate-spool/decisions.php', { ip: '198.51.100.20', ua: 'Mozilla/5.0' });
    assert.equal(web.body, '');

    // The merchant's next page (WordPress loads: plugins_loaded imports the spool) lists it.
    const page = await adminGet(LOG_PAGE);
    assert.equal(page.status, 200);
    const row = page.body.split('<tr ').find((t) => t.includes(`<code>${ip}</code>`));
    assert.ok(row, 'the denied request is in the admin log');
    assert.match(row, /^data-action="deny" data-reason="impersonation">/);
    assert.ok(row.includes(`<code>${target}</code>`));
    assert.equal(fs.readFileSync(SPOOL, 'utf8'), SPOOL_HEADER, 'the spool was truncated');
    const rows = wp(`return \\SendcloudGate\\WordPress\\Log\\DecisionLog::rowsForAddresses([${phpString(ip)}], 1, 10);`);
    assert.deepEqual(rows.map((x) => [x.action, x.reason, x.method, x.path]), [['deny', 'impersonation', 'GET', target]], 'one row, once');
});

plainTest('auto_prepend_file mode: the prepend file follows the settings (monitor lets the impersonator through)', async () => {
    configure({ mode: 'monitor', impersonation: 'block' });
    const m = mark();
    const r = await request('GET', ORDER, { ip: FOREIGN, ua: SC_UA, mark: m });
    assert.equal(r.status, 200, r.body);
    assert.ok(lines(LOADED_LOG).includes(m));
    configure({ mode: 'on', impersonation: 'block' });
});

plainTest('auto_prepend_file mode: switching off restores .htaccess byte for byte; the must-use loader blocks again, after WordPress loaded', async () => {
    const r = await pressPrepend('disable');
    assert.equal(r.status, 200);
    assert.match(r.body, /The lines were removed/);
    assert.equal(fs.readFileSync(HTACCESS, 'utf8'), originalHtaccess);
    assert.equal(fs.existsSync(PREPEND_FILE), false);
    const m = mark();
    const denied = await request('GET', ORDER, { ip: FOREIGN, ua: SC_UA, mark: m });
    assert.equal(denied.status, 403);
    assert.equal(denied.body, BLOCK_BODY);
    assert.ok(lines(LOADED_LOG).includes(m), 'refused by the must-use loader: WordPress had loaded');
    assert.ok(lines(CHAIN_LOG).includes(m), 'the server\'s own auto_prepend_file is in force again');
});

plainTest('auto_prepend_file mode: deactivating the plugin removes the lines and the prepend file', async () => {
    assert.equal((await pressPrepend('enable')).status, 200);
    assert.notEqual(fs.readFileSync(HTACCESS, 'utf8'), originalHtaccess);
    wp(`deactivate_plugins(${phpString(GATE)}); return true;`);
    assert.equal(fs.readFileSync(HTACCESS, 'utf8'), originalHtaccess);
    assert.equal(fs.existsSync(PREPEND_FILE), false);
    assert.equal(fs.existsSync(SPOOL_DIR), false, 'the spool is imported and removed');
    const r = await request('GET', '/wp-json/', { ip: '198.51.100.20', ua: 'Mozilla/5.0' });
    assert.equal(r.status, 200);
});

after(() => {
    if (MODSECURITY) return;
    fs.rmSync(MARKER, { force: true });
    if (fs.existsSync(`${PLUGINS}/sendcloud-gate`)) {
        wp(`deactivate_plugins(${phpString(GATE)}); return delete_plugins([${phpString(GATE)}]);`);
    }
    if (originalHtaccess !== '') fs.writeFileSync(HTACCESS, originalHtaccess);
    const ours = lines(PHP_LOG).slice(startMark).filter((l) => l.includes('/sendcloud-gate/') || l.includes('sendcloud-gate:') || l.includes('sendcloud-gate-prepend'));
    assert.deepEqual(ours, [], 'unexpected PHP log lines from the plugin');
});
