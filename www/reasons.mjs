// Plain-language wording for the engine's decisions. Text only: the action, reason and rule all come from the
// engine (pkg/); this module only says them in words. The texts themselves are data, in reasons.json, which the
// WordPress plugin reads too (plugin-shim/wordpress/src/Admin/Texts.php): one copy for both.

import TEXTS from './reasons.json' with { type: 'json' };

export { TEXTS };

/** {allow|deny|pass: {label, summary}} */
export const ACTION_TEXT = TEXTS.actions;

/** {reason code: title} */
export const REASON_TITLES = Object.fromEntries(Object.entries(TEXTS.reasons).map(([code, r]) => [code, r.title]));

const q = (s) => (s == null ? '' : `“${s}”`);

/** One plain sentence (or two) for a decision {action, reason, rule, client_ip, method}. */
export function explainReason(d) {
  const entry = Object.hasOwn(TEXTS.reasons, d.reason) ? TEXTS.reasons[d.reason] : null;
  let text = entry ? entry.text : TEXTS.unknown_reason;
  if (typeof text === 'object') text = Object.hasOwn(text, d.action) ? text[d.action] : text.default;
  const values = {
    rule: d.rule ?? 'the partner',
    rule_quoted: q(d.rule),
    client_ip: d.client_ip ?? 'the client',
    method: d.method ?? '',
    action: d.action ?? '',
    reason_quoted: q(d.reason),
  };
  return text.replace(/\{([a-z_]+)\}/g, (m, k) => (Object.hasOwn(values, k) ? String(values[k]) : m));
}
