import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { ServerResponse } from 'node:http';

interface StaticFile {
  readonly path: string;
  readonly type: string;
}

const require = createRequire(import.meta.url);
const web = (name: string) => fileURLToPath(new URL(`../web/${name}`, import.meta.url));
const uplot = (name: string) => require.resolve(`uplot/dist/${name}`);

/**
 * The web page's files: a fixed table from URL to file, so no request path ever
 * reaches the file system. The page holds no data (it asks the API with the
 * user's token), so these are served without one.
 */
const FILES: Record<string, StaticFile> = {
  '/': { path: web('index.html'), type: 'text/html; charset=utf-8' },
  '/app.js': { path: web('app.js'), type: 'text/javascript; charset=utf-8' },
  '/style.css': { path: web('style.css'), type: 'text/css; charset=utf-8' },
  '/vendor/uplot.js': { path: uplot('uPlot.iife.min.js'), type: 'text/javascript; charset=utf-8' },
  '/vendor/uplot.css': { path: uplot('uPlot.min.css'), type: 'text/css; charset=utf-8' },
};

export function isStaticPath(path: string): boolean {
  return Object.hasOwn(FILES, path);
}

/** Sends the file for `path` (read on each request, so an edited page shows on reload). */
export function sendStatic(path: string, res: ServerResponse): void {
  const file = FILES[path];
  const body = readFileSync(file.path);
  res.writeHead(200, {
    'content-type': file.type,
    'content-length': body.length,
    'cache-control': 'no-cache',
    'x-content-type-options': 'nosniff',
    'content-security-policy': "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; style-src 'self' 'unsafe-inline'",
  });
  res.end(body);
}
