import type { ApiRole } from '@rsi/ledger';

/**
 * Who may call each route of the API: ONE table, default deny. The global `RouteAccessGuard`
 * looks every request's route up here; a route that has no row answers 403
 * `route_without_rule`, and `test/route-access.e2e-spec.ts` walks every row with every role
 * and fails when the application has a route this table does not name.
 *
 * A new route: add its row here, `'<METHOD> <path as Nest declares it>'` (`:param` for a
 * path parameter), with the roles that may call it, or `PUBLIC` for a route that needs no
 * key. A developer key may call a route listed for `developer`, but only about its own
 * developer: the route's handler answers 404 for another developer's resources and filters
 * lists to its rows (`developerScopeOf`), so a route opened to developers must do that.
 */
export const PUBLIC = 'public' as const;

export type RouteAccess = readonly ApiRole[] | typeof PUBLIC;

const OPERATOR: RouteAccess = ['operator'];
/** Every role reads; a developer only what is its own. */
const READERS: RouteAccess = ['operator', 'developer', 'auditor', 'finance'];
/** Reads across developers only: no developer key. */
const PLATFORM_READERS: RouteAccess = ['operator', 'auditor', 'finance'];
const AUDITORS: RouteAccess = ['operator', 'auditor'];
const FINANCE: RouteAccess = ['operator', 'finance'];

export const ROUTE_ACCESS_TABLE: Readonly<Record<string, RouteAccess>> = {
  // health and the published seal key: anyone, no key
  'GET /health': PUBLIC,
  'GET /health/live': PUBLIC,
  'GET /health/ready': PUBLIC,
  // Prometheus metrics: an auditor key (read-only) is enough for a scraper (docs/operations.md#metrics)
  'GET /metrics': AUDITORS,
  'GET /v1/seal-public-key': PUBLIC,
  // who am I
  'GET /v1/session': READERS,
  // the developer ledger's commands
  'POST /v1/developers': OPERATOR,
  'POST /v1/developers/:developerId/erasure': OPERATOR,
  'POST /v1/apps': OPERATOR,
  'POST /v1/apps/:appId/contract-amendments': OPERATOR,
  'POST /v1/receipts': OPERATOR,
  'POST /v1/refunds': OPERATOR,
  'POST /v1/payouts': OPERATOR,
  'POST /v1/payouts/:payoutId/settlement': OPERATOR,
  'POST /v1/payouts/:payoutId/failure': OPERATOR,
  'POST /v1/payout-runs': OPERATOR,
  'POST /v1/disputes': OPERATOR,
  'POST /v1/disputes/:disputeId/resolution': OPERATOR,
  // the developer ledger's reads and exports
  'GET /v1/developers/:developerId/balances': READERS,
  'GET /v1/receipts/:receiptId/split': READERS,
  'GET /v1/splits': READERS,
  'GET /v1/exports/:name': READERS,
  // consumption and unit economics
  'POST /v1/consumption': OPERATOR,
  'POST /v1/consumption/batch': OPERATOR,
  'POST /v1/price-books': OPERATOR,
  'GET /v1/apps/:appId/unit-economics': READERS,
  // the transparency log
  'GET /v1/tree-heads/latest': READERS,
  'GET /v1/tree-heads/consistency': READERS,
  'GET /v1/tree-heads/inclusion': PLATFORM_READERS,
  // the audit surface
  'GET /v1/developers/:developerId/statements/:period': READERS,
  'GET /v1/seals': READERS,
  'GET /v1/seals/:period': READERS,
  'POST /v1/statements/verify': READERS,
  'POST /v1/verify-jobs': AUDITORS,
  'GET /v1/verify-jobs/:jobId': AUDITORS,
  'POST /v1/what-if': FINANCE,
  // finance's reconciliation against the provider's payout report: it only reads, so auditors may run it too
  'POST /v1/reconciliations/payouts': PLATFORM_READERS,
  'GET /v1/access-log': AUDITORS,
  'GET /v1/streams/:streamName/events': AUDITORS,
  // key management
  // who could act when: auditors read the keys too (never a secret)
  'GET /v1/keys': AUDITORS,
  'POST /v1/keys': OPERATOR,
  'POST /v1/keys/:keyId/revocation': OPERATOR,
  // webhook subscriptions (docs/operations.md#webhooks)
  'POST /v1/webhooks': OPERATOR,
  'GET /v1/webhooks': OPERATOR,
  'GET /v1/webhooks/:webhookId': OPERATOR,
  'POST /v1/webhooks/:webhookId/disable': OPERATOR,
  'POST /v1/webhooks/:webhookId/enable': OPERATOR,
  'POST /v1/webhooks/:webhookId/secret-rotation': OPERATOR,
  'POST /v1/webhooks/:webhookId/redelivery': OPERATOR,
  'GET /v1/webhooks/:webhookId/deliveries': OPERATOR,
  'DELETE /v1/webhooks/:webhookId': OPERATOR,
};

/**
 * Rows a documented setting widens, and only these: with `RSI_DEVELOPERS_REQUEST_PAYOUTS=own`
 * (`ApiSettings.developersRequestPayouts`), a developer key may request a payout of its own
 * developer (the handler answers another developer's id as unregistered). Off by default.
 */
export const ROUTE_ACCESS_WIDENED_BY_SETTING: Readonly<Record<string, { setting: 'developersRequestPayouts'; roles: readonly ApiRole[] }>> = {
  'POST /v1/payouts': { setting: 'developersRequestPayouts', roles: ['developer'] },
};
