import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Disputes (chargebacks), docs/domain.md "Disputes": one row per dispute, updated when it is
 * resolved (its developer is also the route of `ResolveDispute`), and three running totals
 * of the developer balances: the developer's part of open disputes, of lost ones, and the
 * dispute fees the developer bears. A ledger recorded before this migration has no dispute,
 * so the defaults (zero, no rows) are what its projection would build.
 */
export class Disputes1700000000012 implements MigrationInterface {
  name = 'Disputes1700000000012';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE disputes (
        dispute_id text PRIMARY KEY,
        receipt_id text NOT NULL,
        app_id text NOT NULL,
        developer_id text NOT NULL,
        currency text NOT NULL,
        amount_minor numeric(38,0) NOT NULL CHECK (amount_minor > 0),
        fee_minor numeric(38,0) NOT NULL CHECK (fee_minor >= 0),
        fee_bearer text NOT NULL CHECK (fee_bearer IN ('developer', 'platform')),
        developer_minor numeric(38,0) NOT NULL,
        lines jsonb NOT NULL,
        status text NOT NULL CHECK (status IN ('open', 'won', 'lost')),
        opened_at timestamptz NOT NULL,
        resolved_at timestamptz,
        recorded_at timestamptz NOT NULL
      );
      CREATE INDEX disputes_by_receipt ON disputes (receipt_id);
      CREATE INDEX disputes_by_opened_at ON disputes (opened_at);
      ALTER TABLE developer_balances
        ADD COLUMN disputed_minor numeric(38,0) NOT NULL DEFAULT 0,
        ADD COLUMN dispute_lost_minor numeric(38,0) NOT NULL DEFAULT 0,
        ADD COLUMN dispute_fees_minor numeric(38,0) NOT NULL DEFAULT 0;
    `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE developer_balances DROP COLUMN dispute_fees_minor, DROP COLUMN dispute_lost_minor, DROP COLUMN disputed_minor;
      DROP TABLE disputes;
    `);
  }
}
