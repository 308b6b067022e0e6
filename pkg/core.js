// The package's API over the raw wasm-bindgen layer (src/js.rs). Shared by the browser entry (web.js) and the
// Node entry (node.js), which differ only in how they load the .wasm.
//
// decide() is the hot path: the request is packed (the packed form of src/request.rs) with TextEncoder.encodeInto
// straight into a scratch buffer in wasm memory, decided with one call, and the decision read back as a few bytes
// (layout in src/js.rs). Requests of an unusual shape (a header value that is neither a string nor an array of
// strings, a field of the wrong type, a lone surrogate) go through the JSON path instead, so that every request
// gets exactly the answer the native engine gives for the same JSON.

const ACTIONS = ['allow', 'deny', 'pass'];
const REASONS = [
  'partner_match', 'rule_match', 'impersonation', 'method_not_allowed', 'ua_mismatch',
  'ambiguous_method_override', 'malformed_input', 'no_match',
];
const TOKEN = Symbol('sendcloud-gate.Policy');
// Longest string copied by hand (measured: above this, encodeInto's fixed cost is the smaller one).
const ASCII_MAX = 24;

/** The error thrown for a policy that does not compile or bytes that do not load. */
export class PolicyError extends Error {
  constructor(info) {
    super(info.message);
    this.name = 'PolicyError';
    /** JSON path of the offending value (`rules[1].ip[0]`); '' for errors about the whole text. */
    this.path = info.path;
    /** 1-based line and column (bytes) in the policy text; 0 when not applicable. */
    this.line = info.line;
    this.column = info.column;
  }
}

export function bind(raw, wasm) {
  const memory = wasm.memory;
  const encoder = new TextEncoder();
  const decoder = new TextDecoder();
  let u8 = new Uint8Array(memory.buffer);
  let cap = 0;
  let base = 0;
  const out = raw.out_ptr();

  // Growing wasm memory detaches the old buffer (its views read as length 0): re-view it then.
  const mem = () => (u8.length !== 0 ? u8 : (u8 = new Uint8Array(memory.buffer)));

  // The request is written at scratch offset `pos`, growing the buffer as it goes (growing keeps what was written).
  let m = u8;
  let pos = 0;

  function room(n) {
    if (pos + n > cap) {
      cap = Math.max(pos + n, cap * 2, 4096);
      base = raw.scratch(cap);
    }
    m = mem();
  }

  function putLen(at, n) {
    m[at] = n & 255;
    m[at + 1] = (n >>> 8) & 255;
    m[at + 2] = (n >>> 16) & 255;
    m[at + 3] = n >>> 24;
  }

  // Writes one string (length prefix, then UTF-8). False for a string with a lone surrogate, which goes the JSON
  // way (TextEncoder would turn it into U+FFFD, JSON keeps it, as the native engine does).
  function putStr(s) {
    const n = s.length;
    room(4 + 3 * n);
    const at = base + pos;
    const start = at + 4;
    let i = 0;
    // ASCII fast path for short strings: copying by hand beats encodeInto's set-up cost there.
    if (n > ASCII_MAX) i = -1;
    else for (; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c > 127) break;
      m[start + i] = c;
    }
    if (i === n) {
      putLen(at, n);
      pos += 4 + n;
      return true;
    }
    if (s.isWellFormed !== undefined && !s.isWellFormed()) return false;
    const { written } = encoder.encodeInto(s, m.subarray(start, start + 3 * n));
    putLen(at, written);
    pos += 4 + written;
    return true;
  }

  // Packs `req` into the scratch buffer; returns its length, or -1 for a request to send as JSON.
  function pack(req) {
    if (req === null || typeof req !== 'object') return -1;
    const ra = req.remote_addr;
    const method = req.method;
    let uri = req.uri;
    const headers = req.headers;
    if (typeof ra !== 'string' || typeof method !== 'string') return -1;
    if (uri === undefined || uri === null) uri = '';
    else if (typeof uri !== 'string') return -1;
    pos = 0;
    if (!putStr(ra) || !putStr(method) || !putStr(uri)) return -1;
    const countAt = pos;
    room(4);
    pos += 4;
    let count = 0;
    if (headers !== undefined && headers !== null) {
      if (typeof headers !== 'object' || Array.isArray(headers)) return -1;
      for (const name in headers) {
        if (!Object.prototype.hasOwnProperty.call(headers, name)) continue;
        const v = headers[name];
        if (typeof v === 'string') {
          if (!putStr(name) || !putStr(v)) return -1;
          count++;
        } else if (Array.isArray(v)) {
          for (let j = 0; j < v.length; j++) {
            const item = v[j];
            if (typeof item !== 'string' || !putStr(name) || !putStr(item)) return -1;
          }
          count += v.length;
        } else {
          return -1;
        }
      }
    }
    putLen(base + countAt, count);
    return pos;
  }

  const ascii = (m, at, n) => {
    let s = '';
    for (let i = 0; i < n; i++) s += String.fromCharCode(m[at + i]);
    return s;
  };

  function asJson(req) {
    // JSON.stringify(undefined) is undefined: send `null`, which is not a request (malformed_input).
    const text = JSON.stringify(req);
    return text === undefined ? 'null' : text;
  }

  function lastError() {
    return new PolicyError(JSON.parse(raw.last_error()));
  }

  class Policy {
    #raw;
    #ids = null;

    constructor(token, rawPolicy) {
      if (token !== TOKEN) throw new TypeError('use compilePolicy(), defaultPolicy() or Policy.fromBytes()');
      this.#raw = rawPolicy;
    }

    /** Loads a compiled policy from toBytes(); throws a PolicyError if the bytes are not one. */
    static fromBytes(bytes) {
      if (!(bytes instanceof Uint8Array)) throw new TypeError('Policy.fromBytes expects a Uint8Array');
      const p = raw.WasmPolicy.load(bytes);
      if (p === undefined) throw lastError();
      return new Policy(TOKEN, p);
    }

    decide(request) {
      const len = pack(request);
      if (len < 0) return JSON.parse(this.#raw.decide_json(asJson(request)));
      this.#raw.decide(len);
      const m = mem();
      const rule = m[out + 2] | (m[out + 3] << 8);
      const ipLen = m[out + 4];
      const mLen = m[out + 5];
      return {
        action: ACTIONS[m[out]],
        reason: REASONS[m[out + 1]],
        rule: rule === 0 ? null : this.#ruleId(rule - 1),
        client_ip: ipLen === 0 ? null : ascii(m, out + 6, ipLen),
        method: mLen === 0 ? null : ascii(m, out + 6 + ipLen, mLen),
      };
    }

    explain(request) {
      const len = pack(request);
      const text = len < 0 ? this.#raw.explain_json(asJson(request)) : this.#raw.explain(len);
      return JSON.parse(text);
    }

    toBytes() {
      return this.#raw.to_bytes();
    }

    show() {
      return JSON.parse(this.#raw.show());
    }

    /** Frees the policy's wasm memory now (otherwise it is freed when garbage-collected). */
    free() {
      this.#raw.free();
    }

    #ruleId(i) {
      if (this.#ids === null) this.#ids = JSON.parse(this.#raw.ids());
      return this.#ids[i];
    }
  }

  function compilePolicy(policy) {
    let text;
    if (typeof policy === 'string') text = policy;
    else if (policy instanceof Uint8Array) text = decoder.decode(policy);
    else {
      text = JSON.stringify(policy);
      if (text === undefined) throw new TypeError('compilePolicy expects JSON text or a JSON value');
    }
    const p = raw.WasmPolicy.compile(text);
    if (p === undefined) throw lastError();
    return new Policy(TOKEN, p);
  }

  function defaultPolicy() {
    return new Policy(TOKEN, raw.WasmPolicy.default_policy());
  }

  let presetCache = null;
  function presets() {
    if (presetCache === null) presetCache = raw.presets_json();
    return JSON.parse(presetCache);
  }

  const version = () => raw.version();

  return { Policy, PolicyError, compilePolicy, defaultPolicy, presets, version };
}
