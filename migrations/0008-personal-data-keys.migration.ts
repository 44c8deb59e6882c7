import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The data keys of developers' personal data (crypto-shredding, docs/audit.md "Personal
 * data"). One 32-byte key per developer encrypts the personal fields inside its events; the
 * events hold only ciphertext. An erasure sets `key` to NULL and records when, by whom and
 * why: the row stays, so that a later registration of the same developer finds the key
 * destroyed instead of making a new one. Kept apart from the events on purpose: nothing in
 * a hash, seal or tree head covers this table.
 */
export class PersonalDataKeys1700000000008 implements MigrationInterface {
  name = 'PersonalDataKeys1700000000008';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE personal_data_keys (
        developer_id text PRIMARY KEY,
        key bytea,
        created_at timestamptz NOT NULL DEFAULT now(),
        erased_at timestamptz,
        erased_by text,
        reason text,
        CONSTRAINT personal_data_keys_key_length CHECK (key IS NULL OR length(key) = 32),
        CONSTRAINT personal_data_keys_key_or_erasure CHECK ((key IS NULL) = (erased_at IS NOT NULL)),
        CONSTRAINT personal_data_keys_erasure_complete CHECK (erased_at IS NULL OR erased_by IS NOT NULL)
      )
    `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE personal_data_keys');
  }
}
