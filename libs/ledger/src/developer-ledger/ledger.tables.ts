import { defineTable } from '@rsi/projections';

/**
 * The tables of the developer ledger's projection (`LedgerProjection`), each defined once
 * in the order of its columns (migrations 0002 and 0005). The projection builds rows from
 * these definitions; `read-model-tables.spec.ts` checks them against the migrated database.
 */

export const DEVELOPERS_TABLE = defineTable('developers', [
  ['developer_id', 'text'], ['name', 'text'], ['country', 'text'], ['income_group', 'text?'], ['registered_at', 'timestamptz'],
]);

export const APPS_TABLE = defineTable('apps', [
  ['app_id', 'text'], ['developer_id', 'text'], ['name', 'text'], ['currency', 'text'], ['latest_contract_version', 'int4'],
  ['registered_at', 'timestamptz'],
]);

export const CONTRACT_VERSIONS_TABLE = defineTable('contract_versions', [
  ['app_id', 'text'], ['contract_version', 'int4'], ['contract_hash', 'char'], ['effective_from', 'timestamptz'], ['terms', 'jsonb'],
  ['recorded_at', 'timestamptz'],
]);

/** Routing of commands that name only a payout. */
export const DIRECTORY_PAYOUTS_TABLE = defineTable('directory_payouts', [['payout_id', 'text'], ['developer_id', 'text']]);

export const SPLITS_TABLE = defineTable('splits', [
  ['receipt_id', 'text'], ['app_id', 'text'], ['developer_id', 'text'], ['currency', 'text'], ['amount_minor', 'numeric'],
  ['occurred_at', 'timestamptz'], ['available_at', 'timestamptz'], ['recorded_at', 'timestamptz'], ['contract_version', 'int4'],
  ['contract_hash', 'char'], ['split_rule_version', 'int4'], ['platform_minor', 'numeric'], ['developer_minor', 'numeric'],
  ['lines', 'jsonb'], ['event_id', 'uuid'], ['commit_position', 'numeric'], ['prepare_position', 'numeric'],
  // Rolling reserve (migration 0014): the part of developer_minor held until reserve_released_at.
  ['reserve_minor', 'numeric'], ['reserve_released_at', 'timestamptz?'],
  // Revenue category (migration 0017): purchase, subscription or advertising.
  ['category', 'text'],
]);

export const REFUNDS_TABLE = defineTable('refunds', [
  ['refund_id', 'text'], ['receipt_id', 'text'], ['app_id', 'text'], ['developer_id', 'text'], ['currency', 'text'],
  ['amount_minor', 'numeric'], ['occurred_at', 'timestamptz'], ['recorded_at', 'timestamptz'], ['contract_version', 'int4'],
  ['contract_hash', 'char'], ['split_rule_version', 'int4'], ['developer_minor', 'numeric'], ['lines', 'jsonb'], ['event_id', 'uuid'],
  ['commit_position', 'numeric'], ['prepare_position', 'numeric'],
  // The refunded receipt's revenue category (migration 0017).
  ['category', 'text'],
]);

/** A payout is inserted when requested; its outcome columns are set by an UPDATE when it settles or fails. */
export const PAYOUTS_TABLE = defineTable('payouts', [
  ['payout_id', 'text'], ['developer_id', 'text'], ['currency', 'text'], ['amount_minor', 'numeric'], ['status', 'text'],
  ['requested_at', 'timestamptz'], ['settled_at', 'timestamptz?'], ['failed_at', 'timestamptz?'], ['reference', 'text?'],
  ['failure_reason', 'text?'],
  // Payouts in another currency (migration 0015): all null for a payout in its own currency.
  ['payout_currency', 'text?'], ['payout_amount_minor', 'numeric?'], ['fx_rate', 'text?'], ['fx_source', 'text?'], ['fx_rule_version', 'int4?'],
]);

/**
 * Running totals per developer and currency, upserted by adding each batch's deltas.
 * The dispute totals are the developer's line of open and of lost disputes, and the fees it bears (migration 0012).
 */
export const DEVELOPER_BALANCES_TABLE = defineTable('developer_balances', [
  ['developer_id', 'text'], ['currency', 'text'], ['credited_minor', 'numeric'], ['refunded_minor', 'numeric'],
  ['payouts_in_flight_minor', 'numeric'], ['paid_minor', 'numeric'], ['disputed_minor', 'numeric'], ['dispute_lost_minor', 'numeric'],
  ['dispute_fees_minor', 'numeric'],
]);

/** A dispute is inserted when opened; its status and resolved_at are set by an UPDATE when it is resolved (migration 0012). */
export const DISPUTES_TABLE = defineTable('disputes', [
  ['dispute_id', 'text'], ['receipt_id', 'text'], ['app_id', 'text'], ['developer_id', 'text'], ['currency', 'text'],
  ['amount_minor', 'numeric'], ['fee_minor', 'numeric'], ['fee_bearer', 'text'], ['developer_minor', 'numeric'], ['lines', 'jsonb'],
  ['status', 'text'], ['opened_at', 'timestamptz'], ['resolved_at', 'timestamptz?'], ['recorded_at', 'timestamptz'],
]);

/** Per currency, UTC month of occurredAt and party: what splits gave and refunds took back. */
export const PLATFORM_SHARE_MONTHLY_TABLE = defineTable('platform_share_monthly', [
  ['currency', 'text'], ['month', 'char'], ['party', 'text'], ['split_minor', 'numeric'], ['reversed_minor', 'numeric'],
]);

/** One row per event with its postings as two parallel arrays; the view `ledger_entries` has one row per posting. */
export const LEDGER_POSTINGS_TABLE = defineTable('ledger_postings', [
  ['commit_position', 'numeric'], ['prepare_position', 'numeric'], ['event_id', 'uuid'], ['event_type', 'text'], ['currency', 'text'],
  ['accounts', 'text[]'], ['amounts_minor', 'numeric[]'], ['occurred_at', 'timestamptz'], ['recorded_at', 'timestamptz'],
  // A receipt's or refund's revenue category when not purchase, else null (migration 0017; the view says purchase).
  ['category', 'text?'],
]);

/** One row per developer assessed in a payout run (migration 0013); `payout_id` null when nothing was paid. */
export const PAYOUT_RUNS_TABLE = defineTable('payout_runs', [
  ['run_id', 'text'], ['developer_id', 'text'], ['currency', 'text'], ['as_of', 'timestamptz'], ['available_minor', 'numeric'],
  ['minimum_payout_minor', 'numeric'], ['payout_id', 'text?'], ['recorded_at', 'timestamptz'],
]);

/** In creation order, for replay into fresh tables (`ProjectionHandler.tables`). */
export const LEDGER_TABLES = [
  DEVELOPERS_TABLE, APPS_TABLE, CONTRACT_VERSIONS_TABLE, DIRECTORY_PAYOUTS_TABLE, SPLITS_TABLE, REFUNDS_TABLE,
  PAYOUTS_TABLE, DEVELOPER_BALANCES_TABLE, PLATFORM_SHARE_MONTHLY_TABLE, LEDGER_POSTINGS_TABLE, DISPUTES_TABLE, PAYOUT_RUNS_TABLE,
] as const;
