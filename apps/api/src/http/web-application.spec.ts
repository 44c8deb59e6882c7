import { ExpressAdapter } from '@nestjs/platform-express';
import type { Express } from 'express';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import request from 'supertest';
import { webApplicationHandler } from './web-application';

describe('the web application handler', () => {
  let webRoot: string;
  const appOf = (root: string | null) => {
    // The express instance Nest's adapter makes (the server `serve` runs on).
    const app = new ExpressAdapter().getInstance<Express>();
    app.use(webApplicationHandler(root));
    app.use((_request, response) => { response.status(418).send('next'); });
    return app;
  };

  beforeAll(() => {
    webRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'rsi-web-root-'));
    fs.mkdirSync(path.join(webRoot, 'assets'));
    fs.writeFileSync(path.join(webRoot, 'index.html'), '<!doctype html><script type="module" src="/assets/index-abc.js"></script>');
    fs.writeFileSync(path.join(webRoot, 'assets', 'index-abc.js'), 'console.log(1)');
    fs.writeFileSync(path.join(webRoot, 'secret.txt'), 'not served');
  });

  afterAll(() => fs.rmSync(webRoot, { recursive: true, force: true }));

  it('serves the page and its hashed assets under a self-only Content-Security-Policy', async () => {
    const page = await request(appOf(webRoot)).get('/').expect(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.headers['content-security-policy']).toContain("connect-src 'self'");
    expect(page.headers['cache-control']).toBe('no-cache');
    const asset = await request(appOf(webRoot)).get('/assets/index-abc.js').expect(200);
    expect(asset.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(asset.headers['cache-control']).toContain('immutable');
  });

  it('leaves every other path to the API, and serves nothing outside assets/', async () => {
    await request(appOf(webRoot)).get('/v1/session').expect(418);
    await request(appOf(webRoot)).get('/secret.txt').expect(418);
    await request(appOf(webRoot)).get('/assets/..%2Fsecret.txt').expect(418);
    await request(appOf(webRoot)).get('/assets/missing-1.js').expect(404);
    await request(appOf(webRoot)).post('/').expect(418);
  });

  it('says to build when there is no build', async () => {
    const response = await request(appOf(null)).get('/').expect(404);
    expect(response.text).toContain('npm run build');
  });
});
