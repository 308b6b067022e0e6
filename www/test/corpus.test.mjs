// The conformance corpus (tests/corpus/) decided IN the page, in Chromium: through the engine module the page
// loaded, and through the page's own form and policy editor. Every decision must equal the expected (native) one.
// When a native CLI build is present, the ambiguous cases are compared with it too.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { openBrowser, gotoReady, readJsonl, REPO_ROOT, PKG_BUILT } from '../test-support/browser.mjs';
import { formText, parseForm } from '../state.mjs';

const CORPUS = path.join(REPO_ROOT, 'tests', 'corpus');
const HAVE_CORPUS = fs.existsSync(path.join(CORPUS, 'cases.jsonl'));
const skip = !PKG_BUILT ? 'pkg/dist is not built (make wasm)' : !HAVE_CORPUS ? 'no tests/corpus/cases.jsonl' : false;
const KEYS = ['action', 'reason', 'rule', 'client_ip', 'method'];

function loadCorpus(file) {
  const cases = readJsonl(path.join(CORPUS, file));
  const policies = {};
  for (const c of cases) {
    if (c.policy !== 'default' && !(c.policy in policies)) {
      policies[c.policy] = fs.readFileSync(path.join(CORPUS, 'policies', `${c.policy}.json`), 'utf8');
    }
  }
  return { cases, policies };
}

/** In the page: every case through the engine module the page loaded (decide and explain). */
function runInPage({ cases, policies }) {
  const eng = window.__gate.engine;
  const compiled = {};
  const get = (stem) => (compiled[stem] ??= stem === 'default' ? eng.compilePolicy('{}') : eng.compilePolicy(policies[stem]));
  const out = [];
  for (const c of cases) {
    const p = get(c.policy);
    const d = p.decide(c.request);
    const x = p.explain(c.request);
    out.push({ id: c.id, decide: d, explain: x, traceOk: Array.isArray(x.trace) && x.trace.length > 0 });
  }
  return out;
}

function pick(d) {
  return Object.fromEntries(KEYS.map((k) => [k, d?.[k] ?? null]));
}

test('corpus: every case decided in the page equals the expected decision', { skip }, async () => {
  const corpus = loadCorpus('cases.jsonl');
  const b = await openBrowser();
  try {
    await gotoReady(b.page, b.url);
    const results = await b.page.evaluate(runInPage, corpus);
    assert.equal(results.length, corpus.cases.length);
    const bad = [];
    results.forEach((r, i) => {
      const want = corpus.cases[i].expect;
      const got = pick(r.decide);
      const gotX = pick(r.explain);
      if (JSON.stringify(got) !== JSON.stringify(pick(want)) || JSON.stringify(gotX) !== JSON.stringify(got) || !r.traceOk) {
        bad.push(`${r.id}: want ${JSON.stringify(pick(want))} decide ${JSON.stringify(got)} explain ${JSON.stringify(gotX)}`);
      }
    });
    console.log(`corpus in the page (engine module): ${results.length - bad.length}/${results.length} equal`);
    assert.deepEqual(bad, []);
    assert.deepEqual(b.errors, []);
  } finally {
    await b.close();
  }
});

/** In the page: cases through the form and the policy editor, as a person would enter them. */
function runThroughForm({ cases, policies, defaultText, formTexts }) {
  const $ = (id) => document.getElementById(id);
  const fire = (el) => el.dispatchEvent(new Event('input', { bubbles: true }));
  const out = [];
  let skipped = 0;
  let currentPolicy = null;
  for (const c of cases) {
    const r = c.request;
    const headers = [];
    for (const [name, v] of Object.entries(r.headers || {})) {
      for (const value of Array.isArray(v) ? v : [v]) headers.push([name, value]);
    }
    // A text input cannot hold CR or LF (the browser strips them): such cases go through the engine test only.
    // So does a form the form-parameters field cannot say exactly (formTexts[id] null: see the caller).
    const fields = [r.remote_addr, r.method, r.uri ?? '', r.query ?? '', ...headers.flat()];
    if (fields.some((s) => /[\r\n]/.test(s)) || (r.uri === '') || formTexts[c.id] === null) {
      skipped++;
      continue;
    }
    const text = c.policy === 'default' ? defaultText : policies[c.policy];
    if (currentPolicy !== text) {
      $('policy-text').value = text;
      fire($('policy-text'));
      currentPolicy = text;
    }
    $('remote-addr').value = r.remote_addr;
    $('method').value = r.method;
    $('uri').value = r.uri ?? '';
    $('ua').value = '';
    $('query').value = r.query ?? '';
    $('form-params').value = formTexts[c.id];
    $('header-rows').replaceChildren();
    for (const [n, v] of headers) {
      $('add-header-name').value = '';
      $('add-header').click();
      const rows = $('header-rows').querySelectorAll('.header-row');
      const row = rows[rows.length - 1];
      row.querySelector('.hn').value = n;
      row.querySelector('.hv').value = v;
    }
    fire($('remote-addr'));
    const shown = {
      action: $('badge').dataset.action,
      reason: $('f-reason').textContent,
      rule: $('f-rule').textContent === 'null' ? null : $('f-rule').textContent,
      client_ip: $('f-client').textContent === 'null' ? null : $('f-client').textContent,
      method: $('f-method').textContent === 'null' ? null : $('f-method').textContent,
    };
    out.push({ id: c.id, shown, trace: $('trace').children.length });
  }
  return { out, skipped };
}

test('corpus: the decisions the page SHOWS (form, editor, badge) equal the expected ones', { skip }, async () => {
  const corpus = loadCorpus('cases.jsonl');
  const b = await openBrowser();
  try {
    await gotoReady(b.page, b.url);
    const defaultText = await b.page.evaluate(() => document.getElementById('policy-text').value);
    // The form-parameters text for each case (name=value lines when they can say it, else JSON), checked here to
    // read back as the case's form; null for a form the field cannot hold (not an object: left to the engine test).
    const formTexts = {};
    let viaLines = 0;
    let viaJson = 0;
    let withQuery = 0;
    for (const c of corpus.cases) {
      const f = c.request.form;
      if ((c.request.query ?? '') !== '') withQuery++;
      if (f === undefined || f === null) {
        formTexts[c.id] = '';
        continue;
      }
      const text = formText(f);
      const back = parseForm(text);
      const same = JSON.stringify(back.form ?? {}) === JSON.stringify(f);
      formTexts[c.id] = typeof f === 'object' && !Array.isArray(f) && same ? text : null;
      if (formTexts[c.id] !== null) {
        if (back.json) viaJson++;
        else viaLines++;
      }
    }
    const { out, skipped } = await b.page.evaluate(runThroughForm, { ...corpus, defaultText, formTexts });
    const byId = new Map(corpus.cases.map((c) => [c.id, c]));
    const bad = out.filter((r) => JSON.stringify(r.shown) !== JSON.stringify(pick(byId.get(r.id).expect)) || r.trace === 0)
      .map((r) => `${r.id}: shown ${JSON.stringify(r.shown)} want ${JSON.stringify(pick(byId.get(r.id).expect))}`);
    console.log(`corpus through the page's form: ${out.length - bad.length}/${out.length} equal (${skipped} cases with CR/LF in a field or an empty URI left to the engine test); `
      + `form parameters entered as lines in ${viaLines} cases, as JSON in ${viaJson}; a query in ${withQuery}`);
    assert.ok(out.length > corpus.cases.length * 0.8, 'most cases go through the form');
    assert.deepEqual(bad, []);
    assert.deepEqual(b.errors, []);
  } finally {
    await b.close();
  }
});

test('corpus: every bad policy is rejected in the editor with its error path', { skip }, async () => {
  const bads = readJsonl(path.join(CORPUS, 'bad-policies.jsonl'));
  const b = await openBrowser();
  try {
    await gotoReady(b.page, b.url);
    const res = await b.page.evaluate((bads) => {
      const ta = document.getElementById('policy-text');
      const st = document.getElementById('policy-status');
      return bads.map((x) => {
        ta.value = typeof x.policy === 'string' ? x.policy : JSON.stringify(x.policy);
        ta.dispatchEvent(new Event('input', { bubbles: true }));
        // An empty text means "the default policy" in the editor; the corpus has no such bad policy.
        return { id: x.id, error: st.classList.contains('error'), text: st.textContent, badge: document.getElementById('badge').textContent };
      });
    }, bads);
    const wrong = res.filter((r, i) => !r.error || r.badge !== 'NO DECISION' || (bads[i].error_path && !r.text.includes(bads[i].error_path)))
      .map((r, i) => `${r.id}: ${r.text}`);
    console.log(`bad policies rejected in the editor: ${res.length - wrong.length}/${res.length}`);
    assert.deepEqual(wrong, []);
  } finally {
    await b.close();
  }
});

// The most recently built native CLI (a stale release build must not be compared with a fresh pkg/).
function nativeCli() {
  const found = ['target/release/sendcloud-gate', 'target/debug/sendcloud-gate']
    .map((p) => path.join(REPO_ROOT, p)).filter((f) => fs.existsSync(f))
    .sort((a, b) => fs.statSync(b).mtimeMs - fs.statSync(a).mtimeMs);
  return found[0] ?? null;
}

test('corpus: page and native CLI agree on every case, the ambiguous ones included', { skip: skip || (!nativeCli() && 'no native build (cargo build)') }, async () => {
  const cli = nativeCli();
  const all = ['cases.jsonl', 'ambiguous.jsonl'].filter((f) => fs.existsSync(path.join(CORPUS, f)));
  const cases = [];
  const policies = {};
  for (const f of all) {
    const c = loadCorpus(f);
    cases.push(...c.cases);
    Object.assign(policies, c.policies);
  }
  // Native decisions, one CLI run per policy.
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gate-corpus-'));
  const native = new Map();
  try {
    const stems = [...new Set(cases.map((c) => c.policy))];
    for (const stem of stems) {
      const mine = cases.filter((c) => c.policy === stem);
      const req = path.join(tmp, `${stem}.jsonl`);
      fs.writeFileSync(req, mine.map((c) => JSON.stringify(c.request)).join('\n') + '\n');
      const args = ['check', '--json', '--requests', req];
      if (stem !== 'default') args.push('--policy', path.join(CORPUS, 'policies', `${stem}.json`));
      const lines = execFileSync(cli, args, { encoding: 'utf8', maxBuffer: 64 << 20 }).trim().split('\n');
      assert.equal(lines.length, mine.length, `native output for ${stem}`);
      mine.forEach((c, i) => native.set(c.id, JSON.parse(lines[i])));
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  const b = await openBrowser();
  try {
    await gotoReady(b.page, b.url);
    const results = await b.page.evaluate(runInPage, { cases, policies });
    const bad = results.filter((r) => JSON.stringify(pick(r.decide)) !== JSON.stringify(pick(native.get(r.id))))
      .map((r) => `${r.id}: page ${JSON.stringify(pick(r.decide))} native ${JSON.stringify(pick(native.get(r.id)))}`);
    console.log(`page vs native CLI (${path.relative(REPO_ROOT, cli)}): ${results.length - bad.length}/${results.length} equal`);
    assert.deepEqual(bad, []);
  } finally {
    await b.close();
  }
});
