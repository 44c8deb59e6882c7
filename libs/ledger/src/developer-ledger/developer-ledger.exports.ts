import { formatMoney } from '@rsi/domain';
import type { ExportDefinition } from '../core/projection-export';

function linesOut(linesJson: unknown, currency: string): { party: string; amount: string }[] {
  const lines = (typeof linesJson === 'string' ? JSON.parse(linesJson) : linesJson) as { party: string; amountMinor: string }[];
  return lines.map((line) => ({ party: line.party, amount: formatMoney(BigInt(line.amountMinor), currency) }));
}

function isoOf(value: string | null): string | null {
  return value === null ? null : new Date(value).toISOString();
}

const TIME_FILTER = (column: string) => `($1::timestamptz IS NULL OR ${column} >= $1::timestamptz) AND ($2::timestamptz IS NULL OR ${column} < $2::timestamptz) AND $3::timestamptz IS NOT NULL`;

/** The developer ledger's exports (the ledger projection's tables). */
export const DEVELOPER_LEDGER_EXPORTS: Readonly<Record<string, ExportDefinition>> = {
  splits: {
    sql: `SELECT receipt_id, app_id, developer_id, currency, amount_minor::text AS amount_minor, occurred_at::text AS occurred_at,
                 recorded_at::text AS recorded_at, contract_version::text AS contract_version, contract_hash, lines::text AS lines, category
            FROM splits WHERE ${TIME_FILTER('occurred_at')} ORDER BY commit_position, prepare_position`,
    // `category` (revenue categories, migration 0017) is appended after the columns of earlier versions.
    columns: ['receiptId', 'appId', 'developerId', 'currency', 'amount', 'occurredAt', 'recordedAt', 'contractVersion', 'contractHash', 'lines', 'category'],
    toObject: (row) => ({
      receiptId: row.receipt_id, appId: row.app_id, developerId: row.developer_id, currency: row.currency,
      amount: formatMoney(BigInt(row.amount_minor!), row.currency!), occurredAt: isoOf(row.occurred_at), recordedAt: isoOf(row.recorded_at),
      contractVersion: Number(row.contract_version), contractHash: row.contract_hash, lines: linesOut(row.lines, row.currency!), category: row.category,
    }),
  },
  refunds: {
    sql: `SELECT refund_id, receipt_id, app_id, developer_id, currency, amount_minor::text AS amount_minor, occurred_at::text AS occurred_at,
                 recorded_at::text AS recorded_at, contract_version::text AS contract_version, contract_hash, lines::text AS lines, category
            FROM refunds WHERE ${TIME_FILTER('occurred_at')} ORDER BY commit_position, prepare_position`,
    columns: ['refundId', 'receiptId', 'appId', 'developerId', 'currency', 'amount', 'occurredAt', 'recordedAt', 'contractVersion', 'contractHash', 'lines', 'category'],
    toObject: (row) => ({
      refundId: row.refund_id, receiptId: row.receipt_id, appId: row.app_id, developerId: row.developer_id, currency: row.currency,
      amount: formatMoney(BigInt(row.amount_minor!), row.currency!), occurredAt: isoOf(row.occurred_at), recordedAt: isoOf(row.recorded_at),
      contractVersion: Number(row.contract_version), contractHash: row.contract_hash, lines: linesOut(row.lines, row.currency!), category: row.category,
    }),
  },
  balances: {
    // Pending: developer credits whose ordinary hold has not ended at the as-of time (their reserve
    // part apart); held: reserve not yet released. A negative balance is covered from the held
    // reserve first (docs/domain.md "Rolling reserve"), as balanceFiguresMinor does in the domain.
    sql: `SELECT f.developer_id, f.currency, f.credited_minor::text AS credited_minor, f.pending_minor::text AS pending_minor,
                 (f.raw_available_minor + f.cover_minor)::text AS available_minor, (f.held_minor - f.cover_minor)::text AS reserved_minor,
                 f.refunded_minor::text AS refunded_minor, f.payouts_in_flight_minor::text AS in_flight_minor, f.paid_minor::text AS paid_minor,
                 f.disputed_minor::text AS disputed_minor, f.dispute_lost_minor::text AS dispute_lost_minor, f.dispute_fees_minor::text AS dispute_fees_minor
            FROM (
              SELECT r.*, CASE WHEN r.raw_available_minor < 0 THEN least(r.held_minor, -r.raw_available_minor) ELSE 0 END AS cover_minor
                FROM (
                  SELECT b.*, COALESCE(p.pending_minor, 0) AS pending_minor, COALESCE(h.held_minor, 0) AS held_minor,
                         b.credited_minor - COALESCE(p.pending_minor, 0) - COALESCE(h.held_minor, 0) - b.refunded_minor - b.payouts_in_flight_minor
                           - b.paid_minor - b.disputed_minor - b.dispute_lost_minor - b.dispute_fees_minor AS raw_available_minor
                    FROM developer_balances b
                    LEFT JOIN LATERAL (
                      SELECT sum(s.developer_minor - s.reserve_minor) AS pending_minor FROM splits s
                       WHERE s.developer_id = b.developer_id AND s.currency = b.currency AND s.available_at > $3::timestamptz
                    ) p ON true
                    LEFT JOIN LATERAL (
                      SELECT sum(s.reserve_minor) AS held_minor FROM splits s
                       WHERE s.developer_id = b.developer_id AND s.currency = b.currency AND s.reserve_released_at > $3::timestamptz
                    ) h ON true
                ) r
            ) f
           WHERE ($1::timestamptz IS NULL OR true) AND ($2::timestamptz IS NULL OR true)
           ORDER BY f.developer_id, f.currency`,
    // Disputes (docs/domain.md "Disputes"): `disputed` is the developer's part of open disputes, `disputesLost` of lost
    // ones, `disputeFees` the fees it bears; `available` excludes all three. Appended after the columns of earlier versions.
    columns: ['developerId', 'currency', 'pending', 'available', 'refunded', 'payoutsInFlight', 'paid', 'credited', 'asOf', 'disputed', 'disputeFees', 'disputesLost', 'reserved'],
    toObject: (row) => ({
      developerId: row.developer_id, currency: row.currency,
      pending: formatMoney(BigInt(row.pending_minor!), row.currency!), available: formatMoney(BigInt(row.available_minor!), row.currency!),
      refunded: formatMoney(BigInt(row.refunded_minor!), row.currency!), payoutsInFlight: formatMoney(BigInt(row.in_flight_minor!), row.currency!),
      paid: formatMoney(BigInt(row.paid_minor!), row.currency!), credited: formatMoney(BigInt(row.credited_minor!), row.currency!),
      asOf: isoOf(row.as_of),
      disputed: formatMoney(BigInt(row.disputed_minor!), row.currency!), disputeFees: formatMoney(BigInt(row.dispute_fees_minor!), row.currency!),
      disputesLost: formatMoney(BigInt(row.dispute_lost_minor!), row.currency!), reserved: formatMoney(BigInt(row.reserved_minor!), row.currency!),
    }),
  },
  payouts: {
    // A payout in another currency (docs/domain.md "Payouts in another currency"): `amount` is what the
    // balance was debited in `currency`; `payoutAmount` what is paid in `payoutCurrency` at `fxRate`
    // from `fxSource`, rounded under rule `fxRuleVersion`. All five are null for a payout in its own currency.
    sql: `SELECT payout_id, developer_id, currency, amount_minor::text AS amount_minor, status, requested_at::text AS requested_at,
                 settled_at::text AS settled_at, failed_at::text AS failed_at, reference, failure_reason, payout_currency,
                 payout_amount_minor::text AS payout_amount_minor, fx_rate, fx_source, fx_rule_version::text AS fx_rule_version
            FROM payouts WHERE ${TIME_FILTER('requested_at')} ORDER BY requested_at, payout_id`,
    columns: [
      'payoutId', 'developerId', 'currency', 'amount', 'status', 'requestedAt', 'settledAt', 'failedAt', 'reference', 'failureReason',
      'payoutCurrency', 'payoutAmount', 'fxRate', 'fxSource', 'fxRuleVersion',
    ],
    toObject: (row) => ({
      payoutId: row.payout_id, developerId: row.developer_id, currency: row.currency, amount: formatMoney(BigInt(row.amount_minor!), row.currency!),
      status: row.status, requestedAt: isoOf(row.requested_at), settledAt: isoOf(row.settled_at), failedAt: isoOf(row.failed_at),
      reference: row.reference, failureReason: row.failure_reason, payoutCurrency: row.payout_currency,
      payoutAmount: row.payout_amount_minor === null ? null : formatMoney(BigInt(row.payout_amount_minor!), row.payout_currency!),
      fxRate: row.fx_rate, fxSource: row.fx_source, fxRuleVersion: row.fx_rule_version === null ? null : Number(row.fx_rule_version),
    }),
  },
  'payout-runs': {
    sql: `SELECT r.run_id, r.developer_id, r.currency, r.as_of::text AS as_of, r.available_minor::text AS available_minor,
                 r.minimum_payout_minor::text AS minimum_payout_minor, r.payout_id, p.amount_minor::text AS payout_amount_minor, p.status AS payout_status,
                 r.recorded_at::text AS recorded_at
            FROM payout_runs r LEFT JOIN payouts p ON p.payout_id = r.payout_id
           WHERE ${TIME_FILTER('r.as_of')} ORDER BY r.run_id, r.developer_id`,
    columns: ['runId', 'developerId', 'currency', 'asOf', 'available', 'minimumPayout', 'payoutId', 'payoutAmount', 'payoutStatus', 'recordedAt'],
    toObject: (row) => ({
      runId: row.run_id, developerId: row.developer_id, currency: row.currency, asOf: isoOf(row.as_of),
      available: formatMoney(BigInt(row.available_minor!), row.currency!), minimumPayout: formatMoney(BigInt(row.minimum_payout_minor!), row.currency!),
      payoutId: row.payout_id, payoutAmount: row.payout_amount_minor === null ? null : formatMoney(BigInt(row.payout_amount_minor!), row.currency!),
      payoutStatus: row.payout_status, recordedAt: isoOf(row.recorded_at),
    }),
  },
  disputes: {
    sql: `SELECT dispute_id, receipt_id, app_id, developer_id, currency, amount_minor::text AS amount_minor, fee_minor::text AS fee_minor,
                 fee_bearer, status, opened_at::text AS opened_at, resolved_at::text AS resolved_at, recorded_at::text AS recorded_at, lines::text AS lines
            FROM disputes WHERE ${TIME_FILTER('opened_at')} ORDER BY opened_at, dispute_id`,
    columns: ['disputeId', 'receiptId', 'appId', 'developerId', 'currency', 'amount', 'fee', 'feeBearer', 'status', 'openedAt', 'resolvedAt', 'recordedAt', 'lines'],
    toObject: (row) => ({
      disputeId: row.dispute_id, receiptId: row.receipt_id, appId: row.app_id, developerId: row.developer_id, currency: row.currency,
      amount: formatMoney(BigInt(row.amount_minor!), row.currency!), fee: formatMoney(BigInt(row.fee_minor!), row.currency!), feeBearer: row.fee_bearer,
      status: row.status, openedAt: isoOf(row.opened_at), resolvedAt: isoOf(row.resolved_at), recordedAt: isoOf(row.recorded_at),
      lines: linesOut(row.lines, row.currency!),
    }),
  },
  'platform-share': {
    sql: `SELECT currency, month, party, split_minor::text AS split_minor, reversed_minor::text AS reversed_minor,
                 (split_minor - reversed_minor)::text AS net_minor
            FROM platform_share_monthly
           WHERE ($1::timestamptz IS NULL OR month >= to_char($1::timestamptz AT TIME ZONE 'UTC', 'YYYY-MM'))
             AND ($2::timestamptz IS NULL OR month < to_char($2::timestamptz AT TIME ZONE 'UTC', 'YYYY-MM')) AND $3::timestamptz IS NOT NULL
           ORDER BY currency, month, party`,
    columns: ['currency', 'month', 'party', 'split', 'reversed', 'net'],
    toObject: (row) => ({
      currency: row.currency, month: row.month, party: row.party, split: formatMoney(BigInt(row.split_minor!), row.currency!),
      reversed: formatMoney(BigInt(row.reversed_minor!), row.currency!), net: formatMoney(BigInt(row.net_minor!), row.currency!),
    }),
  },
  'ledger-entries': {
    // The view unnests ledger_postings (one row per event) into one row per posting.
    sql: `SELECT event_id::text AS event_id, posting_index::text AS posting_index, commit_position::text AS commit_position,
                 prepare_position::text AS prepare_position, event_type, account, currency, amount_minor::text AS amount_minor,
                 occurred_at::text AS occurred_at, recorded_at::text AS recorded_at, category
            FROM ledger_entries WHERE ${TIME_FILTER('occurred_at')}
           ORDER BY commit_position, prepare_position, posting_index`,
    // `category`: the revenue category of a receipt's or refund's postings, null for other events (appended, migration 0017).
    columns: ['eventId', 'postingIndex', 'commitPosition', 'preparePosition', 'eventType', 'account', 'currency', 'amount', 'occurredAt', 'recordedAt', 'category'],
    toObject: (row) => ({
      eventId: row.event_id, postingIndex: Number(row.posting_index), commitPosition: row.commit_position, preparePosition: row.prepare_position,
      eventType: row.event_type, account: row.account, currency: row.currency, amount: formatMoney(BigInt(row.amount_minor!), row.currency!),
      occurredAt: isoOf(row.occurred_at), recordedAt: isoOf(row.recorded_at), category: row.category,
    }),
  },
};
