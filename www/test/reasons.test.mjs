// The shared plain-language texts (www/reasons.json, also read by the WordPress plugin): every reason code the
// engine can emit has a title and a text, every placeholder is one reasons.mjs fills, and reasons.mjs says them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { TEXTS, ACTION_TEXT, REASON_TITLES, explainReason } from '../reasons.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const PLACEHOLDERS = new Set(['rule', 'rule_quoted', 'client_ip', 'method', 'action', 'reason_quoted']);

/** The reason codes of src/decision.rs (Reason::as_str), plus the PHP library's engine_error. */
function engineReasonCodes() {
  const src = fs.readFileSync(path.join(ROOT, 'src/decision.rs'), 'utf8');
  const codes = [...src.matchAll(/Reason::\w+ => "([a-z_]+)"/g)].map((m) => m[1]);
  assert.ok(codes.length >= 8, 'reason codes found in src/decision.rs');
  return [...new Set(codes), 'engine_error'];
}

test('every reason code the engine emits has a title and a text', () => {
  for (const code of engineReasonCodes()) {
    assert.ok(REASON_TITLES[code], `title for ${code}`);
    const text = explainReason({ action: 'pass', reason: code, rule: 'sendcloud', client_ip: '203.0.113.7', method: 'PATCH' });
    assert.ok(text.length > 20 && !text.startsWith('Reason code'), `text for ${code}`);
  }
});

test('every reason in the conformance corpus has a text', () => {
  const lines = fs.readFileSync(path.join(ROOT, 'tests/corpus/cases.jsonl'), 'utf8').split('\n').filter((l) => l.trim() && !l.startsWith('//'));
  const seen = new Set();
  for (const l of lines) {
    const c = JSON.parse(l);
    const reason = c.expect?.reason ?? c.decision?.reason;
    if (reason) seen.add(reason);
  }
  assert.ok(seen.size >= 5, `reasons found in the corpus: ${[...seen]}`);
  for (const r of seen) assert.ok(REASON_TITLES[r], `title for corpus reason ${r}`);
});

test('every action has a label and a summary', () => {
  for (const a of ['allow', 'deny', 'pass']) {
    assert.ok(ACTION_TEXT[a].label && ACTION_TEXT[a].summary, a);
  }
});

test('texts use only the placeholders reasons.mjs fills, and fill them', () => {
  const texts = [TEXTS.unknown_reason];
  for (const r of Object.values(TEXTS.reasons)) texts.push(...(typeof r.text === 'string' ? [r.text] : Object.values(r.text)));
  for (const t of texts) {
    for (const m of t.matchAll(/\{([a-z_]+)\}/g)) assert.ok(PLACEHOLDERS.has(m[1]), `placeholder ${m[1]} in ${t}`);
  }
  const d = { action: 'deny', reason: 'impersonation', rule: 'sendcloud', client_ip: '203.0.113.7', method: 'GET' };
  const s = explainReason(d);
  assert.match(s, /comes from 203\.0\.113\.7/);
  assert.match(s, /blocks impersonation/);
  assert.doesNotMatch(s, /\{/);
  assert.match(explainReason({ ...d, action: 'pass' }), /only logs impersonation/);
  assert.equal(explainReason({ action: 'deny', reason: 'rule_match', rule: 'office' }), 'Your site rule “office” matched this request and decides deny.');
  assert.equal(explainReason({ action: 'pass', reason: 'something_new' }), 'Reason code “something_new”.');
  assert.match(explainReason({ action: 'pass', reason: 'ua_mismatch', rule: null, client_ip: null }), /The client address the client is in the partner's ranges/);
});
