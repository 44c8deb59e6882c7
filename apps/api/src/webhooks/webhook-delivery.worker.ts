import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import * as http from 'node:http';
import * as https from 'node:https';
import { SessionAdvisoryLock, isDatabaseUnavailableError } from '@rsi/database';
import { WEBHOOK_DELIVERY_TIMEOUT_MILLISECONDS, WEBHOOK_RETRY_DELAY_MAXIMUM_MILLISECONDS } from '@rsi/domain';
import type { GlobalPosition, RecordedEvent } from '@rsi/event-store';
import type { LedgerRuntime } from '@rsi/ledger';
import { API_SETTINGS, LEDGER_RUNTIME, type ApiSettings } from '../api-settings';
import { MetricsService } from '../operations/metrics.service';
import { checkpointLagOf } from '../operations/projection-lag';
import { deliveryBodyOf } from './webhook-event-body';
import { SIGNATURE_HEADER, signatureOf } from './webhook-signature';
import { WebhookSubscriptions, type WebhookSubscription } from './webhook-subscriptions';
import { guardedLookup } from './webhook-target';

/** Events read per subscription per poll. */
const EVENTS_PER_POLL_MAXIMUM = 100;
/** Of a receiver's answer only this much is read (and discarded). */
const RESPONSE_BYTES_READ_MAXIMUM = 64 * 1024;
/** How often a standby instance tries to become the active worker. */
const STANDBY_RETRY_MILLISECONDS = 2_000;
const ERROR_TEXT_LENGTH_MAXIMUM = 500;
const ADVISORY_LOCK_NAME = 'webhook-delivery';

type AttemptResult = { delivered: boolean; statusCode: number | null; error: string | null; latencyMilliseconds: number };

/** `*` matches every type. */
function wants(subscription: WebhookSubscription, type: string): boolean {
  return subscription.eventTypes.includes('*') || subscription.eventTypes.includes(type);
}

/**
 * Delivers the ledger's events to the webhook subscriptions. One instance is active (a
 * PostgreSQL advisory lock on a session of its own, like the projector); the others stand by
 * and take over when its session ends. Per subscription, in global order, one event at a
 * time: a delivery acknowledged with 2xx moves the subscription's checkpoint past it; a
 * failure (another status, a redirect — never followed —, a timeout, a refused target) is
 * logged and retried after a delay doubling from RSI_WEBHOOK_RETRY_FIRST_MILLISECONDS (at
 * most an hour), and after RSI_WEBHOOK_FAILURES_BEFORE_PAUSE consecutive failures the
 * subscription is paused with the reason. The events after a failing one wait (order is
 * kept). At least once: a crash between the receiver's 2xx and the checkpoint's move
 * delivers the event again (receivers deduplicate by `eventId`). Stopped on close at a
 * checkpoint: the running delivery finishes and is recorded first.
 */
@Injectable()
export class WebhookDeliveryWorker implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('WebhookDeliveryWorker');
  private readonly subscriptions: WebhookSubscriptions;
  private readonly lock: SessionAdvisoryLock;
  private stopped = false;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private outage = false;

  constructor(
    @Inject(LEDGER_RUNTIME) private readonly runtime: LedgerRuntime,
    @Inject(API_SETTINGS) private readonly settings: ApiSettings,
    private readonly metrics: MetricsService,
  ) {
    this.subscriptions = new WebhookSubscriptions(runtime.connection.pool);
    const connection = runtime.connection;
    this.lock = new SessionAdvisoryLock({ connectionString: connection.embedded ? null : connection.connectionString, lockName: ADVISORY_LOCK_NAME });
  }

  onApplicationBootstrap(): void {
    this.metrics.setWebhookSource(async () => {
      const all = await this.subscriptions.list();
      const figures = [];
      for (const subscription of all) {
        const lag = subscription.status === 'disabled' ? { lagEvents: 0 } : await checkpointLagOf(this.runtime.connection.pool, subscription.checkpoint);
        figures.push({ subscriptionId: subscription.id, backlogEvents: lag.lagEvents, paused: subscription.status === 'paused' });
      }
      return figures;
    });
    this.schedule(0);
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running?.catch(() => undefined);
    await this.lock.close();
  }

  private schedule(delayMilliseconds: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.running = this.tick().finally(() => { this.running = null; });
    }, delayMilliseconds);
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    try {
      if (!this.lock.isHeld) {
        if (!(await this.lock.tryAcquire())) {
          this.schedule(STANDBY_RETRY_MILLISECONDS);
          return;
        }
        this.logger.log('webhook delivery: active on this instance');
      }
      const now = Date.now();
      for (const subscription of await this.subscriptions.list()) {
        if (this.stopped) return;
        if (subscription.status !== 'active') continue;
        if (subscription.nextAttemptAt !== null && subscription.nextAttemptAt.getTime() > now) continue;
        await this.runSubscription(subscription);
      }
      if (this.outage) {
        this.outage = false;
        this.logger.log('webhook delivery: the database is available again; resumed from the checkpoints');
      }
      this.schedule(this.settings.configuration.webhookIntervalMilliseconds);
    } catch (error) {
      if (isDatabaseUnavailableError(error)) {
        if (!this.outage) this.logger.warn(`webhook delivery: the database is unavailable; waiting for it: ${describe(error)}`);
        this.outage = true;
      } else {
        this.logger.error(`webhook delivery: ${describe(error)}`);
      }
      this.schedule(STANDBY_RETRY_MILLISECONDS);
    }
  }

  private async runSubscription(subscription: WebhookSubscription & { secret: string }): Promise<void> {
    const events = await this.runtime.store.readAll({ after: subscription.checkpoint, maxCount: EVENTS_PER_POLL_MAXIMUM });
    let saved: GlobalPosition | null = subscription.checkpoint;
    let passed: GlobalPosition | null = subscription.checkpoint;
    for (const event of events) {
      if (this.stopped) break;
      if (!wants(subscription, event.type)) {
        passed = event.globalPosition;
        continue;
      }
      if (passed !== saved && passed !== null) {
        await this.subscriptions.advance(subscription.id, passed);
        saved = passed;
      }
      const attempt = subscription.consecutiveFailures + 1;
      const result = await this.deliver(subscription, event);
      await this.subscriptions.logAttempt(subscription.id, {
        eventId: event.eventId, eventType: event.type, position: event.globalPosition, attempt,
        outcome: result.delivered ? 'delivered' : 'failed', statusCode: result.statusCode, error: result.error, latencyMilliseconds: result.latencyMilliseconds,
      });
      this.metrics.webhookDeliveries.inc({ outcome: result.delivered ? 'delivered' : 'failed' });
      if (!result.delivered) {
        await this.recordFailure(subscription, attempt, result);
        return;
      }
      await this.subscriptions.advance(subscription.id, event.globalPosition);
      subscription.consecutiveFailures = 0;
      saved = event.globalPosition;
      passed = event.globalPosition;
    }
    if (passed !== saved && passed !== null) await this.subscriptions.advance(subscription.id, passed);
  }

  private async recordFailure(subscription: WebhookSubscription, failures: number, result: AttemptResult): Promise<void> {
    const configuration = this.settings.configuration;
    const why = result.statusCode !== null ? `HTTP ${result.statusCode}` : result.error ?? 'no answer';
    if (failures >= configuration.webhookFailuresBeforePause) {
      const reason = `${failures} consecutive failed deliveries (RSI_WEBHOOK_FAILURES_BEFORE_PAUSE); the last: ${why}`;
      this.logger.warn(`webhook ${subscription.id}: paused: ${reason}`);
      await this.subscriptions.recordFailure(subscription.id, failures, null, reason);
      return;
    }
    const delay = Math.min(configuration.webhookRetryFirstMilliseconds * 2 ** (failures - 1), WEBHOOK_RETRY_DELAY_MAXIMUM_MILLISECONDS);
    await this.subscriptions.recordFailure(subscription.id, failures, new Date(Date.now() + delay), null);
  }

  private deliver(subscription: WebhookSubscription & { secret: string }, event: RecordedEvent): Promise<AttemptResult> {
    const body = deliveryBodyOf(subscription.id, event);
    const timestampSeconds = Math.floor(Date.now() / 1000);
    const started = process.hrtime.bigint();
    const elapsed = () => Number((process.hrtime.bigint() - started) / 1_000_000n);
    return new Promise<AttemptResult>((resolve) => {
      let settled = false;
      const finish = (result: Omit<AttemptResult, 'latencyMilliseconds'>) => {
        if (settled) return;
        settled = true;
        resolve({ ...result, latencyMilliseconds: elapsed() });
      };
      let url: URL;
      try {
        url = new URL(subscription.url);
      } catch {
        finish({ delivered: false, statusCode: null, error: 'the URL does not parse' });
        return;
      }
      const client = url.protocol === 'https:' ? https : http;
      const request = client.request(url, {
        method: 'POST',
        // Every address the host resolves to is checked, at each delivery.
        lookup: guardedLookup(this.settings.configuration.webhookAllowPrivateTargets),
        timeout: WEBHOOK_DELIVERY_TIMEOUT_MILLISECONDS,
        headers: {
          'Content-Type': 'application/json',
          'Content-Length': Buffer.byteLength(body),
          'User-Agent': 'rsi-ledger-webhooks',
          [SIGNATURE_HEADER]: signatureOf(subscription.secret, timestampSeconds, body),
          'Rsi-Event-Id': event.eventId,
        },
      }, (response) => {
        let read = 0;
        response.on('data', (chunk: Buffer) => {
          read += chunk.length;
          if (read > RESPONSE_BYTES_READ_MAXIMUM) response.destroy();
        });
        const statusCode = response.statusCode ?? 0;
        const settle = () => finish({
          delivered: statusCode >= 200 && statusCode < 300, statusCode,
          error: statusCode >= 300 && statusCode < 400 ? 'a redirect (never followed)' : null,
        });
        response.on('end', settle);
        response.on('close', settle);
        response.on('error', settle);
      });
      request.on('timeout', () => request.destroy(new Error(`no answer within ${WEBHOOK_DELIVERY_TIMEOUT_MILLISECONDS} ms`)));
      request.on('error', (error) => finish({ delivered: false, statusCode: null, error: describe(error).slice(0, ERROR_TEXT_LENGTH_MAXIMUM) }));
      request.end(body);
    });
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
