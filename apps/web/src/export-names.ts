/**
 * The exports the finance dashboard offers: every export the server has
 * (`GET /v1/exports/:name`). test/web-export-names.e2e-spec.ts keeps this list equal to the
 * server's, which the browser bundle cannot import.
 */
export const EXPORT_NAMES: readonly string[] = [
  'splits', 'refunds', 'disputes', 'payouts', 'payout-runs', 'balances', 'platform-share', 'ledger-entries',
  'consumption', 'unit-economics', 'revenue-categories', 'price-books',
];
