// End-to-end tests of the tester page in headless Chromium (Debian's), through playwright-core.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openBrowser, gotoReady, screenshot, PKG_BUILT } from '../test-support/browser.mjs';

const SC_UA = 'SendCloud/1.0 (woocommerce; https://www.sendcloud.sc)';
const skip = PKG_BUILT ? false : 'pkg/dist is not built (make wasm)';

async function setRequest(page, { remote, method, uri, ua }) {
  if (remote !== undefined) await page.fill('#remote-addr', remote);
  if (method !== undefined) await page.fill('#method', method);
  if (uri !== undefined) await page.fill('#uri', uri);
  if (ua !== undefined) await page.fill('#ua', ua);
}

const decision = (page) => page.evaluate(() => ({
  badge: document.getElementById('badge').textContent,
  action: document.getElementById('badge').dataset.action,
  reason: document.getElementById('f-reason').textContent,
  rule: document.getElementById('f-rule').textContent,
  client: document.getElementById('f-client').textContent,
  method: document.getElementById('f-method').textContent,
  text: document.getElementById('reason-text').textContent,
  trace: [...document.querySelectorAll('#trace li')].map((li) => li.textContent),
}));

test('loads with no console errors and decides the default Sendcloud request (desktop and phone)', { skip }, async () => {
  const b = await openBrowser();
  try {
    await gotoReady(b.page, b.url);
    const d = await decision(b.page);
    assert.equal(d.action, 'allow');
    assert.equal(d.badge, 'ALLOW');
    assert.equal(d.reason, 'partner_match');
    assert.ok(d.trace.length >= 3, 'the trace has steps');
    // Provenance of the preset is visible and says it is not verified.
    const prov = await b.page.textContent('#prov-cards');
    assert.match(prov, /not verified/i);
    assert.match(prov, /support\.sendcloud\.com/);
    assert.match(prov, /Reviewed/);
    assert.match(await b.page.textContent('#provenance-panel'), /"add_ip"/);
    await b.page.click('#replay-sample');
    await b.page.waitForSelector('#replay-status[data-state=done]');
    await screenshot(b.page, 'desktop-default');
    assert.deepEqual(b.errors, []);
  } finally {
    await b.close();
  }
  const m = await openBrowser({ viewport: { width: 390, height: 844 }, isMobile: true });
  try {
    await gotoReady(m.page, m.url);
    await m.page.click('#replay-sample');
    await m.page.waitForSelector('#replay-status[data-state=done]');
    await screenshot(m.page, 'phone-default');
    await m.page.evaluate(() => window.scrollTo(0, 0));
    await screenshot(m.page, 'phone-top', { fullPage: false });
    await m.page.locator('#decision-panel').scrollIntoViewIfNeeded();
    await screenshot(m.page, 'phone-decision', { fullPage: false });
    await m.page.locator('#summary-actions').scrollIntoViewIfNeeded();
    await screenshot(m.page, 'phone-replay', { fullPage: false });
    // Nothing wider than the screen.
    const overflow = await m.page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `page is ${overflow}px wider than a phone screen`);
    assert.deepEqual(m.errors, []);
  } finally {
    await m.close();
  }
});

test('a Sendcloud request shows allow, a spoofed one impersonation', { skip }, async () => {
  const b = await openBrowser();
  try {
    await gotoReady(b.page, b.url);
    await setRequest(b.page, { remote: '94.232.247.10', method: 'PATCH', uri: '/wp-json/wc/v3/orders/12', ua: SC_UA });
    let d = await decision(b.page);
    assert.equal(d.badge, 'ALLOW');
    assert.equal(d.reason, 'partner_match');
    assert.equal(d.rule, 'sendcloud');
    assert.equal(d.client, '94.232.247.10');

    await setRequest(b.page, { remote: '203.0.113.50' });
    d = await decision(b.page);
    assert.equal(d.action, 'pass');
    assert.equal(d.reason, 'impersonation');
    assert.match(d.text, /impersonat/i);
    assert.match(d.text, /203\.0\.113\.50/);
    await screenshot(b.page, 'desktop-impersonation', { fullPage: false });

    // One-click User-Agent variants.
    await b.page.fill('#remote-addr', '94.232.247.10');
    await b.page.click('#ua-chips button[data-value="SendCloud/1.0 (prestashop; https://www.sendcloud.sc)"]');
    assert.equal(await b.page.inputValue('#ua'), 'SendCloud/1.0 (prestashop; https://www.sendcloud.sc)');
    assert.equal((await decision(b.page)).action, 'allow');
    await b.page.click('#ua-chips button[data-value="Sendcloud/1.0.0"]');
    assert.equal((await decision(b.page)).action, 'allow');

    // Method override header through the header rows.
    await b.page.selectOption('#add-header-name', 'X-HTTP-Method-Override');
    await b.page.click('#add-header');
    await b.page.keyboard.type('PUT');
    d = await decision(b.page);
    assert.equal(d.reason, 'method_not_allowed');

    // Impersonation with "deny" in the policy.
    await b.page.fill('#policy-text', '{"impersonation": "deny"}');
    await b.page.click('#header-rows .btn');
    await b.page.fill('#remote-addr', '198.51.100.1');
    d = await decision(b.page);
    assert.equal(d.badge, 'DENY');
    assert.equal(d.reason, 'impersonation');
    assert.deepEqual(b.errors, []);
  } finally {
    await b.close();
  }
});

test('a broken policy shows the error path and line, and no decision', { skip }, async () => {
  const b = await openBrowser();
  try {
    await gotoReady(b.page, b.url);
    const bad = '{\n  "version": 1,\n  "rules": [\n    {"id": "office", "action": "allow",\n     "ip": ["10.0.0.0/33"]}\n  ]\n}';
    await b.page.fill('#policy-text', bad);
    const st = await b.page.evaluate(() => {
      const s = document.getElementById('policy-status');
      return { text: s.textContent, line: s.dataset.line, path: s.dataset.path, cls: s.className };
    });
    assert.match(st.cls, /error/);
    assert.equal(st.path, 'rules[0].ip[0]');
    assert.match(st.text, /rules\[0\]\.ip\[0\]/);
    assert.match(st.text, /line 5/);
    assert.equal(st.line, '5');
    assert.equal(await b.page.textContent('#gutter-lines .bad'), '5');
    assert.equal(await b.page.isVisible('#err-line'), true);
    assert.equal((await decision(b.page)).badge, 'NO DECISION');
    await b.page.click('#policy-status .goto');
    const sel = await b.page.evaluate(() => {
      const t = document.getElementById('policy-text');
      return t.value.slice(t.selectionStart, t.selectionEnd);
    });
    assert.match(sel, /10\.0\.0\.0\/33/);
    await screenshot(b.page, 'desktop-policy-error', { fullPage: false, clip: undefined });
    // A syntax error also points at its line.
    await b.page.fill('#policy-text', '{\n  "version": 1,\n  "rules": [,]\n}');
    assert.equal(await b.page.getAttribute('#policy-status', 'data-line'), '3');
    // Fixing it brings the decision back.
    await b.page.click('#policy-reset');
    assert.equal((await decision(b.page)).action, 'allow');
    assert.deepEqual(b.errors, []);
  } finally {
    await b.close();
  }
});

const LOG = [
  `94.232.247.10 - - [23/Nov/2025:10:00:01 +0100] "GET /wp-json/wc/v3/orders HTTP/1.1" 200 5120 "-" "${SC_UA}"`, // allow
  `94.232.247.11 - - [23/Nov/2025:10:00:02 +0100] "PATCH /wp-json/wc/v3/orders/12 HTTP/1.1" 200 812 "-" "Sendcloud/1.0.0"`, // allow
  `185.66.200.20 - - [23/Nov/2025:10:00:03 +0100] "PUT /rest/V1/orders/12 HTTP/1.1" 405 0 "-" "SendCloud/1.0 (magento2; https://www.sendcloud.sc)"`, // method_not_allowed
  `203.0.113.50 - - [23/Nov/2025:10:00:04 +0100] "POST /wp-json/wc/v3/orders HTTP/1.1" 403 0 "-" "Sendcloud/1.0.0"`, // impersonation
  'this line is not a log line', // unparsed (line 5)
  '',
  `198.51.100.23 - - [23/Nov/2025:10:00:05 +0100] "GET /shop/ HTTP/2.0" 200 20480 "https://example.com/" "Mozilla/5.0"`, // no_match
  `94.232.247.10 - - [23/Nov/2025:10:00:06 +0100] "GET / HTTP/1.1" 200 900 "-" "curl/8.0"`, // ua_mismatch
  `10.0.0.5 - - [23/Nov/2025:10:00:07 +0100] "GET / HTTP/1.1" 200 900 "-" "my sendcloud bot" "94.232.247.10"`, // impersonation (claim)
  '192.0.2.1 - - [23/Nov/2025:10:00:08 +0100] "-" 408 0 "-" "-"', // unparsed (line 10)
  `52.58.233.101 - - [23/Nov/2025:10:00:09 +0100] "DELETE /api/x HTTP/1.1" 204 0`, // common format: no UA -> ua_mismatch
].join('\n');

test('a pasted log shows the right counts', { skip }, async () => {
  const b = await openBrowser();
  try {
    await gotoReady(b.page, b.url);
    await b.page.fill('#log-text', LOG);
    await b.page.waitForSelector('#replay-status[data-state=done]');
    const counts = await b.page.evaluate(() => Object.fromEntries(
      [...document.querySelectorAll('#summary-actions .sum-card')].map((c) => [c.dataset.kind, Number(c.dataset.count)])));
    assert.deepEqual(counts, { allow: 2, deny: 0, pass: 6, sendcloud: 5, unparsed: 2 });
    const byReason = await b.page.evaluate(() => Object.fromEntries(
      [...document.querySelectorAll('#summary-table tbody tr')].map((tr) => [tr.dataset.reason, Number(tr.lastElementChild.textContent)])));
    assert.deepEqual(byReason, { partner_match: 2, impersonation: 2, ua_mismatch: 2, method_not_allowed: 1, no_match: 1 });
    const unparsed = await b.page.$$eval('#unparsed-list li', (lis) => lis.map((li) => Number(li.dataset.line)));
    assert.deepEqual(unparsed, [5, 10]);
    assert.match(await b.page.textContent('#replay-status'), /10 lines: 8 decided, 2 not understood/);
    // The Sendcloud-not-allowed filter: the PUT, the spoof, the "sendcloud" claim, and the lines the sendcloud
    // partner decided (ua_mismatch: its address, another or no User-Agent).
    await b.page.selectOption('#replay-filter', 'sendcloud');
    await b.page.waitForFunction(() => document.getElementById('filter-count').dataset.count === '5');
    const lines = await b.page.$$eval('#lines-table tbody tr', (trs) => trs.map((tr) => Number(tr.dataset.line)));
    assert.deepEqual(lines, [3, 4, 8, 9, 11]);
    // Open a line in the tester: a log line has no query or form, so those fields are emptied.
    await b.page.fill('#query', '_method=PUT');
    await b.page.fill('#form-params', '_method=PUT');
    await b.page.click('#lines-table tbody tr[data-line="4"] button');
    assert.equal(await b.page.inputValue('#remote-addr'), '203.0.113.50');
    assert.equal(await b.page.inputValue('#query'), '');
    assert.equal(await b.page.inputValue('#form-params'), '');
    assert.equal((await decision(b.page)).reason, 'impersonation');
    await b.page.locator('#replay-panel').scrollIntoViewIfNeeded();
    await screenshot(b.page, 'desktop-replay');
    // A policy change replays the log again.
    await b.page.fill('#policy-text', '{"partners":[{"preset":"sendcloud","add_ip":["203.0.113.50"]}]}');
    await b.page.waitForFunction(() => document.querySelector('#summary-actions .sum-card[data-kind=allow]')?.dataset.count === '3');
    assert.deepEqual(b.errors, []);
  } finally {
    await b.close();
  }
});

test('a shared link restores request and policy (on load and on hashchange)', { skip }, async () => {
  const b = await openBrowser();
  try {
    await gotoReady(b.page, b.url);
    await setRequest(b.page, { remote: '203.0.113.9', method: 'post', uri: '/index.php?ps_method=PUT', ua: 'Sendcloud/1.0.0' });
    await b.page.selectOption('#add-header-name', 'X-Forwarded-For');
    await b.page.click('#add-header');
    await b.page.keyboard.type('94.232.247.10');
    const policy = '{\n  "impersonation": "deny",\n  "partners": [{"preset": "sendcloud", "add_ip": ["203.0.113.9"]}]\n}';
    await b.page.fill('#policy-text', policy);
    const before = await decision(b.page);
    await b.page.click('#copy-link');
    const link = await b.page.inputValue('#share-url');
    assert.match(link, /#s=[A-Za-z0-9_-]+$/);

    const p2 = await b.newPage();
    await gotoReady(p2, link);
    assert.equal(await p2.inputValue('#remote-addr'), '203.0.113.9');
    assert.equal(await p2.inputValue('#method'), 'post');
    assert.equal(await p2.inputValue('#uri'), '/index.php?ps_method=PUT');
    assert.equal(await p2.inputValue('#ua'), 'Sendcloud/1.0.0');
    assert.equal(await p2.inputValue('#header-rows .hn'), 'X-Forwarded-For');
    assert.equal(await p2.inputValue('#header-rows .hv'), '94.232.247.10');
    assert.equal(await p2.inputValue('#policy-text'), policy);
    assert.deepEqual(await decision(p2), before);
    assert.equal(before.reason, 'method_not_allowed');

    // hashchange in an open page: go back to the default state's link.
    const p3 = await b.newPage();
    await gotoReady(p3, b.url);
    await p3.fill('#remote-addr', '203.0.113.77');
    await p3.waitForFunction(() => location.hash.length > 3);
    const defaultish = await p3.evaluate(() => location.href);
    await p3.evaluate((h) => { location.hash = h; }, new URL(link).hash);
    await p3.waitForFunction(() => document.getElementById('remote-addr').value === '203.0.113.9');
    assert.deepEqual(await decision(p3), before);
    await p3.evaluate((h) => { location.hash = h; }, new URL(defaultish).hash);
    await p3.waitForFunction(() => document.getElementById('remote-addr').value === '203.0.113.77');
    assert.equal((await decision(p3)).reason, 'impersonation');
    // A junk fragment does not break the page.
    await p3.evaluate(() => { location.hash = '#s=%%%'; });
    assert.equal(await p3.inputValue('#remote-addr'), '203.0.113.77');
    assert.deepEqual(b.errors, []);
  } finally {
    await b.close();
  }
});

test('keyboard: labelled fields, sensible focus order, visible focus; data is escaped', { skip }, async () => {
  const b = await openBrowser();
  try {
    await gotoReady(b.page, b.url);
    const unlabelled = await b.page.evaluate(() => [...document.querySelectorAll('input, select, textarea')]
      .filter((el) => el.type !== 'file' && !el.labels?.length && !el.getAttribute('aria-label')).map((el) => el.id));
    assert.deepEqual(unlabelled, []);
    await b.page.focus('body');
    const order = [];
    for (let i = 0; i < 6; i++) {
      await b.page.keyboard.press('Tab');
      order.push(await b.page.evaluate(() => document.activeElement.id || document.activeElement.className));
    }
    assert.deepEqual(order.slice(0, 4), ['skip', 'copy-link', 'scenario', 'remote-addr']);
    const outline = await b.page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
    assert.notEqual(outline, 'none');
    // Choose an example with the keyboard.
    await b.page.focus('#scenario');
    await b.page.keyboard.press('ArrowDown');
    await b.page.keyboard.press('ArrowDown');
    await b.page.evaluate(() => document.getElementById('scenario').dispatchEvent(new Event('change')));
    assert.equal(await b.page.inputValue('#remote-addr'), '203.0.113.50');
    // Hostile input lands as text.
    const evil = '<img src=x onerror="window.__pwned=1">';
    await b.page.fill('#ua', evil);
    await b.page.fill('#uri', '/"><script>window.__pwned=2</script>');
    await b.page.fill('#log-text', `1.2.3.4 - - [d] "GET /<i>x</i> HTTP/1.1" 200 1 "-" "<img src=x onerror=window.__pwned=5>"\n<svg onload=window.__pwned=4>`);
    await b.page.waitForSelector('#replay-status[data-state=done]');
    await b.page.waitForSelector('#lines-table tbody tr');
    assert.match(await b.page.textContent('#lines-table tbody'), /<img src=x/);
    assert.match(await b.page.textContent('#unparsed-list'), /<svg onload/);
    await b.page.fill('#policy-text', '{"rules":[{"id":"<b>x</b>","action":"allow","ip":["<img src=y onerror=window.__pwned=3>"]}]}');
    assert.match(await b.page.textContent('#policy-status'), /<img src=y/);
    assert.equal(await b.page.evaluate(() => window.__pwned), undefined);
    assert.equal(await b.page.locator('main img, main script, main svg, main b, main i').count(), 0);
    assert.deepEqual(b.errors, []);
  } finally {
    await b.close();
  }
});

/** The request the page sent to the engine, from its "Request and decision as JSON" box. */
const sentRequest = (page) => page.evaluate(() => JSON.parse(document.getElementById('json-out').textContent).request);

test('query as the application sees it and form parameters reach the engine (lines and JSON)', { skip }, async () => {
  const b = await openBrowser();
  try {
    await gotoReady(b.page, b.url);
    await setRequest(b.page, { remote: '94.232.247.10', method: 'POST', uri: '/wp-json/wc/v3/orders/12', ua: 'Sendcloud/1.0.0' });
    let d = await decision(b.page);
    assert.equal(d.action, 'allow');
    assert.equal(await b.page.getAttribute('#form-params', 'aria-describedby'), 'form-hint form-error');
    assert.match(await b.page.textContent('#form-hint'), /name=value/);

    // A method override in the body: WordPress runs PUT, which the Sendcloud preset does not allow.
    await b.page.fill('#form-params', '_method=PUT');
    d = await decision(b.page);
    assert.equal(d.reason, 'method_not_allowed');
    assert.equal(d.method, 'PUT');
    assert.deepEqual((await sentRequest(b.page)).form, { _method: 'PUT' });
    assert.ok(d.trace.some((s) => /PUT/.test(s)), 'the trace shows the override');

    // A name on several lines is an array; two different values are ambiguous.
    await b.page.fill('#form-params', 'note=x=y\n_method=PATCH\n_method=DELETE\nempty');
    assert.deepEqual((await sentRequest(b.page)).form, { note: 'x=y', _method: ['PATCH', 'DELETE'], empty: '' });
    d = await decision(b.page);
    assert.equal(d.reason, 'ambiguous_method_override');
    assert.equal(d.action, 'pass');

    // JSON works too.
    await b.page.fill('#form-params', '{"ps_method": ["PATCH"]}');
    assert.deepEqual((await sentRequest(b.page)).form, { ps_method: ['PATCH'] });
    d = await decision(b.page);
    assert.equal(d.action, 'allow');
    assert.equal(d.method, 'PATCH');

    // JSON that does not parse: said under the field, and no decision until it is fixed.
    await b.page.fill('#form-params', '{"_method": "PUT"');
    assert.equal(await b.page.isVisible('#form-error'), true);
    assert.match(await b.page.textContent('#form-error'), /not valid JSON/);
    assert.equal(await b.page.getAttribute('#form-params', 'aria-invalid'), '');
    d = await decision(b.page);
    assert.equal(d.badge, 'NO DECISION');
    assert.match(d.text, /form parameters/);
    await b.page.fill('#form-params', '');
    assert.equal(await b.page.isVisible('#form-error'), false);
    assert.equal(await b.page.getAttribute('#form-params', 'aria-invalid'), null);
    d = await decision(b.page);
    assert.equal(d.action, 'allow');
    assert.equal((await sentRequest(b.page)).form, undefined);

    // The query the application sees, beside the URI's: an override there counts as well.
    await b.page.fill('#query', '_method=DELETE');
    assert.equal((await sentRequest(b.page)).query, '_method=DELETE');
    d = await decision(b.page);
    assert.equal(d.action, 'allow');
    assert.equal(d.method, 'DELETE');
    await b.page.fill('#query', 'ps_method=PUT');
    assert.equal((await decision(b.page)).reason, 'method_not_allowed');
    await b.page.fill('#query', '');
    assert.equal((await sentRequest(b.page)).query, undefined);

    // A deny rule holds for a path the application routes by rest_route in the query it sees.
    await b.page.fill('#policy-text', '{"rules": [{"id": "no-users", "action": "deny", "paths": ["/wp-json/wp/v2/users"]}]}');
    await setRequest(b.page, { remote: '203.0.113.9', method: 'GET', uri: '/index.php', ua: 'Mozilla/5.0' });
    assert.equal((await decision(b.page)).action, 'pass');
    await b.page.fill('#query', 'rest_route=/wp/v2/users/1');
    d = await decision(b.page);
    assert.equal(d.badge, 'DENY');
    assert.equal(d.rule, 'no-users');

    // The examples include both fields.
    await b.page.selectOption('#scenario', { label: 'A method override in the POST body (WordPress runs PUT)' });
    assert.equal(await b.page.inputValue('#form-params'), '_method=PUT');
    await b.page.selectOption('#scenario', { label: 'An ordinary visitor' });
    assert.equal(await b.page.inputValue('#form-params'), '');
    assert.equal(await b.page.inputValue('#query'), '');
    assert.deepEqual(b.errors, []);
  } finally {
    await b.close();
  }
});

test('a shared link carries the query and the form parameters', { skip }, async () => {
  const b = await openBrowser();
  try {
    await gotoReady(b.page, b.url);
    await setRequest(b.page, { remote: '94.232.247.10', method: 'POST', uri: '/wp-json/wc/v3/orders/12', ua: 'Sendcloud/1.0.0' });
    const form = 'x=1\n_method=PUT\n_method=PUT';
    await b.page.fill('#query', 'rest_route=/wc/v3&é=ü');
    await b.page.fill('#form-params', form);
    const before = await decision(b.page);
    assert.equal(before.reason, 'method_not_allowed');
    await b.page.click('#copy-link');
    const link = await b.page.inputValue('#share-url');

    const p2 = await b.newPage();
    await gotoReady(p2, link);
    assert.equal(await p2.inputValue('#query'), 'rest_route=/wc/v3&é=ü');
    assert.equal(await p2.inputValue('#form-params'), form);
    assert.deepEqual(await decision(p2), before);
    assert.deepEqual(await sentRequest(p2), await sentRequest(b.page));

    // A JSON form too, and on hashchange.
    await b.page.fill('#form-params', '{"ps_method": ["PATCH", "PATCH"]}');
    await b.page.fill('#query', '');
    await b.page.click('#copy-link');
    const link2 = await b.page.inputValue('#share-url');
    await p2.evaluate((h) => { location.hash = h; }, new URL(link2).hash);
    await p2.waitForFunction(() => document.getElementById('form-params').value.startsWith('{'));
    assert.equal(await p2.inputValue('#query'), '');
    assert.deepEqual((await sentRequest(p2)).form, { ps_method: ['PATCH', 'PATCH'] });
    assert.equal((await decision(p2)).action, 'allow');
    assert.deepEqual(b.errors, []);
  } finally {
    await b.close();
  }
});

test('policy warnings are shown with their JSON path, and the policy still works', { skip }, async () => {
  const b = await openBrowser();
  try {
    await gotoReady(b.page, b.url);
    assert.equal(await b.page.getAttribute('#policy-status', 'data-warnings'), '0');
    assert.equal(await b.page.locator('#policy-warnings').count(), 0);
    const policy = '{\n  "rules": [\n    {"id": "hooks", "action": "allow", "paths": ["/hooks"]}\n  ]\n}';
    await b.page.fill('#policy-text', policy);
    const st = await b.page.evaluate(() => {
      const s = document.getElementById('policy-status');
      return {
        cls: s.className, text: s.textContent, warnings: s.dataset.warnings,
        items: [...s.querySelectorAll('#policy-warnings li')].map((li) => ({ path: li.dataset.path, text: li.textContent })),
      };
    });
    assert.match(st.cls, /\bok\b/);
    assert.match(st.cls, /has-warnings/);
    assert.doesNotMatch(st.cls, /error/);
    assert.equal(st.warnings, '2');
    assert.deepEqual(st.items.map((i) => i.path), ['rules[0]', 'rules[0].paths[0]']);
    assert.match(st.items[0].text, /^Warning: rules\[0\]: .*no ip condition/);
    assert.match(st.items[1].text, /rules\[0\]\.paths\[0\]: .*\/hooks/);
    assert.match(st.text, /Valid policy/);
    await screenshot(b.page, 'desktop-policy-warnings', { fullPage: false });
    // In force: anyone on the path is allowed by the rule.
    await setRequest(b.page, { remote: '198.51.100.7', method: 'POST', uri: '/hooks/order', ua: '' });
    const d = await decision(b.page);
    assert.equal(d.badge, 'ALLOW');
    assert.equal(d.reason, 'rule_match');
    assert.equal(d.rule, 'hooks');
    // The log replay runs with it as well.
    await b.page.fill('#log-text', '198.51.100.7 - - [23/Nov/2025:10:00:01 +0100] "POST /hooks/order HTTP/1.1" 200 1 "-" "curl/8"');
    await b.page.waitForSelector('#replay-status[data-state=done]');
    assert.equal(await b.page.getAttribute('#summary-actions .sum-card[data-kind=allow]', 'data-count'), '1');
    // Fixing the policy clears the warnings; an error replaces them.
    await b.page.fill('#policy-text', '{"rules": [{"id": "hooks", "action": "allow", "ip": ["198.51.100.0/24"], "paths": ["/hooks/"]}]}');
    assert.equal(await b.page.getAttribute('#policy-status', 'data-warnings'), '0');
    assert.doesNotMatch(await b.page.getAttribute('#policy-status', 'class'), /has-warnings/);
    await b.page.fill('#policy-text', '{"rules": [{"id": "hooks", "action": "allow", "paths": ["/hooks"], "ip": ["x"]}]}');
    assert.equal(await b.page.locator('#policy-warnings').count(), 0);
    assert.equal(await b.page.getAttribute('#policy-status', 'data-path'), 'rules[0].ip[0]');
    assert.deepEqual(b.errors, []);
  } finally {
    await b.close();
  }
});
