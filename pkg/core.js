// The package's API over the raw wasm-bindgen layer (crates/js/src/lib.rs). Shared by the browser entry (web.js) and the
// Node entry (node.js), which differ only in how they load the .wasm.
//
// decide() is the hot path: the request is packed (the packed form of src/request.rs) with TextEncoder.encodeInto
// straight into a scratch buffer in wasm memory, decided with one call, and the decision read back as a few bytes
// (layout in crates/js/src/lib.rs): the action and reason as indexes into the engine's own table of codes, read once
// from raw.codes(), so no list of codes is kept here. The reference for what a JS value means is its JSON text: decide(v) is the engine's answer
// for JSON.stringify(v) (with functions and Symbols counting as values of the wrong type, not as absent), and
// `pass` / `malformed_input` for a value that has no JSON text (JSON.stringify throws: a BigInt, a cycle, a
// throwing getter, toJSON or Proxy trap). The packer takes only plain objects whose every value it knows to mean
// the same in JSON; anything else (a field of the wrong type, a toJSON, an object in a field the contract does not
// define, a lone surrogate…) goes the JSON way, so every value gets exactly the answer the native engine gives for
// the same JSON.

const TOKEN = Symbol('sendcloud-gate.Policy');
// Longest string copied by hand (measured: above this, encodeInto's fixed cost is the smaller one).
const ASCII_MAX = 24;
const hasOwn = Object.prototype.hasOwnProperty;
const objectValueOf = Object.prototype.valueOf;

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

/** The error every method of a Policy throws once free() was called on it. */
export class PolicyFreedError extends Error {
  constructor() {
    super('sendcloud-gate: this Policy was freed; compile or load a new one');
    this.name = 'PolicyFreedError';
  }
}

// An object that JSON.stringify writes as its own enumerable keys: not an array, not one with a toJSON (a Date, a
// class that defines one: JSON is what toJSON returns), not a boxed primitive (new String('x') is the JSON "x").
const keyed = (o) => !Array.isArray(o) && o.toJSON === undefined && (o.valueOf === objectValueOf || o.valueOf === undefined);

// The JSON text a value stands for. Functions and Symbols are values of the wrong type (JSON.stringify would leave
// them out, which for a header or a form value would make it silently absent); `undefined` stays absent.
const wrongType = (key, value) => (typeof value === 'function' || typeof value === 'symbol' ? 0 : value);

/** The request's JSON text (`null` for a value JSON.stringify leaves out); throws for a value that has none. */
function requestJson(req) {
  const text = JSON.stringify(req, wrongType);
  return text === undefined ? 'null' : text;
}

/** What went wrong, for a trace: never throws itself (a thrown value may be anything). */
function describe(e) {
  try {
    return String(e instanceof Error ? e.message : e);
  } catch {
    return 'an exception';
  }
}

/** `pass` / `malformed_input`: the answer for a value with no JSON text, or when the engine itself failed. */
function malformed() {
  return { action: 'pass', reason: 'malformed_input', rule: null, client_ip: null, method: null };
}

export function bind(raw, wasm) {
  const memory = wasm.memory;
  const encoder = new TextEncoder();
  let u8 = new Uint8Array(memory.buffer);
  let cap = 0;
  let base = 0;
  const out = raw.out_ptr();
  // The codes the decision's action and reason bytes index, in the engine's order.
  const { actions: ACTIONS, reasons: REASONS } = JSON.parse(raw.codes());

  // Growing wasm memory detaches the old buffer (its views read as length 0): re-view it then.
  const mem = () => (u8.length !== 0 ? u8 : (u8 = new Uint8Array(memory.buffer)));

  // The request is written at scratch offset `pos`, growing the buffer as it goes (growing keeps what was written).
  let m = u8;
  let pos = 0;
  // The remote_addr and method of the request packed last.
  let packedRa = '';
  let packedMethod = '';

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
    const { written } = encoder.encodeInto(s, m.subarray(start, start + 3 * n));
    // As many bytes as UTF-16 units: all ASCII. Otherwise a lone surrogate (written as U+FFFD) is checked for.
    if (written !== n && s.isWellFormed !== undefined && !s.isWellFormed()) return false;
    putLen(at, written);
    pos += 4 + written;
    return true;
  }

  // Writes the (name, value) pairs of a `headers` or `form` object: a string value is one pair, an array of
  // strings one pair per string. Returns the number of pairs, or -1 for anything the JSON way must read.
  function putPairs(obj) {
    if (typeof obj !== 'object' || !keyed(obj)) return -1;
    let count = 0;
    for (const name in obj) {
      if (!hasOwn.call(obj, name)) continue;
      const v = obj[name];
      if (typeof v === 'string') {
        if (!putStr(name) || !putStr(v)) return -1;
        count++;
      } else if (Array.isArray(v) && v.toJSON === undefined) {
        for (let j = 0; j < v.length; j++) {
          const item = v[j];
          if (typeof item !== 'string' || !putStr(name) || !putStr(item)) return -1;
        }
        count += v.length;
      } else {
        return -1;
      }
    }
    return count;
  }

  // Packs `req` into the scratch buffer; returns its length, or -1 for a request to send as JSON (see the top).
  function pack(req) {
    if (req === null || typeof req !== 'object' || !keyed(req)) return -1;
    let ra, method, uri, headers, query, form;
    // The value's own keys, as JSON.stringify reads them: the contract's fields, and others that the engine ignores
    // (a primitive there changes nothing; an object or a BigInt may have no JSON, so the JSON way decides).
    for (const k in req) {
      if (!hasOwn.call(req, k)) continue;
      const v = req[k];
      switch (k) {
        case 'remote_addr': ra = v; break;
        case 'method': method = v; break;
        case 'uri': uri = v; break;
        case 'headers': headers = v; break;
        case 'query': query = v; break;
        case 'form': form = v; break;
        default:
          if ((typeof v === 'object' && v !== null) || typeof v === 'bigint') return -1;
      }
    }
    if (typeof ra !== 'string' || typeof method !== 'string') return -1;
    if (uri === undefined || uri === null) uri = '';
    else if (typeof uri !== 'string') return -1;
    pos = 0;
    if (!putStr(ra) || !putStr(method) || !putStr(uri)) return -1;
    packedRa = ra;
    packedMethod = method;
    const countAt = pos;
    room(4);
    pos += 4;
    let count = 0;
    if (headers !== undefined && headers !== null && (count = putPairs(headers)) < 0) return -1;
    putLen(base + countAt, count);
    // The optional tail (contract v2): left out when there is no query and no form parameter.
    if (query === undefined || query === null) query = '';
    else if (typeof query !== 'string') return -1;
    if (query === '' && (form === undefined || form === null)) return pos;
    const tailAt = pos;
    if (!putStr(query)) return -1;
    const formAt = pos;
    room(4);
    pos += 4;
    count = 0;
    if (form !== undefined && form !== null && (count = putPairs(form)) < 0) return -1;
    if (query === '' && count === 0) return tailAt;
    putLen(base + formAt, count);
    return pos;
  }

  // pack(), with anything a getter or a Proxy throws on the way sent the JSON way (which has its own answer).
  function packed(req) {
    try {
      return pack(req);
    } catch {
      return -1;
    }
  }

  const ascii = (m, at, n) => {
    let s = '';
    for (let i = 0; i < n; i++) s += String.fromCharCode(m[at + i]);
    return s;
  };

  // Whether the n ASCII bytes at m[at] spell s.
  const spells = (m, at, n, s) => {
    if (s.length !== n) return false;
    for (let i = 0; i < n; i++) if (m[at + i] !== s.charCodeAt(i)) return false;
    return true;
  };

  // The decision's client IP and method are most often the request's own remote_addr and method (or the method
  // of the previous decision): those strings are reused instead of building new ones.
  let lastMethod = '';
  function methodText(m, at, n) {
    if (spells(m, at, n, packedMethod)) return packedMethod;
    if (!spells(m, at, n, lastMethod)) lastMethod = ascii(m, at, n);
    return lastMethod;
  }

  function lastError() {
    return new PolicyError(JSON.parse(raw.last_error()));
  }

  class Policy {
    #raw;
    #ids = null;
    #warnings = null;

    constructor(token, rawPolicy) {
      if (token !== TOKEN) throw new TypeError('use compilePolicy() (sendcloud-gate/compiler), defaultPolicy() or Policy.fromBytes()');
      this.#raw = rawPolicy;
    }

    /** Loads a compiled policy from toBytes(); throws a PolicyError if the bytes are not one. */
    static fromBytes(bytes) {
      if (!(bytes instanceof Uint8Array)) throw new TypeError('Policy.fromBytes expects a Uint8Array');
      const p = raw.WasmPolicy.load(bytes);
      if (p === undefined) throw lastError();
      return new Policy(TOKEN, p);
    }

    /** The raw policy; a PolicyFreedError once free() was called. */
    #live() {
      const p = this.#raw;
      if (p === null) throw new PolicyFreedError();
      return p;
    }

    /** The decision for any value: never throws (except on a freed Policy). */
    decide(request) {
      const p = this.#live();
      try {
        const len = packed(request);
        if (len < 0) return JSON.parse(p.decide_json(requestJson(request)));
        p.decide(len);
        const m = mem();
        const rule = m[out + 2] | (m[out + 3] << 8);
        const ipLen = m[out + 4];
        const mLen = m[out + 5];
        return {
          action: ACTIONS[m[out]],
          reason: REASONS[m[out + 1]],
          rule: rule === 0 ? null : this.#ruleId(rule - 1),
          client_ip: ipLen === 0 ? null : spells(m, out + 6, ipLen, packedRa) ? packedRa : ascii(m, out + 6, ipLen),
          method: mLen === 0 ? null : methodText(m, out + 6 + ipLen, mLen),
        };
      } catch {
        // A value with no JSON text (a BigInt, a cycle, a getter, toJSON or Proxy trap that throws), or the engine
        // itself failed (a wasm trap: memory exhausted by a request of hundreds of MiB). Never allow.
        return malformed();
      }
    }

    /** decide() with the trace; never throws either (except on a freed Policy). */
    explain(request) {
      const p = this.#live();
      const len = packed(request);
      let text = null;
      if (len < 0) {
        try {
          text = requestJson(request);
        } catch (e) {
          return JSON.parse(raw.not_a_request(`the value has no JSON text (${describe(e)})`));
        }
      }
      try {
        return JSON.parse(len >= 0 ? p.explain(len) : p.explain_json(text));
      } catch (e) {
        return { ...malformed(), trace: [`the engine could not decide this request: ${describe(e)}`] };
      }
    }

    toBytes() {
      return this.#live().to_bytes();
    }

    show() {
      return JSON.parse(this.#live().show());
    }

    /**
     * What the policy allows that is probably not meant, `[{path, message}]` in policy order (empty for most
     * policies). Warnings never reject a policy. A fresh array on every read.
     */
    get warnings() {
      const p = this.#live();
      if (this.#warnings === null) this.#warnings = p.warnings();
      return JSON.parse(this.#warnings);
    }

    /**
     * Frees the policy's wasm memory now (otherwise it is freed when garbage-collected). Every method called on
     * the Policy afterwards throws a PolicyFreedError; calling free() again does nothing.
     */
    free() {
      const p = this.#raw;
      if (p === null) return;
      this.#raw = null;
      p.free();
    }

    #ruleId(i) {
      if (this.#ids === null) this.#ids = JSON.parse(this.#raw.ids());
      return this.#ids[i];
    }
  }

  function defaultPolicy() {
    // Loaded from the bytes the build compiled (crates/js/build.rs): this module has no compiler.
    const p = raw.WasmPolicy.default_policy();
    if (p === undefined) throw lastError();
    return new Policy(TOKEN, p);
  }

  let presetCache = null;
  function presets() {
    if (presetCache === null) presetCache = raw.presets_json();
    return JSON.parse(presetCache);
  }

  const version = () => raw.version();

  return { Policy, PolicyError, PolicyFreedError, defaultPolicy, presets, version };
}
