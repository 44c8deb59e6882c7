import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { NextFunction, Request, Response } from 'express';

/**
 * The web application (apps/web, built by `npm run build` into dist/web) served at `/` by the
 * same server as /v1: same origin, so the page's requests carry the API key to this server
 * only. Only `/`, `/index.html` and `/assets/<file>` are answered here; everything else goes
 * on to Nest. The Content-Security-Policy allows this origin alone: no script, style, font,
 * image or request may go anywhere else (no CDN, no network beyond the ledger at run time).
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self' data: blob:", "font-src 'self'",
  "connect-src 'self'", "object-src 'none'", "base-uri 'none'", "form-action 'self'", "frame-ancestors 'none'",
].join('; ');
const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml', '.png': 'image/png', '.ico': 'image/x-icon', '.woff2': 'font/woff2', '.json': 'application/json',
};
const ASSET_NAME_PATTERN = /^\/assets\/([A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*\.(?:js|css|svg|png|ico|woff2))$/;

/** dist/web, from the compiled server (dist/apps/api/src/http) or from the sources (tests). */
export function defaultWebRoot(): string | null {
  const candidates = [resolve(__dirname, '../../../../web'), resolve(__dirname, '../../../../dist/web')];
  return candidates.find((candidate) => existsSync(join(candidate, 'index.html'))) ?? null;
}

export function webApplicationHandler(webRoot: string | null) {
  const cache = new Map<string, Buffer>();
  const fileOf = async (relativePath: string): Promise<Buffer | null> => {
    if (webRoot === null) return null;
    const cached = cache.get(relativePath);
    if (cached) return cached;
    try {
      const content = await readFile(join(webRoot, relativePath));
      cache.set(relativePath, content);
      return content;
    } catch {
      return null;
    }
  };
  return (request: Request, response: Response, next: NextFunction): void => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return next();
    const path = request.path;
    let relativePath: string | null = null;
    if (path === '/' || path === '/index.html') relativePath = 'index.html';
    else {
      const asset = ASSET_NAME_PATTERN.exec(path);
      if (asset) relativePath = join('assets', asset[1]!);
    }
    if (relativePath === null) return next();
    fileOf(relativePath).then((content) => {
      response.setHeader('Content-Security-Policy', CONTENT_SECURITY_POLICY);
      response.setHeader('X-Content-Type-Options', 'nosniff');
      response.setHeader('Referrer-Policy', 'no-referrer');
      response.setHeader('X-Frame-Options', 'DENY');
      if (content === null) {
        response.status(404).type('text/plain').send(relativePath === 'index.html'
          ? 'The web application is not built: run "npm run build" (it writes dist/web).\n'
          : 'Not found\n');
        return;
      }
      const extension = relativePath.slice(relativePath.lastIndexOf('.'));
      response.setHeader('Content-Type', CONTENT_TYPES[extension] ?? 'application/octet-stream');
      // Asset names carry a content hash: they never change. The page itself is always revalidated.
      response.setHeader('Cache-Control', relativePath === 'index.html' ? 'no-cache' : 'public, max-age=31536000, immutable');
      response.status(200).end(request.method === 'HEAD' ? undefined : content);
    }).catch(next);
  };
}
