// A tiny static file server for the tester page (no dependencies). Serves the repository root so that the page
// (/www/) can import the engine from /pkg/dist/. Loopback only. Used by `make serve` and by the browser tests.
//
//   node www/serve.mjs [--port 8080] [--host 127.0.0.1] [--root DIR]

import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const MIME = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.jsonl': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.map': 'application/json; charset=utf-8',
  '.ts': 'text/plain; charset=utf-8',
  '.md': 'text/plain; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.log': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Starts the server; resolves to {server, port, url, close()}. port 0 picks a free port. */
export function startServer({ root = REPO_ROOT, port = 0, host = '127.0.0.1', log = false } = {}) {
  const base = path.resolve(root);
  const server = http.createServer({ noDelay: true, keepAliveTimeout: 5000 }, (req, res) => {
    const send = (status, body, headers = {}) => {
      res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', ...headers });
      res.end(req.method === 'HEAD' ? undefined : body);
      if (log) console.log(`${status} ${req.method} ${req.url}`);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'method not allowed\n', { Allow: 'GET, HEAD' });
    let pathname;
    try {
      pathname = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    } catch {
      return send(400, 'bad request\n');
    }
    if (pathname === '/') return send(302, 'see /www/\n', { Location: '/www/' });
    if (pathname.includes('\0')) return send(400, 'bad request\n');
    // Dotfiles and dot-directories (.git, .ci, ...) are not served.
    if (pathname.split('/').some((seg) => seg.startsWith('.'))) return send(404, 'not found\n');
    let file = path.resolve(base, '.' + pathname);
    if (file !== base && !file.startsWith(base + path.sep)) return send(403, 'forbidden\n');
    fs.stat(file, (err, st) => {
      if (!err && st.isDirectory()) {
        if (!pathname.endsWith('/')) return send(301, 'moved\n', { Location: pathname + '/' });
        file = path.join(file, 'index.html');
        st = fs.existsSync(file) ? fs.statSync(file) : null;
      }
      if (err || !st || !st.isFile()) return send(404, 'not found\n');
      const type = MIME[path.extname(file).toLowerCase()] || 'application/octet-stream';
      // Revalidated on every load (no-cache) but answered 304 when unchanged, so reloads are cheap and edits show.
      const etag = `"${st.size.toString(16)}-${Math.floor(st.mtimeMs).toString(16)}"`;
      const headers = { 'Content-Type': type, 'Cache-Control': 'no-cache', ETag: etag, 'X-Content-Type-Options': 'nosniff' };
      if (req.headers['if-none-match'] === etag) {
        res.writeHead(304, headers);
        if (log) console.log(`304 ${req.method} ${req.url}`);
        return res.end();
      }
      // One write for headers and body (small files): no extra round trip on a fresh connection.
      fs.readFile(file, (rerr, data) => {
        if (rerr) return send(404, 'not found\n');
        res.writeHead(200, { ...headers, 'Content-Length': data.length });
        if (log) console.log(`200 ${req.method} ${req.url}`);
        res.end(req.method === 'HEAD' ? undefined : data);
      });
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const p = server.address().port;
      resolve({
        server,
        port: p,
        url: `http://${host}:${p}/www/`,
        close: () => new Promise((r) => { server.closeAllConnections?.(); server.close(() => r()); }),
      });
    });
  });
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const opt = (name, dflt) => {
    const i = args.indexOf(name);
    return i !== -1 && args[i + 1] ? args[i + 1] : dflt;
  };
  const port = Number(opt('--port', process.env.PORT || 8080));
  const host = opt('--host', '127.0.0.1');
  const root = opt('--root', REPO_ROOT);
  startServer({ root, port, host, log: args.includes('--log') }).then(
    ({ url }) => {
      console.log(`sendcloud-gate rule tester: ${url}`);
      console.log('(serving the repository root; Ctrl-C to stop)');
    },
    (e) => {
      console.error(`serve: cannot listen on ${host}:${port}: ${e.message}`);
      process.exit(1);
    },
  );
}
