// What the end-to-end tests of the auto_prepend_file mode share (prepend.test.mjs: Apache + mod_php, the `.htaccess`
// kind; fpm.test.mjs: nginx + PHP-FPM, the `.user.ini` kind): the stack's places and the test's constants,
// WordPress asked through the WP-CLI stand-in, the gate's settings, and a merchant's HTTP client for one front of
// the stack (a cookie jar of its own, requests from the trusted loopback proxy).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const here = path.dirname(fileURLToPath(import.meta.url));
export const STATE = process.env.SCG_E2E_DIR || '/tmp/sendcloud-gate-e2e';
/** The Apache + mod_php front; the site's address (its Host header) whichever front a request goes to. */
export const PORT = Number(process.env.SCG_E2E_PORT || 18080);
export const HOST = process.env.SCG_E2E_HOST || 'shop.test';
export const ZIP = process.env.SCG_E2E_ZIP;
export const CONTENT = `${STATE}/wp-content`;
export const PLUGINS = `${CONTENT}/plugins`;
export const DOCROOT = `${STATE}/docroot`;
export const HTACCESS = `${DOCROOT}/.htaccess`;
export const PREPEND_FILE = `${CONTENT}/sendcloud-gate-prepend.php`;
export const MARKER = `${CONTENT}/mu-plugins/scg-e2e-wordpress-loaded-marker.php`;
export const LOADED_LOG = `${STATE}/wordpress-loaded.log`;
export const CHAIN_LOG = `${STATE}/prepend-chain.log`;
export const PHP_LOG = `${STATE}/php-error.log`;
export const GATE = 'sendcloud-gate/sendcloud-gate.php';
export const PAGE = '/wp-admin/options-general.php?page=sendcloud-gate';

export const SC_IP = '94.232.247.10';
export const SC_UA = 'SendCloud/1.0 (woocommerce; https://www.sendcloud.sc)';
export const ORDER = '/wp-json/wc/v3/orders/12';
export const BLOCK_BODY = 'Forbidden: this request was blocked by Sendcloud Gate.\n';
export const MODSECURITY = process.env.SCG_E2E_MODSECURITY === '1';
export const plainTest = (name, fn) => test(name, MODSECURITY ? { skip: 'runs in the phase without ModSecurity' } : {}, fn);

export const phpString = (s) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
export const lines = (file) => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').filter((l) => l !== '') : []);

/** Runs PHP `code` inside the site's WordPress (the WP-CLI stand-in's `eval`) and returns its JSON-decoded result. */
export function wp(code, env = process.env) {
    const out = execFileSync('php', ['-d', 'display_errors=0', '-d', 'log_errors=0', `${here}/wp-cli-stand-in.php`, 'eval', code], {
        env: { ...env, HTTP_HOST: HOST }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'],
    });
    const outLines = out.trim().split('\n');
    return JSON.parse(outLines[outLines.length - 1]);
}

/** Saves the gate's settings as the settings page does: On, the loopback proxy trusted, impersonators blocked. */
export function configure(overrides = {}, env = process.env) {
    const s = { mode: 'on', proxy: 'custom', proxy_ranges: '127.0.0.1/32', proxy_header: 'x-forwarded-for', impersonation: 'block', ...overrides };
    const r = wp(`return \\SendcloudGate\\WordPress\\Settings::save(json_decode(${phpString(JSON.stringify(s))}, true));`, env);
    assert.equal(r.ok, true, JSON.stringify(r));
}

/**
 * Installs what these tests need beside the stack: the plugin from the zip run.sh built, activated; the wc/v3
 * routes stand-in, activated; the TEST STAND-IN must-use plugin that notes the requests reaching WordPress; and the
 * two logs it and the stack's own prepend file write, owned by the web server (emptied first when `empty`).
 */
export function installGateAndMarkers(wpEval, { empty }) {
    assert.ok(ZIP && fs.existsSync(ZIP), 'SCG_E2E_ZIP must name the plugin zip (run.sh builds it)');
    if (!fs.existsSync(`${PLUGINS}/sendcloud-gate`)) {
        execFileSync('unzip', ['-q', '-o', ZIP, '-d', PLUGINS]);
        execFileSync('chown', ['-R', 'www-data:www-data', `${PLUGINS}/sendcloud-gate`]);
    }
    assert.equal(wpEval(`return activate_plugin(${phpString(GATE)});`), null);
    if (!fs.existsSync(`${PLUGINS}/scg-wc-routes-stand-in`)) {
        fs.mkdirSync(`${PLUGINS}/scg-wc-routes-stand-in`, { recursive: true });
        fs.copyFileSync(`${here}/stand-ins/wc-routes-stand-in.php`, `${PLUGINS}/scg-wc-routes-stand-in/scg-wc-routes-stand-in.php`);
    }
    assert.equal(wpEval("return activate_plugin('scg-wc-routes-stand-in/scg-wc-routes-stand-in.php');"), null);
    fs.mkdirSync(path.dirname(MARKER), { recursive: true });
    fs.copyFileSync(`${here}/stand-ins/wordpress-loaded-marker.php`, MARKER);
    for (const f of [LOADED_LOG, CHAIN_LOG]) {
        if (empty || !fs.existsSync(f)) fs.writeFileSync(f, '');
        execFileSync('chown', ['www-data:www-data', f]);
    }
}

/** A client of the front on `port`: requests from 127.0.0.1 (the trusted proxy), logging in as the merchant. */
export function merchantClient(port) {
    let cookies = {};
    const merchant = { ip: '192.0.2.80', ua: 'Mozilla/5.0', admin: true };

    /** One request; `ip` goes in X-Forwarded-For, `mark` in X-SCG-Mark; the merchant's cookies when `admin`. */
    function request(method, target, { ip = SC_IP, ua = SC_UA, form = null, mark = null, admin = false } = {}) {
        return new Promise((resolve, reject) => {
            const body = form === null ? null : new URLSearchParams(form).toString();
            const h = { Host: `${HOST}:${PORT}`, 'X-Forwarded-For': ip, 'User-Agent': ua };
            if (mark !== null) h['X-SCG-Mark'] = mark;
            if (admin) h.Cookie = Object.entries(cookies).map(([k, v]) => `${k}=${v}`).join('; ');
            if (body !== null) {
                h['Content-Type'] = 'application/x-www-form-urlencoded';
                h['Content-Length'] = Buffer.byteLength(body);
            }
            const req = http.request({ host: '127.0.0.1', port, method, path: target, headers: h, agent: false }, (res) => {
                let data = '';
                res.setEncoding('utf8');
                res.on('data', (c) => { data += c; });
                res.on('end', () => {
                    for (const c of res.headers['set-cookie'] || []) {
                        const [kv] = c.split(';');
                        const i = kv.indexOf('=');
                        cookies[kv.slice(0, i)] = kv.slice(i + 1);
                    }
                    resolve({ status: res.statusCode, body: data, headers: res.headers });
                });
            });
            req.setTimeout(20000, () => req.destroy(new Error(`${method} ${target}: timed out`)));
            req.on('error', reject);
            if (body !== null) req.write(body);
            req.end();
        });
    }

    async function login() {
        cookies = { wordpress_test_cookie: 'WP%20Cookie%20check' };
        const r = await request('POST', '/wp-login.php', {
            ...merchant,
            form: { log: 'admin', pwd: 'e2e-admin-password', 'wp-submit': 'Log In', redirect_to: '/wp-admin/', testcookie: '1' },
        });
        assert.equal(r.status, 302, r.body.slice(0, 500));
        assert.ok(Object.keys(cookies).some((k) => k.startsWith('wordpress_logged_in_')), 'logged in');
    }

    const adminGet = (target) => request('GET', target, merchant);

    /** Presses the settings page's auto_prepend_file button (`enable` or `disable`), with the form's own nonce. */
    async function pressPrepend(op, { nonce = null } = {}) {
        const page = await adminGet(PAGE);
        assert.equal(page.status, 200);
        const form = page.body.split('<form').find((f) => f.includes(`id="sendcloud-gate-prepend-${op}"`));
        assert.ok(form, `the page offers "${op}"`);
        const field = (name) => (form.match(new RegExp(`name="${name}" value="([^"]*)"`)) || [])[1];
        return request('POST', PAGE, {
            ...merchant,
            form: { _wpnonce: nonce ?? field('_wpnonce'), _wp_http_referer: field('_wp_http_referer') ?? PAGE, sendcloud_gate_action: 'prepend', op },
        });
    }

    return { request, login, adminGet, pressPrepend };
}
