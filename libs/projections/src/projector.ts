import type { Pool } from 'pg';
import {
  compareGlobalPositions,
  EVENT_STORE_LIMITS,
  type EventStore,
  type GlobalPosition,
  type RecordedEvent,
} from '../../event-store/src/event-store.port';
import type { ProjectionHandler } from './projection.handler';
import { quoteIdentifier } from './sql-bulk';

export type ProjectorOptions = {
  /** Name of the checkpoint row; one projector per name is active at a time. */
  projectionName: string;
  /** Schema of the read-model tables (`public`, or a fresh schema during replay). */
  schema: string;
  /** Events per transaction. */
  batchSize: number;
  /** The server takes `COPY … FROM STDIN` (not the embedded PGlite): inserted rows are streamed by COPY. */
  copyFromStdin?: boolean;
};

/** How long a catch-up waits for committed events that older running transactions hold back. */
const HEAD_WAIT_MILLISECONDS_MAXIMUM = 60_000;
const HEAD_POLL_MILLISECONDS = 5;

export type CatchUpResult = { eventsApplied: number; checkpoint: GlobalPosition | null };

/**
 * Reads all events after its checkpoint and applies them to its projections, writing the
 * rows and the new checkpoint in one transaction: a batch is applied entirely or not at
 * all, so an event is never applied twice and never skipped.
 *
 * The events are read before the transaction's connection is taken, because the embedded
 * database serves one connection and the store's reads use the same pool. Inside the
 * transaction the checkpoint row is locked and compared with the position the batch was
 * read after; if another projector moved it meanwhile, the batch is discarded and read again.
 */
export class Projector {
  /** The run that has not started yet; callers arriving now join it. */
  private queuedRun: Promise<CatchUpResult> | null = null;
  private lastRun: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly pool: Pool,
    private readonly store: EventStore,
    private readonly handlers: readonly ProjectionHandler[],
    private readonly options: ProjectorOptions = { projectionName: 'ledger', schema: 'public', batchSize: 5_000 },
  ) {
    if (options.batchSize < 1 || options.batchSize > EVENT_STORE_LIMITS.readAllBatchMaximum) {
      throw new Error(`projector batch size must be within 1..${EVENT_STORE_LIMITS.readAllBatchMaximum}`);
    }
  }

  /**
   * Applies every event committed before the call. Runs in this process are serialised;
   * callers that arrive while a run is in progress share the next run, which starts after
   * they arrived, so each caller sees its own writes projected.
   */
  catchUp(): Promise<CatchUpResult> {
    if (this.queuedRun) return this.queuedRun;
    const run = this.lastRun.catch(() => undefined).then(() => {
      this.queuedRun = null;
      return this.runUntilCaughtUp();
    });
    this.queuedRun = run;
    this.lastRun = run;
    return run;
  }

  async readCheckpoint(): Promise<GlobalPosition | null> {
    const result = await this.pool.query(
      `SELECT commit_position::text AS commit, prepare_position::text AS prepare FROM ${this.table('projection_checkpoints')} WHERE projection_name = $1`,
      [this.options.projectionName],
    );
    if (result.rows.length === 0) return null;
    return { commit: BigInt(result.rows[0].commit), prepare: BigInt(result.rows[0].prepare) };
  }

  private table(name: string): string {
    return `${quoteIdentifier(this.options.schema)}.${quoteIdentifier(name)}`;
  }

  private async runUntilCaughtUp(): Promise<CatchUpResult> {
    let eventsApplied = 0;
    // Events committed before this call must be projected when it returns, even if an older
    // transaction still running elsewhere keeps `readAll` from returning them yet.
    const head = this.store.readHeadPosition ? await this.store.readHeadPosition() : null;
    let checkpoint = await this.readCheckpoint();
    let waitedMilliseconds = 0;
    let prefetched: Promise<RecordedEvent[]> | null = null;
    for (;;) {
      const events = await (prefetched ?? this.store.readAll({ after: checkpoint, maxCount: this.options.batchSize }));
      prefetched = null;
      if (events.length === 0) {
        const headReached = head === null || (checkpoint !== null && compareGlobalPositions(checkpoint, head) >= 0);
        if (headReached) return { eventsApplied, checkpoint };
        if (waitedMilliseconds >= HEAD_WAIT_MILLISECONDS_MAXIMUM) {
          throw new Error(`projector: events up to ${head.commit}/${head.prepare} stayed invisible for ${HEAD_WAIT_MILLISECONDS_MAXIMUM} ms; a long transaction is holding them back`);
        }
        await new Promise((resolve) => setTimeout(resolve, HEAD_POLL_MILLISECONDS));
        waitedMilliseconds += HEAD_POLL_MILLISECONDS;
        continue;
      }
      if (events.length === this.options.batchSize) {
        // A full batch: more are likely. The next one is read (and parsed) while this one is
        // written, on another connection of the pool; it follows the last event of this
        // batch, so it is exactly what the next iteration would read, and it is dropped if
        // this batch is not applied. (Embedded: one connection, so it simply runs first.)
        prefetched = this.store.readAll({ after: events[events.length - 1].globalPosition, maxCount: this.options.batchSize });
        prefetched.catch(() => undefined);
      }
      const applied = await this.applyBatch(checkpoint, events);
      if (applied === 'checkpoint_moved') {
        prefetched = null;
        checkpoint = await this.readCheckpoint();
        continue;
      }
      eventsApplied += events.length;
      checkpoint = events[events.length - 1].globalPosition;
    }
  }

  /** Applies a batch read after `after`; used by catch-up and by live subscriptions. */
  async applyBatch(after: GlobalPosition | null, events: readonly RecordedEvent[]): Promise<'applied' | 'checkpoint_moved'> {
    for (let index = 1; index < events.length; index += 1) {
      if (compareGlobalPositions(events[index - 1].globalPosition, events[index].globalPosition) >= 0) {
        throw new Error(`invariant: the event store returned events out of global order: ${events[index - 1].globalPosition.commit}/${events[index - 1].globalPosition.prepare} then ${events[index].globalPosition.commit}/${events[index].globalPosition.prepare}`);
      }
    }
    if (after && events.length > 0 && compareGlobalPositions(after, events[0].globalPosition) >= 0) {
      throw new Error('invariant: the event store returned an event at or before the checkpoint');
    }
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query(
        `INSERT INTO ${this.table('projection_checkpoints')} (projection_name, commit_position, prepare_position)
         VALUES ($1, -1, -1) ON CONFLICT (projection_name) DO NOTHING`,
        [this.options.projectionName],
      );
      const locked = await client.query(
        `SELECT commit_position::text AS commit, prepare_position::text AS prepare
           FROM ${this.table('projection_checkpoints')} WHERE projection_name = $1 FOR UPDATE`,
        [this.options.projectionName],
      );
      const storedCommit = BigInt(locked.rows[0].commit);
      const stored = storedCommit < 0n ? null : { commit: storedCommit, prepare: BigInt(locked.rows[0].prepare) };
      const unchanged = stored === null ? after === null : after !== null && compareGlobalPositions(stored, after) === 0;
      if (!unchanged) {
        await client.query('ROLLBACK');
        return 'checkpoint_moved';
      }
      const context = { client, schema: this.options.schema, copyFromStdin: this.options.copyFromStdin === true };
      for (const handler of this.handlers) await handler.applyBatch(events, context);
      const last = events[events.length - 1].globalPosition;
      await client.query(
        `UPDATE ${this.table('projection_checkpoints')}
            SET commit_position = $2, prepare_position = $3, events_applied = events_applied + $4, updated_at = now()
          WHERE projection_name = $1`,
        [this.options.projectionName, last.commit.toString(), last.prepare.toString(), events.length],
      );
      await client.query('COMMIT');
      return 'applied';
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }
}
