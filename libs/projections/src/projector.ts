import type { Pool } from 'pg';
import { SKIP_REASON_LENGTH_MAXIMUM } from '@rsi/domain';
import {
  compareGlobalPositions,
  EVENT_STORE_LIMITS,
  type EventStore,
  type GlobalPosition,
  type RecordedEvent,
} from '@rsi/event-store';
import { isDatabaseUnavailableError } from '@rsi/database';
import type { ProjectionContext, ProjectionHandler } from './projection.handler';
import {
  boundedMessage, describeFailedEvent, formatPosition, OPEN_FAILURES_PER_PROJECTION_MAXIMUM, ProjectionFailureTable,
  type ProjectionFailure,
} from './projection-failures';
import { defineTable } from './read-model-table';
import { insertRow, quoteIdentifier } from './sql-bulk';

/**
 * Migration 0002. One row per projector: the position of the last event applied, moved in
 * the transaction that applies the batch. A new row starts before the first event (-1).
 */
export const PROJECTION_CHECKPOINTS_TABLE = defineTable('projection_checkpoints', [
  ['projection_name', 'text'], ['commit_position', 'numeric'], ['prepare_position', 'numeric'],
  ['events_applied', 'int8', 'default'], ['updated_at', 'timestamptz', 'default'],
]);
const CHECKPOINT_BEFORE_FIRST_EVENT = -1n;

export type ProjectorOptions = {
  /** Name of the checkpoint row; one projector per name is active at a time. */
  projectionName: string;
  /** Schema of the read-model tables (`public`, or a fresh schema during replay). */
  schema: string;
  /** Events per transaction. */
  batchSize: number;
  /** The server takes `COPY … FROM STDIN` (not the embedded PGlite): inserted rows are streamed by COPY. */
  copyFromStdin?: boolean;
  /** One line per event a projection could not apply, once, when its failure is recorded. */
  log?: (line: string) => void;
};

/** How long a catch-up waits for committed events that older running transactions hold back. */
const HEAD_WAIT_MILLISECONDS_MAXIMUM = 60_000;
const HEAD_POLL_MILLISECONDS = 5;

/**
 * Held events a retry or skip applies in one transaction, per stream. A stream held back
 * longer than this is rebuilt instead (`rsi-ledger replay`), which applies it in order.
 */
const HELD_EVENTS_PER_RELEASE_MAXIMUM = 10_000;
/**
 * New failing events one projection may meet in one batch. More is not a poisoned event but
 * a projection that cannot apply events (a bug, a missing table): the projector stops, and
 * bisecting for each of them would only cost time.
 */
const NEW_FAILURES_PER_BATCH_MAXIMUM = 10;
/** A retry or skip reads the held events before its transaction; if the checkpoint moved meanwhile it reads again. */
const RELEASE_ATTEMPTS_MAXIMUM = 5;

export type CatchUpResult = {
  eventsApplied: number;
  checkpoint: GlobalPosition | null;
  /** Open failures after the run: each holds back its stream in its projection. */
  openFailures: ProjectionFailure[];
};

/** A projection met more failing events than `OPEN_FAILURES_PER_PROJECTION_MAXIMUM`: it stops, naming the event. */
export class ProjectionStoppedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProjectionStoppedError';
  }
}

/** What a retry or skip did to one open failure. */
export type ReleaseOutcome = {
  failure: ProjectionFailure;
  action: 'retried' | 'skipped';
  /** Held events of the stream applied now. */
  eventsApplied: number;
  /** Set when an event of the stream failed (again): the stream stays held from that event. */
  failedAgain: { eventId: string; position: GlobalPosition; errorMessage: string } | null;
};

/** A checkpoint row read as text: the positions are int8, exact only as strings. */
type CheckpointTextRow = { commit: string; prepare: string };

type EventFailure = { event: RecordedEvent; errorMessage: string };

/**
 * Reads all events after its checkpoint and applies them to its projections, writing the
 * rows and the new checkpoint in one transaction: a batch is applied entirely or not at
 * all, so an event is never applied twice and never skipped.
 *
 * The events are read before the transaction's connection is taken, because the embedded
 * database serves one connection and the store's reads use the same pool. Inside the
 * transaction the checkpoint row is locked and compared with the position the batch was
 * read after; if another projector moved it meanwhile, the batch is discarded and read again.
 *
 * A poisoned event (one a projection cannot decode, or whose handler throws) never stops
 * the ledger's reads: each projection applies its part of a batch under a savepoint; when
 * it fails, the first failing event is found by bisection, everything before it is
 * applied, the event is recorded in `projection_failures`, and that projection holds back
 * the event's stream (this event and every later one of the stream) until an operator
 * retries or skips it, while it goes on with every other stream. See docs/architecture.md.
 */
export class Projector {
  /** The run that has not started yet; callers arriving now join it. */
  private queuedRun: Promise<CatchUpResult> | null = null;
  private lastRun: Promise<unknown> = Promise.resolve();
  private readonly failures: ProjectionFailureTable;

  constructor(
    private readonly pool: Pool,
    private readonly store: EventStore,
    private readonly handlers: readonly ProjectionHandler[],
    private readonly options: ProjectorOptions = { projectionName: 'ledger', schema: 'public', batchSize: 5_000 },
  ) {
    if (options.batchSize < 1 || options.batchSize > EVENT_STORE_LIMITS.readAllBatchMaximum) {
      throw new Error(`projector batch size must be within 1..${EVENT_STORE_LIMITS.readAllBatchMaximum}`);
    }
    const names = handlers.map((handler) => handler.name);
    if (new Set(names).size !== names.length) throw new Error(`projection names must be unique: ${names.join(', ')}`);
    this.failures = new ProjectionFailureTable(options.schema);
  }

  /** The names of the projections this projector applies. */
  get projectionNames(): string[] {
    return this.handlers.map((handler) => handler.name);
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

  /**
   * Applies the events of a committed append handed over by their writer (an import), without
   * reading them back, when that is provably the same as reading them back: the checkpoint is
   * before the first of them and the store proves (`isExactlyNextAfter`) that they are exactly
   * the events `readAll` returns after it, now and ever. Then `applyBatch` applies them as it
   * would the events read: same rows, and the checkpoint moves with them in one transaction,
   * locked and compared. Otherwise nothing is applied and the answer says why:
   * `already_applied` (a catch-up got there first) or `not_next` (another writer's events,
   * an older transaction still running, a checkpoint inside them, a store without the proof):
   * the caller catches up instead. Serialised with this projector's catch-ups.
   */
  applyCommitted(events: readonly RecordedEvent[]): Promise<{ status: 'applied' | 'already_applied' | 'not_next'; eventsApplied: number }> {
    const run = this.lastRun.catch(() => undefined).then(() => this.applyCommittedNow(events));
    this.lastRun = run;
    return run;
  }

  private async applyCommittedNow(events: readonly RecordedEvent[]): Promise<{ status: 'applied' | 'already_applied' | 'not_next'; eventsApplied: number }> {
    if (events.length === 0) return { status: 'already_applied', eventsApplied: 0 };
    if (events.length > EVENT_STORE_LIMITS.appendToStreamsEventsMaximum || this.store.isExactlyNextAfter === undefined) return { status: 'not_next', eventsApplied: 0 };
    const checkpoint = await this.readCheckpoint();
    const last = events[events.length - 1].globalPosition;
    if (checkpoint !== null && compareGlobalPositions(checkpoint, last) >= 0) return { status: 'already_applied', eventsApplied: 0 };
    if (checkpoint !== null && compareGlobalPositions(checkpoint, events[0].globalPosition) >= 0) return { status: 'not_next', eventsApplied: 0 };
    if (!(await this.store.isExactlyNextAfter(checkpoint, events))) return { status: 'not_next', eventsApplied: 0 };
    // The checkpoint is compared again under its lock: another projector may have moved it since.
    const applied = await this.applyBatch(checkpoint, events);
    return applied === 'applied' ? { status: 'applied', eventsApplied: events.length } : { status: 'not_next', eventsApplied: 0 };
  }

  async readCheckpoint(): Promise<GlobalPosition | null> {
    const result = await this.pool.query<CheckpointTextRow>(
      `SELECT commit_position::text AS commit, prepare_position::text AS prepare FROM ${this.table(PROJECTION_CHECKPOINTS_TABLE.name)} WHERE projection_name = $1`,
      [this.options.projectionName],
    );
    if (result.rows.length === 0) return null;
    const commit = BigInt(result.rows[0].commit);
    // (-1, -1) is the row a batch inserts before it locks it: nothing applied yet.
    return commit < 0n ? null : { commit, prepare: BigInt(result.rows[0].prepare) };
  }

  /** Open failures of every projection, oldest first. */
  readOpenFailures(): Promise<ProjectionFailure[]> {
    return this.failures.readOpen(this.pool);
  }

  /** Every failure recorded, resolved or not (the operator's and the auditor's history), at most `limit`. */
  readFailureHistory(limit: number): Promise<ProjectionFailure[]> {
    return this.failures.readAll(this.pool, limit);
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
        if (headReached) return { eventsApplied, checkpoint, openFailures: await this.readOpenFailures() };
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
    if (events.length === 0) return 'applied';
    const recorded: { projectionName: string; failure: EventFailure }[] = [];
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      await insertRow(client, this.options.schema, PROJECTION_CHECKPOINTS_TABLE, {
        projection_name: this.options.projectionName, commit_position: CHECKPOINT_BEFORE_FIRST_EVENT, prepare_position: CHECKPOINT_BEFORE_FIRST_EVENT,
      }, 'ON CONFLICT (projection_name) DO NOTHING');
      const locked = await client.query<CheckpointTextRow>(
        `SELECT commit_position::text AS commit, prepare_position::text AS prepare
           FROM ${this.table(PROJECTION_CHECKPOINTS_TABLE.name)} WHERE projection_name = $1 FOR UPDATE`,
        [this.options.projectionName],
      );
      const storedCommit = BigInt(locked.rows[0].commit);
      const stored = storedCommit < 0n ? null : { commit: storedCommit, prepare: BigInt(locked.rows[0].prepare) };
      const unchanged = stored === null ? after === null : after !== null && compareGlobalPositions(stored, after) === 0;
      if (!unchanged) {
        await client.query('ROLLBACK');
        return 'checkpoint_moved';
      }
      const context: ProjectionContext = { client, schema: this.options.schema, copyFromStdin: this.options.copyFromStdin === true };
      const last = events[events.length - 1].globalPosition;
      const exclusions = await this.failures.readExclusions(client, events[0].globalPosition, last);
      for (const handler of this.handlers) {
        // One failure more than allowed is enough to know the projection must stop.
        const allowed = Math.min(NEW_FAILURES_PER_BATCH_MAXIMUM, OPEN_FAILURES_PER_PROJECTION_MAXIMUM - exclusions.heldCount(handler.name));
        const failed = await this.applyIsolated(handler, exclusions.eventsFor(handler.name, events), context, allowed + 1);
        if (failed.length > allowed) throw this.stoppedError(handler.name, failed[failed.length - 1]!);
        for (const failure of failed) {
          await this.failures.insertOpen(client, handler.name, failure.event, failure.errorMessage);
          recorded.push({ projectionName: handler.name, failure });
        }
      }
      await client.query(
        `UPDATE ${this.table(PROJECTION_CHECKPOINTS_TABLE.name)}
            SET commit_position = $2, prepare_position = $3, events_applied = events_applied + $4, updated_at = now()
          WHERE projection_name = $1`,
        [this.options.projectionName, last.commit.toString(), last.prepare.toString(), events.length],
      );
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
    // Logged once: the failure is recorded now, and the stream is held from here on.
    for (const { projectionName, failure } of recorded) this.logFailure(projectionName, failure);
    return 'applied';
  }

  private stoppedError(projectionName: string, failure: EventFailure): ProjectionStoppedError {
    const event = failure.event;
    return new ProjectionStoppedError(
      `${describeFailedEvent({ projectionName, position: event.globalPosition, streamName: event.streamName, streamVersion: event.streamVersion, eventId: event.eventId, eventType: event.type })} ` +
      `cannot be applied, after ${NEW_FAILURES_PER_BATCH_MAXIMUM} other failing events in one batch or ${OPEN_FAILURES_PER_PROJECTION_MAXIMUM} held streams: ` +
      `this is no poisoned event but a projection that cannot apply events; the projector stops before it (see rsi-ledger projections status): ${failure.errorMessage}`,
    );
  }

  private logFailure(projectionName: string, failure: EventFailure): void {
    const event = failure.event;
    this.options.log?.(
      `${describeFailedEvent({ projectionName, position: event.globalPosition, streamName: event.streamName, streamVersion: event.streamVersion, eventId: event.eventId, eventType: event.type })} ` +
      `cannot be applied; stream ${event.streamName} is held back in ${projectionName} until "rsi-ledger projections retry" or "skip": ${failure.errorMessage}`,
    );
  }

  /**
   * Applies `events` for one projection inside the caller's transaction. When they fail,
   * finds the first failing event, applies the events before it, leaves out that event
   * and the rest of its stream, and goes on with the others. Returns the failing events,
   * in order, at most `failuresMaximum` (it stops searching there: each costs a bisection);
   * the caller records them. An unavailable database is not blamed on an event.
   */
  private async applyIsolated(
    handler: ProjectionHandler, events: readonly RecordedEvent[], context: ProjectionContext, failuresMaximum: number,
  ): Promise<EventFailure[]> {
    const failed: EventFailure[] = [];
    let remaining = events;
    while (remaining.length > 0 && failed.length < failuresMaximum) {
      const error = await this.attempt(handler, remaining, context, 'keep');
      if (error === null) break;
      const first = await this.firstFailingEvent(handler, remaining, context, error);
      if (first.index > 0) {
        const again = await this.attempt(handler, remaining.slice(0, first.index), context, 'keep');
        if (again !== null) throw again;
      }
      const poisoned = remaining[first.index]!;
      failed.push({ event: poisoned, errorMessage: boundedMessage(first.error) });
      remaining = remaining.slice(first.index + 1).filter((event) => event.streamName !== poisoned.streamName);
    }
    return failed;
  }

  /**
   * Binary search for the shortest failing prefix: the prefix of length `low` applies,
   * that of length `high` fails, so the event at `high - 1` is the first that fails.
   * Every trial is rolled back. If the whole batch applies when tried again, its first
   * failure was not the events' doing (a deadlock, a timeout): it is thrown as it was.
   */
  private async firstFailingEvent(
    handler: ProjectionHandler, events: readonly RecordedEvent[], context: ProjectionContext, batchError: Error,
  ): Promise<{ index: number; error: Error }> {
    let low = 0;
    let high = events.length;
    let error = batchError;
    let highTried = false;
    while (high - low > 1) {
      const middle = Math.floor((low + high) / 2);
      const trial = await this.attempt(handler, events.slice(0, middle), context, 'roll_back');
      if (trial === null) low = middle;
      else { high = middle; error = trial; highTried = true; }
    }
    if (!highTried) {
      const trial = await this.attempt(handler, events.slice(0, high), context, 'roll_back');
      if (trial === null) throw batchError;
      error = trial;
    }
    return { index: high - 1, error };
  }

  /** Applies under a savepoint; returns the error (rolled back to the savepoint) or null. */
  private async attempt(handler: ProjectionHandler, events: readonly RecordedEvent[], context: ProjectionContext, outcome: 'keep' | 'roll_back'): Promise<Error | null> {
    if (events.length === 0) return null;
    await context.client.query('SAVEPOINT projection_handler');
    try {
      await handler.applyBatch(events, context);
    } catch (error) {
      if (isDatabaseUnavailableError(error)) throw error;
      await context.client.query('ROLLBACK TO SAVEPOINT projection_handler');
      await context.client.query('RELEASE SAVEPOINT projection_handler');
      return error instanceof Error ? error : new Error(String(error));
    }
    if (outcome === 'roll_back') await context.client.query('ROLLBACK TO SAVEPOINT projection_handler');
    await context.client.query('RELEASE SAVEPOINT projection_handler');
    return null;
  }

  /**
   * Tries the open failures again (of one projection, or all), oldest first, e.g. after a
   * fix: the held events of each stream, from the failed one up to the checkpoint, are
   * applied in order. A stream that applies is released; if an event fails, the stream
   * stays held from that event (the same failure counts one more attempt).
   */
  retry(request: { projectionName?: string; actor: string }): Promise<ReleaseOutcome[]> {
    return this.release({ ...request, action: 'retried', position: null, reason: null });
  }

  /**
   * Skips exactly the failed event at `position`, in the projection named or else in every
   * projection that failed on it:
   * an operator's decision, recorded with who, when and why; every rebuild skips it too and
   * `verify` reports it. The rest of its stream is then applied.
   */
  skip(request: { projectionName?: string; position: GlobalPosition; reason: string; actor: string }): Promise<ReleaseOutcome[]> {
    const reason = request.reason.trim();
    if (reason.length === 0 || reason.length > SKIP_REASON_LENGTH_MAXIMUM) {
      return Promise.reject(new Error(`a skip needs a reason of 1 to ${SKIP_REASON_LENGTH_MAXIMUM} characters`));
    }
    return this.release({ ...request, action: 'skipped', reason });
  }

  private async release(request: {
    projectionName?: string; actor: string; action: 'retried' | 'skipped'; position: GlobalPosition | null; reason: string | null;
  }): Promise<ReleaseOutcome[]> {
    if (request.projectionName !== undefined && !this.projectionNames.includes(request.projectionName)) {
      throw new Error(`no projection ${JSON.stringify(request.projectionName)}; known: ${this.projectionNames.join(', ')}`);
    }
    for (let attempt = 1; attempt <= RELEASE_ATTEMPTS_MAXIMUM; attempt += 1) {
      // Checkpoint first, then the streams: every held event at or before this checkpoint
      // was committed before it was read, so the stream reads below return all of them.
      const checkpoint = await this.readCheckpoint();
      const selected = this.selectFailures(await this.failures.readOpen(this.pool, { projectionName: request.projectionName }), request);
      if (selected.length === 0) return [];
      const heldEvents = new Map<string, RecordedEvent[]>();
      for (const failure of selected) heldEvents.set(failure.failureId, await this.readHeldEvents(failure, checkpoint, request.action));
      const outcomes = await this.releaseInTransaction(checkpoint, selected, heldEvents, request);
      if (outcomes !== 'checkpoint_moved') return outcomes;
    }
    throw new Error(`the checkpoint kept moving during ${RELEASE_ATTEMPTS_MAXIMUM} attempts; try again`);
  }

  private selectFailures(open: ProjectionFailure[], request: { projectionName?: string; position: GlobalPosition | null }): ProjectionFailure[] {
    if (request.position === null) return open;
    const position = request.position;
    const atPosition = open.filter((failure) => compareGlobalPositions(failure.position, position) === 0);
    if (atPosition.length === 0) {
      throw new Error(`no open failure at position ${formatPosition(position)}${request.projectionName ? ` in projection ${request.projectionName}` : ''} (see rsi-ledger projections status)`);
    }
    // Without a projection named, the decision is about the event: every projection that failed on it skips it.
    return atPosition;
  }

  /** The failed event (retry) or the events after it (skip) of its stream, up to the checkpoint. */
  private async readHeldEvents(failure: ProjectionFailure, checkpoint: GlobalPosition | null, action: 'retried' | 'skipped'): Promise<RecordedEvent[]> {
    const fromStreamVersion = action === 'retried' ? failure.streamVersion : failure.streamVersion + 1n;
    const read = await this.store.readStream(failure.streamName, { fromStreamVersion, maxCount: HELD_EVENTS_PER_RELEASE_MAXIMUM + 1 });
    const held = read.events.filter((event) => checkpoint !== null && compareGlobalPositions(event.globalPosition, checkpoint) <= 0);
    if (held.length > HELD_EVENTS_PER_RELEASE_MAXIMUM) {
      throw new Error(`${describeFailedEvent(failure)}: more than ${HELD_EVENTS_PER_RELEASE_MAXIMUM} events of the stream are held back; rebuild with rsi-ledger replay instead`);
    }
    if (action === 'retried' && held[0]?.eventId !== failure.eventId) {
      throw new Error(`invariant: ${describeFailedEvent(failure)} is not in its stream at that version`);
    }
    return held;
  }

  private async releaseInTransaction(
    checkpoint: GlobalPosition | null,
    selected: ProjectionFailure[],
    heldEvents: Map<string, RecordedEvent[]>,
    request: { actor: string; action: 'retried' | 'skipped'; reason: string | null },
  ): Promise<ReleaseOutcome[] | 'checkpoint_moved'> {
    const client = await this.pool.connect();
    const outcomes: ReleaseOutcome[] = [];
    try {
      await client.query('BEGIN');
      const locked = await client.query<CheckpointTextRow>(
        `SELECT commit_position::text AS commit, prepare_position::text AS prepare
           FROM ${this.table(PROJECTION_CHECKPOINTS_TABLE.name)} WHERE projection_name = $1 FOR UPDATE`,
        [this.options.projectionName],
      );
      const stored = locked.rows.length === 0 || BigInt(locked.rows[0].commit) < 0n ? null : { commit: BigInt(locked.rows[0].commit), prepare: BigInt(locked.rows[0].prepare) };
      const stillOpen = new Set((await this.failures.readOpen(client, { forUpdate: true })).map((failure) => failure.failureId));
      const unchanged = (stored === null ? checkpoint === null : checkpoint !== null && compareGlobalPositions(stored, checkpoint) === 0)
        && selected.every((failure) => stillOpen.has(failure.failureId));
      if (!unchanged) {
        await client.query('ROLLBACK');
        return 'checkpoint_moved';
      }
      const context: ProjectionContext = { client, schema: this.options.schema, copyFromStdin: this.options.copyFromStdin === true };
      for (const failure of selected) {
        const handler = this.handlers.find((candidate) => candidate.name === failure.projectionName);
        if (!handler) throw new Error(`${describeFailedEvent(failure)}: this program has no projection of that name`);
        const events = heldEvents.get(failure.failureId)!;
        if (request.action === 'skipped') await this.failures.resolve(client, failure.failureId, 'skipped', request.actor, request.reason);
        // Only one stream is applied, so at most its first failing event comes back.
        const failed = await this.applyIsolated(handler, events, context, 1);
        const failedAgain = failed[0] ?? null;
        if (request.action === 'retried') {
          if (failedAgain?.event.eventId === failure.eventId) await this.failures.recordAttempt(client, failure.failureId, failedAgain.errorMessage);
          else await this.failures.resolve(client, failure.failureId, 'retried', request.actor, null);
        }
        if (failedAgain && failedAgain.event.eventId !== failure.eventId) {
          await this.failures.insertOpen(client, failure.projectionName, failedAgain.event, failedAgain.errorMessage);
        }
        const appliedCount = failedAgain ? events.findIndex((event) => event.eventId === failedAgain.event.eventId) : events.length;
        outcomes.push({
          failure, action: request.action, eventsApplied: appliedCount,
          failedAgain: failedAgain ? { eventId: failedAgain.event.eventId, position: failedAgain.event.globalPosition, errorMessage: failedAgain.errorMessage } : null,
        });
      }
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
    return outcomes;
  }
}
