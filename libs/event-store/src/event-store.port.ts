/**
 * The one event-store port. Every adapter (PostgreSQL, EventStoreDB) implements it and
 * passes the shared conformance suite in `conformance/event-store.conformance.ts`.
 *
 * The port moves encoded events only: `data` and `metadata` are plain JSON objects that
 * the domain's explicit codecs produced (bigint amounts are already decimal strings).
 */

/** JSON values as they travel through the store; no bigint, no Date, no undefined. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/**
 * Metadata on every event. The hash-chain fields are computed by the ledger layer, which
 * knows the previous event of the stream because it appends with an expected version.
 */
export type EventMetadata = {
  /** The command's idempotency key; event ids are derived from it. */
  commandId: string;
  /** The API key id (or `cli:<user>`) that issued the command. */
  actor: string;
  /** When the ledger recorded the event (booking time), ISO-8601 UTC. */
  recordedAt: string;
  schemaVersion: number;
  /** SHA-256 hex of the previous event of the same stream, or 64 zeros for the first. */
  previousEventHash: string;
  /**
   * The event hash scheme (`libs/ledger/src/event-hash.ts`): 2 for events written now;
   * absent on events written under scheme 1.
   */
  hashScheme?: number;
  /** SHA-256 hex of this event's canonical hash body, as its `hashScheme` defines it. */
  eventHash: string;
} & { [key: string]: JsonValue };

/** An event to append. `eventId` is a UUID derived deterministically from the command. */
export type NewEvent = {
  eventId: string;
  type: string;
  data: JsonObject;
  metadata: EventMetadata;
};

/**
 * A position in the global order of all events. On EventStoreDB these are the
 * transaction-log `commit` and `prepare` positions. On PostgreSQL `commit` is the
 * appending transaction's id (xid8) and `prepare` the row's sequence number; events are
 * read in (commit, prepare) order and only below the oldest running transaction, so that
 * a reader never skips an event that a concurrent transaction commits late.
 */
export type GlobalPosition = { commit: bigint; prepare: bigint };

export type RecordedEvent = NewEvent & {
  streamName: string;
  /** Zero-based revision of the event inside its stream. */
  streamVersion: bigint;
  globalPosition: GlobalPosition;
};

/** `no_stream`: the stream must not exist yet. A bigint: the revision of its last event. */
export type ExpectedStreamVersion = bigint | 'no_stream';

export type AppendResult = {
  /** Revision of the stream's last event after the append. */
  nextExpectedStreamVersion: bigint;
  /** Global position of the last appended event. */
  lastPosition: GlobalPosition;
  /**
   * True when the events were all stored already by an earlier append (a retry): nothing
   * was written, and the stored events may differ from the given ones in their metadata
   * (booking time, hashes), so a caller that chains hashes must read the stream again.
   */
  alreadyStored?: boolean;
};

export type ReadStreamResult = {
  events: RecordedEvent[];
  /** Revision of the stream's last event, or `no_stream` if the stream does not exist. */
  currentStreamVersion: ExpectedStreamVersion;
};

/** Upper bounds so that no single call can hold unbounded memory. */
export const EVENT_STORE_LIMITS = {
  appendEventsMaximum: 10_000,
  readAllBatchMaximum: 10_000,
  /** `appendToStreams`: streams in one call, and events of all its streams together. */
  appendToStreamsStreamsMaximum: 10_000,
  appendToStreamsEventsMaximum: 100_000,
} as const;

/** One stream's part of a multi-stream append (`appendToStreams`). */
export type StreamAppend = {
  streamName: string;
  events: NewEvent[];
  expectedStreamVersion: ExpectedStreamVersion;
};

/**
 * Completes an append once the store has booked it. The store calls it inside the append
 * (on PostgreSQL: in the append's transaction, under the ledger clock's lock) with the
 * booking time it assigned, ISO-8601 UTC with milliseconds, strictly later than every booking
 * time it assigned before; the completion returns the same streams, in the same order, with
 * the same expected versions and event ids, whose metadata now holds that booking time and
 * whatever covers it (the hash chain). It may be called more than once (a transaction that
 * is run again); what the last call returned is what is stored.
 */
export type AppendCompletion = (bookedAt: string) => StreamAppend[];

export interface EventStore {
  /**
   * Appends all events atomically, or none. A wrong expected version throws
   * `StreamVersionConflictError`. Re-appending events whose ids are already stored in the
   * same stream at the same revisions (a retried command) is a success that writes nothing.
   */
  appendToStream(streamName: string, events: NewEvent[], options: { expectedStreamVersion: ExpectedStreamVersion; complete?: AppendCompletion }): Promise<AppendResult>;

  /**
   * Optional (the PostgreSQL adapter has it): appends to several streams in ONE transaction,
   * all or nothing; each stream's part behaves exactly like `appendToStream` (expected
   * version, re-appended events written nothing). Results are in the order of `batch`. A
   * stream name may appear once per batch.
   */
  appendToStreams?(batch: StreamAppend[], options?: { complete?: AppendCompletion }): Promise<AppendResult[]>;

  /**
   * Optional (the PostgreSQL adapter has it): books one instant on the store's ledger clock,
   * under the same lock appends take, and returns it. Every append that completes later is
   * booked strictly after it: a seal reads it to know that no event can ever be booked
   * before that instant again.
   */
  advanceLedgerClock?(): Promise<string>;

  /**
   * Optional (the PostgreSQL adapter has it): the events of one stream, up to
   * `toStreamVersion` (inclusive), whose id is one of `eventIds`, or that adjust one of
   * `receiptIds` (a `RevenueRefunded`, `DisputeOpened` or `DisputeResolved` whose data names
   * it as `receiptId`), in revision order. Point reads through indexes (migration 0019): the
   * write pipeline restores the receipts a batch names without reading the whole stream.
   */
  readReceiptHistory?(streamName: string, keys: { eventIds: readonly string[]; receiptIds: readonly string[]; toStreamVersion: bigint }): Promise<RecordedEvent[]>;

  /** Reads a stream in revision order, from `fromStreamVersion` (inclusive, default 0). */
  readStream(streamName: string, options?: { fromStreamVersion?: bigint; maxCount?: number }): Promise<ReadStreamResult>;

  /**
   * Reads events of all streams in global order, strictly after `after` (null: from the
   * beginning), at most `maxCount`. Never returns an event that a later call could see
   * preceded by an event not yet returned.
   */
  readAll(options: { after: GlobalPosition | null; maxCount: number }): Promise<RecordedEvent[]>;

  /**
   * The position of the last event committed before the call, or null for an empty store.
   * `readAll` may hold events back while older transactions run (anywhere in the database
   * cluster); a reader that must see its own writes reads until it has passed this position.
   */
  readHeadPosition?(): Promise<GlobalPosition | null>;

  /**
   * Optional (the PostgreSQL adapter has it): calls `observer` after each append of this
   * store object commits, with the events it wrote (none of a stream whose events were stored
   * already), in global order, exactly as `readAll` returns them once visible. Returns the
   * function that stops the observation. An observer must not throw and must return at once:
   * it runs on the appending caller's path.
   */
  observeCommittedAppends?(observer: CommittedAppendObserver): () => void;

  /**
   * Optional (the PostgreSQL adapter has it): true only if `events` (in global order, all
   * committed) are exactly what `readAll({ after })` returns, and will ever return, as its
   * first `events.length` events: every transaction up to the last event's has ended, and no
   * other event lies after `after` and up to the last event. A reader that was handed the
   * events of a committed append applies them without reading them back when this holds.
   */
  isExactlyNextAfter?(after: GlobalPosition | null, events: readonly RecordedEvent[]): Promise<boolean>;

  close(): Promise<void>;
}

/**
 * Receives the events of one committed append (see `EventStore.observeCommittedAppends`),
 * and, where the store has them, the JSON texts it stored as each event's data and metadata
 * (in the events' order): parsed, they are exactly what a read returns, and a text crosses a
 * thread far cheaper than the object.
 */
export type CommittedAppendObserver = (events: readonly RecordedEvent[], json: CommittedEventsJson | null) => void;
export type CommittedEventsJson = { data: string[]; metadata: string[] };

export class StreamVersionConflictError extends Error {
  readonly code = 'stream_version_conflict';
  constructor(
    readonly streamName: string,
    readonly expectedStreamVersion: ExpectedStreamVersion,
    readonly actualStreamVersion: ExpectedStreamVersion,
  ) {
    super(`stream ${streamName}: expected version ${String(expectedStreamVersion)}, actual ${String(actualStreamVersion)}`);
    this.name = 'StreamVersionConflictError';
  }
}

/** An event id that is already stored in another stream or at another revision. */
export class DuplicateEventIdError extends Error {
  readonly code = 'duplicate_event_id';
  constructor(readonly eventId: string, readonly streamName: string) {
    super(`event id ${eventId} is already stored (appending to ${streamName})`);
    this.name = 'DuplicateEventIdError';
  }
}

export function compareGlobalPositions(left: GlobalPosition, right: GlobalPosition): number {
  if (left.commit !== right.commit) return left.commit < right.commit ? -1 : 1;
  if (left.prepare !== right.prepare) return left.prepare < right.prepare ? -1 : 1;
  return 0;
}

/**
 * A live, ordered feed of all events after a position. Adapters that have a native
 * subscription (EventStoreDB's catch-up subscription to `$all`) provide it; for the
 * others the projector polls `readAll`. `onEvents` is awaited before the next batch is
 * delivered, so handlers are never called concurrently.
 */
export interface AllEventsSubscriptionSource {
  subscribeToAll(options: {
    after: GlobalPosition | null;
    onEvents: (events: RecordedEvent[]) => Promise<void>;
    onError: (error: unknown) => void;
  }): { stop(): Promise<void> };
}
