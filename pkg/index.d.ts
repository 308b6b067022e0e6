// Types of the `sendcloud-gate` package (hand-written; both entries, web.js and node.js, export exactly this).
// The shapes are the decision contract's (shared/spec/decision-contract.md).

/**
 * A request as the contract's JSON: what the host saw. Other keys are ignored; `undefined` is the same as absent.
 * decide() and explain() take any value, not only a Request: see Policy.decide.
 */
export interface Request {
  /** The TCP peer (PHP's REMOTE_ADDR). */
  remote_addr: string;
  /** The request-line method, any case. */
  method: string;
  /** The request target (path and query); absent, null or '' means "/". */
  uri?: string | null;
  /** Header names are case-insensitive; an array is a header that appeared more than once. */
  headers?: Record<string, string | string[]> | null;
  /**
   * The query string as the application sees it, when it may differ from the one in `uri` (PHP: QUERY_STRING,
   * which a rewrite rule may have changed). Read in addition to `uri`'s query. Absent, null or '' means none.
   */
  query?: string | null;
  /**
   * Body parameters the application parsed (PHP: $_POST): name → value, or an array of values for an array
   * parameter. Only the names the engine reads matter (`_method`, `ps_method`, `rest_route`); a host may pass only
   * those.
   */
  form?: Record<string, string | string[]> | null;
}

export type Action = 'allow' | 'deny' | 'pass';

export type Reason =
  | 'partner_match'
  | 'rule_match'
  | 'impersonation'
  | 'method_not_allowed'
  | 'ua_mismatch'
  | 'ambiguous_method_override'
  | 'malformed_input'
  | 'no_match';

export interface Decision {
  action: Action;
  reason: Reason;
  /** The id of the rule or partner that decided, or null. */
  rule: string | null;
  /** The resolved client address (IPv4 dotted quad, IPv6 per RFC 5952), or null when not resolved. */
  client_ip: string | null;
  /** The effective method, upper case, or null when not determined. */
  method: string | null;
}

/** Where a preset's data comes from. */
export interface Provenance {
  preset: string;
  title: string;
  source: string;
  verified: boolean;
  reviewed: string;
  note: string;
}

export interface Explanation extends Decision {
  /** The steps that led to the decision, in evaluation order; the wording is for people and may change. */
  trace: string[];
  /** Present when a preset partner decided. */
  provenance?: Provenance;
}

/** A policy as JSON (every key optional; unknown keys are errors). */
export interface PolicyJson {
  version?: 1;
  impersonation?: 'log' | 'deny';
  trusted_proxies?: {
    ranges?: string[];
    presets?: Array<'cloudflare' | 'loopback' | 'private'>;
    header?: 'x-forwarded-for' | 'forwarded' | 'x-real-ip' | 'cf-connecting-ip' | 'true-client-ip';
  };
  partners?: Array<
    | {
        preset: string;
        id?: string;
        enabled?: boolean;
        add_ip?: string[];
        add_methods?: string[];
        add_user_agents?: string[];
      }
    | {
        id: string;
        ip: string[];
        user_agents: string[];
        methods: string[];
        claims?: string[];
        enabled?: boolean;
      }
  >;
  rules?: Array<{
    id: string;
    action: Action;
    enabled?: boolean;
    ip?: string[];
    user_agents?: string[];
    methods?: string[];
    paths?: string[];
  }>;
}

/** The effective policy (`show()`): presets expanded, with their provenance. */
export interface ShownPolicy {
  version: 1;
  impersonation: 'log' | 'deny';
  trusted_proxies: { header: string; presets: string[]; ranges: string[] };
  partners: Array<{
    id: string;
    preset?: string;
    enabled: boolean;
    ip: string[];
    user_agents: string[];
    claims: string[];
    methods: string[];
    provenance?: Provenance;
  }>;
  rules: Array<{
    id: string;
    action: Action;
    enabled: boolean;
    ip?: string[];
    user_agents?: string[];
    methods?: string[];
    paths?: string[];
  }>;
}

/** A preset file: its provenance and data (`ip` for partners, `ranges` for trusted proxies). */
export interface Preset extends Provenance {
  kind: string;
  ip?: string[];
  ranges?: string[];
  user_agents?: string[];
  claims?: string[];
  methods?: string[];
  [key: string]: unknown;
}

/** Something a valid policy does that its author probably did not mean (`policy.warnings`). */
export interface PolicyWarning {
  /** JSON path of the rule or value in the policy, e.g. `rules[2]` or `rules[2].paths[0]`. */
  path: string;
  message: string;
}

/** Thrown by Policy.fromBytes(), and by compilePolicy() and exportPolicy() of `sendcloud-gate/compiler`. */
export class PolicyError extends Error {
  readonly name: 'PolicyError';
  /** JSON path of the offending value, e.g. `rules[1].ip[0]`; '' for errors about the whole text. */
  readonly path: string;
  /** 1-based line and column (bytes) in the policy text; 0 when not applicable (e.g. bytes). */
  readonly line: number;
  readonly column: number;
}

/**
 * Thrown by every method of a Policy (and by reading `warnings`) after its free(): message
 * `sendcloud-gate: this Policy was freed; compile or load a new one`.
 */
export class PolicyFreedError extends Error {
  readonly name: 'PolicyFreedError';
}

/**
 * A compiled policy. Holds wasm memory: freed when garbage-collected, or at once with free(); after free() every
 * method throws a PolicyFreedError.
 */
export class Policy {
  private constructor();
  /** Loads the bytes of toBytes(). Throws a PolicyError for bytes that are not a compiled policy. */
  static fromBytes(bytes: Uint8Array): Policy;
  /**
   * Decides one request. Takes any value and never throws (only a freed Policy throws, a PolicyFreedError). The
   * value means what its JSON text means (JSON.stringify; functions and Symbols count as values of the wrong type,
   * not as absent): a value that is not a request by the contract's JSON — undefined, null, a number, an array, a
   * field or header value of the wrong type — and a value with no JSON text at all — a BigInt anywhere in it, a
   * cycle, a getter, toJSON or Proxy trap that throws — is `pass` / `malformed_input` with rule, client_ip and
   * method null.
   */
  decide(request: Request): Decision;
  decide(request: unknown): Decision;
  /** decide() with the trace (and the deciding preset's provenance). Never throws either. */
  explain(request: Request): Explanation;
  explain(request: unknown): Explanation;
  /** The compiled form as versioned, checksummed bytes. */
  toBytes(): Uint8Array;
  /** The effective policy: presets expanded with their provenance. */
  show(): ShownPolicy;
  /**
   * The policy's warnings in policy order (often none): an allow rule without an `ip` condition (`rules[i]`), an
   * allow rule's path prefix that does not end in `/` (`rules[i].paths[j]`). Warnings never reject a policy. A
   * fresh array on every read; the same for a policy loaded from its bytes.
   */
  readonly warnings: PolicyWarning[];
  /** Frees the wasm memory now. Afterwards every method throws a PolicyFreedError; calling free() again does nothing. */
  free(): void;
}

/** The default policy: the Sendcloud preset, nothing else. */
export function defaultPolicy(): Policy;
/** The preset files, keyed by name, with their provenance. A fresh copy on every call. */
export function presets(): Record<string, Preset>;
/** The engine's version. */
export function version(): string;
/** Resolves when the wasm is loaded (already the case once the import has resolved). */
export const ready: Promise<void>;
export function init(): Promise<void>;
