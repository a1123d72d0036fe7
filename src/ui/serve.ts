// The operator page at /ui: static files only (the page talks to /graphql like any client). Its own
// files live in the package's ui/ folder; the chart library is uPlot's minified build from its npm
// package. Nothing is fetched from elsewhere: a Content-Security-Policy of 'self' makes sure of it.
// The files hold no data, so they are served without a token (like /healthz); the data needs one.
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import type { IncomingMessage, ServerResponse } from 'node:http';

interface Asset {
  readonly file: string;
  readonly type: string;
}

/** The package's ui/ folder: beside src/ when run from source, beside dist/ when built. */
function uiDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'ui', 'index.html'))) {
      return join(dir, 'ui');
    }
    dir = dirname(dir);
  }
  throw new Error(`ui/index.html not found above ${fileURLToPath(import.meta.url)}`);
}

function assets(): Map<string, Asset> {
  const ui = uiDir();
  const uplot = dirname(createRequire(import.meta.url).resolve('uplot'));
  const html = 'text/html; charset=utf-8';
  return new Map([
    ['/ui', { file: join(ui, 'index.html'), type: html }],
    ['/ui/', { file: join(ui, 'index.html'), type: html }],
    ['/ui/app.js', { file: join(ui, 'app.js'), type: 'text/javascript; charset=utf-8' }],
    ['/ui/style.css', { file: join(ui, 'style.css'), type: 'text/css; charset=utf-8' }],
    ['/ui/uplot.js', { file: join(uplot, 'uPlot.iife.min.js'), type: 'text/javascript; charset=utf-8' }],
    ['/ui/uplot.css', { file: join(uplot, 'uPlot.min.css'), type: 'text/css; charset=utf-8' }],
  ]);
}

interface Loaded {
  readonly type: string;
  readonly body: Buffer;
  readonly gzip: Buffer;
}

const SECURITY_HEADERS = {
  // Only this origin: no CDN, no outside request can leave the page.
  'content-security-policy':
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'cache-control': 'no-cache',
};

let table: Map<string, Asset> | undefined;
const loaded = new Map<string, Promise<Loaded>>();

async function load(asset: Asset): Promise<Loaded> {
  const body = await readFile(asset.file);
  return { type: asset.type, body, gzip: gzipSync(body) };
}

/** Whether a request path is the page's (/ui, /ui/…). */
export function isUiPath(path: string): boolean {
  return path === '/ui' || path.startsWith('/ui/');
}

/** Serves GET/HEAD of /ui and its files; answers true when the request was for the page. */
export function serveUi(req: IncomingMessage, res: ServerResponse): boolean {
  const path = (req.url ?? '/').split('?')[0]!;
  if (!isUiPath(path)) return false;
  try {
    table ??= assets();
  } catch (err) {
    res.writeHead(500, { 'content-type': 'text/plain' });
    res.end(`the operator page is not installed: ${String(err)}\n`);
    return true;
  }
  const asset = table.get(path);
  if (asset === undefined || (req.method !== 'GET' && req.method !== 'HEAD')) {
    res.writeHead(asset === undefined ? 404 : 405, { 'content-type': 'text/plain', ...SECURITY_HEADERS });
    res.end(asset === undefined ? 'not found\n' : 'method not allowed\n');
    return true;
  }
  let p = loaded.get(path);
  if (p === undefined) {
    p = load(asset);
    loaded.set(path, p);
  }
  p.then(
    (a) => {
      const gzip = /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
      const body = gzip ? a.gzip : a.body;
      res.writeHead(200, {
        'content-type': a.type,
        'content-length': String(body.length),
        vary: 'accept-encoding',
        ...(gzip ? { 'content-encoding': 'gzip' } : {}),
        ...SECURITY_HEADERS,
      });
      res.end(req.method === 'HEAD' ? undefined : body);
    },
    (err: unknown) => {
      loaded.delete(path);
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(`cannot read ${asset.file}: ${String(err)}\n`);
    },
  );
  return true;
}
