import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Rolling reserve (docs/domain.md "Rolling reserve"): the part of a receipt's developer line
 * held until `reserve_released_at` instead of `available_at`. Receipts recorded before (or
 * under a contract without a reserve) hold none: zero and null, what their projection gives.
 * The index serves the balances export, which sums the reserve still held at an instant.
 */
export class RollingReserve1700000000014 implements MigrationInterface {
  name = 'RollingReserve1700000000014';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE splits
        ADD COLUMN reserve_minor numeric(38,0) NOT NULL DEFAULT 0 CHECK (reserve_minor >= 0),
        ADD COLUMN reserve_released_at timestamptz;
      CREATE INDEX splits_by_developer_reserve_release ON splits (developer_id, currency, reserve_released_at) WHERE reserve_released_at IS NOT NULL;
    `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      DROP INDEX splits_by_developer_reserve_release;
      ALTER TABLE splits DROP COLUMN reserve_released_at, DROP COLUMN reserve_minor;
    `);
  }
}
