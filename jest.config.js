// Tests are compiled by ts-jest on the pinned TypeScript 5.9 (the native TypeScript 7
// compiler has no JavaScript API). Transpile only: the type check runs separately in CI
// (`npm run typecheck`), so each test file need not be type-checked again here.
// swc was tried first and dropped: its per-platform binaries are not all on the
// registry this project installs from, so its lock file could not pass `npm ci`.
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/libs', '<rootDir>/apps', '<rootDir>/test'],
  testMatch: ['**/*.spec.ts', '**/*.e2e-spec.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.spec.json', diagnostics: false }],
    // @noble/curves 2 (the offline verifier's Ed25519) ships ECMAScript modules only: node loads
    // them with require() (node >= 20.19), jest's module system needs them compiled to CommonJS.
    '^.+/node_modules/@noble/.+\\.js$': ['ts-jest', { tsconfig: { allowJs: true, module: 'commonjs', target: 'ES2022' }, diagnostics: false }],
  },
  transformIgnorePatterns: ['/node_modules/(?!@noble/)'],
  // The path aliases of tsconfig.json: each library's public entry.
  moduleNameMapper: {
    '^@rsi/domain/testing$': '<rootDir>/libs/domain/src/testing/index.ts',
    '^@rsi/ledger/browser$': '<rootDir>/libs/ledger/src/browser.ts',
    '^@rsi/([a-z-]+)$': '<rootDir>/libs/$1/src/index.ts',
  },
  testTimeout: 120000,
  // Two cores: integration suites share one PostgreSQL, so they run with bounded parallelism.
  maxWorkers: 2,
};
