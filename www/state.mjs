// The shareable state of the tester page, kept in the URL fragment: "#s=" + base64url(UTF-8 JSON).
// Pure JS (no DOM), so Node tests can check it. Nothing here decides anything.
//
// State shape (v1):
//   { v: 1,
//     request: { remote_addr, method, uri, ua, headers: [[name, value], ...] },   // ua "" = no User-Agent
//     policy: "<policy JSON text as typed>" }                                      // absent = the default policy

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
  for (const k of ['remote_addr', 'method', 'uri', 'ua']) {
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
 * Builds the engine's request from the form's fields. Headers that appear more than once (case-insensitively,
 * the User-Agent field included) become an array of values under the first spelling, as the contract allows.
 */
export function buildRequest({ remote_addr, method, uri, ua, headers }) {
  const out = { remote_addr: remote_addr ?? '', method: method ?? '' };
  if (uri !== undefined && uri !== '') out.uri = uri;
  const list = [];
  if (ua) list.push(['User-Agent', ua]);
  for (const [name, value] of headers || []) {
    if (name.trim() === '') continue;
    list.push([name.trim(), value]);
  }
  const hdrs = {};
  const firstName = new Map();
  for (const [name, value] of list) {
    const key = name.toLowerCase();
    if (!firstName.has(key)) {
      firstName.set(key, name);
      hdrs[name] = value;
    } else {
      const n = firstName.get(key);
      hdrs[n] = Array.isArray(hdrs[n]) ? [...hdrs[n], value] : [hdrs[n], value];
    }
  }
  if (list.length) out.headers = hdrs;
  return out;
}
