// Tests are compiled by swc (TypeScript 5.9 is pinned for the type check and the build;
// ts-jest is not used because the type check already runs separately in CI).
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/libs', '<rootDir>/apps', '<rootDir>/test'],
  testMatch: ['**/*.spec.ts', '**/*.e2e-spec.ts'],
  transform: {
    '^.+\\.ts$': ['@swc/jest', {
      jsc: {
        parser: { syntax: 'typescript', decorators: true },
        transform: { legacyDecorator: true, decoratorMetadata: true },
        target: 'es2022',
      },
      module: { type: 'commonjs' },
    }],
  },
  testTimeout: 120000,
  // Two cores: integration suites share one PostgreSQL, so they run with bounded parallelism.
  maxWorkers: 2,
};
