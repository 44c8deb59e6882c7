import preact from '@preact/preset-vite';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// The web application: built by `npm run build` into dist/web, served by `rsi-ledger serve`
// at `/` (same origin as /v1). Every asset is bundled here: no CDN, no font or script from
// elsewhere at run time (the server's Content-Security-Policy allows 'self' only).
const repositoryRoot = fileURLToPath(new URL('../..', import.meta.url));

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  plugins: [preact()],
  resolve: {
    alias: {
      '@rsi/ledger/browser': `${repositoryRoot}libs/ledger/src/browser.ts`,
      '@rsi/domain': `${repositoryRoot}libs/domain/src/index.ts`,
    },
  },
  build: {
    outDir: `${repositoryRoot}dist/web`,
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    chunkSizeWarningLimit: 1024,
  },
});
