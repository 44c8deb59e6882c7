import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Writer signatures (libs/event-store/src/writer-signatures): every append of the PostgreSQL
 * event store is signed, in its own transaction, with the writer key the application holds
 * and the database does not. One row per append (one transaction): the first and last
 * global position of its events (the transaction id is the `commit` part of both), how many
 * events it wrote, the signing key's id (SHA-256 hex of its SPKI DER) and the Ed25519
 * signature (base64) of `writerSignedMessage` over the events' hashes in global order.
 *
 * `writer_public_keys` maps a key id to its PEM public key (a key id is the key's own
 * fingerprint, so a row cannot name another key); whether the key is the platform's is
 * decided by `WriterKeyIntroduced` events signed by the seal key, never by this table.
 *
 * `writer_signature_start` records how many events the store held when this migration ran:
 * those were written before writer signatures and carry none (verify reports them as such).
 */
export class WriterSignatures1700000000011 implements MigrationInterface {
  name = 'WriterSignatures1700000000011';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE writer_signatures (
        transaction_id xid8 NOT NULL,
        first_position bigint NOT NULL,
        last_position bigint NOT NULL,
        event_count integer NOT NULL,
        key_id text NOT NULL,
        signature text NOT NULL,
        CONSTRAINT writer_signatures_primary_key PRIMARY KEY (transaction_id),
        CONSTRAINT writer_signatures_positions_ordered CHECK (first_position <= last_position AND event_count >= 1)
      )`);
    await queryRunner.query(`
      CREATE TABLE writer_public_keys (
        key_id text NOT NULL,
        public_key text NOT NULL,
        CONSTRAINT writer_public_keys_primary_key PRIMARY KEY (key_id)
      )`);
    await queryRunner.query(`
      CREATE TABLE writer_signature_start (
        singleton boolean PRIMARY KEY DEFAULT true,
        unsigned_events_before bigint NOT NULL,
        CONSTRAINT writer_signature_start_one_row CHECK (singleton)
      )`);
    await queryRunner.query('INSERT INTO writer_signature_start (singleton, unsigned_events_before) SELECT true, count(*) FROM events');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE writer_signature_start');
    await queryRunner.query('DROP TABLE writer_public_keys');
    await queryRunner.query('DROP TABLE writer_signatures');
  }
}
