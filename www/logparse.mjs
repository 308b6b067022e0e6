// Access-log parsing for the replay panel. Pure JS, no DOM, no decision logic: it only turns a log line into the
// engine's request shape ({remote_addr, method, uri, headers}). Used by the replay worker and by the Node tests.
//
// Accepted lines (Apache / nginx):
//   common:    host ident authuser [date] "request" status bytes
//   combined:  common + "referer" "user-agent"
//   combined + one trailing quoted field: the X-Forwarded-For header as logged ("-" = absent)
// An optional leading virtual-host token (Apache's vhost_combined, "example.com:443 ...") is skipped.
// Quoted fields may contain backslash escapes (\" \\ \xHH), as both servers write them.
// The fixtures in tests/logs/ are read by this parser (www/test/logs.test.mjs) and by the command line's `replay`
// (crates/cli/tests/replay.rs): both must give the same requests.

const QUOTED = String.raw`"((?:[^"\\]|\\.)*)"`;
// Separators are spaces and tabs only (the Rust parser, crates/cli/src/logformat.rs, reads the same bytes).
const SP = '[ \\t]+';
const TOKEN = '([^ \\t]+)';
const LINE_RE = new RegExp(
  `^(?:${TOKEN}${SP})??${TOKEN}${SP}${TOKEN}${SP}${TOKEN}${SP}\\[([^\\]]*)\\]${SP}${QUOTED}` +
    `${SP}(\\d{3}|-)${SP}${TOKEN}` +
    `(?:${SP}${QUOTED}${SP}${QUOTED}(?:${SP}${QUOTED})?)?` +
    '[ \\t]*$',
);

// \" -> ", \\ -> \, \xHH -> the character (ASCII only; other bytes stay as written, since a log line is text here).
export function unescapeField(s) {
  if (s.indexOf('\\') === -1) return s;
  return s.replace(/\\(x[0-9a-fA-F]{2}|.)/g, (m, e) => {
    if (e.length === 3) {
      const code = parseInt(e.slice(1), 16);
      return code < 0x80 ? String.fromCharCode(code) : m;
    }
    if (e === 'n') return '\n';
    if (e === 't') return '\t';
    return e;
  });
}

/**
 * Parses one access-log line.
 * @returns {{ok: true, request: object, status: string, time: string, ua: string|null, xff: string|null}
 *          | {ok: false, error: string}}
 */
export function parseLogLine(line) {
  if (line.length > 65536) return { ok: false, error: 'line longer than 64 KiB' };
  const m = LINE_RE.exec(line);
  if (!m) return { ok: false, error: 'not in common or combined log format' };
  const host = m[2];
  const requestLine = unescapeField(m[6]);
  const status = m[7];
  // The request line is "METHOD target [protocol]". Servers log "-" or raw bytes for requests they could not read.
  const parts = requestLine.split(' ');
  if (parts.length < 2 || parts.length > 3 || parts[0] === '' || parts[1] === '') {
    return { ok: false, error: `request line ${JSON.stringify(truncate(requestLine, 60))} has no method and target` };
  }
  const headers = {};
  let ua = null;
  let xff = null;
  if (m[9] !== undefined) {
    const rawUa = unescapeField(m[10]);
    if (rawUa !== '-' && rawUa !== '') {
      ua = rawUa;
      headers['User-Agent'] = ua;
    }
  }
  if (m[11] !== undefined) {
    const rawXff = unescapeField(m[11]);
    if (rawXff !== '-' && rawXff !== '') {
      xff = rawXff;
      headers['X-Forwarded-For'] = xff;
    }
  }
  return {
    ok: true,
    request: { remote_addr: host, method: parts[0], uri: parts[1], headers },
    status,
    time: m[5],
    ua,
    xff,
  };
}

export function truncate(s, n) {
  return s.length > n ? s.slice(0, n - 1) + '…' : s;
}

/**
 * Splits a log text into lines (LF or CRLF), calling fn(line, lineNumber) for each non-blank line.
 * Line numbers are 1-based and count blank lines too, so they match the file.
 */
export function forEachLine(text, fn) {
  let start = 0;
  let n = 0;
  const len = text.length;
  while (start < len) {
    let end = text.indexOf('\n', start);
    if (end === -1) end = len;
    n++;
    let line = text.slice(start, end);
    if (line.endsWith('\r')) line = line.slice(0, -1);
    if (line.trim() !== '') fn(line, n);
    start = end + 1;
  }
  return n;
}
