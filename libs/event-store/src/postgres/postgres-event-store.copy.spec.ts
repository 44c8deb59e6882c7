import * as crypto from 'node:crypto';
import { createTestDatabase, type TestDatabase } from '../../../../test/support/test-database';
import { DuplicateEventIdError, type GlobalPosition, type JsonObject, type NewEvent, type RecordedEvent } from '../event-store.port';
import { PostgresEventStore } from './postgres-event-store';

/**
 * The COPY insert path where it differs from the INSERT path: its text encoding (every
 * field escaped for COPY's text format), its errors (a server error arrives on a stream),
 * and its positions (read back after the COPY instead of returned by the statement).
 * The conformance suite covers the rest for both paths (`postgres-event-store.spec.ts`).
 */
const databaseUrl = process.env.DATABASE_URL?.trim();
if (!databaseUrl) {
  console.warn(
    'postgres-event-store.copy.spec.ts SKIPPED: it needs DATABASE_URL (a real PostgreSQL server). ' +
      'The embedded PGlite has no COPY FROM STDIN, so the store never takes that path there.',
  );
}
const describeWithServer = databaseUrl ? describe : describe.skip;

/** Every character COPY's text format treats specially, COPY's own markers, quotes, and non-ASCII. */
const AWKWARD_TEXT = 'tab\there, newline\nthere, return\r, backslash\\, null \\N, end \\., quotes "\' `, é, ü, 你好, 💶🧾, zero-width \u200b';

const READ_ALL_WAIT_MAXIMUM_MILLISECONDS = 10_000;

describeWithServer('PostgresEventStore COPY path (real PostgreSQL)', () => {
  let database: TestDatabase;
  let copyStore: PostgresEventStore;
  let insertStore: PostgresEventStore;

  beforeAll(async () => {
    // One connection: every append below runs on the same pg client, so a client left
    // unusable by a failed COPY fails the next append of the test.
    database = await createTestDatabase({ poolSizeMaximum: 1 });
    copyStore = new PostgresEventStore(database.connection.pool, { copyFromStdin: true });
    insertStore = new PostgresEventStore(database.connection.pool, { copyFromStdin: false });
  });

  afterAll(async () => {
    await copyStore?.close();
    await insertStore?.close();
    await database?.drop();
  });

  it('stores stream names, types, data and metadata with special characters byte-identical, as the INSERT path does', async () => {
    const head = await copyStore.readHeadPosition();
    const copyStreamName = `copy ${AWKWARD_TEXT} ${crypto.randomUUID()}`;
    const insertStreamName = `insert ${AWKWARD_TEXT} ${crypto.randomUUID()}`;
    const copyEvents = [awkwardEvent(0), awkwardEvent(1)];
    const insertEvents = [awkwardEvent(0), awkwardEvent(1)];
    await copyStore.appendToStream(copyStreamName, copyEvents, { expectedStreamVersion: 'no_stream' });
    await insertStore.appendToStream(insertStreamName, insertEvents, { expectedStreamVersion: 'no_stream' });

    const read = await copyStore.readStream(copyStreamName);
    expect(read.currentStreamVersion).toBe(1n);
    expectSameEvents(read.events, copyStreamName, copyEvents);

    expectSameEvents(await readAllOfStream(copyStore, head, copyStreamName, copyEvents.length), copyStreamName, copyEvents);

    // The stored text itself: the JSON as JSON.stringify wrote it, the same from both paths.
    const stored = await database.connection.pool.query<{ stream_name: string; type: string; data: string; metadata: string }>(
      `SELECT stream_name, type, data::text AS data, metadata::text AS metadata FROM events
        WHERE stream_name = ANY($1::text[]) ORDER BY stream_name, stream_version`,
      [[copyStreamName, insertStreamName]],
    );
    const copied = stored.rows.filter((row) => row.stream_name === copyStreamName);
    const inserted = stored.rows.filter((row) => row.stream_name === insertStreamName);
    expect(copied.map((row) => row.data)).toEqual(copyEvents.map((event) => JSON.stringify(event.data)));
    expect(copied.map((row) => row.metadata)).toEqual(copyEvents.map((event) => JSON.stringify(event.metadata)));
    expect(copied.map((row) => [row.type, row.data, row.metadata])).toEqual(inserted.map((row) => [row.type, row.data, row.metadata]));
  });

  it('turns a duplicate event id into DuplicateEventIdError, writes nothing, and leaves the connection usable', async () => {
    const storedStreamName = uniqueStreamName('stored');
    const stored = newEvent(0);
    await copyStore.appendToStream(storedStreamName, [stored], { expectedStreamVersion: 'no_stream' });

    const existingStreamName = uniqueStreamName('existing');
    await copyStore.appendToStream(existingStreamName, [newEvent(0)], { expectedStreamVersion: 'no_stream' });
    const newStreamName = uniqueStreamName('new');
    // Upper case: the id is matched to its stream however the caller spelled it.
    const duplicate = { ...newEvent(1), eventId: stored.eventId.toUpperCase() };
    const error = await captureError(
      copyStore.appendToStreams([
        { streamName: existingStreamName, events: [newEvent(1)], expectedStreamVersion: 0n },
        { streamName: newStreamName, events: [newEvent(0), duplicate, newEvent(2)], expectedStreamVersion: 'no_stream' },
      ]),
    );
    expect(error).toBeInstanceOf(DuplicateEventIdError);
    expect((error as DuplicateEventIdError).eventId).toBe(stored.eventId);
    expect((error as DuplicateEventIdError).streamName).toBe(newStreamName);

    expect(await copyStore.readStream(newStreamName)).toEqual({ events: [], currentStreamVersion: 'no_stream' });
    expect((await copyStore.readStream(existingStreamName)).currentStreamVersion).toBe(0n);
    // The same (only) connection appends again.
    const result = await copyStore.appendToStream(existingStreamName, [newEvent(1)], { expectedStreamVersion: 0n });
    expect(result.nextExpectedStreamVersion).toBe(1n);
  });

  it('fails a large batch on a duplicate in its first or its second COPY statement, writes nothing, and recovers', async () => {
    const storedStreamName = uniqueStreamName('stored-large');
    const stored = newEvent(0);
    await copyStore.appendToStream(storedStreamName, [stored], { expectedStreamVersion: 'no_stream' });

    // 3 × 6,000 events of ~1 KB: two COPY statements (10,000 events each at most), ~18 MB in
    // all. (On a fast local socket the client has usually handed over every row before it
    // reads the error; the next test makes it read the error while rows still wait to go.)
    for (const duplicateAt of [3, 13_000]) {
      const streamNames = [0, 1, 2].map((index) => uniqueStreamName(`large-${index}`));
      const batch = streamNames.map((streamName, streamIndex) => ({
        streamName,
        expectedStreamVersion: 'no_stream' as const,
        events: Array.from({ length: 6_000 }, (_, index) => (streamIndex * 6_000 + index === duplicateAt ? { ...newEvent(index), eventId: stored.eventId } : largeEvent(index))),
      }));
      const error = await captureError(copyStore.appendToStreams(batch));
      expect(error).toBeInstanceOf(DuplicateEventIdError);
      expect((error as DuplicateEventIdError).eventId).toBe(stored.eventId);
      expect((error as DuplicateEventIdError).streamName).toBe(streamNames[Math.floor(duplicateAt / 6_000)]);
      for (const streamName of streamNames) {
        expect(await copyStore.readStream(streamName)).toEqual({ events: [], currentStreamVersion: 'no_stream' });
      }
      const count = await database.connection.pool.query<{ count: string }>(`SELECT count(*)::text AS count FROM events WHERE stream_name = ANY($1::text[])`, [
        streamNames,
      ]);
      expect(count.rows[0].count).toBe('0');
    }

    // The connection took the ROLLBACK and takes the next COPY.
    const streamName = uniqueStreamName('after-failures');
    const result = await copyStore.appendToStream(streamName, [newEvent(0), newEvent(1)], { expectedStreamVersion: 'no_stream' });
    expect(result.nextExpectedStreamVersion).toBe(1n);
  });

  it('fails a COPY whose duplicate the server finds while the client still waits to send rows, and recovers', async () => {
    const stored = newEvent(0);
    await copyStore.appendToStream(uniqueStreamName('stored-slow'), [stored], { expectedStreamVersion: 'no_stream' });
    // A row trigger slows the server down (~1 ms a row) on these streams only, so that the
    // client's socket fills and the error arrives while the COPY stream waits to write.
    await database.connection.pool.query(`
      CREATE FUNCTION slow_copy_rows() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN PERFORM pg_sleep(0.0002); RETURN NEW; END $$`);
    await database.connection.pool.query(`
      CREATE TRIGGER slow_copy_rows BEFORE INSERT ON events FOR EACH ROW
      WHEN (NEW.stream_name LIKE 'copy-slow-%') EXECUTE FUNCTION slow_copy_rows()`);
    try {
      const streamName = uniqueStreamName('slow');
      const events = Array.from({ length: 10_000 }, (_, index) => (index === 500 ? { ...newEvent(index), eventId: stored.eventId } : largeEvent(index)));
      const error = await captureError(copyStore.appendToStream(streamName, events, { expectedStreamVersion: 'no_stream' }));
      expect(error).toBeInstanceOf(DuplicateEventIdError);
      expect((error as DuplicateEventIdError).streamName).toBe(streamName);
      expect(await copyStore.readStream(streamName)).toEqual({ events: [], currentStreamVersion: 'no_stream' });
    } finally {
      await database.connection.pool.query('DROP TRIGGER slow_copy_rows ON events');
      await database.connection.pool.query('DROP FUNCTION slow_copy_rows()');
    }
    const result = await copyStore.appendToStream(uniqueStreamName('after-slow'), [newEvent(0)], { expectedStreamVersion: 'no_stream' });
    expect(result.nextExpectedStreamVersion).toBe(0n);
  });

  it('fails text that the INSERT refuses (a NUL, a lone surrogate) with the same error as the INSERT', async () => {
    const cases: { label: string; event: () => NewEvent }[] = [
      { label: 'NUL in data', event: () => ({ ...newEvent(0), data: { text: 'a\u0000b' } }) },
      { label: 'lone surrogate in data', event: () => ({ ...newEvent(0), data: { text: 'a\ud800b' } }) },
      { label: 'lone surrogate in a data key', event: () => ({ ...newEvent(0), data: { 'key\udc00': 'b' } }) },
      { label: 'NUL in metadata', event: () => ({ ...newEvent(0), metadata: { ...metadataFor('Nul'), note: '\u0000' } }) },
      { label: 'NUL in type', event: () => ({ ...newEvent(0), type: 'Nul\u0000' }) },
      { label: 'lone surrogate in type', event: () => ({ ...newEvent(0), type: 'Lone\udfff' }) },
    ];
    for (const { label, event } of cases) {
      const copyError = await captureError(copyStore.appendToStream(uniqueStreamName('refused'), [newEvent(0), event()], { expectedStreamVersion: 'no_stream' }));
      const insertError = await captureError(insertStore.appendToStream(uniqueStreamName('refused'), [newEvent(0), event()], { expectedStreamVersion: 'no_stream' }));
      expect({ label, error: describeError(copyError) }).toEqual({ label, error: describeError(insertError) });
    }
    // Text that only looks like those escapes is stored (by the INSERT statement, inside the
    // COPY store's append), in a batch whose other chunk goes by COPY.
    const cleanStreamName = uniqueStreamName('clean');
    const escapeLikeStreamName = uniqueStreamName('escape-like');
    const escapeLike = { ...newEvent(0), data: { text: 'backslash-u: \\u0000 \\ud800' } };
    const results = await copyStore.appendToStreams([
      { streamName: cleanStreamName, events: Array.from({ length: 10_000 }, (_, index) => newEvent(index)), expectedStreamVersion: 'no_stream' },
      { streamName: escapeLikeStreamName, events: [newEvent(0), escapeLike], expectedStreamVersion: 'no_stream' },
    ]);
    const read = await copyStore.readStream(escapeLikeStreamName);
    expect(read.events[1].data).toEqual(escapeLike.data);
    expect(read.events[1].globalPosition).toEqual(results[1].lastPosition);
    expect((await copyStore.readStream(cleanStreamName, { fromStreamVersion: 9_999n })).events[0].globalPosition).toEqual(results[0].lastPosition);
  });

  it('returns the last position of every stream of a batch that takes several COPY statements', async () => {
    const streamNames = [0, 1, 2, 3].map((index) => uniqueStreamName(`positions-${index}`));
    await copyStore.appendToStream(streamNames[3], [newEvent(0)], { expectedStreamVersion: 'no_stream' });
    const results = await copyStore.appendToStreams([
      { streamName: streamNames[0], events: Array.from({ length: 7_000 }, (_, index) => newEvent(index)), expectedStreamVersion: 'no_stream' },
      { streamName: streamNames[1], events: Array.from({ length: 6_000 }, (_, index) => newEvent(index)), expectedStreamVersion: 'no_stream' },
      { streamName: streamNames[2], events: [newEvent(0)], expectedStreamVersion: 'no_stream' },
      { streamName: streamNames[3], events: [newEvent(1), newEvent(2)], expectedStreamVersion: 0n },
    ]);
    expect(results.map((result) => result.nextExpectedStreamVersion)).toEqual([6_999n, 5_999n, 0n, 2n]);
    for (const [index, streamName] of streamNames.entries()) {
      const read = await copyStore.readStream(streamName);
      const last = read.events[read.events.length - 1];
      expect(last.streamVersion).toBe(results[index].nextExpectedStreamVersion);
      expect(last.globalPosition).toEqual(results[index].lastPosition);
    }
    // One transaction: one commit position for all, prepare positions in batch order.
    expect(new Set(results.map((result) => result.lastPosition.commit)).size).toBe(1);
    expect(results[0].lastPosition.prepare < results[1].lastPosition.prepare).toBe(true);
    expect(results[1].lastPosition.prepare < results[2].lastPosition.prepare).toBe(true);
    expect(results[2].lastPosition.prepare < results[3].lastPosition.prepare).toBe(true);
  });
});

function expectSameEvents(read: RecordedEvent[], streamName: string, appended: NewEvent[]): void {
  expect(read.length).toBe(appended.length);
  for (const [index, event] of read.entries()) {
    expect(event.streamName).toBe(streamName);
    expect(event.streamVersion).toBe(BigInt(index));
    expect(event.eventId).toBe(appended[index].eventId);
    expect(event.type).toBe(appended[index].type);
    expect(JSON.stringify(event.data)).toBe(JSON.stringify(appended[index].data));
    expect(JSON.stringify(event.metadata)).toBe(JSON.stringify(appended[index].metadata));
  }
}

/**
 * `readAll` shows a transaction only once every older one on the server has ended (another
 * test run on the same server can hold it back): read until the stream's events are there.
 */
async function readAllOfStream(store: PostgresEventStore, after: GlobalPosition | null, streamName: string, eventCount: number): Promise<RecordedEvent[]> {
  const deadline = Date.now() + READ_ALL_WAIT_MAXIMUM_MILLISECONDS;
  const events: RecordedEvent[] = [];
  let checkpoint = after;
  while (events.length < eventCount) {
    if (Date.now() > deadline) throw new Error(`readAll returned ${events.length} of ${eventCount} events in time`);
    const batch = await store.readAll({ after: checkpoint, maxCount: 1_000 });
    if (batch.length === 0) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      continue;
    }
    events.push(...batch.filter((event) => event.streamName === streamName));
    checkpoint = batch[batch.length - 1].globalPosition;
  }
  return events;
}

function awkwardEvent(index: number): NewEvent {
  const data: JsonObject = {
    index,
    text: AWKWARD_TEXT,
    [`key ${AWKWARD_TEXT}`]: [AWKWARD_TEXT, { nested: AWKWARD_TEXT }],
    // A JSON escape that must stay an escape, and characters JSON.stringify leaves raw.
    controls: '\u0001\u001f\u007f\u2028\u2029',
    amountMinor: '12345678901234567890123',
  };
  return {
    eventId: crypto.randomUUID(),
    type: `Awkward\t${AWKWARD_TEXT}`,
    data,
    metadata: { ...metadataFor(`Copy:${AWKWARD_TEXT}:${index}`), note: AWKWARD_TEXT },
  };
}

function largeEvent(index: number): NewEvent {
  return { eventId: crypto.randomUUID(), type: 'Large', data: { index, padding: 'x'.repeat(900) }, metadata: metadataFor(`Large:${index}`) };
}

function newEvent(index: number): NewEvent {
  return { eventId: crypto.randomUUID(), type: 'Counted', data: { index }, metadata: metadataFor(`Test:${crypto.randomUUID()}`) };
}

function metadataFor(commandId: string): NewEvent['metadata'] {
  return {
    commandId,
    actor: 'cli:copy-test',
    recordedAt: '2026-01-01T00:00:00.000Z',
    schemaVersion: 1,
    previousEventHash: '0'.repeat(64),
    eventHash: 'f'.repeat(64),
  };
}

function uniqueStreamName(purpose: string): string {
  return `copy-${purpose}-${crypto.randomUUID()}`;
}

function describeError(error: unknown): { name: string; code: unknown; message: string } {
  const described = error as { constructor: { name: string }; code?: unknown; message: string };
  return { name: described.constructor.name, code: described.code, message: described.message };
}

async function captureError(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the promise to fail');
}
