import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Payout runs (docs/domain.md "Payout runs"): one row per developer assessed in a run, with
 * what was available at the run's asOf, the minimum payout and the payout requested (null
 * when nothing was paid). A re-run of a run id is sent to the developers of its rows only.
 */
export class PayoutRuns1700000000013 implements MigrationInterface {
  name = 'PayoutRuns1700000000013';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE payout_runs (
        run_id text NOT NULL,
        developer_id text NOT NULL,
        currency text NOT NULL,
        as_of timestamptz NOT NULL,
        available_minor numeric(38,0) NOT NULL,
        minimum_payout_minor numeric(38,0) NOT NULL,
        payout_id text,
        recorded_at timestamptz NOT NULL,
        PRIMARY KEY (run_id, developer_id)
      );
    `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE payout_runs');
  }
}
