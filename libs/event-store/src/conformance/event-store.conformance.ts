import * as crypto from 'node:crypto';
import {
  DuplicateEventIdError,
  StreamVersionConflictError,
  compareGlobalPositions,
  type EventStore,
  type GlobalPosition,
  type NewEvent,
  type RecordedEvent,
} from '../event-store.port';

/**
 * The behaviour every event-store adapter must have. Each adapter's spec calls this with a
 * factory; the store is created once per suite and may already hold events (a shared
 * EventStoreDB), so every test uses streams of its own and reads `$all` from the head it
 * found, looking only at its own streams.
 */
export function describeEventStoreConformance(
  adapterName: string,
  createStore: () => Promise<{ store: EventStore; cleanup(): Promise<void> }>,
): void {
  describe(`EventStore conformance: ${adapterName}`, () => {
    let store: EventStore;
    let cleanup: (() => Promise<void>) | undefined;

    beforeAll(async () => {
      const created = await createStore();
      store = created.store;
      cleanup = created.cleanup;
    });

    afterAll(async () => {
      await cleanup?.();
    });

    it('appends to a new stream and reads it back in revision order', async () => {
      const streamName = uniqueStreamName('append');
      const events = [newEvent('Opened', { n: 0 }), newEvent('Changed', { n: 1 }), newEvent('Changed', { n: 2 })];
      const result = await store.appendToStream(streamName, events, { expectedStreamVersion: 'no_stream' });
      expect(result.nextExpectedStreamVersion).toBe(2n);

      const read = await store.readStream(streamName);
      expect(read.currentStreamVersion).toBe(2n);
      expect(read.events.map((event) => event.eventId)).toEqual(events.map((event) => event.eventId));
      expect(read.events.map((event) => event.streamVersion)).toEqual([0n, 1n, 2n]);
      expect(read.events.map((event) => event.type)).toEqual(['Opened', 'Changed', 'Changed']);
      expect(read.events[2].data).toEqual({ n: 2 });
      expect(read.events.every((event) => event.streamName === streamName)).toBe(true);
      expect(compareGlobalPositions(read.events[2].globalPosition, result.lastPosition)).toBe(0);
    });

    it('books an append at commit: the completion gets a booking time, strictly later each append, and what it returns is stored', async () => {
      const streamName = uniqueStreamName('completion');
      const bookedTimes: string[] = [];
      const completeWith = (events: NewEvent[], expectedStreamVersion: bigint | 'no_stream') => (bookedAt: string) => {
        bookedTimes.push(bookedAt);
        return [{ streamName, expectedStreamVersion, events: events.map((event) => ({ ...event, metadata: { ...event.metadata, recordedAt: bookedAt } })) }];
      };
      const first = [newEvent('Opened', { n: 0 }), newEvent('Changed', { n: 1 })];
      await store.appendToStream(streamName, first, { expectedStreamVersion: 'no_stream', complete: completeWith(first, 'no_stream') });
      const second = [newEvent('Changed', { n: 2 })];
      await store.appendToStream(streamName, second, { expectedStreamVersion: 1n, complete: completeWith(second, 1n) });

      const read = await store.readStream(streamName);
      const stored = read.events.map((event) => event.metadata.recordedAt);
      expect(stored).toEqual([bookedTimes[bookedTimes.length - 2], bookedTimes[bookedTimes.length - 2], bookedTimes[bookedTimes.length - 1]]);
      expect(stored.every((bookedAt) => /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/.test(bookedAt))).toBe(true);
      expect(stored[0]! < stored[2]!).toBe(true);
    });

    it('refuses a completion that changes the event ids, and stores nothing', async () => {
      const streamName = uniqueStreamName('completion-changed');
      const events = [newEvent('Opened', { n: 0 })];
      const error = await captureError(store.appendToStream(streamName, events, {
        expectedStreamVersion: 'no_stream',
        complete: () => [{ streamName, expectedStreamVersion: 'no_stream', events: [newEvent('Opened', { n: 0 })] }],
      }));
      expect((error as Error).message).toMatch(/invariant broken: an append completion changed/);
      expect((await store.readStream(streamName)).currentStreamVersion).toBe('no_stream');
    });

    it('reads a stream from a revision, at most maxCount events', async () => {
      const streamName = uniqueStreamName('partial');
      const events = Array.from({ length: 5 }, (_, index) => newEvent('Counted', { index }));
      await store.appendToStream(streamName, events, { expectedStreamVersion: 'no_stream' });
      const read = await store.readStream(streamName, { fromStreamVersion: 1n, maxCount: 3 });
      expect(read.events.map((event) => event.streamVersion)).toEqual([1n, 2n, 3n]);
      expect(read.currentStreamVersion).toBe(4n);
    });

    it('reports a missing stream as no_stream', async () => {
      const read = await store.readStream(uniqueStreamName('missing'));
      expect(read).toEqual({ events: [], currentStreamVersion: 'no_stream' });
    });

    it('refuses no_stream when the stream exists, with its actual version', async () => {
      const streamName = uniqueStreamName('exists');
      await store.appendToStream(streamName, [newEvent('Opened', {}), newEvent('Changed', {})], { expectedStreamVersion: 'no_stream' });
      const error = await captureError(store.appendToStream(streamName, [newEvent('Opened', {})], { expectedStreamVersion: 'no_stream' }));
      expect(error).toBeInstanceOf(StreamVersionConflictError);
      expect((error as StreamVersionConflictError).actualStreamVersion).toBe(1n);
      expect((error as StreamVersionConflictError).expectedStreamVersion).toBe('no_stream');
    });

    it('refuses a wrong expected version with the actual version, and writes nothing', async () => {
      const streamName = uniqueStreamName('conflict');
      await store.appendToStream(streamName, [newEvent('Opened', {})], { expectedStreamVersion: 'no_stream' });
      await store.appendToStream(streamName, [newEvent('Changed', {})], { expectedStreamVersion: 0n });

      const stale = await captureError(store.appendToStream(streamName, [newEvent('Changed', {})], { expectedStreamVersion: 0n }));
      expect(stale).toBeInstanceOf(StreamVersionConflictError);
      expect((stale as StreamVersionConflictError).actualStreamVersion).toBe(1n);

      const ahead = await captureError(store.appendToStream(streamName, [newEvent('Changed', {})], { expectedStreamVersion: 7n }));
      expect((ahead as StreamVersionConflictError).actualStreamVersion).toBe(1n);

      const missing = await captureError(store.appendToStream(uniqueStreamName('absent'), [newEvent('Changed', {})], { expectedStreamVersion: 0n }));
      expect(missing).toBeInstanceOf(StreamVersionConflictError);
      expect((missing as StreamVersionConflictError).actualStreamVersion).toBe('no_stream');

      expect((await store.readStream(streamName)).currentStreamVersion).toBe(1n);
    });

    it('treats a retried append (same ids at the same revisions) as a success that writes nothing', async () => {
      const streamName = uniqueStreamName('retry');
      const first = [newEvent('Opened', {}), newEvent('Changed', {})];
      const original = await store.appendToStream(streamName, first, { expectedStreamVersion: 'no_stream' });
      expect(original.alreadyStored ?? false).toBe(false);
      const retried = await store.appendToStream(streamName, first, { expectedStreamVersion: 'no_stream' });
      expect(retried.nextExpectedStreamVersion).toBe(1n);
      expect(retried.alreadyStored).toBe(true);
      expect(compareGlobalPositions(retried.lastPosition, original.lastPosition)).toBe(0);

      const second = [newEvent('Changed', { n: 2 })];
      await store.appendToStream(streamName, second, { expectedStreamVersion: 1n });
      // The stream moved on since; the retry of the second append is still recognised.
      await store.appendToStream(streamName, [newEvent('Changed', { n: 3 })], { expectedStreamVersion: 2n });
      const retriedSecond = await store.appendToStream(streamName, second, { expectedStreamVersion: 1n });
      expect(retriedSecond.nextExpectedStreamVersion).toBe(2n);

      const read = await store.readStream(streamName);
      expect(read.events).toHaveLength(4);
      expect(read.events.slice(0, 3).map((event) => event.eventId)).toEqual([...first, ...second].map((event) => event.eventId));
      expect(read.currentStreamVersion).toBe(3n);
    });

    it('refuses an event id that is already stored in another stream', async () => {
      const event = newEvent('Opened', {});
      const firstStream = uniqueStreamName('owner');
      const otherStream = uniqueStreamName('thief');
      await store.appendToStream(firstStream, [event], { expectedStreamVersion: 'no_stream' });
      const error = await captureError(store.appendToStream(otherStream, [newEvent('Opened', {}), event], { expectedStreamVersion: 'no_stream' }));
      expect(error).toBeInstanceOf(DuplicateEventIdError);
      expect((error as DuplicateEventIdError).eventId).toBe(event.eventId);
      // All or nothing: the first event of the refused append is not stored either.
      expect((await store.readStream(otherStream)).currentStreamVersion).toBe('no_stream');
    });

    it('reads all events across streams in the order they were appended', async () => {
      const head = await readHead(store);
      const streamA = uniqueStreamName('all-a');
      const streamB = uniqueStreamName('all-b');
      const appended: string[] = [];
      const append = async (streamName: string, expected: bigint | 'no_stream', count: number) => {
        const events = Array.from({ length: count }, (_, index) => newEvent('Counted', { index }));
        await store.appendToStream(streamName, events, { expectedStreamVersion: expected });
        appended.push(...events.map((event) => event.eventId));
      };
      await append(streamA, 'no_stream', 2);
      await append(streamB, 'no_stream', 1);
      await append(streamA, 1n, 1);
      await append(streamB, 0n, 3);

      const isOwn = (event: RecordedEvent) => event.streamName === streamA || event.streamName === streamB;
      const all = (await readAllUntil(store, head, (events) => events.filter(isOwn).length >= appended.length)).filter(isOwn);
      expect(all.map((event) => event.eventId)).toEqual(appended);
      expectStrictlyIncreasing(all.map((event) => event.globalPosition));
      expect(all.find((event) => event.streamName === streamB && event.streamVersion === 3n)).toBeDefined();
    });

    it('reads all after a checkpoint, page by page with maxCount, never twice', async () => {
      const head = await readHead(store);
      const streamName = uniqueStreamName('paging');
      const events = Array.from({ length: 7 }, (_, index) => newEvent('Counted', { index }));
      await store.appendToStream(streamName, events, { expectedStreamVersion: 'no_stream' });

      const seen: RecordedEvent[] = [];
      let checkpoint = head;
      const deadline = Date.now() + VISIBILITY_WAIT_MAXIMUM_MILLISECONDS;
      for (let page = 0; page < READ_TO_END_PAGES_MAXIMUM; page += 1) {
        const batch = await store.readAll({ after: checkpoint, maxCount: 2 });
        if (batch.length === 0) {
          if (seen.filter((event) => event.streamName === streamName).length >= events.length || Date.now() > deadline) break;
          await sleep(VISIBILITY_POLL_MILLISECONDS);
          continue;
        }
        expect(batch.length).toBeLessThanOrEqual(2);
        for (const event of batch) if (checkpoint) expect(compareGlobalPositions(event.globalPosition, checkpoint)).toBe(1);
        seen.push(...batch);
        checkpoint = batch[batch.length - 1].globalPosition;
      }
      const own = seen.filter((event) => event.streamName === streamName);
      expect(own.map((event) => event.eventId)).toEqual(events.map((event) => event.eventId));
      expectStrictlyIncreasing(seen.map((event) => event.globalPosition));
    });

    it('uses bigint stream versions and positions', async () => {
      const streamName = uniqueStreamName('bigint');
      const result = await store.appendToStream(streamName, [newEvent('Opened', {})], { expectedStreamVersion: 'no_stream' });
      expect(typeof result.nextExpectedStreamVersion).toBe('bigint');
      expect(typeof result.lastPosition.commit).toBe('bigint');
      expect(typeof result.lastPosition.prepare).toBe('bigint');
      const next = await store.appendToStream(streamName, [newEvent('Changed', {})], { expectedStreamVersion: 0n });
      expect(next.nextExpectedStreamVersion).toBe(1n);
      const read = await store.readStream(streamName, { fromStreamVersion: 1n });
      expect(typeof read.events[0].streamVersion).toBe('bigint');
      // A version far beyond 2^53 must be compared exactly, not as a float.
      const error = await captureError(store.appendToStream(streamName, [newEvent('Changed', {})], { expectedStreamVersion: 2n ** 60n + 1n }));
      expect((error as StreamVersionConflictError).actualStreamVersion).toBe(1n);
    });

    it('round-trips data and metadata exactly', async () => {
      const streamName = uniqueStreamName('metadata');
      const data = { amount: '12345678901234567890', nested: { list: [1, 'two', null, true], empty: {} }, text: 'naïve "quoted" \\ ✓' };
      const event: NewEvent = {
        eventId: crypto.randomUUID(),
        type: 'RevenueRecorded',
        data,
        metadata: { ...metadataFor('RecordRevenue:r-1'), extra: { source: 'import', line: 42 } },
      };
      await store.appendToStream(streamName, [event], { expectedStreamVersion: 'no_stream' });
      const [read] = (await store.readStream(streamName)).events;
      expect(read.data).toEqual(data);
      expect(read.metadata).toEqual(event.metadata);
      expect(read.type).toBe('RevenueRecorded');
    });

    it('lets a tailing reader see later appends from its checkpoint', async () => {
      const streamName = uniqueStreamName('tail');
      await store.appendToStream(streamName, [newEvent('Opened', {})], { expectedStreamVersion: 'no_stream' });
      const checkpoint = await readHead(store);
      expect((await store.readAll({ after: checkpoint, maxCount: 10 })).filter((event) => event.streamName === streamName)).toEqual([]);

      const later = [newEvent('Changed', { n: 1 }), newEvent('Changed', { n: 2 })];
      await store.appendToStream(streamName, later, { expectedStreamVersion: 0n });
      const isOwn = (event: RecordedEvent) => event.streamName === streamName;
      const tail = (await readAllUntil(store, checkpoint, (events) => events.filter(isOwn).length >= later.length)).filter(isOwn);
      expect(tail.map((event) => event.eventId)).toEqual(later.map((event) => event.eventId));
    });

    it('appends to several streams in one call, all or nothing (when the adapter offers appendToStreams)', async () => {
      if (!store.appendToStreams) return;
      const existing = uniqueStreamName('multi-existing');
      await store.appendToStream(existing, [newEvent('Opened', {})], { expectedStreamVersion: 'no_stream' });
      const fresh = uniqueStreamName('multi-fresh');
      const batch = [
        { streamName: fresh, events: [newEvent('Opened', {}), newEvent('Changed', {})], expectedStreamVersion: 'no_stream' as const },
        { streamName: existing, events: [newEvent('Changed', {})], expectedStreamVersion: 0n },
      ];
      const results = await store.appendToStreams(batch);
      expect(results.map((result) => result.nextExpectedStreamVersion)).toEqual([1n, 1n]);
      // The retried batch is a success that writes nothing.
      const retried = await store.appendToStreams(batch);
      expect(retried.map((result) => result.nextExpectedStreamVersion)).toEqual([1n, 1n]);
      expect(results.map((result) => result.alreadyStored ?? false)).toEqual([false, false]);
      expect(retried.map((result) => result.alreadyStored)).toEqual([true, true]);

      const untouched = uniqueStreamName('multi-untouched');
      const error = await captureError(
        store.appendToStreams([
          { streamName: untouched, events: [newEvent('Opened', {})], expectedStreamVersion: 'no_stream' },
          { streamName: existing, events: [newEvent('Changed', {})], expectedStreamVersion: 0n },
        ]),
      );
      expect(error).toBeInstanceOf(StreamVersionConflictError);
      expect((error as StreamVersionConflictError).streamName).toBe(existing);
      expect((await store.readStream(untouched)).currentStreamVersion).toBe('no_stream');
      expect((await store.readStream(existing)).currentStreamVersion).toBe(1n);
    });
  });
}

const READ_TO_END_PAGES_MAXIMUM = 10_000;
const READ_PAGE_SIZE = 1_000;
const VISIBILITY_WAIT_MAXIMUM_MILLISECONDS = 30_000;
const VISIBILITY_POLL_MILLISECONDS = 20;

/** The position of the last event readable now (null: the store is empty). */
async function readHead(store: EventStore): Promise<GlobalPosition | null> {
  // readAll may still hold back committed events (an older transaction elsewhere on the
  // server), so reading to its end is not the head; the store's own head position is.
  if (store.readHeadPosition) return store.readHeadPosition();
  let checkpoint: GlobalPosition | null = null;
  for (let page = 0; page < READ_TO_END_PAGES_MAXIMUM; page += 1) {
    const batch = await store.readAll({ after: checkpoint, maxCount: READ_PAGE_SIZE });
    if (batch.length === 0) return checkpoint;
    checkpoint = batch[batch.length - 1].globalPosition;
  }
  throw new Error(`more than ${READ_TO_END_PAGES_MAXIMUM * READ_PAGE_SIZE} events in the store under test`);
}

/**
 * Reads `$all` after `after` until `isComplete` holds (or the wait is over). An appended
 * event need not be readable at once: the PostgreSQL adapter holds readers back while an
 * older transaction anywhere on the server is still open, and EventStoreDB's `$all` may
 * lag too. Never reading it at all is the failure.
 */
async function readAllUntil(store: EventStore, after: GlobalPosition | null, isComplete: (events: RecordedEvent[]) => boolean): Promise<RecordedEvent[]> {
  const events: RecordedEvent[] = [];
  let checkpoint = after;
  const deadline = Date.now() + VISIBILITY_WAIT_MAXIMUM_MILLISECONDS;
  for (let page = 0; page < READ_TO_END_PAGES_MAXIMUM; page += 1) {
    const batch = await store.readAll({ after: checkpoint, maxCount: READ_PAGE_SIZE });
    if (batch.length === 0) {
      if (isComplete(events) || Date.now() > deadline) return events;
      await sleep(VISIBILITY_POLL_MILLISECONDS);
      continue;
    }
    events.push(...batch);
    checkpoint = batch[batch.length - 1].globalPosition;
  }
  throw new Error(`more than ${READ_TO_END_PAGES_MAXIMUM} reads of the store under test`);
}

function sleep(milliseconds: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, milliseconds));
}

function expectStrictlyIncreasing(positions: GlobalPosition[]): void {
  for (let index = 1; index < positions.length; index += 1) {
    expect(compareGlobalPositions(positions[index - 1], positions[index])).toBe(-1);
  }
}

function uniqueStreamName(purpose: string): string {
  return `conformance-${purpose}-${crypto.randomUUID()}`;
}

function newEvent(type: string, data: NewEvent['data']): NewEvent {
  return { eventId: crypto.randomUUID(), type, data, metadata: metadataFor(`Test:${crypto.randomUUID()}`) };
}

function metadataFor(commandId: string): NewEvent['metadata'] {
  return {
    commandId,
    actor: 'cli:conformance',
    recordedAt: '2026-01-01T00:00:00.000Z',
    schemaVersion: 1,
    previousEventHash: '0'.repeat(64),
    eventHash: 'f'.repeat(64),
  };
}

async function captureError(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to fail, but it succeeded');
}
