import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The parties of the API (docs/http-api.md, "Roles"):
 *
 * - `api_keys`: the lookup index of the keys issued by `rsi-ledger keys create` (or by an
 *   operator over HTTP). The facts are the `ApiKeyIssued` and `ApiKeyRevoked` events of the
 *   `api-keys` stream; this table is written after each of them and rebuilt from the stream
 *   when it lags (a crash between the two), so it never holds a key the ledger did not
 *   record. Only the SHA-256 digest of a secret is stored, never the secret.
 * - `api_access_log`: one row per authenticated request (key, role, route, status, time),
 *   which auditors export (`GET /v1/access-log`).
 */
export class ApiKeys1700000000010 implements MigrationInterface {
  name = 'ApiKeys1700000000010';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE api_keys (
        key_id text PRIMARY KEY,
        secret_digest bytea NOT NULL UNIQUE,
        role text NOT NULL CHECK (role IN ('operator', 'developer', 'auditor', 'finance')),
        developer_id text,
        label text,
        expires_at timestamptz,
        issued_at timestamptz NOT NULL,
        issued_by text NOT NULL,
        revoked_at timestamptz,
        revoked_by text,
        stream_version bigint NOT NULL,
        CONSTRAINT api_keys_developer_scope CHECK ((role = 'developer') = (developer_id IS NOT NULL))
      )`);
    await queryRunner.query(`
      CREATE TABLE api_access_log (
        access_id bigserial PRIMARY KEY,
        requested_at timestamptz NOT NULL,
        key_id text NOT NULL,
        role text NOT NULL,
        developer_id text,
        method text NOT NULL,
        route text NOT NULL,
        status_code integer NOT NULL,
        address text
      )`);
    await queryRunner.query('CREATE INDEX api_access_log_requested_at ON api_access_log (requested_at)');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE api_access_log');
    await queryRunner.query('DROP TABLE api_keys');
  }
}
