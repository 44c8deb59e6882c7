import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Responses of HTTP requests sent with an `Idempotency-Key` header, so that a retry gets
 * exactly the response of the first attempt. Keys are scoped by actor: two API keys may
 * choose the same idempotency key without seeing each other's responses.
 */
export class IdempotencyKeys1700000000003 implements MigrationInterface {
  name = 'IdempotencyKeys1700000000003';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE idempotency_keys (
        idempotency_key text NOT NULL,
        actor text NOT NULL,
        request_method text NOT NULL,
        request_path text NOT NULL,
        request_hash char(64) NOT NULL,
        status_code int NOT NULL,
        response_body jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (actor, idempotency_key)
      );
      -- For expiring old keys by age.
      CREATE INDEX idempotency_keys_by_created_at ON idempotency_keys (created_at);
    `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE idempotency_keys');
  }
}
