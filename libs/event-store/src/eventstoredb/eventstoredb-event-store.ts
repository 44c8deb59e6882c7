/**
 * The EventStoreDB adapter of the event-store port (`@eventstore/db-client` 6.x, server
 * EventStoreDB 23.10 / 24.x LTS). See `docs/eventstoredb.md`.
 *
 * Rules this adapter keeps, and why:
 * - Every append states an explicit expected revision (`NO_STREAM` or the revision of the
 *   stream's last event), never `ANY`. EventStoreDB guarantees idempotency by event id only
 *   then: a retried command re-appends the same deterministic event ids at the same expected
 *   revision and the server acknowledges it without writing anything twice.
 * - An event id already stored in another stream is refused (`DuplicateEventIdError`), which
 *   EventStoreDB alone does not do: each id is first claimed in its own reservation stream
 *   (see `judgeExistingClaim` in the mapping file).
 * - Revisions and positions stay `bigint`; they are never passed through `Number()`.
 * - `readAll` is strictly after `after`, although the server's read is inclusive.
 * - The subscription delivers batches strictly in order and awaits each `onEvents` call.
 */
import {
  BACKWARDS,
  END,
  EventStoreDBClient,
  eventTypeFilter,
  FORWARDS,
  jsonEvent,
  NO_STREAM,
  StreamNotFoundError,
  streamNameFilter,
  WrongExpectedVersionError,
} from '@eventstore/db-client';
import type {
  AllStreamResolvedEvent,
  Filter,
  RecordedEvent as EventStoreDbRecordedEvent,
  ResolvedEvent,
  StreamingRead,
} from '@eventstore/db-client';
import { compareGlobalPositions, DuplicateEventIdError, EVENT_STORE_LIMITS } from '../event-store.port';
import type {
  AllEventsSubscriptionSource,
  AppendCompletion,
  AppendResult,
  EventStore,
  ExpectedStreamVersion,
  GlobalPosition,
  NewEvent,
  ReadStreamResult,
  RecordedEvent,
} from '../event-store.port';
import { bufferedBatches } from './buffered-batches';
import {
  EVENT_ID_RESERVATION_EVENT_TYPE,
  EVENT_ID_RESERVATION_STREAM_PREFIX,
  eventIdReservationEventId,
  eventIdReservationStreamName,
  fromEventIdClaimData,
  fromEventStoreDbPosition,
  fromEventStoreDbRecordedEvent,
  isEventStoreDbStreamNotFound,
  isLedgerEvent,
  isSameClaim,
  isStrictlyAfter,
  judgeExistingClaim,
  mapEventStoreDbAppendError,
  revisionsOfAppend,
  toEventIdClaimData,
  toEventStoreDbEventData,
  toEventStoreDbExpectedRevision,
  toEventStoreDbPosition,
  toEventStoreDbReadPosition,
} from './eventstoredb-event.mapping';
import type { EventIdClaim } from './eventstoredb-event.mapping';

export type EventStoreDbEventStoreOptions = {
  /**
   * Prepended to every stream name on the server and stripped on the way back; `readAll` and
   * the subscription only see streams with this prefix. Streams cannot be dropped cheaply in
   * EventStoreDB, so test runs and side-by-side installations on one server each use their
   * own prefix. Empty (the default) in production. Must not start with `$` (system streams).
   */
  streamNamePrefix?: string;
  /** Largest batch handed to one `onEvents` call of a subscription. */
  subscriptionBatchMaximum?: number;
};

/** Default upper bound of a subscription batch: one projector transaction covers at most this many events. */
export const EVENTSTOREDB_SUBSCRIPTION_BATCH_MAXIMUM = 500;

/**
 * Smallest page read from `$all` per round trip: a page also carries system events that are
 * dropped, so very small pages would cost one round trip for few ledger events.
 */
const READ_ALL_PAGE_MINIMUM = 256;

/** Event-id claims written at the same time for one append (bounded: an append may hold 10,000 events). */
const RESERVATION_CONCURRENCY = 32;

/** Claims that lose a race for a stale reservation are retried this often before giving up. */
const RESERVATION_ATTEMPTS_MAXIMUM = 5;

async function forEachConcurrently<Item>(
  items: readonly Item[],
  concurrency: number,
  action: (item: Item, index: number) => Promise<void>,
): Promise<void> {
  let nextIndex = 0;
  let failed = false;
  const worker = async () => {
    // After the first failure no further item is started: the caller gets that error at once.
    while (!failed && nextIndex < items.length) {
      const index = nextIndex;
      nextIndex += 1;
      try {
        await action(items[index]!, index);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}

async function collect<Item>(read: StreamingRead<Item>): Promise<Item[]> {
  const items: Item[] = [];
  for await (const item of read) items.push(item);
  return items;
}

function assertPositiveCount(name: string, value: number, maximum: number): void {
  if (!Number.isSafeInteger(value) || value < 1 || value > maximum) {
    throw new RangeError(`${name} must be an integer from 1 to ${maximum}, got ${String(value)}`);
  }
}

export class EventStoreDbEventStore implements EventStore, AllEventsSubscriptionSource {
  private readonly streamNamePrefix: string;
  private readonly subscriptionBatchMaximum: number;
  /** The last booking time this process assigned (epoch ms): booking times grow strictly within the process. */
  private lastBookedEpochMilliseconds = 0;

  constructor(
    private readonly client: EventStoreDBClient,
    options: EventStoreDbEventStoreOptions = {},
  ) {
    this.streamNamePrefix = options.streamNamePrefix ?? '';
    if (this.streamNamePrefix.startsWith('$')) {
      throw new RangeError('streamNamePrefix must not start with $ (reserved for EventStoreDB system streams)');
    }
    this.subscriptionBatchMaximum = options.subscriptionBatchMaximum ?? EVENTSTOREDB_SUBSCRIPTION_BATCH_MAXIMUM;
    assertPositiveCount('subscriptionBatchMaximum', this.subscriptionBatchMaximum, Number.MAX_SAFE_INTEGER);
  }

  /**
   * EventStoreDB assigns its own commit time (the event's `created`) only when it writes,
   * too late for a hash that covers the booking time. So this adapter books on THIS
   * process's clock, just before the write, kept strictly increasing within the process
   * (last + 1 ms); several writer processes are not ordered by it. See docs/eventstoredb.md.
   */
  private completeAppend(streamName: string, events: NewEvent[], expectedStreamVersion: ExpectedStreamVersion, complete: AppendCompletion): NewEvent[] {
    this.lastBookedEpochMilliseconds = Math.max(Date.now(), this.lastBookedEpochMilliseconds + 1);
    const [completed] = complete(new Date(this.lastBookedEpochMilliseconds).toISOString());
    const same = completed !== undefined && completed.streamName === streamName && completed.expectedStreamVersion === expectedStreamVersion
      && completed.events.length === events.length && completed.events.every((event, index) => event.eventId === events[index]!.eventId);
    if (!same) throw new Error('invariant broken: an append completion changed the stream, version or event ids');
    return completed.events;
  }

  async appendToStream(
    streamName: string,
    events: NewEvent[],
    options: { expectedStreamVersion: ExpectedStreamVersion; complete?: AppendCompletion },
  ): Promise<AppendResult> {
    assertPositiveCount('the number of events to append', events.length, EVENT_STORE_LIMITS.appendEventsMaximum);
    if (options.complete !== undefined) events = this.completeAppend(streamName, events, options.expectedStreamVersion, options.complete);
    const serverStreamName = this.toServerStreamName(streamName);
    // Throws for anything but `no_stream` or a non-negative bigint: ANY is never sent.
    const expectedRevision = toEventStoreDbExpectedRevision(options.expectedStreamVersion);
    const seenEventIds = new Set<string>();
    for (const event of events) {
      const eventId = event.eventId.toLowerCase();
      if (seenEventIds.has(eventId)) throw new DuplicateEventIdError(event.eventId, streamName);
      seenEventIds.add(eventId);
    }
    // Claim every id for its place first: nothing is appended to the stream unless all ids
    // are free or already this append's (all or nothing, also for DuplicateEventIdError).
    const revisions = revisionsOfAppend(options.expectedStreamVersion, events.length);
    await forEachConcurrently(events, RESERVATION_CONCURRENCY, (event, index) =>
      this.reserveEventId(event.eventId, { streamName: serverStreamName, streamVersion: revisions[index]! }, streamName),
    );
    let result;
    try {
      // One call, one server-side transaction: the events are written atomically, or none.
      result = await this.client.appendToStream(serverStreamName, events.map(toEventStoreDbEventData), { expectedRevision });
    } catch (error) {
      throw mapEventStoreDbAppendError(error, streamName, options.expectedStreamVersion);
    }
    // The position is read back from the stored last event instead of taken from the append
    // result: an idempotent re-append reports no position at all, and the result's position
    // of a multi-event append is the write's log position, which is not guaranteed to equal
    // the last event's `$all` position that `readAll` and subscriptions report. One extra
    // read per append (the ledger appends once per stream per batch) buys an exact position.
    const lastPosition = await this.readPositionAtRevision(serverStreamName, result.nextExpectedRevision);
    // The server reports no position for an idempotent re-append (nothing written).
    return { nextExpectedStreamVersion: result.nextExpectedRevision, lastPosition, alreadyStored: result.position === undefined };
  }

  async readStream(
    streamName: string,
    options: { fromStreamVersion?: bigint; maxCount?: number } = {},
  ): Promise<ReadStreamResult> {
    const fromStreamVersion = options.fromStreamVersion ?? 0n;
    if (typeof fromStreamVersion !== 'bigint' || fromStreamVersion < 0n) {
      throw new RangeError(`fromStreamVersion must be a non-negative bigint, got ${String(fromStreamVersion)}`);
    }
    if (options.maxCount !== undefined) assertPositiveCount('maxCount', options.maxCount, Number.MAX_SAFE_INTEGER);
    const serverStreamName = this.toServerStreamName(streamName);
    let resolvedEvents: ResolvedEvent[];
    try {
      resolvedEvents = await collect(
        this.client.readStream(serverStreamName, {
          fromRevision: fromStreamVersion,
          direction: FORWARDS,
          ...(options.maxCount === undefined ? {} : { maxCount: options.maxCount }),
        }),
      );
    } catch (error) {
      if (isEventStoreDbStreamNotFound(error)) return { events: [], currentStreamVersion: 'no_stream' };
      throw error;
    }
    const events = resolvedEvents.flatMap((resolved) => (resolved.event === undefined ? [] : [this.toPortEvent(resolved.event)]));
    const lastEvent = events.at(-1);
    const readToTheEnd = options.maxCount === undefined || events.length < options.maxCount;
    // When the read reached the end of the stream its last event is the current version;
    // otherwise (a page, or a start beyond the end) the current version is read separately.
    const currentStreamVersion =
      lastEvent !== undefined && readToTheEnd ? lastEvent.streamVersion : await this.readCurrentStreamVersion(serverStreamName);
    return { events, currentStreamVersion };
  }

  async readAll(options: { after: GlobalPosition | null; maxCount: number }): Promise<RecordedEvent[]> {
    assertPositiveCount('maxCount', options.maxCount, EVENT_STORE_LIMITS.readAllBatchMaximum);
    // +1: the server's read is inclusive and returns the event at `after` first.
    const pageSize = Math.max(options.maxCount + 1, READ_ALL_PAGE_MINIMUM);
    const events: RecordedEvent[] = [];
    let after = options.after;
    while (events.length < options.maxCount) {
      const page: AllStreamResolvedEvent[] = await collect(
        this.client.readAll({ fromPosition: toEventStoreDbReadPosition(after), direction: FORWARDS, maxCount: pageSize }),
      );
      let lastPositionInPage: GlobalPosition | null = null;
      for (const resolved of page) {
        const recorded = resolved.event;
        if (recorded === undefined) continue;
        const position = fromEventStoreDbPosition(recorded.position);
        lastPositionInPage = position;
        if (!isStrictlyAfter(position, after)) continue;
        if (!isLedgerEvent(recorded) || !this.isInNamespace(recorded.streamId)) continue;
        events.push(this.toPortEvent(recorded));
        if (events.length === options.maxCount) break;
      }
      // A short page is the end of `$all` as of this read.
      if (page.length < pageSize || lastPositionInPage === null) break;
      after = lastPositionInPage;
    }
    return events;
  }

  /**
   * The position of the newest ledger event (of this store's namespace), or null if there is
   * none. EventStoreDB's `$all` has no events held back, so this is simply the head; it is
   * found by reading `$all` backwards past system events and other namespaces.
   */
  async readHeadPosition(): Promise<GlobalPosition | null> {
    let before: GlobalPosition | null = null;
    for (;;) {
      const page: AllStreamResolvedEvent[] = await collect(
        this.client.readAll({
          fromPosition: before === null ? END : toEventStoreDbPosition(before),
          direction: BACKWARDS,
          maxCount: READ_ALL_PAGE_MINIMUM,
        }),
      );
      for (const resolved of page) {
        const recorded = resolved.event;
        if (recorded === undefined) continue;
        const position = fromEventStoreDbPosition(recorded.position);
        // A backwards read from a position also starts with the event at that position.
        if (before !== null && compareGlobalPositions(position, before) >= 0) continue;
        before = position;
        if (isLedgerEvent(recorded) && this.isInNamespace(recorded.streamId)) return position;
      }
      if (page.length < READ_ALL_PAGE_MINIMUM) return null;
    }
  }

  /**
   * A catch-up subscription to `$all`, filtered on the server.
   *
   * EventStoreDB's subscription start position is EXCLUSIVE (unlike `readAll`): subscribing
   * from the checkpoint delivers the first event after it, which is what the port wants. The
   * adapter still drops anything at or before the last delivered position, so a replayed event
   * can never reach a projector twice through this source.
   *
   * Do not await `stop()` inside `onEvents`: `stop()` waits for the running `onEvents` call.
   */
  subscribeToAll(options: {
    after: GlobalPosition | null;
    onEvents: (events: RecordedEvent[]) => Promise<void>;
    onError: (error: unknown) => void;
  }): { stop(): Promise<void> } {
    const subscription = this.client.subscribeToAll({
      fromPosition: toEventStoreDbReadPosition(options.after),
      filter: this.subscriptionFilter(),
    });
    let stopping = false;
    let lastDelivered = options.after;
    const delivery = (async () => {
      try {
        // `for await`: the next batch is assembled only after `onEvents` has settled, so
        // handlers are never called concurrently and batches arrive in `$all` order.
        for await (const batch of bufferedBatches(subscription, this.subscriptionBatchMaximum)) {
          if (stopping) break;
          const events: RecordedEvent[] = [];
          for (const resolved of batch) {
            const recorded = resolved.event;
            if (recorded === undefined) continue;
            if (!isLedgerEvent(recorded) || !this.isInNamespace(recorded.streamId)) continue;
            const event = this.toPortEvent(recorded);
            if (!isStrictlyAfter(event.globalPosition, lastDelivered)) continue;
            events.push(event);
            lastDelivered = event.globalPosition;
          }
          if (events.length > 0) await options.onEvents(events);
        }
        if (!stopping) options.onError(new Error('the EventStoreDB subscription to $all ended unexpectedly'));
      } catch (error) {
        if (!stopping) options.onError(error);
      } finally {
        await subscription.unsubscribe().catch(() => undefined);
      }
    })();
    return {
      stop: async () => {
        stopping = true;
        await subscription.unsubscribe().catch(() => undefined);
        await delivery;
      },
    };
  }

  async close(): Promise<void> {
    await this.client.dispose();
  }

  private subscriptionFilter(): Filter {
    // With a namespace the stream-name prefix is the sharper filter (and such names never
    // start with `$`); otherwise every event type that does not start with `$`.
    return this.streamNamePrefix === ''
      ? eventTypeFilter({ regex: '^[^$]' })
      : streamNameFilter({ prefixes: [this.streamNamePrefix] });
  }

  private toServerStreamName(streamName: string): string {
    if (streamName.length === 0) throw new RangeError('stream name must not be empty');
    if (streamName.startsWith(EVENT_ID_RESERVATION_STREAM_PREFIX)) {
      throw new RangeError(`stream name ${streamName} is reserved for the adapter's event-id reservations`);
    }
    if (this.streamNamePrefix === '' && streamName.startsWith('$')) {
      throw new RangeError(`stream name ${streamName} starts with $, which EventStoreDB reserves for system streams`);
    }
    return `${this.streamNamePrefix}${streamName}`;
  }

  private isInNamespace(serverStreamName: string): boolean {
    return serverStreamName.startsWith(this.streamNamePrefix);
  }

  private toPortEvent(recorded: EventStoreDbRecordedEvent): RecordedEvent {
    const event = fromEventStoreDbRecordedEvent(recorded);
    return { ...event, streamName: event.streamName.slice(this.streamNamePrefix.length) };
  }

  /**
   * Claims `eventId` for `intendedClaim` (see `judgeExistingClaim`). Every claim append has
   * an explicit expected revision, so two writers racing for one id cannot both win.
   */
  private async reserveEventId(eventId: string, intendedClaim: EventIdClaim, streamName: string): Promise<void> {
    const reservationStreamName = `${this.streamNamePrefix}${eventIdReservationStreamName(eventId)}`;
    const claimEvent = jsonEvent({
      id: eventIdReservationEventId(eventId, intendedClaim),
      type: EVENT_ID_RESERVATION_EVENT_TYPE,
      data: toEventIdClaimData(intendedClaim),
    });
    // Optimistic first: a fresh id (the common case) costs one append and no read.
    let expectedRevision: typeof NO_STREAM | bigint = NO_STREAM;
    for (let attempt = 1; attempt <= RESERVATION_ATTEMPTS_MAXIMUM; attempt += 1) {
      try {
        await this.client.appendToStream(reservationStreamName, claimEvent, { expectedRevision });
        return;
      } catch (error) {
        if (!(error instanceof WrongExpectedVersionError)) throw error;
      }
      const [resolved] = await collect(
        this.client.readStream(reservationStreamName, { fromRevision: END, direction: BACKWARDS, maxCount: 1 }),
      );
      if (resolved?.event === undefined) throw new Error(`event-id reservation ${reservationStreamName} cannot be read`);
      const existingClaim = fromEventIdClaimData(resolved.event.data);
      const verdict = judgeExistingClaim(
        eventId,
        existingClaim,
        intendedClaim,
        isSameClaim(existingClaim, intendedClaim) ? null : await this.readEventIdAt(existingClaim),
      );
      if (verdict === 'same_claim') return;
      if (verdict === 'duplicate' || verdict === 'pending') throw new DuplicateEventIdError(eventId, streamName);
      // Stale: replace it, expecting exactly the claim just judged.
      expectedRevision = resolved.event.revision;
    }
    throw new Error(`could not reserve event id ${eventId}: the reservation kept changing`);
  }

  private async readEventIdAt(claim: EventIdClaim): Promise<string | null> {
    try {
      const [resolved] = await collect(
        this.client.readStream(claim.streamName, { fromRevision: claim.streamVersion, direction: FORWARDS, maxCount: 1 }),
      );
      return resolved?.event !== undefined && resolved.event.revision === claim.streamVersion ? resolved.event.id : null;
    } catch (error) {
      if (isEventStoreDbStreamNotFound(error)) return null;
      throw error;
    }
  }

  private async readPositionAtRevision(serverStreamName: string, revision: bigint): Promise<GlobalPosition> {
    const [resolved] = await collect(
      this.client.readStream(serverStreamName, { fromRevision: revision, direction: FORWARDS, maxCount: 1 }),
    );
    if (resolved?.event === undefined) {
      throw new Error(`EventStoreDB acknowledged ${serverStreamName}@${revision.toString()} but the event cannot be read back`);
    }
    return this.toPortEvent(resolved.event).globalPosition;
  }

  private async readCurrentStreamVersion(serverStreamName: string): Promise<ExpectedStreamVersion> {
    try {
      const [resolved] = await collect(
        this.client.readStream(serverStreamName, { fromRevision: END, direction: BACKWARDS, maxCount: 1 }),
      );
      return resolved?.event === undefined ? 'no_stream' : resolved.event.revision;
    } catch (error) {
      if (isEventStoreDbStreamNotFound(error)) return 'no_stream';
      throw error;
    }
  }
}

/** Hides the password of `esdb://user:password@host` so that an error message can show the rest. */
export function redactConnectionString(connectionString: string): string {
  return connectionString.replace(/\/\/([^:@/]+):([^@/]*)@/, '//$1:***@');
}

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The stream the start-up check reads; it normally does not exist, and a missing stream is a success. */
const CONNECTION_CHECK_STREAM_NAME = 'rsi-ledger-connection-check';

/**
 * Connects and proves that the server answers (one cheap stream read) before anything else
 * starts, so a wrong or unreachable `EVENTSTORE_CONNECTION_STRING` fails at start-up with a
 * message that names the setting, instead of at the first command.
 */
export async function connectEventStoreDb(
  connectionString: string | undefined,
  options: EventStoreDbEventStoreOptions & { connectTimeoutMilliseconds?: number } = {},
): Promise<EventStoreDbEventStore> {
  if (connectionString === undefined || connectionString.trim() === '') {
    throw new Error(
      'EVENTSTORE_CONNECTION_STRING is not set; EVENT_STORE=eventstoredb needs it (for example esdb://localhost:2113?tls=false)',
    );
  }
  const shownConnectionString = redactConnectionString(connectionString);
  let client: EventStoreDBClient;
  try {
    client = EventStoreDBClient.connectionString(connectionString);
  } catch (error) {
    throw new Error(
      `EVENTSTORE_CONNECTION_STRING=${shownConnectionString} is not a valid EventStoreDB connection string: ${describeError(error)}`,
      { cause: error },
    );
  }
  try {
    await collect(
      client.readStream(CONNECTION_CHECK_STREAM_NAME, {
        maxCount: 1,
        deadline: options.connectTimeoutMilliseconds ?? 10_000,
      }),
    );
  } catch (error) {
    if (!(error instanceof StreamNotFoundError)) {
      await client.dispose().catch(() => undefined);
      throw new Error(
        `cannot use EventStoreDB at EVENTSTORE_CONNECTION_STRING=${shownConnectionString}: ${describeError(error)}. ` +
          'Start the server, or fix the setting (host, port, tls=false for an insecure server, user:password@ for a secure one).',
        { cause: error },
      );
    }
  }
  return new EventStoreDbEventStore(client, options);
}
