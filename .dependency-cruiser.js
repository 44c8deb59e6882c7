// Dependency rules checked in CI (`npm run depcheck`).
// The domain must stay pure: no framework, no database, no event-store client, no I/O,
// and nothing that can read a clock or a random source. The clock and randomness rules
// cover modules; the grep in `.ci/run` covers calls such as Date.now() inside the domain.
/** What runs in the browser: the web client and the ledger's browser-safe entry with what it reaches. */
const BROWSER_CODE = [
  '^apps/web/src/',
  '^libs/ledger/src/browser\\.ts$',
  '^libs/ledger/src/audit/verifier/',
  '^libs/ledger/src/audit/(statement-line|statement-document|accounting-period)\\.ts$',
];

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'domain-imports-no-framework-or-io',
      severity: 'error',
      comment: 'libs/domain is pure: it decides and evolves; adapters live elsewhere.',
      from: { path: '^libs/domain/' },
      to: {
        path: [
          'node_modules/@nestjs/',
          'node_modules/typeorm/',
          'node_modules/pg/',
          'node_modules/pg-',
          'node_modules/@eventstore/',
          'node_modules/@electric-sql/',
          'node_modules/class-validator/',
          'node_modules/uuid/',
          'node_modules/nanoid/',
        ],
      },
    },
    {
      name: 'domain-imports-no-node-io-clock-or-randomness',
      severity: 'error',
      comment: 'crypto (randomness), fs, net, timers, perf_hooks and process-level modules are adapters\' business.',
      from: { path: '^libs/domain/' },
      to: { dependencyTypes: ['core'], path: '^(node:)?(crypto|fs|fs/promises|net|http|https|child_process|timers|timers/promises|perf_hooks|os|worker_threads|dgram|dns|tls|cluster)$' },
    },
    {
      name: 'domain-imports-only-domain',
      severity: 'error',
      comment: 'The domain depends on nothing else in this repository.',
      from: { path: '^libs/domain/' },
      to: { path: '^(apps|libs/(?!domain/)|migrations|test|bench)/' },
    },
    {
      name: 'production-imports-no-test-support',
      severity: 'error',
      comment: 'Sample-data generators serve the tests, the bench and the demo\'s sample platform, never the ledger itself.',
      from: { path: '^(apps|libs)/', pathNot: ['^libs/test-support/', '^apps/cli/src/demo-platform\\.ts$'] },
      to: { path: '^libs/test-support/' },
    },
    {
      name: 'library-imported-through-its-entry',
      severity: 'error',
      comment: 'Code outside a library imports only its public entry (@rsi/<library>, libs/<library>/src/index.ts), '
        + 'so a library may move its files without breaking another.',
      from: { path: '^libs/([^/]+)/' },
      to: { path: '^libs/', pathNot: ['^libs/$1/', '^libs/[^/]+/src/index\\.ts$', '^libs/ledger/src/browser\\.ts$'] },
    },
    {
      name: 'application-imports-library-entries-only',
      severity: 'error',
      comment: 'Applications, tests and the bench import a library only through its public entry (the domain\'s '
        + 'test helpers have an entry of their own, @rsi/domain/testing, for tests).',
      from: { path: '^(apps|test|bench|migrations)/' },
      to: { path: '^libs/', pathNot: ['^libs/[^/]+/src/index\\.ts$', '^libs/domain/src/testing/index\\.ts$', '^libs/ledger/src/browser\\.ts$'] },
    },
    {
      name: 'event-store-below-projections',
      severity: 'error',
      comment: 'The rooms build on each other in one direction: domain <- database <- event-store <- projections <- ledger. '
        + 'The event store stores and reads events; it never imports what projects or decides them.',
      from: { path: '^libs/event-store/' },
      to: { path: '^libs/(projections|ledger)/' },
    },
    {
      name: 'database-below-event-store',
      severity: 'error',
      comment: 'The database room opens connections and runs migrations; it knows no events.',
      from: { path: '^libs/database/' },
      to: { path: '^libs/(event-store|projections|ledger)/' },
    },
    {
      name: 'projections-below-ledger',
      severity: 'error',
      comment: 'The projections room applies events to tables; it does not import the ledger that writes them.',
      from: { path: '^libs/projections/' },
      to: { path: '^libs/ledger/' },
    },
    {
      name: 'libraries-import-no-application',
      severity: 'error',
      comment: 'Libraries never import the API, the CLI, the tests or the bench (a spec beside the code may use the test support).',
      from: { path: '^libs/', pathNot: '\\.spec\\.ts$' },
      to: { path: '^(apps|test|bench)/' },
    },
    {
      name: 'feature-internals-are-private',
      severity: 'error',
      comment: 'A feature room of the ledger (developer-ledger, consumption, audit) is used by the other rooms only '
        + 'through its index.ts; the library entry (libs/ledger/src/index.ts) is the one file that reaches inside.',
      from: { path: '^libs/ledger/src/([^/]+)/' },
      to: {
        path: '^libs/ledger/src/(developer-ledger|consumption|audit|access)/',
        pathNot: ['^libs/ledger/src/$1/', '^libs/ledger/src/(developer-ledger|consumption|audit|access)/index\\.ts$'],
      },
    },
    {
      name: 'browser-code-imports-no-node-module',
      severity: 'error',
      comment: 'The web application and the browser-safe entry of the ledger (@rsi/ledger/browser: the offline statement '
        + 'verifier) run in the page: no node: module (hashing and signatures come from @noble/hashes and @noble/curves).',
      from: { path: BROWSER_CODE, pathNot: '\\.spec\\.ts$' },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'browser-code-imports-browser-code-only',
      severity: 'error',
      comment: 'What the page runs imports only other browser code, the domain (pure) and the @noble, preact and chart.js '
        + 'packages: never the server side of the ledger (Nest, TypeORM, the database driver, the event store).',
      from: { path: BROWSER_CODE, pathNot: '\\.spec\\.ts$' },
      to: {
        dependencyTypesNot: ['type-only'],
        pathNot: [...BROWSER_CODE, '^libs/domain/', '^node_modules/(@noble|preact|chart\\.js|@kurkle)/'],
      },
    },
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'No cycle of run-time imports (a type-only import leaves nothing in the JavaScript).',
      from: {},
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)dist/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
