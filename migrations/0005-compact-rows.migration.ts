import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Fewer and cheaper rows per receipt (issue #5, measured in docs/benchmarks.md).
 *
 * - `events.data` and `events.metadata` become `json`: the store never queries inside an
 *   event, it stores and returns the document. `jsonb` parsed and re-encoded every event on
 *   the way in and again on the way out; that conversion was a third of the cost of an
 *   append. The event hash is computed over the canonical JSON of the decoded event, so the
 *   text form stored does not change any hash.
 * - `ledger_entries` (one row per posting, five per receipt) is replaced by
 *   `ledger_postings` (one row per event, its postings as two parallel arrays, all in the
 *   event's one currency). The view `ledger_entries` unnests them into the rows and
 *   columns the table had, so the export, `verify` and an auditor's SQL read the same
 *   ledger entries as before.
 * - `directory_receipts` is dropped: `splits` has the receipt id as its primary key and the
 *   developer id in the same row, and is written in the same projection transaction.
 */
export class CompactRows1700000000005 implements MigrationInterface {
  name = 'CompactRows1700000000005';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE events
        ALTER COLUMN data TYPE json USING data::json,
        ALTER COLUMN metadata TYPE json USING metadata::json;

      CREATE TABLE ledger_postings (
        commit_position numeric(20,0) NOT NULL,
        prepare_position numeric(20,0) NOT NULL,
        event_id uuid NOT NULL,
        event_type text NOT NULL,
        currency text NOT NULL,
        -- Positive credits the account, negative debits it; the amounts of one row sum to zero.
        accounts text[] NOT NULL,
        amounts_minor numeric(38,0)[] NOT NULL,
        occurred_at timestamptz NOT NULL,
        recorded_at timestamptz NOT NULL,
        CONSTRAINT ledger_postings_primary_key PRIMARY KEY (commit_position, prepare_position),
        CONSTRAINT ledger_postings_parallel_arrays CHECK (
          cardinality(accounts) = cardinality(amounts_minor) AND cardinality(accounts) BETWEEN 2 AND 64)
      );
      INSERT INTO ledger_postings (commit_position, prepare_position, event_id, event_type, currency, accounts, amounts_minor, occurred_at, recorded_at)
      SELECT min(commit_position), min(prepare_position), event_id, min(event_type), min(currency),
             array_agg(account ORDER BY posting_index), array_agg(amount_minor ORDER BY posting_index), min(occurred_at), min(recorded_at)
        FROM ledger_entries GROUP BY event_id;
      DROP TABLE ledger_entries;
      CREATE VIEW ledger_entries AS
      SELECT p.event_id, (t.ordinality - 1)::smallint AS posting_index, p.commit_position, p.prepare_position, p.event_type,
             t.account, p.currency, t.amount_minor, p.occurred_at, p.recorded_at
        FROM ledger_postings p
        CROSS JOIN LATERAL unnest(p.accounts, p.amounts_minor) WITH ORDINALITY AS t(account, amount_minor, ordinality);

      DROP TABLE directory_receipts;
    `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE directory_receipts (receipt_id text PRIMARY KEY, developer_id text NOT NULL);
      INSERT INTO directory_receipts SELECT receipt_id, developer_id FROM splits;
      DROP VIEW ledger_entries;
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
      INSERT INTO ledger_entries
      SELECT p.event_id, (t.ordinality - 1)::smallint, p.commit_position, p.prepare_position, p.event_type, t.account, p.currency,
             t.amount_minor, p.occurred_at, p.recorded_at
        FROM ledger_postings p CROSS JOIN LATERAL unnest(p.accounts, p.amounts_minor) WITH ORDINALITY AS t(account, amount_minor, ordinality);
      DROP TABLE ledger_postings;
      ALTER TABLE events
        ALTER COLUMN data TYPE jsonb USING data::jsonb,
        ALTER COLUMN metadata TYPE jsonb USING metadata::jsonb;
    `);
  }
}
