import { compareGlobalPositions, type EventStore, type GlobalPosition, type RecordedEvent } from '../../../event-store/src/event-store.port';

const READ_BATCH_EVENTS = 10_000;
/** `readAll` holds events back while older transactions run; waiting longer means one is stuck. */
const HEAD_WAIT_MILLISECONDS_MAXIMUM = 60_000;
const HEAD_POLL_MILLISECONDS = 5;

/**
 * Reads every event in global order, batch by batch, until the store's head at the start
 * of the call has been passed (so that a seal sees everything committed before it began),
 * or until `until` (inclusive) is passed. `onBatch` returns false to stop early.
 */
export async function readEventsInGlobalOrder(
  store: EventStore,
  onBatch: (events: readonly RecordedEvent[]) => boolean | void | Promise<boolean | void>,
  options: { until?: GlobalPosition } = {},
): Promise<void> {
  const head = store.readHeadPosition ? await store.readHeadPosition() : null;
  let after: GlobalPosition | null = null;
  let waitedMilliseconds = 0;
  for (;;) {
    let events = await store.readAll({ after, maxCount: READ_BATCH_EVENTS });
    if (events.length === 0) {
      const headReached = head === null || (after !== null && compareGlobalPositions(after, head) >= 0);
      if (headReached) return;
      if (waitedMilliseconds >= HEAD_WAIT_MILLISECONDS_MAXIMUM) {
        throw new Error(`events up to ${head.commit}/${head.prepare} stayed invisible for ${HEAD_WAIT_MILLISECONDS_MAXIMUM} ms; a long transaction is holding them back`);
      }
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
    if ((await onBatch(events)) === false || passedUntil) return;
  }
}
