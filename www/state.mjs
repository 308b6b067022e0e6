// The shareable state of the tester page, kept in the URL fragment: "#s=" + base64url(UTF-8 JSON).
// Pure JS (no DOM), so Node tests can check it. Nothing here decides anything.
//
// State shape (v1):
//   { v: 1,
//     request: { remote_addr, method, uri, ua, headers: [[name, value], ...],    // ua "" = no User-Agent
//                query, form },                                                 // as typed; "" or absent = none
//     policy: "<policy JSON text as typed>" }                                      // absent = the default policy
// `query` and `form` (contract v2) were added without a version change: a link without them has none.

export const FRAGMENT_KEY = 's';

export function base64urlEncode(str) {
  const bytes = new TextEncoder().encode(str);
  let bin = '';
  for (let i = 0; i < bytes.length; i += 0x8000) {
    bin += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
  }
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

export function base64urlDecode(s) {
  if (!/^[A-Za-z0-9_-]*$/.test(s)) throw new Error('not base64url');
  let b64 = s.replace(/-/g, '+').replace(/_/g, '/');
  while (b64.length % 4) b64 += '=';
  const bin = atob(b64);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
}

function str(v, max = 1 << 20) {
  return typeof v === 'string' && v.length <= max ? v : null;
}

/** Normalises a state object from an untrusted source (a link): keeps only known fields of the right types. */
export function sanitizeState(raw) {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return null;
  const out = { v: 1, request: {} };
  const r = raw.request && typeof raw.request === 'object' ? raw.request : {};
  for (const k of ['remote_addr', 'method', 'uri', 'ua', 'query', 'form']) {
    const v = str(r[k]);
    if (v !== null) out.request[k] = v;
  }
  if (Array.isArray(r.headers)) {
    out.request.headers = r.headers
      .filter((h) => Array.isArray(h) && h.length === 2 && str(h[0]) !== null && str(h[1]) !== null)
      .slice(0, 64)
      .map((h) => [h[0], h[1]]);
  }
  const p = str(raw.policy);
  if (p !== null) out.policy = p;
  return out;
}

export function encodeState(state) {
  return FRAGMENT_KEY + '=' + base64urlEncode(JSON.stringify(state));
}

/** Decodes a location.hash (with or without '#'); returns null when there is no state or it is unreadable. */
export function decodeState(hash) {
  const h = (hash || '').replace(/^#/, '');
  if (!h) return null;
  for (const part of h.split('&')) {
    const eq = part.indexOf('=');
    if (eq === -1 || part.slice(0, eq) !== FRAGMENT_KEY) continue;
    try {
      return sanitizeState(JSON.parse(base64urlDecode(part.slice(eq + 1))));
    } catch {
      return null;
    }
  }
  return null;
}

/**
 * Reads the "form parameters" field: the body parameters as the application parsed them (PHP's $_POST).
 * - Lines: one `name=value` per line, split at the first `=` (a line without `=` is a name with an empty value);
 *   nothing is decoded or trimmed; empty lines are skipped; a name on several lines is an array of its values.
 * - JSON: text whose first non-blank character is `{` is a JSON object of name -> string or array of strings,
 *   sent as it is (the engine says what it makes of other values).
 * Returns { form } (undefined when there are no parameters) or { error } for JSON that does not parse.
 */
export function parseForm(text) {
  const t = text ?? '';
  if (/^\s*\{/.test(t)) {
    try {
      return { form: JSON.parse(t), json: true };
    } catch (e) {
      return { error: `not valid JSON: ${e.message}`, json: true };
    }
  }
  const params = new Map(); // (a name like __proto__ is a parameter like any other)
  for (let line of t.split('\n')) {
    if (line.endsWith('\r')) line = line.slice(0, -1);
    if (line === '') continue;
    const eq = line.indexOf('=');
    const name = eq === -1 ? line : line.slice(0, eq);
    const value = eq === -1 ? '' : line.slice(eq + 1);
    const had = params.get(name);
    params.set(name, had === undefined ? value : Array.isArray(had) ? [...had, value] : [had, value]);
  }
  return { form: params.size ? Object.fromEntries(params) : undefined, json: false };
}

/** The "form parameters" field's text for a form object: lines when they can say it exactly, else JSON. */
export function formText(form) {
  if (form === undefined || form === null) return '';
  const entries = typeof form === 'object' && !Array.isArray(form) ? Object.entries(form) : null;
  const lineSafe = (s) => typeof s === 'string' && !/[\r\n]/.test(s);
  // A one-value array would come back as a string, an empty one not at all: those need JSON.
  const values = (v) => (Array.isArray(v) ? (v.length >= 2 ? v : null) : [v]);
  if (entries && entries.length > 0 && !/^\s*\{/.test(entries[0][0]) && entries.every(([name, v]) =>
    lineSafe(name) && name !== '' && !name.includes('=') && values(v)?.every(lineSafe))) {
    return entries.flatMap(([name, v]) => values(v).map((x) => `${name}=${x}`)).join('\n');
  }
  return JSON.stringify(form);
}

/**
 * Builds the engine's request from the form's fields. Headers that appear more than once (case-insensitively,
 * the User-Agent field included) become an array of values under the first spelling, as the contract allows.
 * `query` is sent when not empty; `form` is the parsed form parameters (see parseForm), sent when there are any.
 */
export function buildRequest({ remote_addr, method, uri, ua, headers, query, form }) {
  const out = { remote_addr: remote_addr ?? '', method: method ?? '' };
  if (uri !== undefined && uri !== '') out.uri = uri;
  const list = [];
  if (ua) list.push(['User-Agent', ua]);
  for (const [name, value] of headers || []) {
    if (name.trim() === '') continue;
    list.push([name.trim(), value]);
  }
  const hdrs = new Map();
  const firstName = new Map();
  for (const [name, value] of list) {
    const key = name.toLowerCase();
    if (!firstName.has(key)) {
      firstName.set(key, name);
      hdrs.set(name, value);
    } else {
      const n = firstName.get(key);
      const had = hdrs.get(n);
      hdrs.set(n, Array.isArray(had) ? [...had, value] : [had, value]);
    }
  }
  if (list.length) out.headers = Object.fromEntries(hdrs);
  if (typeof query === 'string' && query !== '') out.query = query;
  if (form !== undefined) out.form = form;
  return out;
}
