// The rule tester page. It gathers a request and a policy, asks the engine (pkg/) for the decision and shows it.
// It decides nothing itself. Everything put into the DOM goes through textContent / attributes, never innerHTML.

import { loadEngine, loadExporter } from './engine.mjs';
import { ACTION_TEXT, REASON_TITLES, explainReason } from './reasons.mjs';
import { buildRequest, decodeState, encodeState, parseForm } from './state.mjs';

const $ = (id) => document.getElementById(id);

/** Creates an element; string children become text nodes (never parsed as HTML). */
function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  if (attrs) {
    for (const [k, v] of Object.entries(attrs)) {
      if (v == null || v === false) continue;
      if (k === 'class') el.className = v;
      else if (k === 'text') el.textContent = v;
      else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
      else el.setAttribute(k, v === true ? '' : String(v));
    }
  }
  for (const c of children.flat()) {
    if (c == null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

// Fallback source text for the default policy, should the package not offer one: the Sendcloud preset only.
const FALLBACK_POLICY = { version: 1, impersonation: 'log', partners: [{ preset: 'sendcloud' }], rules: [] };
const ADD_IP_EXAMPLE = '198.51.100.7';

const SENDCLOUD_SHOPS = ['woocommerce', 'prestashop', 'magento2', 'magento', 'shopware', 'lightspeed', 'opencart'];
const sendcloudUa = (shop) => `SendCloud/1.0 (${shop}; https://www.sendcloud.sc)`;
const BROWSER_UA = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36';
const EXAMPLE_ADDRS = [
  ['94.232.247.10', 'Sendcloud preset range'],
  ['185.66.200.20', 'Sendcloud preset range'],
  ['52.58.233.101', 'Sendcloud preset address'],
  ['203.0.113.50', 'an address outside the preset'],
  ['10.0.0.5', 'a private address (a proxy?)'],
  ['2001:db8::1', 'an IPv6 address'],
];

const SCENARIOS = [
  {
    label: 'Sendcloud imports an order (WooCommerce)',
    request: { remote_addr: '94.232.247.10', method: 'PATCH', uri: '/wp-json/wc/v3/orders/12', ua: sendcloudUa('woocommerce'), headers: [] },
  },
  {
    label: 'Someone spoofs the Sendcloud User-Agent',
    request: { remote_addr: '203.0.113.50', method: 'PATCH', uri: '/wp-json/wc/v3/orders/12', ua: sendcloudUa('woocommerce'), headers: [] },
  },
  {
    label: 'Sendcloud uses PUT (Magento 2)',
    request: { remote_addr: '185.66.200.20', method: 'PUT', uri: '/rest/V1/orders/12', ua: sendcloudUa('magento2'), headers: [] },
  },
  {
    label: 'Sendcloud address, browser User-Agent',
    request: { remote_addr: '94.232.247.10', method: 'GET', uri: '/', ua: BROWSER_UA, headers: [] },
  },
  {
    label: 'Behind a proxy that is not trusted (X-Forwarded-For ignored)',
    request: { remote_addr: '10.0.0.5', method: 'GET', uri: '/wp-json/wc/v3/orders', ua: 'Sendcloud/1.0.0', headers: [['X-Forwarded-For', '94.232.247.10']] },
  },
  {
    label: 'A method override in the POST body (WordPress runs PUT)',
    request: { remote_addr: '94.232.247.10', method: 'POST', uri: '/wp-json/wc/v3/orders/12', ua: sendcloudUa('woocommerce'), headers: [], form: '_method=PUT' },
  },
  {
    label: 'A rewrite put rest_route in the query the application sees',
    request: { remote_addr: '94.232.247.10', method: 'GET', uri: '/wp-json/office/', ua: 'Sendcloud/1.0.0', headers: [], query: 'rest_route=/wp/v2/users/1' },
  },
  {
    label: 'Conflicting method overrides',
    request: { remote_addr: '94.232.247.10', method: 'POST', uri: '/index.php?_method=PUT', ua: 'Sendcloud/1.0.0', headers: [['X-HTTP-Method-Override', 'DELETE']] },
  },
  {
    label: 'An ordinary visitor',
    request: { remote_addr: '198.51.100.23', method: 'GET', uri: '/shop/', ua: BROWSER_UA, headers: [] },
  },
];

// ---------------------------------------------------------------------------------------------------------------
// State

const els = {
  remote: $('remote-addr'), method: $('method'), uri: $('uri'), ua: $('ua'),
  headerRows: $('header-rows'), policy: $('policy-text'), query: $('query'), form: $('form-params'),
};
let engine = null;            // the pkg module
let policy = null;            // compiled Policy, or null while the policy text has an error
let policyError = null;       // the engine's error for the current text
let policyWarnings = [];      // the compiled policy's warnings, [{path, message}]
let defaultPolicyText = JSON.stringify(FALLBACK_POLICY, null, 2);
let effective = null;         // policy.show() as an object
let headerSeq = 0;
const metrics = { interactiveMs: null, engineLoadMs: null, exportLoadMs: null, compileMs: [], keystrokes: [], replays: [] };

// ---------------------------------------------------------------------------------------------------------------
// Request form

function addHeaderRow(name = '', value = '', focus = false) {
  const id = ++headerSeq;
  const nameInput = h('input', { type: 'text', id: `hn-${id}`, class: 'hn', value: name, autocomplete: 'off', spellcheck: 'false', 'aria-label': 'Header name' });
  const valueInput = h('input', { type: 'text', id: `hv-${id}`, class: 'hv', value: value, autocomplete: 'off', spellcheck: 'false', 'aria-label': 'Header value' });
  nameInput.value = name;
  valueInput.value = value;
  const remove = h('button', { type: 'button', class: 'btn', 'aria-label': 'Remove header' }, '✕');
  const row = h('div', { class: 'header-row' }, nameInput, valueInput, remove);
  remove.addEventListener('click', () => {
    const next = row.nextElementSibling;
    row.remove();
    (next?.querySelector('input') || $('add-header-name')).focus();
    onRequestInput();
  });
  valueInput.addEventListener('input', (e) => onRequestInput(e));
  nameInput.addEventListener('input', (e) => onRequestInput(e));
  els.headerRows.append(row);
  if (focus) (name ? valueInput : nameInput).focus();
}

function readForm() {
  const headers = [];
  for (const row of els.headerRows.querySelectorAll('.header-row')) {
    headers.push([row.querySelector('.hn').value, row.querySelector('.hv').value]);
  }
  return {
    remote_addr: els.remote.value, method: els.method.value, uri: els.uri.value, ua: els.ua.value, headers,
    query: els.query.value, form: els.form.value,
  };
}

function writeForm(r) {
  els.remote.value = r.remote_addr ?? '';
  els.method.value = r.method ?? '';
  els.uri.value = r.uri ?? '';
  els.ua.value = r.ua ?? '';
  els.query.value = r.query ?? '';
  els.form.value = r.form ?? '';
  els.headerRows.replaceChildren();
  for (const [n, v] of r.headers || []) addHeaderRow(n, v);
  syncChips();
}

function chip(text, title, onClick, group) {
  const b = h('button', { type: 'button', class: 'chip', title, 'data-value': text, 'aria-pressed': 'false' }, text);
  b.addEventListener('click', onClick);
  if (group) b.dataset.group = group;
  return b;
}

function buildChips() {
  const ac = $('addr-chips');
  for (const [ip, why] of EXAMPLE_ADDRS) {
    ac.append(chip(ip, `${ip}: ${why}`, () => { els.remote.value = ip; onRequestInput(); }, 'addr'));
  }
  const uc = $('ua-chips');
  uc.append(chip('Sendcloud/1.0.0', 'Sendcloud/1.0.0', () => setUa('Sendcloud/1.0.0'), 'ua'));
  uc.append(h('span', { class: 'chip-label' }, 'SendCloud/1.0 (…):'));
  for (const shop of SENDCLOUD_SHOPS) {
    const ua = sendcloudUa(shop);
    const b = chip(shop, ua, () => setUa(ua), 'ua');
    b.dataset.value = ua;
    b.setAttribute('aria-label', `User-Agent ${ua}`);
    uc.append(b);
  }
  uc.append(h('span', { class: 'chip-label' }, 'others:'));
  const br = chip('browser', BROWSER_UA, () => setUa(BROWSER_UA), 'ua');
  br.dataset.value = BROWSER_UA;
  uc.append(br);
  const none = chip('none', 'No User-Agent header', () => setUa(''), 'ua');
  none.dataset.value = '';
  uc.append(none);
  const sel = $('scenario');
  SCENARIOS.forEach((s, i) => sel.append(h('option', { value: String(i) }, s.label)));
  sel.addEventListener('change', () => {
    const s = SCENARIOS[Number(sel.value)];
    if (!s) return;
    writeForm(s.request);
    onRequestInput();
  });
}

function setUa(ua) {
  els.ua.value = ua;
  onRequestInput();
}

function syncChips() {
  for (const b of document.querySelectorAll('.chip[data-group]')) {
    const cur = b.dataset.group === 'ua' ? els.ua.value : els.remote.value;
    b.setAttribute('aria-pressed', String(b.dataset.value === cur));
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Decision

let lastDecision = null;

function decideAndRender() {
  const fields = readForm();
  const parsedForm = parseForm(fields.form);
  const formError = $('form-error');
  formError.hidden = parsedForm.error === undefined;
  formError.textContent = parsedForm.error === undefined ? '' : `Form parameters: ${parsedForm.error}`;
  els.form.toggleAttribute('aria-invalid', parsedForm.error !== undefined);
  const req = buildRequest({ ...fields, form: parsedForm.form });
  syncChips();
  if (!engine) return;
  if (parsedForm.error !== undefined) {
    renderNoDecision('The form parameters start with "{" but are not valid JSON: fix them (or write name=value lines) to see the decision.',
      'the form parameters are not valid JSON', 'The form parameters have an error.');
    $('json-out').textContent = JSON.stringify({ request: { ...req, form: fields.form } }, null, 2);
    return;
  }
  if (!policy) {
    renderNoDecision();
    $('json-out').textContent = JSON.stringify({ request: req }, null, 2);
    return;
  }
  const t0 = performance.now();
  let d;
  try {
    d = policy.explain(req);
  } catch (e) {
    // The engine rejects something that is not a request shape at all; say so rather than guess.
    renderNoDecision(`The engine could not take this request: ${e.message}`);
    return;
  }
  const t1 = performance.now();
  lastDecision = d;
  const badge = $('badge');
  badge.className = `badge badge-${d.action}`;
  badge.textContent = ACTION_TEXT[d.action]?.label ?? String(d.action).toUpperCase();
  badge.dataset.action = d.action;
  $('action-summary').textContent = ACTION_TEXT[d.action]?.summary ?? '';
  $('reason-title').textContent = REASON_TITLES[d.reason] ?? d.reason;
  const rt = $('reason-text');
  rt.textContent = explainReason(d);
  rt.className = 'reason-text ' + (d.action === 'allow' ? 'good' : d.action === 'deny' ? 'bad' :
    (d.reason === 'impersonation' || d.reason === 'method_not_allowed' || d.reason === 'ua_mismatch' ? 'warn' : ''));
  rt.dataset.reason = d.reason;
  $('f-reason').textContent = d.reason;
  $('f-rule').textContent = d.rule ?? 'null';
  $('f-client').textContent = d.client_ip ?? 'null';
  $('f-method').textContent = d.method ?? 'null';
  const steps = (d.trace || []).map((s) => h('li', null, s));
  $('trace').replaceChildren(...steps);
  const { trace, provenance, ...decision } = d;
  $('json-out').textContent = JSON.stringify({ request: req, decision }, null, 2);
  const t2 = performance.now();
  $('timing').textContent = `Engine: ${(t1 - t0).toFixed(2)} ms for the decision with its trace; shown in ${(t2 - t0).toFixed(2)} ms.`;
  setMini(d.action, ACTION_TEXT[d.action]?.label ?? d.action, REASON_TITLES[d.reason] ?? d.reason);
  return { engineMs: t1 - t0, renderMs: t2 - t0 };
}

function setMini(action, label, text) {
  const b = $('mini-badge');
  b.className = `mini ${action}`;
  b.textContent = label;
  $('mini-reason').textContent = text;
}

function renderNoDecision(msg, short = 'the policy has an error', summary = 'The policy has an error.') {
  lastDecision = null;
  setMini('', 'NO DECISION', short);
  const badge = $('badge');
  badge.className = 'badge badge-error';
  badge.textContent = 'NO DECISION';
  badge.dataset.action = '';
  $('action-summary').textContent = summary;
  $('reason-title').textContent = '';
  const rt = $('reason-text');
  rt.className = 'reason-text bad';
  rt.dataset.reason = '';
  rt.textContent = msg || 'A policy with an error is rejected whole. Fix it (see the Policy panel) to see the decision.';
  for (const id of ['f-reason', 'f-rule', 'f-client', 'f-method']) $(id).textContent = '–';
  $('trace').replaceChildren();
  $('timing').textContent = '';
}

function onRequestInput(e) {
  const t0 = performance.now();
  decideAndRender();
  const t1 = performance.now();
  if (e && e.isTrusted) {
    // handlerMs: decide + explain + DOM update; eventToShownMs: from the key event to that DOM update;
    // eventToPaintMs: to just after the next frame (a task queued from requestAnimationFrame runs after its paint).
    const rec = { handlerMs: t1 - t0, eventToShownMs: t1 - e.timeStamp, eventToPaintMs: null };
    metrics.keystrokes.push(rec);
    if (metrics.keystrokes.length > 1000) metrics.keystrokes.shift();
    requestAnimationFrame(() => setTimeout(() => { rec.eventToPaintMs = performance.now() - e.timeStamp; }, 0));
  }
  scheduleHash();
}

// ---------------------------------------------------------------------------------------------------------------
// Policy

function policySourceForEngine() {
  const t = els.policy.value;
  return t.trim() === '' ? '{}' : t;
}

function compileCurrent() {
  const text = policySourceForEngine();
  const t0 = performance.now();
  try {
    policy?.free?.();
  } catch { /* already freed */ }
  policy = null;
  policyWarnings = [];
  try {
    policy = engine.compilePolicy(text);
    policyError = null;
    policyWarnings = readWarnings(policy);
  } catch (e) {
    policyError = e;
  }
  metrics.compileMs.push(performance.now() - t0);
  if (metrics.compileMs.length > 200) metrics.compileMs.shift();
  renderProvenance();
  renderPolicyStatus();
}

function readWarnings(p) {
  try {
    const w = p.warnings;
    return Array.isArray(w) ? w.filter((x) => x && typeof x.path === 'string' && typeof x.message === 'string') : [];
  } catch {
    return []; // a package without warnings
  }
}

function errorLocation(e) {
  let line = Number.isInteger(e?.line) ? e.line : null;
  let column = Number.isInteger(e?.column) ? e.column : null;
  return { line, column };
}

function renderPolicyStatus() {
  const st = $('policy-status');
  const editor = $('editor');
  const errLine = $('err-line');
  if (!policyError) {
    const n = effective?.partners?.length ?? 0;
    const r = effective?.rules?.length ?? 0;
    const warnings = policyWarnings;
    st.className = `policy-status ok${warnings.length ? ' has-warnings' : ''}`;
    const parts = [`Valid policy: ${n} partner${n === 1 ? '' : 's'}, ${r} rule${r === 1 ? '' : 's'}`];
    if (warnings.length) {
      // Warnings never reject a policy: it is in force; they say what it probably lets through unintended.
      parts.push(`; ${warnings.length} warning${warnings.length === 1 ? '' : 's'} (the policy is in force):`,
        h('ul', { class: 'warnings', id: 'policy-warnings' }, warnings.map((w) =>
          h('li', { 'data-path': w.path }, h('strong', null, 'Warning: '), h('code', null, w.path), ': ', w.message))));
    } else {
      parts.push('.');
    }
    st.replaceChildren(...parts);
    st.dataset.line = '';
    st.dataset.path = '';
    st.dataset.warnings = String(warnings.length);
    editor.classList.remove('has-error');
    errLine.hidden = true;
    errLine.dataset.line = '';
    updateGutter(null);
    return;
  }
  const e = policyError;
  const { line, column } = errorLocation(e);
  const path = typeof e.path === 'string' ? e.path : '';
  let rest = String(e.message ?? e);
  if (path && rest.startsWith(path + ': ')) rest = rest.slice(path.length + 2);
  st.className = 'policy-status error';
  const parts = [h('strong', null, 'Rejected: ')];
  if (line != null) parts.push(`line ${line}${column != null ? `, column ${column}` : ''}: `);
  if (path) parts.push(h('code', { id: 'policy-error-path' }, path), ': ');
  parts.push(h('span', { id: 'policy-error-message' }, rest));
  if (line != null) {
    parts.push(h('button', { type: 'button', class: 'btn goto', onclick: () => gotoLine(line, column) }, 'Go to line'));
  }
  st.replaceChildren(...parts);
  st.dataset.line = line ?? '';
  st.dataset.path = path;
  st.dataset.warnings = '0';
  editor.classList.add('has-error');
  if (line != null) {
    errLine.hidden = false;
    errLine.dataset.line = String(line);
  } else {
    errLine.hidden = true;
  }
  updateGutter(line);
  positionErrLine();
}

let gutterCount = 0;
let gutterBad = null;
function updateGutter(badLine) {
  const lines = els.policy.value.split('\n').length;
  const g = $('gutter-lines');
  if (lines !== gutterCount) {
    const frag = document.createDocumentFragment();
    for (let i = 1; i <= lines; i++) frag.append(h('div', null, String(i)));
    g.replaceChildren(frag);
    gutterCount = lines;
    gutterBad = null;
  }
  if (gutterBad !== badLine) {
    g.querySelector('.bad')?.classList.remove('bad');
    if (badLine != null) g.children[badLine - 1]?.classList.add('bad');
    gutterBad = badLine;
  }
}

function lineHeight() {
  return parseFloat(getComputedStyle(els.policy).lineHeight) || 20;
}

function positionErrLine() {
  const errLine = $('err-line');
  const pad = parseFloat(getComputedStyle(els.policy).paddingTop) || 8;
  const line = Number(errLine.dataset.line || 0);
  if (line) errLine.style.top = `${pad + (line - 1) * lineHeight() - els.policy.scrollTop}px`;
  $('gutter-lines').style.transform = `translateY(${-els.policy.scrollTop}px)`;
}

function gotoLine(line, column) {
  const ta = els.policy;
  const lines = ta.value.split('\n');
  let off = 0;
  for (let i = 0; i < line - 1 && i < lines.length; i++) off += lines[i].length + 1;
  const len = lines[line - 1]?.length ?? 0;
  const start = off + Math.max(0, Math.min(len, (column ?? 1) - 1));
  ta.focus();
  ta.setSelectionRange(start, off + len);
  ta.scrollTop = Math.max(0, (line - 4) * lineHeight());
  positionErrLine();
}

function readShow() {
  if (!policy) return null;
  try {
    const s = policy.show();
    return typeof s === 'string' ? JSON.parse(s) : s;
  } catch {
    return null;
  }
}

function renderProvenance() {
  if (policy) {
    effective = readShow();
    $('effective').textContent = effective ? JSON.stringify(effective, null, 2) : '';
  }
  const box = $('prov-cards');
  if (!policy) {
    box.replaceChildren(h('p', { class: 'muted' }, 'Shown once the policy is valid.'));
    return;
  }
  const cards = [];
  for (const p of effective?.partners || []) {
    const pv = p.provenance;
    if (!pv) continue;
    const verified = pv.verified === true;
    const title = h('h3', null,
      `${pv.title || pv.preset} `,
      h('span', { class: `tag ${verified ? 'tag-verified' : 'tag-unverified'}` }, verified ? 'verified' : 'not verified'),
      p.enabled === false ? h('span', { class: 'tag tag-disabled' }, 'disabled') : null);
    const src = typeof pv.source === 'string' && /^https:\/\//.test(pv.source)
      ? h('a', { href: pv.source, target: '_blank', rel: 'noopener noreferrer' }, pv.source)
      : h('span', null, String(pv.source ?? 'none'));
    const dl = h('dl', null,
      h('dt', null, 'Preset'), h('dd', null, h('code', null, pv.preset ?? ''), ` (partner id `, h('code', null, p.id ?? ''), ')'),
      h('dt', null, 'Source'), h('dd', null, src),
      h('dt', null, 'Verified'), h('dd', null, verified ? 'Yes' : 'No: check the addresses against Sendcloud\'s current list'),
      h('dt', null, 'Reviewed'), h('dd', null, String(pv.reviewed ?? 'unknown')),
      h('dt', null, 'Addresses'), h('dd', null, h('code', null, (p.ip || []).join(', '))),
      h('dt', null, 'User-Agents'), h('dd', null, h('code', null, (p.user_agents || []).join('  |  '))),
      h('dt', null, 'Methods'), h('dd', null, h('code', null, (p.methods || []).join(', '))));
    cards.push(h('div', { class: 'prov-card', 'data-preset': pv.preset ?? '' }, title, dl,
      pv.note ? h('p', { class: 'note' }, pv.note) : null));
  }
  if (!cards.length) cards.push(h('p', { class: 'muted' }, 'This policy uses no preset.'));
  box.replaceChildren(...cards);
}

function onPolicyInput() {
  compileCurrent();
  decideAndRender();
  scheduleHash();
  scheduleReplayRerun();
  renderExport();
}

function formatPolicy() {
  try {
    els.policy.value = JSON.stringify(JSON.parse(policySourceForEngine()), null, 2);
    onPolicyInput();
  } catch {
    onPolicyInput();
    $('policy-status').prepend('Cannot format: not valid JSON. ');
  }
}

function insertAddIpExample() {
  let obj;
  try {
    obj = JSON.parse(policySourceForEngine());
  } catch {
    obj = null;
  }
  if (!obj || typeof obj !== 'object' || Array.isArray(obj)) obj = JSON.parse(defaultPolicyText);
  if (!Array.isArray(obj.partners)) obj.partners = [{ preset: 'sendcloud' }];
  let p = obj.partners.find((x) => x && x.preset === 'sendcloud');
  if (!p) obj.partners.push((p = { preset: 'sendcloud' }));
  if (!Array.isArray(p.add_ip)) p.add_ip = [];
  if (!p.add_ip.includes(ADD_IP_EXAMPLE)) p.add_ip.push(ADD_IP_EXAMPLE);
  els.policy.value = JSON.stringify(obj, null, 2);
  onPolicyInput();
  const i = els.policy.value.indexOf(ADD_IP_EXAMPLE);
  els.policy.focus();
  els.policy.setSelectionRange(i, i + ADD_IP_EXAMPLE.length);
}

// ---------------------------------------------------------------------------------------------------------------
// URL fragment

function currentState() {
  const st = { v: 1, request: readForm() };
  if (els.policy.value !== defaultPolicyText) st.policy = els.policy.value;
  return st;
}

let hashTimer = 0;
function scheduleHash() {
  clearTimeout(hashTimer);
  hashTimer = setTimeout(writeHash, 200);
}

function writeHash() {
  clearTimeout(hashTimer);
  const frag = '#' + encodeState(currentState());
  if (location.hash !== frag) history.replaceState(null, '', frag);
  if (!$('share-box').hidden) $('share-url').value = location.href;
}

function applyState(st) {
  if (!st) return false;
  const r = st.request || {};
  writeForm({
    remote_addr: r.remote_addr ?? '', method: r.method ?? 'GET', uri: r.uri ?? '/', ua: r.ua ?? '', headers: r.headers || [],
    query: r.query ?? '', form: r.form ?? '',
  });
  els.policy.value = st.policy ?? defaultPolicyText;
  return true;
}

function onHashChange() {
  const st = decodeState(location.hash);
  if (!st) return;
  applyState(st);
  if (engine) {
    compileCurrent();
    decideAndRender();
    scheduleReplayRerun();
  }
  renderExport();
  updateGutter(gutterBad);
}

async function copyLink() {
  writeHash();
  const box = $('share-box');
  const input = $('share-url');
  input.value = location.href;
  box.hidden = false;
  input.focus();
  input.select();
  const btn = $('copy-link');
  try {
    await navigator.clipboard.writeText(location.href);
    btn.textContent = 'Link copied';
  } catch {
    btn.textContent = 'Select and copy the link below';
  }
  setTimeout(() => { btn.textContent = 'Copy shareable link'; }, 2500);
}

// ---------------------------------------------------------------------------------------------------------------
// Export (the engine's server rules, from the compiler module the page loaded with the engine)

const exporter = { mod: null, loading: false, text: '' };

async function onExportToggle() {
  if (!$('export-box').open) return;
  if (exporter.mod) {
    renderExport();
    return;
  }
  if (exporter.loading) return;
  exporter.loading = true;
  setExportStatus('loading', 'Loading the compiler module…');
  const t0 = performance.now();
  try {
    exporter.mod = await loadExporter();
  } catch (e) {
    setExportStatus('error', `The compiler module (pkg/compiler.js) could not be loaded: ${e.message}. Build it with "make wasm"; close and open this panel to try again.`);
    return;
  } finally {
    exporter.loading = false;
  }
  metrics.exportLoadMs = performance.now() - t0;
  const sel = $('export-format');
  // The formats are the engine's, in its order (the first, ModSecurity, is the one hosting support needs most).
  sel.replaceChildren(...exporter.mod.formats.map((f) => h('option', { value: f }, f)));
  sel.disabled = false;
  renderExport();
}

/** The current policy exported in the chosen format, or the policy's error; nothing until the module is loaded. */
function renderExport() {
  if (!exporter.mod || !$('export-box').open) return;
  const format = $('export-format').value;
  const out = $('export-out');
  const copy = $('export-copy');
  $('export-command').textContent = `sendcloud-gate export --format ${format} --policy policy.json`;
  copy.textContent = 'Copy';
  try {
    exporter.text = exporter.mod.exportPolicy(policySourceForEngine(), format);
  } catch (e) {
    exporter.text = '';
    out.hidden = true;
    out.textContent = '';
    copy.disabled = true;
    const { line, column } = errorLocation(e);
    const path = typeof e.path === 'string' ? e.path : '';
    let rest = String(e.message ?? e);
    if (path && rest.startsWith(path + ': ')) rest = rest.slice(path.length + 2);
    const parts = [h('strong', null, 'Nothing to export: the policy has an error. ')];
    if (line) parts.push(`line ${line}${column ? `, column ${column}` : ''}: `);
    if (path) parts.push(h('code', { id: 'export-error-path' }, path), ': ');
    parts.push(h('span', { id: 'export-error-message' }, rest));
    setExportStatus('error', ...parts);
    const st = $('export-status');
    st.dataset.path = path;
    st.dataset.line = line ?? '';
    return;
  }
  out.textContent = exporter.text;
  out.hidden = false;
  out.dataset.format = format;
  copy.disabled = false;
  const lines = exporter.text.split('\n').length - 1;
  setExportStatus('ok', `${format}: ${lines} line${lines === 1 ? '' : 's'}, for the policy above.`);
}

function setExportStatus(state, ...parts) {
  const st = $('export-status');
  st.dataset.state = state;
  st.dataset.path = '';
  st.dataset.line = '';
  st.replaceChildren(...parts);
}

async function copyExport() {
  const btn = $('export-copy');
  try {
    await navigator.clipboard.writeText(exporter.text);
    btn.textContent = 'Copied';
  } catch {
    // No clipboard access: select the text for the user to copy.
    const range = document.createRange();
    range.selectNodeContents($('export-out'));
    const sel = getSelection();
    sel.removeAllRanges();
    sel.addRange(range);
    btn.textContent = 'Selected: copy it with Ctrl+C';
  }
  setTimeout(() => { btn.textContent = 'Copy'; }, 2500);
}

// ---------------------------------------------------------------------------------------------------------------
// Log replay (a module worker does the work; see replay-worker.mjs)

const replay = {
  worker: null, id: 0, source: null, sourceName: '', t0: 0, summary: null,
  filter: 'all', rows: 0, total: 0, rerunTimer: 0, pending: null,
};

function startReplay(source, name = '') {
  clearTimeout(replay.rerunTimer);
  if (source == null || (typeof source === 'string' && source.trim() === '')) {
    replay.source = null;
    $('replay-results').hidden = true;
    $('progress-row').hidden = true;
    $('replay-status').textContent = '';
    $('replay-status').dataset.state = 'idle';
    return;
  }
  replay.source = source;
  replay.sourceName = name;
  if (!policy) {
    $('replay-status').textContent = 'The policy has an error: fix it and the log is replayed.';
    $('replay-status').dataset.state = 'blocked';
    return;
  }
  replay.worker?.terminate();
  const w = new Worker(new URL('./replay-worker.mjs', import.meta.url), { type: 'module', name: 'replay' });
  replay.worker = w;
  const id = ++replay.id;
  replay.t0 = performance.now();
  replay.summary = null;
  const size = typeof source === 'string' ? source.length : source.size;
  $('progress-row').hidden = false;
  $('replay-progress').value = 0;
  $('replay-progress-text').textContent = '0%';
  $('replay-status').textContent = `Replaying ${name ? name + ', ' : ''}${formatBytes(size)}…`;
  $('replay-status').dataset.state = 'running';
  w.onmessage = (e) => onWorkerMessage(id, e.data);
  w.onerror = (e) => {
    e.preventDefault?.();
    $('replay-status').textContent = `The replay worker failed: ${e.message || 'unknown error'}`;
    $('replay-status').dataset.state = 'error';
  };
  w.postMessage({ type: 'run', id, policy: policySourceForEngine(), source });
}

function scheduleReplayRerun() {
  if (replay.source == null) return;
  clearTimeout(replay.rerunTimer);
  replay.rerunTimer = setTimeout(() => startReplay(replay.source, replay.sourceName), 400);
}

function formatBytes(n) {
  if (n < 1024) return `${n} bytes`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

const fmt = (n) => n.toLocaleString('en-US');

function onWorkerMessage(id, msg) {
  if (id !== replay.id) return;
  if (msg.type === 'progress') {
    const frac = msg.total ? msg.done / msg.total : 0;
    $('replay-progress').value = frac;
    $('replay-progress-text').textContent = `${Math.floor(frac * 100)}% · ${fmt(msg.lines)} lines`;
  } else if (msg.type === 'error') {
    $('replay-status').textContent = `Replay failed: ${msg.message}`;
    $('replay-status').dataset.state = 'error';
    $('progress-row').hidden = true;
  } else if (msg.type === 'done') {
    const ms = performance.now() - replay.t0;
    replay.summary = msg.summary;
    metrics.replays.push({ lines: msg.summary.lines, ms, workerMs: msg.summary.ms, startedAt: replay.t0, doneAt: performance.now() });
    $('replay-progress').value = 1;
    $('replay-progress-text').textContent = `100% · ${fmt(msg.summary.lines)} lines`;
    const t = performance.now();
    renderSummary(msg.summary, ms);
    requestPage(true);
    metrics.replays.at(-1).renderMs = performance.now() - t;
  } else if (msg.type === 'page') {
    renderPage(msg);
  }
}

function renderSummary(s, ms) {
  $('replay-results').hidden = false;
  const st = $('replay-status');
  st.textContent = `${fmt(s.lines)} lines: ${fmt(s.decided)} decided, ${fmt(s.unparsed)} not understood, in ${(ms / 1000).toFixed(2)} s.`;
  st.dataset.state = 'done';
  const card = (cls, label, n, filter) => {
    const c = h('div', { class: `sum-card ${cls}`, 'data-kind': cls, 'data-count': String(n) },
      h('span', null, label), h('span', { class: 'n' }, fmt(n)));
    if (filter && n > 0) {
      c.append(h('button', { type: 'button', class: 'btn', onclick: () => setFilter(filter), 'aria-label': `Show the ${label} lines` }, 'Show'));
    }
    return c;
  };
  $('summary-actions').replaceChildren(
    card('allow', 'allow', s.actions.allow, 'action:allow'),
    card('deny', 'deny', s.actions.deny, 'action:deny'),
    card('pass', 'pass', s.actions.pass, 'action:pass'),
    card('sendcloud', 'Sendcloud, not allowed', s.sendcloudNotAllowed, 'sendcloud'),
    card('unparsed', 'not understood', s.unparsed, null),
  );
  const rows = s.groups.map((g) => {
    const tr = h('tr', { 'data-reason': g.reason, 'data-action': g.action },
      h('td', { 'data-label': 'Action' }, h('span', { class: `mini ${g.action}` }, g.action.toUpperCase())),
      h('td', { 'data-label': 'Reason' }, h('button', { type: 'button', class: 'linkish', onclick: () => setFilter(`reason:${g.reason}`) }, REASON_TITLES[g.reason] ?? g.reason), ' ', h('code', { class: 'muted' }, g.reason)),
      h('td', { 'data-label': 'Decided by' }, h('code', null, g.rule ?? '–')),
      h('td', { class: 'num', 'data-label': 'Lines' }, fmt(g.count)));
    return tr;
  });
  $('summary-table').tBodies[0].replaceChildren(...rows);
  // Reason filters for the reasons present.
  const sel = $('replay-filter');
  for (const o of [...sel.options]) if (o.value.startsWith('reason:')) o.remove();
  for (const r of [...new Set(s.groups.map((g) => g.reason))]) {
    sel.append(h('option', { value: `reason:${r}` }, `reason: ${REASON_TITLES[r] ?? r}`));
  }
  if (![...sel.options].some((o) => o.value === replay.filter)) replay.filter = 'all';
  sel.value = replay.filter;
  const ub = $('unparsed-box');
  ub.hidden = s.unparsed === 0;
  $('unparsed-summary').textContent = `${fmt(s.unparsed)} line${s.unparsed === 1 ? '' : 's'} not understood` +
    (s.unparsedList.length < s.unparsed ? ` (first ${fmt(s.unparsedList.length)} listed)` : '');
  // The list is built when it is opened (or right away when short): a long one would hold up the main thread.
  replay.unparsedShown = false;
  $('unparsed-list').replaceChildren();
  if (ub.open || s.unparsedList.length <= 50) renderUnparsed();
}

function renderUnparsed() {
  if (replay.unparsedShown || !replay.summary) return;
  replay.unparsedShown = true;
  $('unparsed-list').replaceChildren(...replay.summary.unparsedList.map((u) =>
    h('li', { 'data-line': String(u.n) }, h('span', { class: 'ln' }, `line ${u.n}:`), `${u.error} — `, h('code', null, u.text))));
}

function setFilter(f) {
  replay.filter = f;
  $('replay-filter').value = f;
  requestPage(true);
  $('lines-table').scrollIntoView({ block: 'nearest' });
}

function requestPage(reset) {
  if (!replay.worker || !replay.summary) return;
  if (reset) {
    replay.rows = 0;
    $('lines-table').tBodies[0].replaceChildren();
  }
  replay.worker.postMessage({ type: 'page', id: replay.id, filter: replay.filter, offset: replay.rows, limit: 100 });
}

function renderPage(msg) {
  const body = $('lines-table').tBodies[0];
  for (const r of msg.rows) {
    const open = h('button', { type: 'button', class: 'btn', 'aria-label': `Open line ${r.n} in the tester` }, 'Open');
    open.addEventListener('click', () => openInTester(r));
    body.append(h('tr', { 'data-line': String(r.n), 'data-action': r.action, 'data-reason': r.reason },
      h('td', { class: 'num', 'data-label': 'Line' }, String(r.n)),
      h('td', { 'data-label': 'Client' }, r.remote, r.xff ? h('div', { class: 'muted' }, `XFF: ${r.xff}`) : null),
      h('td', { class: 'req', 'data-label': 'Request' }, `${r.method} ${r.uri}`),
      h('td', { class: 'ua', 'data-label': 'User-Agent' }, r.ua ?? '–'),
      h('td', { 'data-label': 'Decision' }, h('span', { class: `mini ${r.action}` }, r.action.toUpperCase()), r.reason, r.rule ? ` (${r.rule})` : ''),
      h('td', { class: 'open-cell' }, open)));
  }
  replay.rows += msg.rows.length;
  replay.total = msg.total;
  $('filter-count').textContent = `${fmt(msg.total)} line${msg.total === 1 ? '' : 's'}` +
    (msg.total > replay.rows ? `, ${fmt(replay.rows)} shown` : '');
  $('filter-count').dataset.count = String(msg.total);
  $('lines-more').hidden = replay.rows >= msg.total;
}

function openInTester(r) {
  const headers = r.xff ? [['X-Forwarded-For', r.xff]] : [];
  writeForm({ remote_addr: r.remote, method: r.method, uri: r.uri, ua: r.ua ?? '', headers, query: '', form: '' });
  onRequestInput();
  $('request-panel').scrollIntoView({ behavior: 'smooth', block: 'start' });
  els.remote.focus({ preventScroll: true });
}

const SAMPLE_LOG = [
  '94.232.247.10 - - [23/Nov/2025:10:00:01 +0100] "GET /wp-json/wc/v3/orders?status=processing HTTP/1.1" 200 5120 "-" "SendCloud/1.0 (woocommerce; https://www.sendcloud.sc)"',
  '94.232.247.10 - - [23/Nov/2025:10:00:02 +0100] "PATCH /wp-json/wc/v3/orders/12 HTTP/1.1" 200 812 "-" "SendCloud/1.0 (woocommerce; https://www.sendcloud.sc)"',
  '185.66.200.20 - - [23/Nov/2025:10:00:03 +0100] "PUT /rest/V1/orders/12 HTTP/1.1" 405 0 "-" "SendCloud/1.0 (magento2; https://www.sendcloud.sc)"',
  '203.0.113.50 - - [23/Nov/2025:10:00:04 +0100] "POST /wp-json/wc/v3/orders HTTP/1.1" 403 0 "-" "Sendcloud/1.0.0"',
  '198.51.100.23 - - [23/Nov/2025:10:00:05 +0100] "GET /shop/ HTTP/2.0" 200 20480 "https://example.com/" "Mozilla/5.0 (X11; Linux x86_64)"',
  '10.0.0.5 - - [23/Nov/2025:10:00:06 +0100] "GET /wp-json/wc/v3/orders HTTP/1.1" 200 900 "-" "Sendcloud/1.0.0" "94.232.247.10"',
  '52.58.233.101 - - [23/Nov/2025:10:00:07 +0100] "DELETE /api/webhooks/3 HTTP/1.1" 204 0',
  '192.0.2.1 - - [23/Nov/2025:10:00:08 +0100] "-" 408 0 "-" "-"',
].join('\n') + '\n';

function setupReplay() {
  const ta = $('log-text');
  let timer = 0;
  ta.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(() => startReplay(ta.value, 'pasted log'), 300);
  });
  $('replay-run').addEventListener('click', () => {
    if (ta.value.trim() !== '') startReplay(ta.value, 'pasted log');
    else if (replay.source != null) startReplay(replay.source, replay.sourceName);
    else $('replay-status').textContent = 'Paste a log above, choose a file or drop one here first.';
  });
  $('replay-sample').addEventListener('click', () => {
    ta.value = SAMPLE_LOG;
    startReplay(ta.value, 'sample log');
  });
  $('log-file').addEventListener('change', (e) => {
    const f = e.target.files?.[0];
    if (f) loadFile(f);
  });
  const dz = $('dropzone');
  dz.addEventListener('dragover', (e) => { e.preventDefault(); dz.classList.add('over'); });
  dz.addEventListener('dragleave', () => dz.classList.remove('over'));
  dz.addEventListener('drop', (e) => {
    e.preventDefault();
    dz.classList.remove('over');
    const f = e.dataTransfer?.files?.[0];
    if (f) loadFile(f);
    else {
      const t = e.dataTransfer?.getData('text/plain');
      if (t) { ta.value = t; startReplay(t, 'dropped text'); }
    }
  });
  $('replay-filter').addEventListener('change', (e) => { replay.filter = e.target.value; requestPage(true); });
  $('lines-more').addEventListener('click', () => requestPage(false));
  $('unparsed-box').addEventListener('toggle', () => { if ($('unparsed-box').open) renderUnparsed(); });
}

function loadFile(f) {
  // A large file is not put into the textarea (that would block the page); the worker reads it.
  const ta = $('log-text');
  if (f.size <= 256 * 1024) {
    f.text().then((t) => { ta.value = t; startReplay(f, f.name); });
  } else {
    ta.value = '';
    ta.placeholder = `${f.name} (${formatBytes(f.size)}) loaded from a file.`;
    startReplay(f, f.name);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Start

function wire() {
  buildChips();
  for (const el of [els.remote, els.method, els.uri, els.ua, els.query, els.form]) el.addEventListener('input', onRequestInput);
  $('add-header').addEventListener('click', () => {
    const name = $('add-header-name').value;
    addHeaderRow(name, '', true);
    onRequestInput();
  });
  els.policy.addEventListener('input', onPolicyInput);
  els.policy.addEventListener('scroll', positionErrLine);
  $('policy-format').addEventListener('click', formatPolicy);
  $('policy-reset').addEventListener('click', () => { els.policy.value = defaultPolicyText; onPolicyInput(); });
  $('policy-example').addEventListener('click', insertAddIpExample);
  $('copy-link').addEventListener('click', copyLink);
  window.addEventListener('hashchange', onHashChange);
  // The phone's decision bar hides while the decision panel itself is on screen.
  const mini = $('decision-mini');
  mini.addEventListener('click', () => $('decision-panel').scrollIntoView({ behavior: 'smooth', block: 'start' }));
  if ('IntersectionObserver' in window) {
    new IntersectionObserver((es) => {
      for (const e of es) mini.classList.toggle('off-screen-hidden', e.isIntersecting);
    }).observe($('decision-panel'));
  }
  setupReplay();
  $('export-box').addEventListener('toggle', onExportToggle);
  $('export-format').addEventListener('change', renderExport);
  $('export-copy').addEventListener('click', copyExport);
}

let resolveReady;
const ready = new Promise((r) => { resolveReady = r; });
window.__gate = { ready, metrics, get engine() { return engine; }, get decision() { return lastDecision; } };

async function main() {
  wire();
  const restored = decodeState(location.hash);
  els.policy.value = defaultPolicyText;
  if (restored) applyState(restored);
  updateGutter(null);
  syncChips();
  const t0 = performance.now();
  try {
    engine = await loadEngine();
  } catch (e) {
    const box = $('load-error');
    box.hidden = false;
    box.textContent = `The engine (pkg/) could not be loaded: ${e.message}. Build it with "make wasm" and serve the repository root ("make serve").`;
    $('action-summary').textContent = 'The engine is not available.';
    throw e;
  }
  metrics.engineLoadMs = performance.now() - t0;
  const v = typeof engine.version === 'function' ? engine.version() : '';
  $('engine-version').textContent = v ? `engine ${v}` : '';
  $('foot-version').textContent = v ? `Engine version ${v}.` : '';
  // The editor starts with the default policy's source text (the Sendcloud preset only). It must mean what the
  // package's defaultPolicy() means: checked once here, and the page says so if it ever does not.
  try {
    const a = JSON.stringify(engine.defaultPolicy().show());
    const b = JSON.stringify(engine.compilePolicy(defaultPolicyText).show());
    if (a !== b) console.warn('sendcloud-gate: the editor\'s default text differs from the package\'s default policy');
  } catch { /* an older package without defaultPolicy()/show() */ }
  compileCurrent();
  decideAndRender();
  updateGutter(gutterBad);
  positionErrLine();
  performance.mark('gate-interactive');
  metrics.interactiveMs = performance.now();
  document.documentElement.dataset.ready = 'true';
  resolveReady(metrics);
}

main();
