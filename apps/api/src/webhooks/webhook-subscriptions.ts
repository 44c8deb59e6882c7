import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { WEBHOOK_SUBSCRIPTIONS_MAXIMUM } from '@rsi/domain';
import type { GlobalPosition } from '@rsi/event-store';
import { formatPosition } from '@rsi/projections';
import { newWebhookSecret } from './webhook-signature';

export type WebhookStatus = 'active' | 'paused' | 'disabled';

export type WebhookSubscription = {
  id: string;
  url: string;
  eventTypes: string[];
  description: string | null;
  status: WebhookStatus;
  pausedReason: string | null;
  /** The last event passed (delivered, or not of its types); null: before the first event. */
  checkpoint: GlobalPosition | null;
  consecutiveFailures: number;
  nextAttemptAt: Date | null;
  createdAt: Date;
  createdBy: string;
};

export type WebhookDelivery = {
  eventId: string;
  eventType: string;
  globalPosition: string;
  attempt: number;
  attemptedAt: string;
  outcome: 'delivered' | 'failed';
  statusCode: number | null;
  error: string | null;
  latencyMilliseconds: number;
};

type SubscriptionRow = {
  subscription_id: string; url: string; event_types: string[]; description: string | null; secret: string; status: WebhookStatus;
  paused_reason: string | null; commit_position: string; prepare_position: string; consecutive_failures: number;
  next_attempt_at: Date | null; created_at: Date; created_by: string;
};

const SUBSCRIPTION_COLUMNS = `subscription_id::text AS subscription_id, url, event_types, description, secret, status, paused_reason,
  commit_position::text AS commit_position, prepare_position::text AS prepare_position, consecutive_failures, next_attempt_at, created_at, created_by`;

function subscriptionOf(row: SubscriptionRow): WebhookSubscription & { secret: string } {
  const commit = BigInt(row.commit_position);
  return {
    id: row.subscription_id, url: row.url, eventTypes: row.event_types, description: row.description, status: row.status,
    pausedReason: row.paused_reason, checkpoint: commit < 0n ? null : { commit, prepare: BigInt(row.prepare_position) },
    consecutiveFailures: row.consecutive_failures, nextAttemptAt: row.next_attempt_at, createdAt: row.created_at, createdBy: row.created_by, secret: row.secret,
  };
}


/** The subscriptions and their delivery log (migration 0016). */
export class WebhookSubscriptions {
  constructor(private readonly pool: pg.Pool) {}

  /** A new subscription starts at the head: it receives the events stored after it was created. */
  async create(input: { url: string; eventTypes: string[]; description: string | null; createdBy: string; head: GlobalPosition | null }): Promise<WebhookSubscription & { secret: string }> {
    const count = await this.pool.query<{ n: string }>('SELECT count(*)::text AS n FROM webhook_subscriptions');
    if (Number(count.rows[0]!.n) >= WEBHOOK_SUBSCRIPTIONS_MAXIMUM) throw new Error(`at most ${WEBHOOK_SUBSCRIPTIONS_MAXIMUM} webhook subscriptions`);
    const result = await this.pool.query<SubscriptionRow>(
      `INSERT INTO webhook_subscriptions (subscription_id, url, event_types, description, secret, commit_position, prepare_position, created_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING ${SUBSCRIPTION_COLUMNS}`,
      [randomUUID(), input.url, input.eventTypes, input.description, newWebhookSecret(),
        input.head?.commit.toString() ?? '-1', input.head?.prepare.toString() ?? '-1', input.createdBy],
    );
    return subscriptionOf(result.rows[0]!);
  }

  async list(): Promise<(WebhookSubscription & { secret: string })[]> {
    const result = await this.pool.query<SubscriptionRow>(`SELECT ${SUBSCRIPTION_COLUMNS} FROM webhook_subscriptions ORDER BY created_at, subscription_id`);
    return result.rows.map(subscriptionOf);
  }

  async find(id: string): Promise<(WebhookSubscription & { secret: string }) | null> {
    const result = await this.pool.query<SubscriptionRow>(`SELECT ${SUBSCRIPTION_COLUMNS} FROM webhook_subscriptions WHERE subscription_id = $1`, [id]);
    return result.rows[0] === undefined ? null : subscriptionOf(result.rows[0]);
  }

  async setStatus(id: string, status: 'active' | 'disabled'): Promise<boolean> {
    const result = await this.pool.query(
      `UPDATE webhook_subscriptions SET status = $2, paused_reason = NULL, consecutive_failures = 0, next_attempt_at = NULL, updated_at = now()
        WHERE subscription_id = $1`,
      [id, status],
    );
    return result.rowCount === 1;
  }

  async rotateSecret(id: string): Promise<string | null> {
    const secret = newWebhookSecret();
    const result = await this.pool.query('UPDATE webhook_subscriptions SET secret = $2, updated_at = now() WHERE subscription_id = $1', [id, secret]);
    return result.rowCount === 1 ? secret : null;
  }

  async remove(id: string): Promise<boolean> {
    return (await this.pool.query('DELETE FROM webhook_subscriptions WHERE subscription_id = $1', [id])).rowCount === 1;
  }

  /** Redelivery: the checkpoint moves to just before `from`, the subscription is active again. */
  async rewind(id: string, from: GlobalPosition): Promise<boolean> {
    const before = from.prepare > 0n ? { commit: from.commit, prepare: from.prepare - 1n } : { commit: from.commit - 1n, prepare: 0n };
    const result = await this.pool.query(
      `UPDATE webhook_subscriptions SET commit_position = $2, prepare_position = $3, status = 'active', paused_reason = NULL,
         consecutive_failures = 0, next_attempt_at = NULL, updated_at = now()
        WHERE subscription_id = $1`,
      [id, before.commit.toString(), before.prepare.toString()],
    );
    return result.rowCount === 1;
  }

  /** The worker's move past an event; only while the subscription is still active (an operator may have disabled it). */
  async advance(id: string, to: GlobalPosition): Promise<void> {
    await this.pool.query(
      `UPDATE webhook_subscriptions SET commit_position = $2, prepare_position = $3, consecutive_failures = 0, next_attempt_at = NULL, updated_at = now()
        WHERE subscription_id = $1 AND status = 'active'`,
      [id, to.commit.toString(), to.prepare.toString()],
    );
  }

  /** A failed attempt: retry at `nextAttemptAt`, or paused with the reason. */
  async recordFailure(id: string, failures: number, nextAttemptAt: Date | null, pausedReason: string | null): Promise<void> {
    await this.pool.query(
      `UPDATE webhook_subscriptions SET consecutive_failures = $2, next_attempt_at = $3,
         status = CASE WHEN $4::text IS NULL THEN status ELSE 'paused' END, paused_reason = $4, updated_at = now()
        WHERE subscription_id = $1 AND status = 'active'`,
      [id, failures, nextAttemptAt, pausedReason],
    );
  }

  async logAttempt(id: string, entry: Omit<WebhookDelivery, 'attemptedAt' | 'globalPosition'> & { position: GlobalPosition }): Promise<void> {
    await this.pool.query(
      `INSERT INTO webhook_deliveries (subscription_id, event_id, event_type, commit_position, prepare_position, attempt, outcome, status_code, error, latency_milliseconds)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
      [id, entry.eventId, entry.eventType, entry.position.commit.toString(), entry.position.prepare.toString(), entry.attempt, entry.outcome,
        entry.statusCode, entry.error, entry.latencyMilliseconds],
    );
  }

  /** The delivery log, oldest first (the last `limit` attempts). */
  async deliveries(id: string, limit: number): Promise<WebhookDelivery[]> {
    const result = await this.pool.query<{
      event_id: string; event_type: string; commit_position: string; prepare_position: string; attempt: number; attempted_at: Date;
      outcome: 'delivered' | 'failed'; status_code: number | null; error: string | null; latency_milliseconds: number;
    }>(
      `SELECT * FROM (
         SELECT delivery_id, event_id::text AS event_id, event_type, commit_position::text AS commit_position, prepare_position::text AS prepare_position,
                attempt, attempted_at, outcome, status_code, error, latency_milliseconds
           FROM webhook_deliveries WHERE subscription_id = $1 ORDER BY delivery_id DESC LIMIT $2) AS latest
        ORDER BY delivery_id`,
      [id, limit],
    );
    return result.rows.map((row) => ({
      eventId: row.event_id, eventType: row.event_type,
      globalPosition: formatPosition({ commit: BigInt(row.commit_position), prepare: BigInt(row.prepare_position) }),
      attempt: row.attempt, attemptedAt: row.attempted_at.toISOString(), outcome: row.outcome, statusCode: row.status_code,
      error: row.error, latencyMilliseconds: row.latency_milliseconds,
    }));
  }
}
