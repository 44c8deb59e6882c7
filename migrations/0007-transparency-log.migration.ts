import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The transparency log of all events (libs/ledger/src/audit/transparency-log, docs/audit.md
 * "Tree heads and consistency proofs").
 *
 * `transparency_log_leaves` holds one RFC 9162 leaf hash per event, in global order, so that
 * roots and proofs come from the database without re-reading and re-encoding every event.
 * It is DERIVED: whoever can write the database can write it, so nothing trusts it alone.
 * The issuer checks the previous head's root before signing a new one, and `verify`
 * recomputes every leaf from the events and checks every head against them.
 *
 * `tree_heads` holds the signed heads; `issued_at` is the exact string that was signed
 * (the database clock, milliseconds, UTC), so that the signature can be checked again.
 */
export class TransparencyLog1700000000007 implements MigrationInterface {
  name = 'TransparencyLog1700000000007';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE transparency_log_leaves (
        leaf_index bigint PRIMARY KEY,
        commit_position numeric(20,0) NOT NULL,
        prepare_position numeric(20,0) NOT NULL,
        event_id uuid NOT NULL,
        leaf_hash bytea NOT NULL,
        CONSTRAINT transparency_log_leaves_index_not_negative CHECK (leaf_index >= 0),
        CONSTRAINT transparency_log_leaves_hash_length CHECK (length(leaf_hash) = 32),
        CONSTRAINT transparency_log_leaves_event_id_unique UNIQUE (event_id)
      );
      CREATE TABLE tree_heads (
        tree_size bigint PRIMARY KEY,
        scheme text NOT NULL,
        root_hash bytea NOT NULL,
        issued_at text NOT NULL,
        public_key text NOT NULL,
        signature text NOT NULL,
        CONSTRAINT tree_heads_size_positive CHECK (tree_size >= 1),
        CONSTRAINT tree_heads_root_length CHECK (length(root_hash) = 32),
        CONSTRAINT tree_heads_issued_at_iso CHECK (issued_at ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z$'),
        CONSTRAINT tree_heads_public_key_length CHECK (length(public_key) BETWEEN 1 AND 1000),
        CONSTRAINT tree_heads_signature_length CHECK (length(signature) BETWEEN 1 AND 200)
      );
    `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE tree_heads');
    await queryRunner.query('DROP TABLE transparency_log_leaves');
  }
}
