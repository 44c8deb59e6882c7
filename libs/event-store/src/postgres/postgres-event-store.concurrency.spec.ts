import * as crypto from 'node:crypto';
import { createTestDatabase, type TestDatabase } from '../../../../test/support/test-database';
import { compareGlobalPositions, type GlobalPosition, type NewEvent } from '../event-store.port';
import { PostgresEventStore } from './postgres-event-store';

/**
 * Proof of the ordering guarantee: writers on several real connections commit in another
 * order than they drew their positions (some transactions are held open before commit),
 * while a tailing reader polls `readAll` from its checkpoint. The reader must see every
 * event exactly once, in strictly increasing (commit, prepare) order.
 */
const databaseUrl = process.env.DATABASE_URL?.trim();
if (!databaseUrl) {
  console.warn(
    'postgres-event-store.concurrency.spec.ts SKIPPED: it needs DATABASE_URL (a real PostgreSQL server). ' +
      'The embedded PGlite runs one transaction at a time, so there are no concurrent commits to prove the ordering with.',
  );
}
const describeWithServer = databaseUrl ? describe : describe.skip;

const WRITERS = 8;
const APPENDS_PER_WRITER = 200;
const STREAMS_PER_WRITER = 5;
/** One append in this many goes to a `slow-` stream, whose transaction the trigger holds open before commit. */
const SLOW_APPEND_EVERY = 8;
const READ_BATCH_EVENTS = 50;
const TEST_DURATION_MAXIMUM_MILLISECONDS = 90_000;

describeWithServer('PostgresEventStore under concurrent writers (real PostgreSQL)', () => {
  let database: TestDatabase;
  let store: PostgresEventStore;

  beforeAll(async () => {
    // Writers + reader + naive reader, each on its own connection.
    database = await createTestDatabase({ poolSizeMaximum: WRITERS + 4 });
    // The COPY path: what the program runs on a server (and COPY fires the statement trigger below too).
    store = new PostgresEventStore(database.connection.pool, { copyFromStdin: true });
    // Holds a transaction open AFTER its events got their positions and BEFORE it commits,
    // so that transactions that drew later positions commit first.
    await database.connection.pool.query(`
      CREATE FUNCTION hold_slow_appends() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF EXISTS (SELECT 1 FROM inserted WHERE stream_name LIKE 'slow-%') THEN
          PERFORM pg_sleep(0.01 + random() * 0.04);
        END IF;
        RETURN NULL;
      END $$`);
    await database.connection.pool.query(`
      CREATE TRIGGER hold_slow_appends AFTER INSERT ON events
      REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION hold_slow_appends()`);
  });

  afterAll(async () => {
    await store?.close();
    await database?.drop();
  });

  it('a tailing reader sees every event exactly once, in (commit, prepare) order', async () => {
    const deadline = Date.now() + TEST_DURATION_MAXIMUM_MILLISECONDS;
    const appendedIds = new Set<string>();
    let writersDone = false;

    const writer = async (writerIndex: number) => {
      const versions = new Map<string, bigint>();
      for (let appendIndex = 0; appendIndex < APPENDS_PER_WRITER; appendIndex += 1) {
        const slow = appendIndex % SLOW_APPEND_EVERY === writerIndex % SLOW_APPEND_EVERY;
        const streamName = `${slow ? 'slow' : 'fast'}-${writerIndex}-${appendIndex % STREAMS_PER_WRITER}`;
        const events = Array.from({ length: 1 + (appendIndex % 3) }, (): NewEvent => newEvent(writerIndex, appendIndex));
        const expected = versions.get(streamName);
        const result = await store.appendToStream(streamName, events, { expectedStreamVersion: expected ?? 'no_stream' });
        versions.set(streamName, result.nextExpectedStreamVersion);
        for (const event of events) appendedIds.add(event.eventId);
      }
    };

    const seen: { eventId: string; position: GlobalPosition }[] = [];
    // Stops when it has read as many events as were appended (an empty read proves nothing:
    // an open transaction elsewhere on the server holds readers back), then reads once more
    // to show that nothing is delivered twice.
    const reader = async () => {
      let checkpoint: GlobalPosition | null = null;
      while (Date.now() < deadline) {
        const batch = await store.readAll({ after: checkpoint, maxCount: READ_BATCH_EVENTS });
        for (const event of batch) seen.push({ eventId: event.eventId, position: event.globalPosition });
        if (batch.length > 0) checkpoint = batch[batch.length - 1].globalPosition;
        if (batch.length === 0) {
          if (writersDone && seen.length >= appendedIds.size) {
            await sleep(100);
            const extra = await store.readAll({ after: checkpoint, maxCount: READ_BATCH_EVENTS });
            for (const event of extra) seen.push({ eventId: event.eventId, position: event.globalPosition });
            return;
          }
          await sleep(2);
        }
      }
      throw new Error(`the reader did not catch up in time: ${seen.length} of ${appendedIds.size} events read`);
    };

    // For contrast only (not asserted): a reader that trusts `position` alone.
    const naivelySeen = new Set<string>();
    const naiveReader = async () => {
      let lastPosition = '0';
      let emptyPollsAfterWritersDone = 0;
      while (Date.now() < deadline) {
        const batch = await database.connection.pool.query<{ position: string; event_id: string }>(
          `SELECT position::text AS position, event_id::text AS event_id FROM events WHERE position > $1 ORDER BY position LIMIT $2`,
          [lastPosition, READ_BATCH_EVENTS],
        );
        for (const row of batch.rows) naivelySeen.add(row.event_id);
        if (batch.rows.length > 0) lastPosition = batch.rows[batch.rows.length - 1].position;
        else {
          if (writersDone) emptyPollsAfterWritersDone += 1;
          if (emptyPollsAfterWritersDone >= 2) return;
          await sleep(2);
        }
      }
    };

    const startedAt = Date.now();
    // The naive reader needs no waiting: it sees every committed row at once (and skips the late ones).
    const reading = Promise.all([reader(), naiveReader()]);
    await Promise.all(Array.from({ length: WRITERS }, (_, writerIndex) => writer(writerIndex))).finally(() => {
      writersDone = true;
    });
    await reading;
    const elapsedMilliseconds = Date.now() - startedAt;

    const seenIds = seen.map((event) => event.eventId);
    expect(new Set(seenIds).size).toBe(seenIds.length);
    expect(seenIds.length).toBe(appendedIds.size);
    expect(new Set(seenIds)).toEqual(appendedIds);
    for (let index = 1; index < seen.length; index += 1) {
      expect(compareGlobalPositions(seen[index - 1].position, seen[index].position)).toBe(-1);
    }

    // Appends take the ledger clock's lock before they write (`ledger-clock.ts`), so commits
    // can no longer overtake each other: positions reach every reader in order, and even a
    // reader that trusts `position` alone misses nothing. (The reader's xmin bound stays, as
    // a second line.) Before the lock this scenario produced late commits.
    let positionInversions = 0;
    let highestPosition = 0n;
    for (const event of seen) {
      if (event.position.prepare < highestPosition) positionInversions += 1;
      else highestPosition = event.position.prepare;
    }
    const naivelyMissed = [...appendedIds].filter((eventId) => !naivelySeen.has(eventId)).length;
    console.log(
      `concurrency proof: ${appendedIds.size} events by ${WRITERS} writers in ${elapsedMilliseconds} ms; ` +
        `${positionInversions} events reached the reader after a higher position (late commits); ` +
        `a reader ordering by position alone missed ${naivelyMissed}`,
    );
    expect(positionInversions).toBe(0);
    expect(naivelyMissed).toBe(0);
  });
});

function newEvent(writerIndex: number, appendIndex: number): NewEvent {
  return {
    eventId: crypto.randomUUID(),
    type: 'Written',
    data: { writerIndex, appendIndex },
    metadata: {
      commandId: `Concurrency:${writerIndex}:${appendIndex}`,
      actor: 'cli:concurrency-test',
      recordedAt: '2026-01-01T00:00:00.000Z',
      schemaVersion: 1,
      previousEventHash: '0'.repeat(64),
      eventHash: '0'.repeat(64),
    },
  };
}

function sleep(milliseconds: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, milliseconds));
}
