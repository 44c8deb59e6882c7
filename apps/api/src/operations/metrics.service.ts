import { Inject, Injectable } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { READ_REPLICA, type ReadReplica } from '@rsi/database';
import type { LedgerRuntime } from '@rsi/ledger';
import { LEDGER_RUNTIME } from '../api-settings';
import { checkpointLagOf, projectorCheckpointOf } from './projection-lag';

/** The projector's checkpoint row (BackgroundProjector's runner): its projections share it. */
export const LEDGER_PROJECTOR_NAME = 'ledger';

/** What the webhook worker reports at each scrape (set by the webhook module). */
export type WebhookMetricsSource = () => Promise<{ subscriptionId: string; backlogEvents: number; paused: boolean }[]>;

/**
 * Within one scrape several gauges read the same figures: prom-client collects every metric
 * at once (their collects start together), so the gauges that start while a read is in
 * flight share it. A read that has settled is never reused: the next scrape, even a
 * millisecond later, reads afresh (a time window here once served a second scrape the first
 * one's stale lag).
 */
function sharedPerScrape<T>(read: () => Promise<T>): () => Promise<T> {
  let inFlight: Promise<T> | null = null;
  return () => {
    if (inFlight === null) {
      const promise = read();
      inFlight = promise;
      const release = () => { if (inFlight === promise) inFlight = null; };
      promise.then(release, release);
    }
    return inFlight;
  };
}

/** Request latencies from 1 ms to 10 s: a command waits for its group commit, an export streams longer. */
const REQUEST_DURATION_BUCKETS_SECONDS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * The Prometheus metrics of one API instance (`GET /metrics`), in a registry of its own (two
 * applications in one process, as in tests, do not share counters). Counters count what this
 * instance did; the lag, pool and replica gauges are read when scraped. docs/operations.md#metrics.
 */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();
  private readonly httpRequests: Counter<'method' | 'route' | 'status'>;
  private readonly httpDuration: Histogram<'method' | 'route' | 'status'>;
  private readonly commands: Counter<'command' | 'outcome' | 'code'>;
  private readonly eventsAppended: Counter;
  readonly webhookDeliveries: Counter<'outcome'>;
  private webhookSource: WebhookMetricsSource | null = null;

  constructor(
    @Inject(LEDGER_RUNTIME) private readonly runtime: LedgerRuntime,
    @Inject(READ_REPLICA) private readonly readReplica: ReadReplica,
  ) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.httpRequests = new Counter({ name: 'rsi_http_requests_total', help: 'HTTP requests answered, by route template and status', labelNames: ['method', 'route', 'status'], registers });
    this.httpDuration = new Histogram({
      name: 'rsi_http_request_duration_seconds', help: 'Time from a request\'s arrival to the end of its response',
      labelNames: ['method', 'route', 'status'], buckets: REQUEST_DURATION_BUCKETS_SECONDS, registers,
    });
    this.commands = new Counter({ name: 'rsi_commands_total', help: 'Commands by outcome (recorded, already_recorded, refused, failed) and code', labelNames: ['command', 'outcome', 'code'], registers });
    this.eventsAppended = new Counter({ name: 'rsi_events_appended_total', help: 'Events appended by the commands of this instance', registers });
    this.webhookDeliveries = new Counter({ name: 'rsi_webhook_deliveries_total', help: 'Webhook delivery attempts by outcome (delivered, failed)', labelNames: ['outcome'], registers });
    const projectionNames = (): string[] => this.runtime.projectionHandlers.map((handler) => handler.name);
    const lagOfLedgerProjector = sharedPerScrape(async () => checkpointLagOf(this.runtime.connection.pool, await projectorCheckpointOf(this.runtime.connection.pool, LEDGER_PROJECTOR_NAME)));
    new Gauge({
      name: 'rsi_projection_lag_events', help: 'Events stored after the projection\'s checkpoint', labelNames: ['projection'], registers,
      collect: async function () {
        const lag = await lagOfLedgerProjector();
        for (const name of projectionNames()) this.set({ projection: name }, lag.lagEvents);
      },
    });
    new Gauge({
      name: 'rsi_projection_lag_seconds', help: 'Age of the oldest event the projection has not applied (0: caught up)', labelNames: ['projection'], registers,
      collect: async function () {
        const lag = await lagOfLedgerProjector();
        for (const name of projectionNames()) this.set({ projection: name }, lag.lagSeconds);
      },
    });
    const pool = this.runtime.connection.pool;
    new Gauge({
      name: 'rsi_database_pool_connections', help: 'Connections of this instance\'s primary pool: total open, idle, and requests waiting for one', labelNames: ['state'], registers,
      collect: function () {
        this.set({ state: 'total' }, pool.totalCount);
        this.set({ state: 'idle' }, pool.idleCount);
        this.set({ state: 'waiting' }, pool.waitingCount);
      },
    });
    new Gauge({ name: 'rsi_database_pool_connections_maximum', help: 'Size limit of the primary pool', registers }).set(this.runtime.connection.poolSizeMaximum);
    if (this.readReplica.configured) {
      const replica = this.readReplica;
      new Gauge({
        name: 'rsi_read_replica_lag_seconds', help: 'Replay lag of the DATABASE_READ_URL standby (NaN: it did not answer or has replayed nothing yet)', registers,
        collect: async function () {
          const lagMilliseconds = await replica.lagMilliseconds();
          this.set(lagMilliseconds === null ? Number.NaN : lagMilliseconds / 1000);
        },
      });
    }
    const webhookFigures = sharedPerScrape(async () => (await this.webhookSource?.()) ?? []);
    new Gauge({
      name: 'rsi_webhook_backlog_events', help: 'Events after a webhook subscription\'s checkpoint, not yet delivered', labelNames: ['subscription'], registers,
      collect: async function () {
        this.reset();
        for (const subscription of await webhookFigures()) this.set({ subscription: subscription.subscriptionId }, subscription.backlogEvents);
      },
    });
    new Gauge({
      name: 'rsi_webhook_subscriptions_paused', help: 'Webhook subscriptions paused after failing deliveries', registers,
      collect: async function () {
        this.set((await webhookFigures()).filter((subscription) => subscription.paused).length);
      },
    });
  }

  /** The webhook worker's figures, read at each scrape. */
  setWebhookSource(source: WebhookMetricsSource): void {
    this.webhookSource = source;
  }

  /** Express middleware: counts each request by its route template (never its raw path) and status. */
  readonly requestMiddleware = (request: Request, response: Response, next: NextFunction): void => {
    const started = process.hrtime.bigint();
    response.once('finish', () => {
      const matched = (request.route as { path?: unknown } | undefined)?.path;
      const route = typeof matched === 'string' ? `${request.baseUrl}${matched}` : 'unmatched';
      const labels = { method: request.method, route, status: String(response.statusCode) };
      this.httpRequests.inc(labels);
      this.httpDuration.observe(labels, Number(process.hrtime.bigint() - started) / 1e9);
    });
    next();
  };

  /** One command's outcome: `code` is the refusal's or failure's code, else the outcome itself. */
  countCommand(command: string, outcome: 'recorded' | 'already_recorded' | 'refused' | 'failed', code: string, eventsAppended: number): void {
    this.commands.inc({ command, outcome, code });
    if (eventsAppended > 0) this.eventsAppended.inc(eventsAppended);
  }

  async text(): Promise<string> {
    return this.registry.metrics();
  }
}
