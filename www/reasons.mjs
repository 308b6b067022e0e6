// Plain-language wording for the engine's decisions. Text only: the action, reason and rule all come from the
// engine (pkg/); this module only says them in words.

export const ACTION_TEXT = {
  allow: { label: 'ALLOW', summary: 'Verified traffic: the firewall should let it through.' },
  deny: { label: 'DENY', summary: 'Block it.' },
  pass: { label: 'PASS', summary: 'No opinion: the firewall applies its own rules.' },
};

export const REASON_TITLES = {
  partner_match: 'Partner match',
  rule_match: 'Site rule',
  impersonation: 'Impersonation',
  method_not_allowed: 'Method not allowed',
  ua_mismatch: 'User-Agent mismatch',
  ambiguous_method_override: 'Ambiguous method override',
  malformed_input: 'Malformed input',
  no_match: 'No match',
};

const q = (s) => (s == null ? '' : `“${s}”`);

/** One plain sentence (or two) for a decision {action, reason, rule, client_ip, method}. */
export function explainReason(d) {
  const rule = d.rule ?? 'the partner';
  const ip = d.client_ip ?? 'the client';
  switch (d.reason) {
    case 'partner_match':
      return `Verified ${rule} traffic: the client address ${ip} is in ${rule}'s ranges, the User-Agent matches one of its patterns and the method ${d.method} is one it uses.`;
    case 'rule_match':
      return `Your site rule ${q(d.rule)} matched this request and decides ${d.action}.`;
    case 'impersonation':
      return (
        `The request claims to be ${rule} (by its User-Agent) but comes from ${ip}, which is not in ${rule}'s ranges: someone may be impersonating ${rule}, or ${rule} uses an address your policy does not list yet. ` +
        (d.action === 'deny'
          ? 'The policy blocks impersonation ("impersonation": "deny").'
          : 'The policy only logs impersonation ("impersonation": "log"), so the firewall decides; set "impersonation": "deny" to block it.')
      );
    case 'method_not_allowed':
      return `Address and User-Agent are ${rule}'s, but the method ${d.method ?? ''} is not one ${rule} is allowed to use. Add it with "add_methods" if your shop needs it.`;
    case 'ua_mismatch':
      return `The client address ${ip} is in ${rule}'s ranges, but the User-Agent matches none of its patterns.`;
    case 'ambiguous_method_override':
      return 'The request carries method overrides (X-HTTP-Method-Override, X-HTTP-Method, X-Method-Override, _method or ps_method) that disagree, so its real method cannot be told.';
    case 'malformed_input':
      return 'Part of the request could not be read (the address, a forwarding header, the method, the User-Agent or the path). Such a request is never allowed.';
    case 'no_match':
      return 'No site rule and no partner applies to this request.';
    default:
      return `Reason code ${q(d.reason)}.`;
  }
}
