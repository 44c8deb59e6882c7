/**
 * The EventStoreDB adapter against a REAL server. Nothing here is mocked: without a server
 * (EVENTSTORE_CONNECTION_STRING unset) the server suites are skipped, visibly, and only the
 * start-up error checks run (they need no server: they prove the failure message).
 *
 * Run against a server:
 *   docker run --rm -d -p 2113:2113 eventstore/eventstore:24.10 --insecure --run-projections=All
 *   EVENTSTORE_CONNECTION_STRING=esdb://localhost:2113?tls=false npm run test:eventstoredb
 *
 * Streams cannot be dropped cheaply in EventStoreDB, so every store made here gets its own
 * stream-name prefix (unique per run and per store): reruns on the same server never see an
 * earlier run's streams, and `readAll`/`subscribeToAll` only see the store's own events.
 */
import { randomUUID } from 'node:crypto';
import { describeEventStoreConformance } from '../conformance/event-store.conformance';
import { deriveEventId } from '../event-id';
import { DuplicateEventIdError, StreamVersionConflictError } from '../event-store.port';
import type { GlobalPosition, NewEvent, RecordedEvent } from '../event-store.port';
import { connectEventStoreDb, redactConnectionString } from './eventstoredb-event-store';
import type { EventStoreDbEventStore } from './eventstoredb-event-store';

const connectionString = process.env.EVENTSTORE_CONNECTION_STRING;
const serverAvailable = connectionString !== undefined && connectionString.trim() !== '';
const SKIP_MESSAGE =
  'skipped: no EventStoreDB (set EVENTSTORE_CONNECTION_STRING=esdb://localhost:2113?tls=false to run)';

const runPrefix = `test-${Date.now().toString(36)}-${randomUUID().slice(0, 8)}`;
let storeCount = 0;

async function createStore(): Promise<EventStoreDbEventStore> {
  storeCount += 1;
  return connectEventStoreDb(connectionString, { streamNamePrefix: `${runPrefix}-${storeCount}.` });
}

function testEvent(commandId: string, eventIndex: number, streamName: string): NewEvent {
  return {
    eventId: deriveEventId(commandId, eventIndex),
    type: 'TestEventRecorded',
    data: { commandId, eventIndex, streamName },
    metadata: {
      commandId,
      actor: 'test',
      recordedAt: '2026-01-01T00:00:00.000Z',
      schemaVersion: 1,
      previousEventHash: '0'.repeat(64),
      eventHash: '1'.repeat(64),
    },
  };
}

describe('connectEventStoreDb start-up errors (no server needed)', () => {
  it('names EVENTSTORE_CONNECTION_STRING when it is not set', async () => {
    await expect(connectEventStoreDb(undefined)).rejects.toThrow(/EVENTSTORE_CONNECTION_STRING is not set/);
  });

  it('names EVENTSTORE_CONNECTION_STRING when it cannot be parsed', async () => {
    await expect(connectEventStoreDb('http://not-an-esdb-url')).rejects.toThrow(/EVENTSTORE_CONNECTION_STRING=/);
  });

  it('names EVENTSTORE_CONNECTION_STRING when nothing listens there, and hides the password', async () => {
    // Port 1 on the loopback: connection refused at once, no server involved.
    const failure = connectEventStoreDb('esdb://admin:secret@127.0.0.1:1?tls=false', { connectTimeoutMilliseconds: 3_000 });
    await expect(failure).rejects.toThrow(/cannot use EventStoreDB at EVENTSTORE_CONNECTION_STRING=esdb:\/\/admin:\*\*\*@127\.0\.0\.1:1/);
    await expect(failure).rejects.not.toThrow(/secret/);
  });

  it('redacts only the password of a connection string', () => {
    expect(redactConnectionString('esdb://admin:changeit@node1:2113,node2:2113?tls=true')).toBe('esdb://admin:***@node1:2113,node2:2113?tls=true');
    expect(redactConnectionString('esdb://localhost:2113?tls=false')).toBe('esdb://localhost:2113?tls=false');
  });
});

if (!serverAvailable) {
  // Printed, not only a skipped test name, so that nobody mistakes a green run for a tested adapter.
  console.warn(SKIP_MESSAGE);
  describe('EventStoreDbEventStore against EventStoreDB', () => {
    it.skip(SKIP_MESSAGE, () => undefined);
  });
} else {
  describeEventStoreConformance('eventstoredb', async () => {
    const store = await createStore();
    return { store, cleanup: () => store.close() };
  });

  describe('EventStoreDbEventStore specifics against EventStoreDB', () => {
    let store: EventStoreDbEventStore;
    beforeEach(async () => {
      store = await createStore();
    });
    afterEach(async () => {
      await store.close();
    });

    it('acknowledges a retried append (same ids, same expected revision) without writing twice', async () => {
      const events = [testEvent('RecordRevenue:r1', 0, 'developer-a'), testEvent('RecordRevenue:r1', 1, 'developer-a')];
      const first = await store.appendToStream('developer-a', events, { expectedStreamVersion: 'no_stream' });
      const retried = await store.appendToStream('developer-a', events, { expectedStreamVersion: 'no_stream' });
      expect(retried.nextExpectedStreamVersion).toBe(1n);
      expect(retried.lastPosition).toEqual(first.lastPosition);
      const read = await store.readStream('developer-a');
      expect(read.events.map((event) => event.eventId)).toEqual(events.map((event) => event.eventId));
      expect(read.currentStreamVersion).toBe(1n);
    });

    it('reports the actual version on a conflict', async () => {
      await store.appendToStream('developer-b', [testEvent('c1', 0, 'developer-b'), testEvent('c1', 1, 'developer-b')], {
        expectedStreamVersion: 'no_stream',
      });
      const conflict = store.appendToStream('developer-b', [testEvent('c2', 0, 'developer-b')], { expectedStreamVersion: 0n });
      await expect(conflict).rejects.toBeInstanceOf(StreamVersionConflictError);
      await expect(conflict).rejects.toMatchObject({ expectedStreamVersion: 0n, actualStreamVersion: 1n });
    });

    it('reads a missing stream as empty with no_stream, and a page with the current version', async () => {
      expect(await store.readStream('developer-missing')).toEqual({ events: [], currentStreamVersion: 'no_stream' });
      await store.appendToStream('developer-c', [0, 1, 2].map((index) => testEvent('c3', index, 'developer-c')), {
        expectedStreamVersion: 'no_stream',
      });
      const page = await store.readStream('developer-c', { fromStreamVersion: 1n, maxCount: 1 });
      expect(page.events.map((event) => event.streamVersion)).toEqual([1n]);
      expect(page.currentStreamVersion).toBe(2n);
      const beyondTheEnd = await store.readStream('developer-c', { fromStreamVersion: 10n });
      expect(beyondTheEnd).toEqual({ events: [], currentStreamVersion: 2n });
    });

    it('reads all events strictly after a position, in order', async () => {
      await store.appendToStream('developer-d', [testEvent('d1', 0, 'developer-d')], { expectedStreamVersion: 'no_stream' });
      await store.appendToStream('developer-e', [testEvent('e1', 0, 'developer-e')], { expectedStreamVersion: 'no_stream' });
      await store.appendToStream('developer-d', [testEvent('d2', 0, 'developer-d')], { expectedStreamVersion: 0n });
      const all = await store.readAll({ after: null, maxCount: 100 });
      expect(all.map((event) => event.data.commandId)).toEqual(['d1', 'e1', 'd2']);
      const afterFirst = await store.readAll({ after: all[0]!.globalPosition, maxCount: 100 });
      expect(afterFirst.map((event) => event.data.commandId)).toEqual(['e1', 'd2']);
      const oneAfterFirst = await store.readAll({ after: all[0]!.globalPosition, maxCount: 1 });
      expect(oneAfterFirst.map((event) => event.data.commandId)).toEqual(['e1']);
      expect(await store.readAll({ after: all[2]!.globalPosition, maxCount: 100 })).toEqual([]);
    });

    it('reports the head position of its namespace', async () => {
      expect(await store.readHeadPosition()).toBeNull();
      await store.appendToStream('developer-h', [testEvent('h1', 0, 'developer-h')], { expectedStreamVersion: 'no_stream' });
      const last = await store.appendToStream('developer-h', [testEvent('h2', 0, 'developer-h')], { expectedStreamVersion: 0n });
      expect(await store.readHeadPosition()).toEqual(last.lastPosition);
    });

    it('refuses an event id stored in another stream and appends nothing', async () => {
      const shared = testEvent('RegisterApp:app-1', 0, 'developer-i');
      await store.appendToStream('developer-i', [shared], { expectedStreamVersion: 'no_stream' });
      const refused = store.appendToStream('developer-j', [testEvent('j1', 0, 'developer-j'), shared], { expectedStreamVersion: 'no_stream' });
      await expect(refused).rejects.toBeInstanceOf(DuplicateEventIdError);
      expect((await store.readStream('developer-j')).currentStreamVersion).toBe('no_stream');
      // The reservations are invisible to readers of all events.
      const all = await store.readAll({ after: null, maxCount: 100 });
      expect(all.map((event) => event.streamName)).toEqual(['developer-i']);
    });

    it('subscribes after a checkpoint, in order, one handler call at a time', async () => {
      await store.appendToStream('developer-f', [testEvent('f1', 0, 'developer-f')], { expectedStreamVersion: 'no_stream' });
      const [checkpointEvent] = await store.readAll({ after: null, maxCount: 1 });
      const checkpoint: GlobalPosition = checkpointEvent!.globalPosition;

      const received: RecordedEvent[] = [];
      const errors: unknown[] = [];
      let running = 0;
      let maximumRunning = 0;
      let resolveAllReceived: () => void = () => undefined;
      const allReceived = new Promise<void>((resolve) => {
        resolveAllReceived = resolve;
      });
      const subscription = store.subscribeToAll({
        after: checkpoint,
        onEvents: async (events) => {
          running += 1;
          maximumRunning = Math.max(maximumRunning, running);
          await new Promise((resolve) => setTimeout(resolve, 5));
          received.push(...events);
          running -= 1;
          if (received.length >= 4) resolveAllReceived();
        },
        onError: (error) => errors.push(error),
      });
      await store.appendToStream('developer-f', [testEvent('f2', 0, 'developer-f')], { expectedStreamVersion: 0n });
      await store.appendToStream('developer-g', [0, 1, 2].map((index) => testEvent('g1', index, 'developer-g')), {
        expectedStreamVersion: 'no_stream',
      });
      await allReceived;
      await subscription.stop();

      // The checkpoint event itself is not delivered again: the subscription start is exclusive.
      expect(received.map((event) => `${event.data.commandId}#${String(event.data.eventIndex)}`)).toEqual(['f2#0', 'g1#0', 'g1#1', 'g1#2']);
      expect(received.every((event) => !event.streamName.startsWith(runPrefix))).toBe(true);
      expect(maximumRunning).toBe(1);
      expect(errors).toEqual([]);
    });
  });
}
