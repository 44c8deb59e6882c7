import { SessionAdvisoryLock, isDatabaseUnavailableError } from '@rsi/database';
import type { AllEventsSubscriptionSource, EventStore, RecordedEvent } from '@rsi/event-store';
import { compareGlobalPositions } from '@rsi/event-store';
import type { Projector } from './projector';

export type ProjectorRunnerOptions = {
  /** Name whose hash keys the advisory lock: one active runner per projection. */
  projectionName: string;
  /** Where the lock's own session connects; null when the database is embedded (one process). */
  lockConnectionString: string | null;
  pollIntervalMilliseconds: number;
  /** How often a standby tries to take over. */
  standbyRetryMilliseconds: number;
  log: (message: string) => void;
};

/**
 * While the database is unavailable the runner retries after this delay, doubled after each
 * failed attempt up to the maximum: a restart of a few seconds is followed within ~1 s of its
 * end, and a long outage costs one attempt every 5 s, not a storm of them.
 */
const OUTAGE_RETRY_FIRST_MILLISECONDS = 250;
const OUTAGE_RETRY_MAXIMUM_MILLISECONDS = 5_000;

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function isSubscriptionSource(store: EventStore): store is EventStore & AllEventsSubscriptionSource {
  return typeof (store as Partial<AllEventsSubscriptionSource>).subscribeToAll === 'function';
}

/**
 * Runs the projector continuously in `serve`. Only the holder of a PostgreSQL advisory
 * lock (session-level, on a connection of its own) runs it; other instances are standbys
 * that retry, and take over when the holder's session ends. With EventStoreDB the runner
 * follows a catch-up subscription to `$all` from the checkpoint; otherwise it polls.
 *
 * Requests may still call `projector.catchUp()` on any instance to read their own writes:
 * every batch locks the checkpoint row and checks it, so two writers never apply an event twice.
 *
 * A database outage stops nothing for good: the runner logs it once, retries with a bounded
 * back-off, takes the lock again on a new session if the old one died (the server released
 * the lock with it), and goes on from the stored checkpoint, which only ever moves in the
 * same transaction as the rows it covers.
 */
export class ProjectorRunner {
  private readonly lock: SessionAdvisoryLock;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<unknown> | null = null;
  private subscription: { stop(): Promise<void> } | null = null;
  private stopped = false;
  /** Set when the lock is taken, cleared when this runner steps down. */
  private leading = false;
  /** Null while the database answers; during an outage, the delay before the next attempt. */
  private outageRetryMilliseconds: number | null = null;

  constructor(
    private readonly store: EventStore,
    private readonly projector: Projector,
    private readonly options: ProjectorRunnerOptions,
  ) {
    this.lock = new SessionAdvisoryLock({ connectionString: options.lockConnectionString, lockName: `projector:${options.projectionName}` });
  }

  /** Leads while it holds the lock and has not stepped down (its subscription failed, or the checkpoint could not be read). */
  get isLeader(): boolean {
    return this.leading && this.lock.isHeld;
  }

  start(): void {
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running?.catch(() => undefined);
    await this.subscription?.stop().catch(() => undefined);
    this.subscription = null;
    await this.lock.close();
    this.leading = false;
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
      if (!this.isLeader) {
        this.leading = await this.lock.tryAcquire();
        if (!this.leading) {
          this.noteDatabaseAvailable();
          this.schedule(this.options.standbyRetryMilliseconds);
          return;
        }
        this.options.log(`projector ${this.options.projectionName}: active on this instance`);
        if (isSubscriptionSource(this.store)) {
          await this.projector.catchUp();
          this.noteDatabaseAvailable();
          this.subscribe(this.store);
          return;
        }
      }
      await this.projector.catchUp();
      this.noteDatabaseAvailable();
      this.schedule(this.options.pollIntervalMilliseconds);
    } catch (error) {
      this.retryAfter(error);
    }
  }

  /** Schedules the next attempt: backing off during an outage, else after the standby delay. */
  private retryAfter(error: unknown): void {
    if (!isDatabaseUnavailableError(error)) {
      this.options.log(`projector ${this.options.projectionName}: ${describeError(error)}`);
      this.schedule(this.options.standbyRetryMilliseconds);
      return;
    }
    if (this.outageRetryMilliseconds === null) {
      this.options.log(`projector ${this.options.projectionName}: the database is unavailable; waiting for it (retries back off to ${OUTAGE_RETRY_MAXIMUM_MILLISECONDS} ms): ${describeError(error)}`);
      this.outageRetryMilliseconds = OUTAGE_RETRY_FIRST_MILLISECONDS;
    } else {
      this.outageRetryMilliseconds = Math.min(this.outageRetryMilliseconds * 2, OUTAGE_RETRY_MAXIMUM_MILLISECONDS);
    }
    this.schedule(this.outageRetryMilliseconds);
  }

  private noteDatabaseAvailable(): void {
    if (this.outageRetryMilliseconds === null) return;
    this.outageRetryMilliseconds = null;
    this.options.log(`projector ${this.options.projectionName}: the database is available again; resumed from the checkpoint`);
  }

  /**
   * Applies what the subscription delivers, in order and one batch at a time (the source
   * awaits `onEvents`). Events at or before the stored checkpoint were already applied by
   * a request's catch-up, so they are dropped; a batch that finds the checkpoint moved is
   * filtered again against the new checkpoint.
   */
  private subscribe(source: AllEventsSubscriptionSource): void {
    this.projector.readCheckpoint().then((checkpoint) => {
      if (this.stopped) return;
      this.subscription = source.subscribeToAll({
        after: checkpoint,
        onEvents: async (events: RecordedEvent[]) => {
          for (let attempt = 0; attempt < 10; attempt += 1) {
            const stored = await this.projector.readCheckpoint();
            const fresh = stored === null ? events : events.filter((event) => compareGlobalPositions(event.globalPosition, stored) > 0);
            if (fresh.length === 0) return;
            if ((await this.projector.applyBatch(stored, fresh)) === 'applied') return;
          }
          throw new Error('the checkpoint kept moving under the subscription');
        },
        onError: (error: unknown) => {
          this.options.log(`projector ${this.options.projectionName}: subscription failed, resubscribing from the checkpoint: ${error instanceof Error ? error.message : String(error)}`);
          this.subscription = null;
          this.leading = false;
          void this.lock.release();
          this.schedule(this.options.standbyRetryMilliseconds);
        },
      });
    }, (error: unknown) => {
      // The checkpoint could not be read (an outage): not subscribed, so lead again later.
      this.leading = false;
      void this.lock.release();
      this.retryAfter(error);
    });
  }
}
