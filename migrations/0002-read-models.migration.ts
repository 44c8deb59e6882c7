import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Read models of the projector (libs/projections). Money columns are `numeric(38,0)` in
 * minor units: exact, and wide enough for any sum the limits allow. Positions are the
 * event store's global position (commit, prepare) as numeric(20,0), so that both the
 * PostgreSQL (xid8, bigint) and the EventStoreDB (unsigned 64-bit) positions fit.
 */
export class ReadModels1700000000002 implements MigrationInterface {
  name = 'ReadModels1700000000002';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE projection_checkpoints (
        projection_name text PRIMARY KEY,
        commit_position numeric(20,0) NOT NULL,
        prepare_position numeric(20,0) NOT NULL,
        events_applied bigint NOT NULL DEFAULT 0,
        updated_at timestamptz NOT NULL DEFAULT now()
      );

      CREATE TABLE developers (
        developer_id text PRIMARY KEY,
        name text NOT NULL,
        country text NOT NULL,
        income_group text,
        registered_at timestamptz NOT NULL
      );

      CREATE TABLE apps (
        app_id text PRIMARY KEY,
        developer_id text NOT NULL,
        name text NOT NULL,
        currency text NOT NULL,
        latest_contract_version integer NOT NULL,
        registered_at timestamptz NOT NULL
      );
      CREATE INDEX apps_by_developer ON apps (developer_id);

      CREATE TABLE contract_versions (
        app_id text NOT NULL,
        contract_version integer NOT NULL,
        contract_hash char(64) NOT NULL,
        effective_from timestamptz NOT NULL,
        terms jsonb NOT NULL,
        recorded_at timestamptz NOT NULL,
        PRIMARY KEY (app_id, contract_version)
      );

      -- Routing of commands that do not name their developer.
      CREATE TABLE directory_receipts (
        receipt_id text PRIMARY KEY,
        developer_id text NOT NULL
      );
      CREATE TABLE directory_payouts (
        payout_id text PRIMARY KEY,
        developer_id text NOT NULL
      );

      CREATE TABLE splits (
        receipt_id text PRIMARY KEY,
        app_id text NOT NULL,
        developer_id text NOT NULL,
        currency text NOT NULL,
        amount_minor numeric(38,0) NOT NULL CHECK (amount_minor > 0),
        occurred_at timestamptz NOT NULL,
        available_at timestamptz NOT NULL,
        recorded_at timestamptz NOT NULL,
        contract_version integer NOT NULL,
        contract_hash char(64) NOT NULL,
        split_rule_version integer NOT NULL,
        platform_minor numeric(38,0) NOT NULL,
        developer_minor numeric(38,0) NOT NULL,
        lines jsonb NOT NULL,
        event_id uuid NOT NULL,
        commit_position numeric(20,0) NOT NULL,
        prepare_position numeric(20,0) NOT NULL
      );
      CREATE INDEX splits_by_position ON splits (commit_position, prepare_position);
      CREATE INDEX splits_by_developer_availability ON splits (developer_id, currency, available_at);
      CREATE INDEX splits_by_occurred_at ON splits (occurred_at);

      CREATE TABLE refunds (
        refund_id text PRIMARY KEY,
        receipt_id text NOT NULL,
        app_id text NOT NULL,
        developer_id text NOT NULL,
        currency text NOT NULL,
        amount_minor numeric(38,0) NOT NULL CHECK (amount_minor > 0),
        occurred_at timestamptz NOT NULL,
        recorded_at timestamptz NOT NULL,
        contract_version integer NOT NULL,
        contract_hash char(64) NOT NULL,
        split_rule_version integer NOT NULL,
        developer_minor numeric(38,0) NOT NULL,
        lines jsonb NOT NULL,
        event_id uuid NOT NULL,
        commit_position numeric(20,0) NOT NULL,
        prepare_position numeric(20,0) NOT NULL
      );
      CREATE INDEX refunds_by_position ON refunds (commit_position, prepare_position);
      CREATE INDEX refunds_by_receipt ON refunds (receipt_id);

      CREATE TABLE payouts (
        payout_id text PRIMARY KEY,
        developer_id text NOT NULL,
        currency text NOT NULL,
        amount_minor numeric(38,0) NOT NULL CHECK (amount_minor > 0),
        status text NOT NULL CHECK (status IN ('requested', 'settled', 'failed')),
        requested_at timestamptz NOT NULL,
        settled_at timestamptz,
        failed_at timestamptz,
        reference text,
        failure_reason text
      );

      -- Running totals per developer and currency; pending versus available is computed
      -- from splits.available_at as of the time asked, because it changes with time alone.
      CREATE TABLE developer_balances (
        developer_id text NOT NULL,
        currency text NOT NULL,
        credited_minor numeric(38,0) NOT NULL DEFAULT 0,
        refunded_minor numeric(38,0) NOT NULL DEFAULT 0,
        payouts_in_flight_minor numeric(38,0) NOT NULL DEFAULT 0,
        paid_minor numeric(38,0) NOT NULL DEFAULT 0,
        PRIMARY KEY (developer_id, currency)
      );

      -- Per currency, month of occurredAt (UTC) and party: what splits gave and refunds took back.
      CREATE TABLE platform_share_monthly (
        currency text NOT NULL,
        month char(7) NOT NULL,
        party text NOT NULL,
        split_minor numeric(38,0) NOT NULL DEFAULT 0,
        reversed_minor numeric(38,0) NOT NULL DEFAULT 0,
        PRIMARY KEY (currency, month, party)
      );

      -- Double-entry postings: each event's postings sum to zero per currency.
      -- A positive amount credits the account, a negative amount debits it.
      CREATE TABLE ledger_entries (
        event_id uuid NOT NULL,
        posting_index smallint NOT NULL,
        commit_position numeric(20,0) NOT NULL,
        prepare_position numeric(20,0) NOT NULL,
        event_type text NOT NULL,
        account text NOT NULL,
        currency text NOT NULL,
        amount_minor numeric(38,0) NOT NULL,
        occurred_at timestamptz NOT NULL,
        recorded_at timestamptz NOT NULL,
        PRIMARY KEY (event_id, posting_index)
      );
      CREATE INDEX ledger_entries_by_position ON ledger_entries (commit_position, prepare_position, posting_index);
    `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      DROP TABLE ledger_entries, platform_share_monthly, developer_balances, payouts, refunds, splits,
        directory_payouts, directory_receipts, contract_versions, apps, developers, projection_checkpoints;
    `);
  }
}
