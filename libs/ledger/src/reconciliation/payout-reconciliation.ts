import { formatMoney } from '@rsi/domain';
import { csvRow } from '../core/csv';
import type { LedgerPayoutStatus, ProviderPayout } from './payout-report.parser';

/** A payout as the ledger's payouts read model has it. */
export type LedgerPayout = {
  readonly payoutId: string;
  /** The provider's reference recorded by SettlePayout, if any. */
  readonly reference: string | null;
  readonly developerId: string;
  readonly amountMinor: bigint;
  readonly currency: string;
  readonly status: LedgerPayoutStatus;
  readonly requestedAt: string;
  readonly settledAt: string | null;
  readonly failedAt: string | null;
};

/** One line of the reconciliation: what the ledger and the report say, amounts as decimal strings. */
export type ReconciledPayout = {
  payoutId: string | null;
  reference: string | null;
  developerId: string | null;
  ledgerAmount: string | null;
  ledgerCurrency: string | null;
  ledgerStatus: LedgerPayoutStatus | null;
  requestedAt: string | null;
  reportAmount: string | null;
  reportCurrency: string | null;
  reportStatus: LedgerPayoutStatus | null;
  providerStatus: string | null;
  reportDate: string | null;
  reportLine: number | null;
};

/** The report's period: ledger payouts requested in [from, to) are expected in it (an end left null is open). */
export type ReconciliationPeriod = { from: string | null; to: string | null };

export type PayoutReconciliation = {
  /** True when every payout of the ledger (of the period) and every row of the report match. */
  allMatched: boolean;
  period: ReconciliationPeriod;
  summary: {
    ledgerPayouts: number; reportRows: number; matched: number; missingFromReport: number; missingFromLedger: number;
    amountMismatches: number; statusMismatches: number;
  };
  matched: ReconciledPayout[];
  missingFromReport: ReconciledPayout[];
  missingFromLedger: ReconciledPayout[];
  /** Same payout, another amount or currency (a payout may be in this list and in statusMismatches). */
  amountMismatches: ReconciledPayout[];
  statusMismatches: ReconciledPayout[];
};

export const RECONCILIATION_CATEGORIES = ['matched', 'missingFromReport', 'missingFromLedger', 'amountMismatches', 'statusMismatches'] as const;
export type ReconciliationCategory = (typeof RECONCILIATION_CATEGORIES)[number];

function lineOf(ledger: LedgerPayout | null, report: ProviderPayout | null): ReconciledPayout {
  return {
    payoutId: ledger?.payoutId ?? null,
    reference: report?.reference ?? ledger?.reference ?? null,
    developerId: ledger?.developerId ?? null,
    ledgerAmount: ledger === null ? null : formatMoney(ledger.amountMinor, ledger.currency),
    ledgerCurrency: ledger?.currency ?? null,
    ledgerStatus: ledger?.status ?? null,
    requestedAt: ledger?.requestedAt ?? null,
    reportAmount: report === null ? null : formatMoney(report.amountMinor, report.currency),
    reportCurrency: report?.currency ?? null,
    reportStatus: report?.status ?? null,
    providerStatus: report?.providerStatus ?? null,
    reportDate: report?.date ?? null,
    reportLine: report?.line ?? null,
  };
}

/**
 * Compares the ledger's payouts with a provider's report. A report row belongs to the ledger
 * payout whose payout id is its reference, or else whose recorded reference (SettlePayout) is
 * it. Then: same amount (bigint minor units) and currency, and same status once mapped, is
 * matched; otherwise an amount and/or a status mismatch. Ledger payouts no row names are
 * missing from the report; rows that name no payout are missing from the ledger. Pure.
 *
 * A provider's report covers a period: with `period`, only the ledger payouts requested in it
 * are expected in the report (one requested outside it is not "missing"), while every row of
 * the report is still matched against all the ledger's payouts (a payout requested just before
 * the period may be paid in it). Instants compare as milliseconds since the epoch.
 */
export function reconcilePayouts(
  ledgerPayouts: readonly LedgerPayout[],
  reportRows: readonly ProviderPayout[],
  period: ReconciliationPeriod = { from: null, to: null },
): PayoutReconciliation {
  const inPeriod = (payout: LedgerPayout) =>
    (period.from === null || Date.parse(payout.requestedAt) >= Date.parse(period.from)) && (period.to === null || Date.parse(payout.requestedAt) < Date.parse(period.to));
  const expected = ledgerPayouts.filter(inPeriod);
  const byPayoutId = new Map(ledgerPayouts.map((payout) => [payout.payoutId, payout]));
  const byReference = new Map<string, LedgerPayout>();
  for (const payout of ledgerPayouts) if (payout.reference !== null && !byReference.has(payout.reference)) byReference.set(payout.reference, payout);
  const claimed = new Set<string>();
  const result: PayoutReconciliation = {
    allMatched: false,
    period,
    summary: { ledgerPayouts: expected.length, reportRows: reportRows.length, matched: 0, missingFromReport: 0, missingFromLedger: 0, amountMismatches: 0, statusMismatches: 0 },
    matched: [], missingFromReport: [], missingFromLedger: [], amountMismatches: [], statusMismatches: [],
  };
  for (const row of reportRows) {
    let payout = byPayoutId.get(row.reference) ?? byReference.get(row.reference);
    if (payout !== undefined && claimed.has(payout.payoutId)) payout = undefined; // a second row for one payout is not that payout
    if (payout === undefined) {
      result.missingFromLedger.push(lineOf(null, row));
      continue;
    }
    claimed.add(payout.payoutId);
    const line = lineOf(payout, row);
    const amountDiffers = payout.amountMinor !== row.amountMinor || payout.currency !== row.currency;
    const statusDiffers = payout.status !== row.status;
    if (amountDiffers) result.amountMismatches.push(line);
    if (statusDiffers) result.statusMismatches.push(line);
    if (!amountDiffers && !statusDiffers) result.matched.push(line);
  }
  for (const payout of expected) if (!claimed.has(payout.payoutId)) result.missingFromReport.push(lineOf(payout, null));
  for (const category of RECONCILIATION_CATEGORIES) result.summary[category] = result[category].length;
  result.allMatched = result.missingFromReport.length + result.missingFromLedger.length + result.amountMismatches.length + result.statusMismatches.length === 0;
  return result;
}

const CSV_COLUMNS: readonly (keyof ReconciledPayout)[] = [
  'payoutId', 'reference', 'developerId', 'ledgerAmount', 'ledgerCurrency', 'ledgerStatus', 'requestedAt',
  'reportAmount', 'reportCurrency', 'reportStatus', 'providerStatus', 'reportDate', 'reportLine',
];

/** The reconciliation as CSV: one line per reconciled payout, its category first. */
export function reconciliationAsCsv(reconciliation: PayoutReconciliation): string {
  const lines = [csvRow(['category', ...CSV_COLUMNS])];
  for (const category of RECONCILIATION_CATEGORIES) {
    for (const line of reconciliation[category]) lines.push(csvRow([category, ...CSV_COLUMNS.map((column) => line[column])]));
  }
  return lines.join('');
}
