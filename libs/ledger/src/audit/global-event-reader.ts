import { compareGlobalPositions, type EventStore, type GlobalPosition, type RecordedEvent } from '@rsi/event-store';

const READ_BATCH_EVENTS = 10_000;
/** `readAll` holds events back while older transactions run; waiting longer means one is stuck. */
const HEAD_WAIT_MILLISECONDS_MAXIMUM = 60_000;
const HEAD_POLL_MILLISECONDS = 5;

/** The events up to the store's head stayed invisible longer than the bound: a reader cannot claim to have read them all. */
export class HeadUnreachableError extends Error {
  readonly code = 'head_unreachable';
  constructor(readonly head: GlobalPosition, readonly reachedPosition: GlobalPosition | null, readonly waitedMilliseconds: number) {
    super(`events up to ${head.commit}/${head.prepare} stayed invisible for ${waitedMilliseconds} ms (read up to ${reachedPosition === null ? 'the start' : `${reachedPosition.commit}/${reachedPosition.prepare}`}); a long transaction is holding them back`);
    this.name = 'HeadUnreachableError';
  }
}

/**
 * Reads every event in global order, batch by batch, until the store's head at the start
 * of the call has been passed (so that a seal sees everything committed before it began),
 * or until `until` (inclusive) is passed. `onBatch` returns false to stop early. An empty
 * page before the head is not the end: older transactions still running hold events back,
 * so it waits for them, at most `headWaitMillisecondsMaximum` (default and maximum 60 s),
 * then throws `HeadUnreachableError`. Returns the head aimed at and the last position passed.
 * `head`: the head to read up to, read by the caller (who reads other things up to the same head).
 */
export async function readEventsInGlobalOrder(
  store: EventStore,
  onBatch: (events: readonly RecordedEvent[]) => boolean | void | Promise<boolean | void>,
  options: { until?: GlobalPosition; headWaitMillisecondsMaximum?: number; head?: GlobalPosition | null } = {},
): Promise<{ head: GlobalPosition | null; lastPosition: GlobalPosition | null }> {
  const headWaitMillisecondsMaximum = options.headWaitMillisecondsMaximum ?? HEAD_WAIT_MILLISECONDS_MAXIMUM;
  if (!(headWaitMillisecondsMaximum >= 0 && headWaitMillisecondsMaximum <= HEAD_WAIT_MILLISECONDS_MAXIMUM)) {
    throw new RangeError(`headWaitMillisecondsMaximum must be within 0..${HEAD_WAIT_MILLISECONDS_MAXIMUM}`);
  }
  const head = options.head !== undefined ? options.head : store.readHeadPosition ? await store.readHeadPosition() : null;
  let after: GlobalPosition | null = null;
  let lastPassed: GlobalPosition | null = null;
  let waitedMilliseconds = 0;
  for (;;) {
    let events = await store.readAll({ after, maxCount: READ_BATCH_EVENTS });
    if (events.length === 0) {
      const headReached = head === null || (after !== null && compareGlobalPositions(after, head) >= 0);
      if (headReached) return { head, lastPosition: lastPassed };
      if (waitedMilliseconds >= headWaitMillisecondsMaximum) throw new HeadUnreachableError(head, after, waitedMilliseconds);
      await new Promise((resolve) => setTimeout(resolve, HEAD_POLL_MILLISECONDS));
      waitedMilliseconds += HEAD_POLL_MILLISECONDS;
      continue;
    }
    after = events[events.length - 1]!.globalPosition;
    const until = options.until;
    let passedUntil = false;
    if (until !== undefined && compareGlobalPositions(after, until) > 0) {
      events = events.filter((event) => compareGlobalPositions(event.globalPosition, until) <= 0);
      passedUntil = true;
    }
    if (events.length > 0) lastPassed = events[events.length - 1]!.globalPosition;
    if ((await onBatch(events)) === false || passedUntil) return { head, lastPosition: lastPassed };
  }
}

/**
 * Waits until every event up to `head` is visible to a new snapshot: no transaction at or
 * below the head's is still running (the condition `readAll` reads under). A reader that
 * then takes its own snapshot sees exactly the events up to the head that a reader in
 * global order sees. Waits at most `headWaitMillisecondsMaximum` (default and maximum 60 s).
 */
export async function waitUntilVisible(
  pool: { query<Row>(text: string, values?: unknown[]): Promise<{ rows: Row[] }> }, head: GlobalPosition, headWaitMillisecondsMaximum = HEAD_WAIT_MILLISECONDS_MAXIMUM,
): Promise<void> {
  let waitedMilliseconds = 0;
  for (;;) {
    const visible = await pool.query<{ visible: boolean }>('SELECT pg_snapshot_xmin(pg_current_snapshot()) > $1::text::xid8 AS visible', [head.commit.toString()]);
    if (visible.rows[0]!.visible) return;
    if (waitedMilliseconds >= Math.min(headWaitMillisecondsMaximum, HEAD_WAIT_MILLISECONDS_MAXIMUM)) {
      // Named as a reader in global order names it: up to the last event visible.
      const reached = await pool.query<{ commit: string; prepare: string }>(
        `SELECT transaction_id::text AS commit, position::text AS prepare FROM events
          WHERE transaction_id < pg_snapshot_xmin(pg_current_snapshot()) ORDER BY events.transaction_id DESC, events.position DESC LIMIT 1`,
      );
      const row = reached.rows[0];
      throw new HeadUnreachableError(head, row === undefined ? null : { commit: BigInt(row.commit), prepare: BigInt(row.prepare) }, waitedMilliseconds);
    }
    await new Promise((resolve) => setTimeout(resolve, HEAD_POLL_MILLISECONDS));
    waitedMilliseconds += HEAD_POLL_MILLISECONDS;
  }
}
