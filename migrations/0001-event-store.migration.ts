import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The event store (libs/event-store/src/postgres). Global order is (transaction_id,
 * position): `position` alone is assigned before commit, so a transaction that commits
 * late can leave a lower position behind a reader; the appending transaction's id, read
 * only below the oldest running transaction, cannot. See docs/event-store.md.
 */
export class EventStore1700000000001 implements MigrationInterface {
  name = 'EventStore1700000000001';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE events (
        position bigserial NOT NULL,
        transaction_id xid8 NOT NULL DEFAULT pg_current_xact_id(),
        stream_name text NOT NULL,
        stream_version bigint NOT NULL,
        event_id uuid NOT NULL,
        type text NOT NULL,
        data jsonb NOT NULL,
        metadata jsonb NOT NULL,
        recorded_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT events_stream_name_stream_version_primary_key PRIMARY KEY (stream_name, stream_version),
        CONSTRAINT events_event_id_unique UNIQUE (event_id),
        CONSTRAINT events_stream_version_not_negative CHECK (stream_version >= 0)
      )`);
    await queryRunner.query(`CREATE INDEX events_transaction_id_position_index ON events (transaction_id, position)`);
    // One row per stream: the expected-version check locks and compares this row instead of scanning events.
    await queryRunner.query(`
      CREATE TABLE streams (
        stream_name text NOT NULL,
        stream_version bigint NOT NULL,
        CONSTRAINT streams_primary_key PRIMARY KEY (stream_name),
        CONSTRAINT streams_stream_version_not_negative CHECK (stream_version >= 0)
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE streams');
    await queryRunner.query('DROP TABLE events');
  }
}
