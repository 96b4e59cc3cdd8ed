// A small static file server for web/ on 127.0.0.1 with the page's security headers.
//   node scripts/web/serve.mjs [--root web] [--port 8000] [--quiet]
// Binds only to the loopback address; refuses paths outside the root. Sends text, wasm and the model gzip-encoded
// when the client accepts it (images are already compressed); a static host without compression is what the
// page's byte budget is measured against too (docs/benchmarks.md).
import { createServer } from 'node:http';
import { gzipSync } from 'node:zlib';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, resolve, sep } from 'node:path';

const args = process.argv.slice(2);
const opt = (name, dflt) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : dflt; };
const root = resolve(opt('--root', 'web'));
const port = Number(opt('--port', 8000));
const quiet = args.includes('--quiet');

export const CSP = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "style-src 'self'",
  "img-src 'self' blob:",
  "worker-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8', '.json': 'application/json', '.webmanifest': 'application/manifest+json',
  '.wasm': 'application/wasm', '.bin': 'application/octet-stream', '.png': 'image/png', '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg', '.webp': 'image/webp', '.svg': 'image/svg+xml', '.ico': 'image/x-icon', '.md': 'text/plain; charset=utf-8',
};

// Compressed once per file version (the ETag), kept in memory: the dev server serves one small tree.
const GZIP_TYPES = new Set(['.html', '.js', '.mjs', '.css', '.json', '.webmanifest', '.wasm', '.bin', '.svg', '.md']);
const gzipCache = new Map();

const server = createServer(async (req, res) => {
  const url = new URL(req.url, 'http://127.0.0.1');
  let path = decodeURIComponent(url.pathname);
  if (path.endsWith('/')) path += 'index.html';
  const file = normalize(join(root, path));
  const headers = {
    'Content-Security-Policy': CSP,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cache-Control': 'no-cache',
  };
  if (file !== root && !file.startsWith(root + sep)) { res.writeHead(403, headers).end('forbidden'); return; }
  try {
    const s = await stat(file);
    if (!s.isFile()) throw new Error('not a file');
    headers['Content-Type'] = TYPES[extname(file).toLowerCase()] || 'application/octet-stream';
    // no-cache: the browser may keep a copy but asks each time; an unchanged file is a 304.
    const gzip = GZIP_TYPES.has(extname(file).toLowerCase()) && /\bgzip\b/.test(req.headers['accept-encoding'] || '');
    const etag = `W/"${s.size.toString(16)}-${Math.floor(s.mtimeMs).toString(16)}${gzip ? '-gz' : ''}"`;
    headers.ETag = etag;
    headers.Vary = 'Accept-Encoding';
    if ((req.headers['if-none-match'] || '').split(/\s*,\s*/).includes(etag)) { res.writeHead(304, headers).end(); return; }
    let body = await readFile(file);
    if (gzip) {
      if (!gzipCache.has(file + etag)) gzipCache.set(file + etag, gzipSync(body, { level: 9 }));
      body = gzipCache.get(file + etag);
      headers['Content-Encoding'] = 'gzip';
    }
    headers['Content-Length'] = body.length;
    res.writeHead(200, headers).end(req.method === 'HEAD' ? undefined : body);
  } catch {
    res.writeHead(404, { ...headers, 'Content-Type': 'text/plain' }).end('not found');
  }
  if (!quiet) console.log(req.method, url.pathname, res.statusCode);
});

server.listen(port, '127.0.0.1', () => {
  console.log(`serving ${root} at http://127.0.0.1:${server.address().port}/`);
});
