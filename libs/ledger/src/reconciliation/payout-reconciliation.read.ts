import type { Pool } from 'pg';
import { parsePayoutReport } from './payout-report.parser';
import { reconcilePayouts, type LedgerPayout, type PayoutReconciliation } from './payout-reconciliation';

type PayoutRow = {
  payout_id: string; reference: string | null; developer_id: string; amount_minor: string; currency: string; status: string;
  requested_at: Date; settled_at: Date | null; failed_at: Date | null;
};

/**
 * Every payout of the ledger's payouts read model (the projection's `payouts` table), in request
 * order, with the amount that left the platform: a payout in another currency is compared with
 * the provider's report in its payout currency and converted amount (docs/domain.md "Payouts in
 * another currency"), not in the balance currency it was debited in.
 */
export async function ledgerPayoutsOf(pool: Pool): Promise<LedgerPayout[]> {
  const rows = await pool.query<PayoutRow>(
    `SELECT payout_id, reference, developer_id, COALESCE(payout_amount_minor, amount_minor)::text AS amount_minor, COALESCE(payout_currency, currency) AS currency,
            status, requested_at, settled_at, failed_at
       FROM payouts ORDER BY requested_at, payout_id`,
  );
  return rows.rows.map((row) => ({
    payoutId: row.payout_id, reference: row.reference, developerId: row.developer_id, amountMinor: BigInt(row.amount_minor), currency: row.currency,
    status: row.status as LedgerPayout['status'], requestedAt: new Date(row.requested_at).toISOString(),
    settledAt: row.settled_at === null ? null : new Date(row.settled_at).toISOString(), failedAt: row.failed_at === null ? null : new Date(row.failed_at).toISOString(),
  }));
}

/**
 * `rsi-ledger reconcile payouts` and `POST /v1/reconciliations/payouts`: the report's bytes
 * checked (PayoutReportRefused on refusal), then compared with the ledger's payouts. Reads
 * only: the reconciliation writes nothing to the ledger.
 */
export async function reconcilePayoutReport(pool: Pool, reportBytes: Uint8Array): Promise<PayoutReconciliation> {
  const reportRows = parsePayoutReport(reportBytes);
  return reconcilePayouts(await ledgerPayoutsOf(pool), reportRows);
}
