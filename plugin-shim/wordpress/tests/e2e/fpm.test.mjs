// End-to-end test of the auto_prepend_file mode under a real PHP-FPM (the `.user.ini` kind): fpm.sh starts Debian's
// php-fpm (a pool of its own, on a unix socket, user_ini.cache_ttl = 1 s: see fpm.sh) behind nginx (fastcgi_pass) on
// 127.0.0.1:SCG_E2E_FPM_PORT, in front of the stack's WordPress (same document root, wp-content and database as the
// Apache + mod_php front). The pool sets the host's own auto_prepend_file (stack.sh's prepend.php, which notes each
// request's X-SCG-Mark in prepend-chain.log) with php_value; the TEST STAND-IN must-use plugin
// (stand-ins/wordpress-loaded-marker.php) notes the requests that reached WordPress. The mode is switched on and off
// as a merchant does it, through PHP-FPM: logged in, on the settings page, with the form's nonce.

import { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import {
    here, STATE, PORT, HOST, CONTENT, PLUGINS, DOCROOT, HTACCESS, PREPEND_FILE, MARKER, LOADED_LOG, CHAIN_LOG, PHP_LOG,
    GATE, PAGE, SC_UA, ORDER, BLOCK_BODY, MODSECURITY, plainTest, phpString, lines, merchantClient,
    installGateAndMarkers, wp as wpWith, configure as configureWith,
} from './support.mjs';

const FPM_PORT = Number(process.env.SCG_E2E_FPM_PORT || PORT + 1);
const USER_INI = `${DOCROOT}/.user.ini`;
const FPM_ACCESS_LOG = `${STATE}/fpm/access.log`;
const FOREIGN = '203.0.113.78';

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const env = { ...process.env, SCG_E2E_DIR: STATE, SCG_E2E_PORT: String(PORT), SCG_E2E_FPM_PORT: String(FPM_PORT), SCG_E2E_HOST: HOST };
const wp = (code) => wpWith(code, env);
const configure = (overrides = {}) => configureWith(overrides, env);

// Requests to the PHP-FPM front (nginx), with the site's Host header.
const { request, login, adminGet, pressPrepend } = merchantClient(FPM_PORT);
let markN = 0;
const mark = () => `fpm${++markN}-${Date.now()}`;

/** Polls `check` (async, truthy when done) every 100 ms for up to `ms`; returns its last value. */
async function waitFor(check, ms) {
    const end = Date.now() + ms;
    let v = await check();
    while (!v && Date.now() < end) {
        await sleep(100);
        v = await check();
    }
    return v;
}

let originalHtaccess = '';
let startMark = 0;
let fpmStarted = false;

before(async () => {
    if (MODSECURITY) return;
    startMark = lines(PHP_LOG).length;
    installGateAndMarkers(wp, { empty: false });
    originalHtaccess = fs.readFileSync(HTACCESS, 'utf8');
    assert.equal(fs.existsSync(USER_INI), false, 'no .user.ini before the test');
    configure({ mode: 'on', impersonation: 'block' });
    execFileSync('bash', [`${here}/fpm.sh`, 'start'], { env, stdio: ['ignore', 'inherit', 'inherit'] });
    fpmStarted = true;
    await login();
});

plainTest('PHP-FPM: the settings page (served by PHP-FPM) writes the lines to .user.ini and chains the pool\'s auto_prepend_file', async () => {
    const page = await adminGet(PAGE);
    assert.match(page.body, /id="sendcloud-gate-prepend" data-enabled="0"/);
    assert.ok(lines(FPM_ACCESS_LOG).some((l) => l.startsWith('GET /wp-admin/options-general.php 200')), 'served by PHP-FPM');

    const r = await pressPrepend('enable');
    assert.equal(r.status, 200);
    assert.ok(r.body.includes(`The gate now runs before WordPress: the lines were written to ${USER_INI}.`), r.body.match(/sendcloud-gate-adapter-result">[^]{0,300}/)?.[0]);
    assert.equal(fs.readFileSync(USER_INI, 'utf8'),
        '; BEGIN Sendcloud Gate\n'
        + '; Runs Sendcloud Gate before WordPress. Written by the Sendcloud Gate plugin on request; removed when it is\n'
        + '; switched off on its settings page, on deactivation and on uninstall.\n'
        + `auto_prepend_file = "${PREPEND_FILE}"\n`
        + '; END Sendcloud Gate\n');
    assert.equal(fs.readFileSync(HTACCESS, 'utf8'), originalHtaccess, 'Apache\'s .htaccess is not touched');
    assert.ok(fs.readFileSync(PREPEND_FILE, 'utf8').includes(`include_once '${STATE}/prepend.php'`), 'the pool\'s auto_prepend_file is chained');
    // The pool's INI cache time, read by the request that switched the mode on: the stub's deletion waits for it.
    assert.equal(wp("return get_option('sendcloud_gate_prepend')['cache_ttl'];"), 1);

    // Once PHP-FPM has read the directory's .user.ini again (cache_ttl = 1 s), pages load through the gate's file.
    const through = await waitFor(async () => /This page was itself loaded through it\./.test((await adminGet(PAGE)).body), 5000);
    assert.ok(through, 'the settings page reports being loaded through the prepend file');
});

plainTest('PHP-FPM: an impersonator gets 403 before WordPress and before the chained file; Sendcloud reaches both; the deny is logged', async () => {
    const accessBefore = lines(FPM_ACCESS_LOG).length;
    const denied = mark();
    let r = await request('GET', `${ORDER}?consumer_secret=e2e_fpm_secret`, { ip: FOREIGN, ua: SC_UA, mark: denied });
    assert.equal(r.status, 403);
    assert.equal(r.body, BLOCK_BODY);
    const allowed = mark();
    r = await request('PATCH', ORDER, { mark: allowed });
    assert.equal(r.status, 200, r.body);
    assert.equal(JSON.parse(r.body).method, 'PATCH');
    const visitor = mark();
    r = await request('GET', '/wp-json/', { ip: '198.51.100.20', ua: 'Mozilla/5.0', mark: visitor });
    assert.equal(r.status, 200);
    const marks = [denied, allowed, visitor];
    assert.deepEqual(lines(LOADED_LOG).filter((l) => marks.includes(l)), [allowed, visitor], 'WordPress never loaded for the denied request');
    assert.deepEqual(lines(CHAIN_LOG).filter((l) => marks.includes(l)), [allowed, visitor], 'the chained file ran after the gate, except for the denied request');
    assert.deepEqual(lines(FPM_ACCESS_LOG).slice(accessBefore), ['GET /index.php 403', 'PATCH /index.php 200', 'GET /index.php 200'], 'all three served by PHP-FPM');

    // The deny, spooled before WordPress, was imported by the next WordPress load (the PATCH): one row, no query.
    const rows = wp(`return \\SendcloudGate\\WordPress\\Log\\DecisionLog::rowsForAddresses([${phpString(FOREIGN)}], 1, 10);`);
    assert.deepEqual(rows.map((x) => [x.action, x.reason, x.method, x.path]), [['deny', 'impersonation', 'GET', ORDER]]);
});

plainTest('PHP-FPM: switching off takes the lines away; after the INI cache the must-use loader decides again; then nothing is left', async () => {
    const r = await pressPrepend('disable');
    assert.equal(r.status, 200);
    assert.match(r.body, /The lines were removed/);
    assert.equal(fs.existsSync(USER_INI), false, '.user.ini was the gate\'s: deleted');
    const stub = fs.readFileSync(PREPEND_FILE, 'utf8');
    assert.doesNotMatch(stub, /prepend-run\.php/, 'until the INI cache expires, the prepend file only chains');
    assert.ok(stub.includes(`include_once '${STATE}/prepend.php'`));

    // Once PHP-FPM no longer uses the cached lines (1 s), the impersonator is refused after WordPress loaded, by the
    // must-use loader, and the pool's own auto_prepend_file runs again.
    let m = '';
    const reloaded = await waitFor(async () => {
        m = mark();
        const x = await request('GET', ORDER, { ip: FOREIGN, ua: SC_UA, mark: m });
        assert.equal(x.status, 403);
        assert.equal(x.body, BLOCK_BODY);
        return lines(LOADED_LOG).includes(m);
    }, 5000);
    assert.ok(reloaded, 'refused by the must-use loader: WordPress had loaded');
    assert.ok(lines(CHAIN_LOG).includes(m));

    // The stub goes on the first admin page after 2 × cache_ttl + 5 s.
    const until = wp("return get_option('sendcloud_gate_prepend_stub')['until'];");
    await sleep(Math.max(0, until * 1000 - Date.now()) + 1100);
    assert.equal((await adminGet('/wp-admin/')).status, 200);
    assert.equal(fs.existsSync(PREPEND_FILE), false, 'the stub is deleted');
    assert.equal(wp("return get_option('sendcloud_gate_prepend_stub', null);"), null);
    assert.equal(fs.existsSync(USER_INI), false);
    assert.equal(fs.readFileSync(HTACCESS, 'utf8'), originalHtaccess);
    assert.deepEqual(fs.readdirSync(CONTENT).filter((f) => f.startsWith('sendcloud-gate-prepend')), []);
    const x = await request('GET', '/wp-json/', { ip: '198.51.100.20', ua: 'Mozilla/5.0' });
    assert.equal(x.status, 200, 'the site serves');
});

after(() => {
    if (MODSECURITY) return;
    if (fpmStarted) execFileSync('bash', [`${here}/fpm.sh`, 'stop'], { env, stdio: ['ignore', 'inherit', 'inherit'] });
    assert.equal(fs.existsSync(`${STATE}/fpm`), false, 'fpm.sh stop leaves nothing');
    fs.rmSync(MARKER, { force: true });
    if (fs.existsSync(`${PLUGINS}/sendcloud-gate`)) {
        wp(`deactivate_plugins(${phpString(GATE)}); return delete_plugins([${phpString(GATE)}]);`);
    }
    fs.rmSync(USER_INI, { force: true });
    const ours = lines(PHP_LOG).slice(startMark).filter((l) => l.includes('/sendcloud-gate/') || l.includes('sendcloud-gate:') || l.includes('sendcloud-gate-prepend'));
    assert.deepEqual(ours, [], 'unexpected PHP log lines from the plugin');
});
