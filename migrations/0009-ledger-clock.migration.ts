import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The ledger clock (libs/event-store/src/postgres/ledger-clock.ts): one row holding the last
 * booking time the store assigned. Every append takes the transaction-level advisory lock
 * of the ledger clock and books at `greatest(clock_timestamp(), last_booked_at + 1 ms)`,
 * truncated to milliseconds, so booking times grow strictly in the global order of events,
 * whichever process appends. A seal advances the same clock under the same lock.
 *
 * The row starts at the latest booking time already recorded (events written before this
 * migration carry the application's clock), so the first booking after it is later than all.
 */
export class LedgerClock1700000000009 implements MigrationInterface {
  name = 'LedgerClock1700000000009';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE ledger_clock (
        singleton boolean PRIMARY KEY DEFAULT true,
        last_booked_at timestamptz NOT NULL,
        CONSTRAINT ledger_clock_one_row CHECK (singleton)
      )`);
    await queryRunner.query(`
      INSERT INTO ledger_clock (singleton, last_booked_at)
      SELECT true, coalesce(max((metadata->>'recordedAt')::timestamptz), '-infinity'::timestamptz)
        FROM events
       WHERE metadata->>'recordedAt' ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{1,9})?Z$'`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE ledger_clock');
  }
}
