import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Webhooks for integrators (docs/operations.md#webhooks):
 *
 * - `webhook_subscriptions`: one row per subscription: its target URL, the event types it
 *   wants, its signing secret (kept to sign; shown to the operator once, when created or
 *   rotated), its state (`active`, `paused` with the reason, `disabled`), and its own
 *   checkpoint: the global position of the last event it has passed (delivered, or not of
 *   its types). The delivery worker moves the checkpoint after each acknowledged delivery,
 *   so a crash between the two delivers that event once more (at least once).
 * - `webhook_deliveries`: the delivery log, one row per attempt (event, attempt number,
 *   HTTP status or the error, latency), deleted with its subscription.
 */
export class Webhooks1700000000016 implements MigrationInterface {
  name = 'Webhooks1700000000016';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE webhook_subscriptions (
        subscription_id uuid PRIMARY KEY,
        url text NOT NULL,
        event_types text[] NOT NULL,
        description text,
        secret text NOT NULL,
        status text NOT NULL DEFAULT 'active',
        paused_reason text,
        commit_position numeric NOT NULL,
        prepare_position numeric NOT NULL,
        consecutive_failures integer NOT NULL DEFAULT 0,
        next_attempt_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        created_by text NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT webhook_subscriptions_status_known CHECK (status IN ('active', 'paused', 'disabled')),
        CONSTRAINT webhook_subscriptions_paused_has_reason CHECK (status <> 'paused' OR paused_reason IS NOT NULL)
      )`);
    await queryRunner.query(`
      CREATE TABLE webhook_deliveries (
        delivery_id bigserial PRIMARY KEY,
        subscription_id uuid NOT NULL REFERENCES webhook_subscriptions (subscription_id) ON DELETE CASCADE,
        event_id uuid NOT NULL,
        event_type text NOT NULL,
        commit_position numeric NOT NULL,
        prepare_position numeric NOT NULL,
        attempt integer NOT NULL,
        attempted_at timestamptz NOT NULL DEFAULT now(),
        outcome text NOT NULL,
        status_code integer,
        error text,
        latency_milliseconds integer NOT NULL,
        CONSTRAINT webhook_deliveries_outcome_known CHECK (outcome IN ('delivered', 'failed'))
      )`);
    await queryRunner.query('CREATE INDEX webhook_deliveries_subscription_index ON webhook_deliveries (subscription_id, delivery_id)');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE webhook_deliveries');
    await queryRunner.query('DROP TABLE webhook_subscriptions');
  }
}
