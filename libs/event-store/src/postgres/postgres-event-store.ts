import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { copyTextValue } from '@rsi/database';
import { bookNextInstant, lockLedgerClock, type LedgerClockOptions } from './ledger-clock';
import type { WriterSigner } from '../writer-signatures/writer-signature';
import {
  compareGlobalPositions,
  DuplicateEventIdError,
  EVENT_STORE_LIMITS,
  StreamVersionConflictError,
  type AppendCompletion,
  type AppendResult,
  type CommittedAppendObserver,
  type CommittedEventsJson,
  type EventStore,
  type ExpectedStreamVersion,
  type GlobalPosition,
  type JsonObject,
  type EventMetadata,
  type NewEvent,
  type ReadStreamResult,
  type RecordedEvent,
  type StreamAppend,
} from '../event-store.port';

/**
 * The event store on PostgreSQL (a server, or the embedded PGlite), schema in
 * `migrations/0001-event-store.migration.ts`.
 *
 * - Append: one transaction per call. The `streams` row of each stream is locked and
 *   compared with the expected version; the events of all streams are inserted by ONE
 *   statement per chunk of 10,000 events, so that a batch costs a handful of round trips.
 *   The statement is one of two, chosen when the store is constructed (`copyFromStdin`):
 *   on a PostgreSQL server `COPY events … FROM STDIN` streams the rows as COPY text (no
 *   JSON array to build, send and unpack); the embedded PGlite has no COPY FROM STDIN, so
 *   there an INSERT unpacks a JSON array with `json_to_recordset`. Both store the same
 *   rows, fail on the same constraints with the same errors, and return the same
 *   positions; one conformance suite runs against both.
 * - Global order: (transaction_id, position), and only rows of transactions older than the
 *   oldest one still running (`pg_snapshot_xmin(pg_current_snapshot())`). A position is
 *   drawn before commit, so a transaction that commits late leaves a lower position behind
 *   a reader that ordered by position alone; a transaction id below the snapshot's xmin
 *   belongs to a transaction that has finished, so nothing can appear before it later.
 * - Event ids are unique (`events_event_id_unique`). Re-appending the same ids at the same
 *   revisions (a command retried after a crash whose first append committed) writes nothing
 *   and succeeds; an id stored anywhere else is a `DuplicateEventIdError`.
 */
export class PostgresEventStore implements EventStore {
  private closed = false;

  /**
   * @param pool a pool shared with the rest of the process (see `database-connection.ts`);
   *   `close()` ends it only if `ownsPool`.
   * @param options.copyFromStdin insert events by `COPY … FROM STDIN`: only on a PostgreSQL
   *   server (`!connection.embedded`), since the embedded PGlite refuses it. Default false.
   */
  constructor(
    private readonly pool: pg.Pool,
    private readonly options: { ownsPool?: boolean; copyFromStdin?: boolean; ledgerClock?: LedgerClockOptions; writerSigner?: WriterSigner } = {},
  ) {}

  /** The key every append is signed with (`writer_signatures`); none: appends are not signed (tests of the store alone). */
  get writerSigner(): WriterSigner | undefined {
    return this.options.writerSigner;
  }

  /** Key ids whose public key this store has recorded in `writer_public_keys` (once per key and process). */
  private readonly publicKeysRecorded = new Set<string>();

  /** Observers of committed appends (an import that projects what it wrote); few, bounded. */
  private readonly committedAppendObservers = new Set<CommittedAppendObserver>();

  observeCommittedAppends(observer: CommittedAppendObserver): () => void {
    if (this.committedAppendObservers.size >= COMMITTED_APPEND_OBSERVERS_MAXIMUM) {
      throw new Error(`at most ${COMMITTED_APPEND_OBSERVERS_MAXIMUM} observers of committed appends`);
    }
    this.committedAppendObservers.add(observer);
    return () => { this.committedAppendObservers.delete(observer); };
  }

  /**
   * Why this proves what it says: the global order is (transaction id, position) and
   * `readAll` shows an event only once every transaction with a lower id has ended. When
   * every transaction up to the last event's has ended (its id is below this statement's
   * snapshot xmin), no event can ever again appear at or before the last event: a
   * transaction that writes later gets a higher id. The rows at or before it that this
   * statement counts are then all there will ever be; the given events are among them
   * (committed, after `after`, distinct, in order), so an equal count means they are all of
   * them. Checked in one statement, so the count and the xmin are of one snapshot.
   */
  async isExactlyNextAfter(after: GlobalPosition | null, events: readonly RecordedEvent[]): Promise<boolean> {
    this.assertOpen();
    if (events.length === 0 || events.length > EVENT_STORE_LIMITS.appendToStreamsEventsMaximum) return false;
    for (let index = 1; index < events.length; index += 1) {
      if (compareGlobalPositions(events[index - 1].globalPosition, events[index].globalPosition) >= 0) return false;
    }
    if (after !== null && compareGlobalPositions(after, events[0].globalPosition) >= 0) return false;
    const last = events[events.length - 1].globalPosition;
    const parameters = [last.commit.toString(), last.prepare.toString()];
    const afterCondition = after === null ? '' : 'AND (transaction_id, position) > ($3::text::xid8, $4::bigint)';
    if (after !== null) parameters.push(after.commit.toString(), after.prepare.toString());
    const result = await this.pool.query<{ ended: boolean; event_count: string }>(
      `SELECT pg_snapshot_xmin(pg_current_snapshot()) > $1::text::xid8 AS ended,
              (SELECT count(*) FROM events WHERE (transaction_id, position) <= ($1::text::xid8, $2::bigint) ${afterCondition})::text AS event_count`,
      parameters,
    );
    const row = result.rows[0];
    return row !== undefined && row.ended && BigInt(row.event_count) === BigInt(events.length);
  }

  async appendToStream(
    streamName: string,
    events: NewEvent[],
    options: { expectedStreamVersion: ExpectedStreamVersion; complete?: AppendCompletion },
  ): Promise<AppendResult> {
    const [result] = await this.appendToStreams([{ streamName, events, expectedStreamVersion: options.expectedStreamVersion }], { complete: options.complete });
    return result;
  }

  async appendToStreams(batch: StreamAppend[], options: { complete?: AppendCompletion } = {}): Promise<AppendResult[]> {
    this.assertOpen();
    validateBatch(batch);
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await this.appendInOneTransaction(batch, options.complete);
      } catch (error) {
        // Two batches that lock overlapping streams in a different order (a stream one of them
        // creates) can deadlock; PostgreSQL aborts one, which is safe to run again as a whole.
        if (attempt < DEADLOCK_ATTEMPTS_MAXIMUM && isRetryableTransactionFailure(error)) continue;
        throw error;
      }
    }
  }

  async advanceLedgerClock(): Promise<string> {
    this.assertOpen();
    return this.inTransaction(async (client) => {
      await lockLedgerClock(client);
      return bookNextInstant(client, this.options.ledgerClock ?? {});
    });
  }


  async readStream(streamName: string, options: { fromStreamVersion?: bigint; maxCount?: number } = {}): Promise<ReadStreamResult> {
    this.assertOpen();
    validateStreamName(streamName);
    const fromStreamVersion = options.fromStreamVersion ?? 0n;
    if (typeof fromStreamVersion !== 'bigint' || fromStreamVersion < 0n) throw new RangeError(`fromStreamVersion must be a bigint >= 0, got ${String(fromStreamVersion)}`);
    const maxCount = options.maxCount ?? Number.POSITIVE_INFINITY;
    if (maxCount !== Number.POSITIVE_INFINITY && (!Number.isSafeInteger(maxCount) || maxCount < 1)) {
      throw new RangeError(`maxCount must be a positive integer, got ${maxCount}`);
    }

    // First page and the stream's version from one statement (one snapshot).
    const firstPageSize = Math.min(maxCount, READ_PAGE_SIZE);
    const first = await this.pool.query<StreamVersionRow & Partial<EventRow>>(
      `SELECT s.stream_version::text AS current_stream_version, e.*
         FROM streams s
         LEFT JOIN LATERAL (
           SELECT ${EVENT_COLUMNS} FROM events
            WHERE events.stream_name = s.stream_name AND events.stream_version >= $2
            ORDER BY events.stream_version
            LIMIT $3
         ) e ON true
        WHERE s.stream_name = $1`,
      [streamName, fromStreamVersion.toString(), firstPageSize],
    );
    if (first.rows.length === 0) return { events: [], currentStreamVersion: 'no_stream' };
    const currentStreamVersion = BigInt(first.rows[0].current_stream_version);
    const events = first.rows.filter((row): row is StreamVersionRow & EventRow => row.event_id != null).map(toRecordedEvent);

    // Later pages stop at the version seen above: events are immutable, so the result is
    // exactly the stream as of the first statement, however much is appended meanwhile.
    while (events.length < maxCount && events.length > 0 && events.length % READ_PAGE_SIZE === 0) {
      const next = events[events.length - 1].streamVersion + 1n;
      if (next > currentStreamVersion) break;
      const page = await this.pool.query<EventRow>(
        `SELECT ${EVENT_COLUMNS} FROM events
          WHERE stream_name = $1 AND stream_version >= $2 AND stream_version <= $3
          ORDER BY events.stream_version
          LIMIT $4`,
        [streamName, next.toString(), currentStreamVersion.toString(), Math.min(maxCount - events.length, READ_PAGE_SIZE)],
      );
      if (page.rows.length === 0) break;
      for (const row of page.rows) events.push(toRecordedEvent(row));
    }
    return { events, currentStreamVersion };
  }

  async readReceiptHistory(streamName: string, keys: { eventIds: readonly string[]; receiptIds: readonly string[]; toStreamVersion: bigint }): Promise<RecordedEvent[]> {
    this.assertOpen();
    validateStreamName(streamName);
    if (keys.eventIds.length === 0 && keys.receiptIds.length === 0) return [];
    for (const eventId of keys.eventIds) {
      if (!UUID_PATTERN.test(eventId)) throw new RangeError(`event id ${String(eventId)} is not a UUID`);
    }
    // Two index scans (event ids: the unique index; adjustments: the partial index of 0019).
    // UNION ALL (json has no equality for UNION): an event both name is dropped below.
    const result = await this.pool.query<EventRow>(
      `SELECT ${EVENT_COLUMNS} FROM events
        WHERE event_id = ANY($2::uuid[]) AND stream_name = $1 AND stream_version <= $4
       UNION ALL
       SELECT ${EVENT_COLUMNS} FROM events
        WHERE stream_name = $1 AND (data->>'receiptId') = ANY($3::text[])
          AND type IN ('RevenueRefunded', 'DisputeOpened', 'DisputeResolved') AND stream_version <= $4`,
      [streamName, keys.eventIds, keys.receiptIds, keys.toStreamVersion.toString()],
    );
    const byVersion = new Map<bigint, RecordedEvent>();
    for (const row of result.rows) {
      const event = toRecordedEvent(row);
      byVersion.set(event.streamVersion, event);
    }
    return [...byVersion.values()].sort((left, right) => (left.streamVersion < right.streamVersion ? -1 : left.streamVersion > right.streamVersion ? 1 : 0));
  }

  async readAll(options: { after: GlobalPosition | null; maxCount: number }): Promise<RecordedEvent[]> {
    this.assertOpen();
    const { after, maxCount } = options;
    if (!Number.isSafeInteger(maxCount) || maxCount < 1 || maxCount > EVENT_STORE_LIMITS.readAllBatchMaximum) {
      throw new RangeError(`maxCount must be an integer from 1 to ${EVENT_STORE_LIMITS.readAllBatchMaximum}, got ${maxCount}`);
    }
    // `transaction_id < xmin`: every transaction below the oldest running one has ended, so
    // no event can later appear before the last one returned here.
    const visible = 'transaction_id < pg_snapshot_xmin(pg_current_snapshot())';
    const result =
      after === null
        ? await this.pool.query<EventRow>(`SELECT ${EVENT_COLUMNS} FROM events WHERE ${visible} ORDER BY events.transaction_id, events.position LIMIT $1`, [maxCount])
        : await this.pool.query<EventRow>(
            `SELECT ${EVENT_COLUMNS} FROM events
              WHERE ${visible} AND (transaction_id, position) > ($1::text::xid8, $2::bigint)
              ORDER BY events.transaction_id, events.position
              LIMIT $3`,
            [after.commit.toString(), after.prepare.toString(), maxCount],
          );
    return result.rows.map(toRecordedEvent);
  }

  async readHeadPosition(): Promise<GlobalPosition | null> {
    this.assertOpen();
    // Every row visible to this statement's snapshot is committed; the greatest of them is
    // the head that a reader of its own writes must reach.
    const result = await this.pool.query<{ transaction_id: string; position: string }>(
      `SELECT transaction_id::text AS transaction_id, position::text AS position FROM events
        ORDER BY events.transaction_id DESC, events.position DESC LIMIT 1`,
    );
    if (result.rows.length === 0) return null;
    return { commit: BigInt(result.rows[0].transaction_id), prepare: BigInt(result.rows[0].position) };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.options.ownsPool) await this.pool.end();
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('the event store is closed');
  }

  private appendInOneTransaction(batch: StreamAppend[], complete: AppendCompletion | undefined): Promise<AppendResult[]> {
    return this.inTransaction(async (client) => {
      // First, before the transaction writes (and so has an id): appends run one at a time
      // from here to commit, in every process, so the global order follows booking times.
      await lockLedgerClock(client);
      let completed = batch;
      if (complete !== undefined) {
        const bookedAt = await bookNextInstant(client, this.options.ledgerClock ?? {});
        completed = complete(bookedAt);
        assertSameAppend(batch, completed);
      }
      const signer = this.options.writerSigner;
      const observed = this.committedAppendObservers.size > 0;
      const written = await appendWithin(client, completed, this.options.copyFromStdin === true, signer === undefined ? undefined : {
        signer, publicKeyRecorded: this.publicKeysRecorded.has(signer.keyId),
      }, observed);
      return written;
    }).then(({ results, recorded }) => {
      const signer = this.options.writerSigner;
      if (signer !== undefined) this.publicKeysRecorded.add(signer.keyId);
      // After COMMIT: an observer is never handed events that a rollback took back.
      if (recorded !== null && recorded.events.length > 0) for (const observer of this.committedAppendObservers) observer(recorded.events, recorded.json);
      return results;
    });
  }

  /** Runs `work` in one transaction on a connection of the pool; a connection that cannot roll back is not handed out again. */
  private async inTransaction<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let clientBroken: Error | undefined;
    try {
      await client.query('BEGIN');
      try {
        const result = await work(client);
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch((rollbackError: Error) => {
          // The connection is unusable (lost); the pool must not hand it out again.
          clientBroken = rollbackError;
        });
        throw error;
      }
    } finally {
      client.release(clientBroken);
    }
  }

}

type StreamVersionRow = { current_stream_version: string };
type EventRow = {
  stream_name: string;
  stream_version: string;
  position: string;
  transaction_id: string;
  event_id: string;
  type: string;
  data: JsonObject;
  metadata: EventMetadata;
};

const EVENT_COLUMNS = `stream_name, stream_version::text AS stream_version, position::text AS position,
  transaction_id::text AS transaction_id, event_id::text AS event_id, type, data, metadata`;

/** Rows per statement, reading and inserting: bounds the memory of one round trip (~10 MB of JSON). */
const READ_PAGE_SIZE = 10_000;
const INSERT_CHUNK_EVENTS = 10_000;
/** Characters of COPY text handed to the stream per write (a chunk is ~10 MB of them). */
const COPY_PIECE_CHARACTERS = 1 << 20;
const COPY_EVENTS_STATEMENT = 'COPY events (stream_name, stream_version, event_id, type, data, metadata) FROM STDIN';
const DEADLOCK_ATTEMPTS_MAXIMUM = 3;
const COMMITTED_APPEND_OBSERVERS_MAXIMUM = 16;
const STREAM_NAME_LENGTH_MAXIMUM = 1_000;
const EVENT_TYPE_LENGTH_MAXIMUM = 200;
const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

async function appendWithin(
  client: pg.PoolClient, batch: StreamAppend[], copyFromStdin: boolean, signing: { signer: WriterSigner; publicKeyRecorded: boolean } | undefined,
  observed: boolean,
): Promise<{ results: AppendResult[]; recorded: { events: RecordedEvent[]; json: CommittedEventsJson | null } | null }> {
  // Lock in name order, so that two batches over the same streams cannot deadlock on them.
  const streamNames = batch.map((append) => append.streamName).sort();
  const locked = await client.query<{ stream_name: string; stream_version: string }>(
    `SELECT stream_name, stream_version::text AS stream_version FROM streams
      WHERE stream_name = ANY($1::text[]) ORDER BY stream_name FOR UPDATE`,
    [streamNames],
  );
  const currentVersions = new Map(locked.rows.map((row) => [row.stream_name, BigInt(row.stream_version)]));

  const toCreate: StreamAppend[] = [];
  const toUpdate: StreamAppend[] = [];
  const mismatched: StreamAppend[] = [];
  for (const append of batch) {
    const current = currentVersions.get(append.streamName);
    if (append.expectedStreamVersion === 'no_stream' && current === undefined) toCreate.push(append);
    else if (append.expectedStreamVersion !== 'no_stream' && current === append.expectedStreamVersion) toUpdate.push(append);
    else mismatched.push(append);
  }

  if (toCreate.length > 0) {
    toCreate.sort((left, right) => (left.streamName < right.streamName ? -1 : 1));
    // ON CONFLICT DO NOTHING waits for a concurrent creator and then skips: that stream is a mismatch.
    const created = await client.query<{ stream_name: string }>(
      `INSERT INTO streams (stream_name, stream_version)
       SELECT * FROM unnest($1::text[], $2::bigint[])
       ON CONFLICT (stream_name) DO NOTHING
       RETURNING stream_name`,
      [toCreate.map((append) => append.streamName), toCreate.map((append) => String(append.events.length - 1))],
    );
    const createdNames = new Set(created.rows.map((row) => row.stream_name));
    for (const append of toCreate) if (!createdNames.has(append.streamName)) mismatched.push(append);
  }

  // A mismatch is either a retried append that already committed (same ids at the same
  // revisions: success, nothing written) or a real conflict.
  const alreadyStored = new Map<string, AppendResult>();
  for (const append of mismatched) {
    const stored = await findSameEventsAlreadyStored(client, append);
    if (stored === undefined) {
      const actual = await client.query<{ stream_version: string }>(`SELECT stream_version::text AS stream_version FROM streams WHERE stream_name = $1`, [
        append.streamName,
      ]);
      const actualStreamVersion = actual.rows.length === 0 ? 'no_stream' : BigInt(actual.rows[0].stream_version);
      throw new StreamVersionConflictError(append.streamName, append.expectedStreamVersion, actualStreamVersion);
    }
    alreadyStored.set(append.streamName, stored);
  }

  if (toUpdate.length > 0) {
    await client.query(
      `UPDATE streams SET stream_version = next.stream_version
         FROM unnest($1::text[], $2::bigint[]) AS next(stream_name, stream_version)
        WHERE streams.stream_name = next.stream_name`,
      [toUpdate.map((append) => append.streamName), toUpdate.map((append) => String((append.expectedStreamVersion as bigint) + BigInt(append.events.length)))],
    );
  }

  const toWrite = [...toCreate.filter((append) => !alreadyStored.has(append.streamName)), ...toUpdate];
  // The JSON texts the COPY sends, kept for the observers (null: some chunk took the INSERT).
  const json: CommittedEventsJson | null = observed ? { data: [], metadata: [] } : null;
  const lastPositions = await insertEvents(client, toWrite, copyFromStdin, json);
  if (signing !== undefined && toWrite.length > 0) await signAppend(client, toWrite, signing);
  const recorded = observed ? { events: await readRecordedEventsWritten(client, toWrite), json: json !== null && json.data.length > 0 ? json : null } : null;

  const results = batch.map((append) => {
    const stored = alreadyStored.get(append.streamName);
    if (stored) return stored;
    const lastPosition = lastPositions.get(append.streamName);
    if (!lastPosition) throw new Error(`no position returned for stream ${append.streamName}`);
    return { nextExpectedStreamVersion: firstRevision(append) + BigInt(append.events.length) - 1n, lastPosition };
  });
  return { results, recorded };
}

/**
 * The events this transaction wrote, as `readAll` will return them: the appended events with
 * the positions the rows got, in global order. One query over this transaction's rows
 * (index `events_transaction_id_position_index`), in position order; each row's stream and
 * version is compared with the event at that place in insertion order, so the pairing of an
 * event with its position is checked, not assumed (positions are drawn in insertion order).
 * `ORDER BY events.position`, qualified: the bare name would sort by the text alias.
 */
async function readRecordedEventsWritten(client: pg.PoolClient, written: StreamAppend[]): Promise<RecordedEvent[]> {
  const rows = await client.query<{ stream_name: string; stream_version: string; position: string; transaction_id: string }>(
    `SELECT stream_name, stream_version::text AS stream_version, position::text AS position, pg_current_xact_id()::text AS transaction_id
       FROM events WHERE transaction_id = pg_current_xact_id() ORDER BY events.position`,
  );
  const recorded: RecordedEvent[] = [];
  let rowIndex = 0;
  for (const append of written) {
    const first = firstRevision(append);
    for (let index = 0; index < append.events.length; index += 1) {
      const row = rows.rows[rowIndex];
      const event = append.events[index];
      const streamVersion = first + BigInt(index);
      if (row === undefined || row.stream_name !== append.streamName || row.stream_version !== streamVersion.toString()) {
        throw new Error(`invariant broken: row ${rowIndex} of this transaction (${row?.stream_name}@${row?.stream_version}, position ${row?.position}) is not ${append.streamName}@${streamVersion}`);
      }
      recorded.push({
        // Stored as uuid, read back in lower case.
        eventId: event.eventId.toLowerCase(), type: event.type, data: event.data, metadata: event.metadata,
        streamName: append.streamName, streamVersion, globalPosition: { commit: BigInt(row.transaction_id), prepare: BigInt(row.position) },
      });
      rowIndex += 1;
    }
  }
  if (rowIndex !== rows.rows.length) throw new Error(`invariant broken: this transaction wrote ${rows.rows.length} events, the append has ${rowIndex}`);
  return recorded;
}

/**
 * One writer signature per append, over the hashes of the events written, in the order they
 * were inserted (their global order: one transaction, positions drawn in insertion order).
 * The row names the transaction (the `commit` of their global positions), the first and last
 * position and the count, read from the rows this transaction wrote: one statement.
 */
async function signAppend(client: pg.PoolClient, written: StreamAppend[], signing: { signer: WriterSigner; publicKeyRecorded: boolean }): Promise<void> {
  const eventHashes: string[] = [];
  for (const append of written) for (const event of append.events) eventHashes.push(String(event.metadata.eventHash));
  const { signer } = signing;
  const signature = signer.sign(eventHashes);
  if (!signing.publicKeyRecorded) {
    await client.query('INSERT INTO writer_public_keys (key_id, public_key) VALUES ($1, $2) ON CONFLICT (key_id) DO NOTHING', [signer.keyId, signer.publicKeyPem]);
  }
  const inserted = await client.query<{ event_count: number }>(
    `INSERT INTO writer_signatures (transaction_id, first_position, last_position, event_count, key_id, signature)
     SELECT pg_current_xact_id(), min(position), max(position), count(*), $1, $2 FROM events WHERE transaction_id = pg_current_xact_id()
     RETURNING event_count`,
    [signer.keyId, signature],
  );
  if (inserted.rows[0]?.event_count !== eventHashes.length) {
    throw new Error(`invariant broken: this transaction wrote ${String(inserted.rows[0]?.event_count)} events, the append signed ${eventHashes.length}`);
  }
}

async function findSameEventsAlreadyStored(client: pg.PoolClient, append: StreamAppend): Promise<AppendResult | undefined> {
  const first = firstRevision(append);
  const last = first + BigInt(append.events.length) - 1n;
  const stored = await client.query<{ event_id: string; position: string; transaction_id: string }>(
    `SELECT event_id::text AS event_id, position::text AS position, transaction_id::text AS transaction_id FROM events
      WHERE stream_name = $1 AND stream_version BETWEEN $2 AND $3
      ORDER BY stream_version`,
    [append.streamName, first.toString(), last.toString()],
  );
  if (stored.rows.length !== append.events.length) return undefined;
  const same = stored.rows.every((row, index) => row.event_id === append.events[index].eventId.toLowerCase());
  if (!same) return undefined;
  const lastRow = stored.rows[stored.rows.length - 1];
  return { nextExpectedStreamVersion: last, lastPosition: { commit: BigInt(lastRow.transaction_id), prepare: BigInt(lastRow.position) }, alreadyStored: true };
}

type EventRowToInsert = {
  stream_name: string;
  stream_version: string;
  event_id: string;
  type: string;
  data: JsonObject;
  metadata: EventMetadata;
};

/**
 * Inserts in chunks of one statement each (a COPY, or an INSERT); returns the last position
 * per stream.
 *
 * COPY returns no rows, so after COPY the positions are read back by one query over this
 * transaction's rows (`readLastPositionsWritten`).
 */
async function insertEvents(
  client: pg.PoolClient, appends: StreamAppend[], copyFromStdin: boolean, json: CommittedEventsJson | null,
): Promise<Map<string, GlobalPosition>> {
  let jsonComplete = json !== null;
  const lastPositions = new Map<string, GlobalPosition>();
  for (const chunk of eventRowChunks(appends)) {
    try {
      const copyText = copyFromStdin ? encodeCopyText(chunk, jsonComplete ? json : null) : undefined;
      if (copyText === undefined) jsonComplete = false;
      if (copyText !== undefined) {
        await copyChunk(client, copyText, chunk.length);
      } else {
        for (const [streamName, lastPosition] of await insertChunk(client, chunk)) lastPositions.set(streamName, lastPosition);
      }
    } catch (error) {
      throw toDuplicateEventIdError(error, chunk) ?? error;
    }
  }
  if (json !== null && !jsonComplete) {
    json.data.length = 0;
    json.metadata.length = 0;
  }
  return copyFromStdin ? readLastPositionsWritten(client, appends) : lastPositions;
}

function* eventRowChunks(appends: StreamAppend[]): Generator<EventRowToInsert[]> {
  let chunk: EventRowToInsert[] = [];
  for (const append of appends) {
    const first = firstRevision(append);
    for (let index = 0; index < append.events.length; index += 1) {
      const event = append.events[index];
      chunk.push({
        stream_name: append.streamName,
        // A string: JSON numbers lose precision beyond 2^53; bigint's input parses the text exactly.
        stream_version: (first + BigInt(index)).toString(),
        event_id: event.eventId,
        type: event.type,
        data: event.data,
        metadata: event.metadata,
      });
      if (chunk.length >= INSERT_CHUNK_EVENTS) {
        yield chunk;
        chunk = [];
      }
    }
  }
  if (chunk.length > 0) yield chunk;
}

async function insertChunk(client: pg.PoolClient, rows: EventRowToInsert[]): Promise<Map<string, GlobalPosition>> {
  const inserted = await client.query<{ stream_name: string; last_position: string; transaction_id: string }>(
    `WITH inserted AS (
       INSERT INTO events (stream_name, stream_version, event_id, type, data, metadata)
       SELECT e.stream_name, e.stream_version, e.event_id, e.type, e.data, e.metadata
         FROM ROWS FROM (json_to_recordset($1::json)
                AS (stream_name text, stream_version bigint, event_id uuid, type text, data json, metadata json))
              WITH ORDINALITY AS e(stream_name, stream_version, event_id, type, data, metadata, ordinal)
        ORDER BY e.ordinal
       RETURNING stream_name, position
     )
     SELECT stream_name, max(position)::text AS last_position, pg_current_xact_id()::text AS transaction_id
       FROM inserted GROUP BY stream_name`,
    [JSON.stringify(rows)],
  );
  return new Map(inserted.rows.map((row) => [row.stream_name, { commit: BigInt(row.transaction_id), prepare: BigInt(row.last_position) }]));
}

/**
 * The chunk as COPY text (one row per line, every field escaped for COPY's text format), in
 * pieces of about `COPY_PIECE_CHARACTERS`; or `undefined` when a value holds text that the
 * INSERT refuses and COPY would not, or would store otherwise:
 * - a NUL (U+0000): the INSERT refuses its JSON escape `\u0000` (22P05) in any field; COPY
 *   refuses the raw byte in a text field (another error) and stores the escape in json;
 * - a lone surrogate: the INSERT refuses its JSON escape (22P02); COPY stores it in json,
 *   and in a text field Node's UTF-8 encoder writes U+FFFD instead, changing the text.
 * Such a chunk is written by the INSERT, so that it fails exactly as it always did. (Data
 * that merely looks like such an escape, `\\u0000`, also takes the INSERT: slower, same rows.)
 * The JSON is encoded here, before any COPY starts: an event that cannot be encoded fails
 * as it fails `JSON.stringify` in `insertChunk`, and never half-way through a COPY.
 */
function encodeCopyText(rows: EventRowToInsert[], json: CommittedEventsJson | null): string[] | undefined {
  const pieces: string[] = [];
  let piece = '';
  for (const row of rows) {
    // `?? null`: an event without data or metadata becomes NULL (`\N`) and fails the NOT NULL
    // constraint, as the key missing from the JSON array does in `insertChunk`.
    const data = JSON.stringify(row.data) ?? null;
    const metadata = JSON.stringify(row.metadata) ?? null;
    if (TEXT_INSERT_REFUSES.test(row.stream_name) || TEXT_INSERT_REFUSES.test(row.type)) return undefined;
    if ((data !== null && JSON_ESCAPE_INSERT_REFUSES.test(data)) || (metadata !== null && JSON_ESCAPE_INSERT_REFUSES.test(metadata))) return undefined;
    piece += `${[row.stream_name, row.stream_version, row.event_id, row.type, data, metadata].map(copyTextValue).join('\t')}\n`;
    if (json !== null && data !== null && metadata !== null) {
      json.data.push(data);
      json.metadata.push(metadata);
    }
    if (piece.length >= COPY_PIECE_CHARACTERS) {
      pieces.push(piece);
      piece = '';
    }
  }
  if (piece.length > 0) pieces.push(piece);
  return pieces;
}

/** A NUL, or a lone surrogate (with the `u` flag a surrogate pair is one code point, not `\p{Cs}`). */
const TEXT_INSERT_REFUSES = /[\0\p{Cs}]/u;
/** The escapes JSON.stringify writes for a NUL and for a lone surrogate. */
const JSON_ESCAPE_INSERT_REFUSES = /\\u(?:0000|d[89a-f])/i;

/**
 * One COPY statement. pg-copy-streams reports a server error (a duplicate event id) as an
 * error of the stream, after which the server has ended the COPY and the connection takes
 * the caller's ROLLBACK; `pipeline` settles only when the stream has finished or failed,
 * so nothing of this COPY is still in flight when it returns or throws.
 */
async function copyChunk(client: pg.PoolClient, pieces: string[], rowCount: number): Promise<void> {
  const sink = client.query(copyFrom(COPY_EVENTS_STATEMENT));
  await pipeline(Readable.from(pieces), sink);
  if (sink.rowCount !== rowCount) throw new Error(`invariant broken: COPY stored ${sink.rowCount} events of ${rowCount}`);
}

/**
 * The last position of each stream this transaction wrote. The rows with this transaction's
 * id are exactly this append's (one transaction per append), so the query needs no stream
 * filter: with one (`stream_name = ANY(…)`), stale statistics made the planner also scan the
 * primary key for every row of those streams, a cost growing with their length; without it,
 * only index `events_transaction_id_position_index` and this append's rows are read.
 * Invariant: those rows are exactly the streams of `appends`, each with all its events.
 */
async function readLastPositionsWritten(client: pg.PoolClient, appends: StreamAppend[]): Promise<Map<string, GlobalPosition>> {
  const lastPositions = new Map<string, GlobalPosition>();
  if (appends.length === 0) return lastPositions;
  const written = await client.query<{ stream_name: string; last_position: string; transaction_id: string; event_count: string }>(
    `SELECT stream_name, max(position)::text AS last_position, pg_current_xact_id()::text AS transaction_id, count(*)::text AS event_count
       FROM events
      WHERE transaction_id = pg_current_xact_id()
      GROUP BY stream_name`,
  );
  const eventCounts = new Map<string, bigint>();
  for (const row of written.rows) {
    lastPositions.set(row.stream_name, { commit: BigInt(row.transaction_id), prepare: BigInt(row.last_position) });
    eventCounts.set(row.stream_name, BigInt(row.event_count));
  }
  if (written.rows.length !== appends.length) {
    throw new Error(`invariant broken: this transaction wrote events to ${written.rows.length} streams, the append has ${appends.length}`);
  }
  for (const append of appends) {
    const eventCount = eventCounts.get(append.streamName);
    if (eventCount !== BigInt(append.events.length)) {
      throw new Error(
        `invariant broken: this transaction wrote ${String(eventCount ?? 0n)} events to stream ${append.streamName}, the append has ${append.events.length}`,
      );
    }
  }
  return lastPositions;
}

function toDuplicateEventIdError(error: unknown, rows: { event_id: string; stream_name: string }[]): DuplicateEventIdError | undefined {
  const databaseError = error as { code?: string; constraint?: string; detail?: string };
  if (databaseError.code !== '23505' || databaseError.constraint !== 'events_event_id_unique') return undefined;
  const eventId = /\(event_id\)=\(([^)]+)\)/.exec(databaseError.detail ?? '')?.[1] ?? 'unknown';
  const streamName = rows.find((row) => row.event_id.toLowerCase() === eventId.toLowerCase())?.stream_name ?? rows[0]?.stream_name ?? 'unknown';
  return new DuplicateEventIdError(eventId, streamName);
}

function firstRevision(append: StreamAppend): bigint {
  return append.expectedStreamVersion === 'no_stream' ? 0n : append.expectedStreamVersion + 1n;
}

function toRecordedEvent(row: EventRow): RecordedEvent {
  return {
    eventId: row.event_id,
    type: row.type,
    data: row.data,
    metadata: row.metadata,
    streamName: row.stream_name,
    streamVersion: BigInt(row.stream_version),
    globalPosition: { commit: BigInt(row.transaction_id), prepare: BigInt(row.position) },
  };
}

function isRetryableTransactionFailure(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  // deadlock_detected, serialization_failure
  return code === '40P01' || code === '40001';
}

function validateStreamName(streamName: string): void {
  if (typeof streamName !== 'string' || streamName.length === 0 || streamName.length > STREAM_NAME_LENGTH_MAXIMUM) {
    throw new RangeError(`a stream name must be a string of 1 to ${STREAM_NAME_LENGTH_MAXIMUM} characters`);
  }
}

/** A completion may change the events' metadata only: streams, versions, ids and bodies stay. */
function assertSameAppend(batch: StreamAppend[], completed: StreamAppend[]): void {
  const same = Array.isArray(completed) && completed.length === batch.length && batch.every((append, index) => {
    const other = completed[index]!;
    return other.streamName === append.streamName && other.expectedStreamVersion === append.expectedStreamVersion
      && other.events.length === append.events.length
      && other.events.every((event, eventIndex) => event.eventId === append.events[eventIndex]!.eventId && event.type === append.events[eventIndex]!.type);
  });
  if (!same) throw new Error('invariant broken: an append completion changed the streams, versions, ids or types of the batch');
}

function validateBatch(batch: StreamAppend[]): void {
  if (!Array.isArray(batch) || batch.length === 0) throw new RangeError('appendToStreams needs at least one stream');
  if (batch.length > EVENT_STORE_LIMITS.appendToStreamsStreamsMaximum) {
    throw new RangeError(`at most ${EVENT_STORE_LIMITS.appendToStreamsStreamsMaximum} streams per append, got ${batch.length}`);
  }
  const streamNames = new Set<string>();
  const eventIds = new Set<string>();
  let eventCount = 0;
  for (const append of batch) {
    validateStreamName(append.streamName);
    if (streamNames.has(append.streamName)) throw new RangeError(`stream ${append.streamName} appears twice in one append`);
    streamNames.add(append.streamName);
    const expected = append.expectedStreamVersion;
    if (expected !== 'no_stream' && (typeof expected !== 'bigint' || expected < 0n)) {
      throw new RangeError(`expectedStreamVersion must be 'no_stream' or a bigint >= 0, got ${String(expected)}`);
    }
    const events = append.events;
    // An empty append has no position to return and nothing to make atomic: the caller skips it.
    if (!Array.isArray(events) || events.length === 0 || events.length > EVENT_STORE_LIMITS.appendEventsMaximum) {
      throw new RangeError(`an append needs 1 to ${EVENT_STORE_LIMITS.appendEventsMaximum} events per stream (stream ${append.streamName})`);
    }
    eventCount += events.length;
    for (const event of events) {
      if (typeof event.eventId !== 'string' || !UUID_PATTERN.test(event.eventId)) throw new RangeError(`event id ${String(event.eventId)} is not a UUID`);
      if (typeof event.type !== 'string' || event.type.length === 0 || event.type.length > EVENT_TYPE_LENGTH_MAXIMUM) {
        throw new RangeError(`event type must be a string of 1 to ${EVENT_TYPE_LENGTH_MAXIMUM} characters`);
      }
      const normalizedId = event.eventId.toLowerCase();
      if (eventIds.has(normalizedId)) throw new DuplicateEventIdError(event.eventId, append.streamName);
      eventIds.add(normalizedId);
    }
  }
  if (eventCount > EVENT_STORE_LIMITS.appendToStreamsEventsMaximum) {
    throw new RangeError(`at most ${EVENT_STORE_LIMITS.appendToStreamsEventsMaximum} events per append, got ${eventCount}`);
  }
}
