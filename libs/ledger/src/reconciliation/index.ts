/** The reconciliation room: a provider's payout report against the ledger's payouts (docs/cli.md "reconcile payouts"). */
export { PAYOUT_REPORT_COLUMNS, PROVIDER_STATUS_OF, PayoutReportRefused, parsePayoutReport } from './payout-report.parser';
export type { LedgerPayoutStatus, ProviderPayout } from './payout-report.parser';
export { RECONCILIATION_CATEGORIES, reconcilePayouts, reconciliationAsCsv } from './payout-reconciliation';
export type { LedgerPayout, PayoutReconciliation, ReconciledPayout, ReconciliationCategory, ReconciliationPeriod } from './payout-reconciliation';
export { ledgerPayoutsOf, reconcilePayoutReport } from './payout-reconciliation.read';
