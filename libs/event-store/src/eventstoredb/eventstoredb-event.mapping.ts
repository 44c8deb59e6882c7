/**
 * Pure conversions between the event-store port and `@eventstore/db-client` 6.x.
 *
 * Nothing here talks to a server, so every rule the adapter relies on (revisions, positions,
 * the strictly-after read, error mapping, the shape of stored events) is unit-tested without
 * one. Revisions and positions stay `bigint` end to end: EventStoreDB positions are byte
 * offsets in a transaction log that can grow beyond 2^53, and `Number()` would silently round
 * them, making a checkpoint point at the wrong event.
 */
import {
  END,
  jsonEvent,
  NO_STREAM,
  START,
  StreamNotFoundError,
  WrongExpectedVersionError,
} from '@eventstore/db-client';
import type {
  AppendExpectedRevision,
  CurrentRevision,
  EventData,
  Position,
  ReadPosition,
  RecordedEvent as EventStoreDbRecordedEvent,
} from '@eventstore/db-client';
import { LEDGER_EVENT_ID_NAMESPACE, uuidVersion5 } from '../event-id';
import { compareGlobalPositions, StreamVersionConflictError } from '../event-store.port';
import type {
  EventMetadata,
  ExpectedStreamVersion,
  GlobalPosition,
  JsonObject,
  NewEvent,
  RecordedEvent,
} from '../event-store.port';

export { END, START };

/** The client's JSON event as the adapter appends it. */
export type EventStoreDbJsonEventData = EventData<{ type: string; data: JsonObject; metadata: EventMetadata }>;

/** Thrown when a stored event cannot be read back as a ledger event (wrong shape, not JSON). */
export class EventStoreDbEventFormatError extends Error {
  readonly code = 'eventstoredb_event_format';
  constructor(readonly streamName: string, readonly streamVersion: bigint, reason: string) {
    super(`event ${streamName}@${streamVersion.toString()} is not a ledger event: ${reason}`);
    this.name = 'EventStoreDbEventFormatError';
  }
}

// ---------------------------------------------------------------------------------------
// Events
// ---------------------------------------------------------------------------------------

/**
 * A port event as an EventStoreDB JSON event. The metadata object is stored unchanged as the
 * event's JSON metadata, so both adapters store the same metadata document.
 */
export function toEventStoreDbEventData(event: NewEvent): EventStoreDbJsonEventData {
  return jsonEvent<{ type: string; data: JsonObject; metadata: EventMetadata }>({
    id: event.eventId,
    type: event.type,
    data: event.data,
    metadata: event.metadata,
  });
}

function isPlainJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array);
}

const REQUIRED_METADATA_STRING_FIELDS = ['commandId', 'actor', 'recordedAt', 'previousEventHash', 'eventHash'] as const;

function toEventMetadata(metadata: unknown, streamName: string, streamVersion: bigint): EventMetadata {
  if (!isPlainJsonObject(metadata)) {
    throw new EventStoreDbEventFormatError(streamName, streamVersion, 'metadata is not a JSON object');
  }
  for (const field of REQUIRED_METADATA_STRING_FIELDS) {
    if (typeof metadata[field] !== 'string') {
      throw new EventStoreDbEventFormatError(streamName, streamVersion, `metadata.${field} is not a string`);
    }
  }
  if (typeof metadata.schemaVersion !== 'number') {
    throw new EventStoreDbEventFormatError(streamName, streamVersion, 'metadata.schemaVersion is not a number');
  }
  return metadata as EventMetadata;
}

/**
 * A recorded client event as a port event. `position` is required: the port promises a
 * global position on every event, and EventStoreDB returns it on stream reads since 22.6.
 */
export function fromEventStoreDbRecordedEvent(recorded: EventStoreDbRecordedEvent): RecordedEvent {
  const streamName = recorded.streamId;
  const streamVersion = recorded.revision;
  if (!recorded.isJson) {
    throw new EventStoreDbEventFormatError(streamName, streamVersion, 'content type is not application/json');
  }
  if (!isPlainJsonObject(recorded.data)) {
    throw new EventStoreDbEventFormatError(streamName, streamVersion, 'data is not a JSON object');
  }
  if (recorded.position === undefined) {
    throw new EventStoreDbEventFormatError(
      streamName,
      streamVersion,
      'the server returned no $all position (EventStoreDB 22.6 or later is required)',
    );
  }
  return {
    eventId: recorded.id,
    type: recorded.type,
    data: recorded.data,
    metadata: toEventMetadata(recorded.metadata, streamName, streamVersion),
    streamName,
    streamVersion,
    globalPosition: fromEventStoreDbPosition(recorded.position),
  };
}

/**
 * System events: EventStoreDB's own (`$metadata`, `$statsCollected`, projection link events
 * `$>`…) have types starting with `$`, and system and projection streams (`$stats-…`,
 * `$ce-…`, `$$…` metadata streams) have names starting with `$`. The ledger never writes such
 * names, so they are never ledger events.
 */
export function isSystemEvent(event: { type: string; streamId: string }): boolean {
  return event.type.startsWith('$') || event.streamId.startsWith('$');
}

/** Events that readers of `$all` hand to the ledger: neither system events nor the adapter's own reservations. */
export function isLedgerEvent(event: { type: string; streamId: string }): boolean {
  return !isSystemEvent(event) && event.type !== EVENT_ID_RESERVATION_EVENT_TYPE;
}

// ---------------------------------------------------------------------------------------
// Event-id reservations
// ---------------------------------------------------------------------------------------
//
// EventStoreDB recognises a known event id only inside the stream and revisions being
// appended; it would store an id that already exists in ANOTHER stream. The port (and the
// ledger, which relies on it to refuse e.g. one app id under two developers) requires
// `DuplicateEventIdError` then. So before an append, the adapter claims every event id in a
// small stream of its own, `event-id-reservation-<eventId>`, with an explicit expected
// revision: a claim says "this id goes to stream S at revision R". The decision about an
// existing claim is pure and lives here.

export const EVENT_ID_RESERVATION_EVENT_TYPE = 'rsi-ledger.EventIdReserved';
export const EVENT_ID_RESERVATION_STREAM_PREFIX = 'event-id-reservation-';

export type EventIdClaim = { streamName: string; streamVersion: bigint };

export function eventIdReservationStreamName(eventId: string): string {
  return `${EVENT_ID_RESERVATION_STREAM_PREFIX}${eventId.toLowerCase()}`;
}

/** Deterministic, so that a retried claim is itself an idempotent append. */
export function eventIdReservationEventId(eventId: string, claim: EventIdClaim): string {
  return uuidVersion5(LEDGER_EVENT_ID_NAMESPACE, `reservation#${eventId}#${claim.streamName}#${claim.streamVersion.toString()}`);
}

/** Stream versions are stored as decimal strings: JSON numbers lose precision above 2^53. */
export function toEventIdClaimData(claim: EventIdClaim): JsonObject {
  return { streamName: claim.streamName, streamVersion: claim.streamVersion.toString() };
}

export function fromEventIdClaimData(data: unknown): EventIdClaim {
  if (
    !isPlainJsonObject(data) ||
    typeof data.streamName !== 'string' ||
    typeof data.streamVersion !== 'string' ||
    !/^(0|[1-9][0-9]*)$/.test(data.streamVersion)
  ) {
    throw new TypeError(`not an event-id claim: ${JSON.stringify(data)}`);
  }
  return { streamName: data.streamName, streamVersion: BigInt(data.streamVersion) };
}

export function isSameClaim(left: EventIdClaim, right: EventIdClaim): boolean {
  return left.streamName === right.streamName && left.streamVersion === right.streamVersion;
}

/**
 * - `same_claim`: the existing claim is this append's own (a retried command): go on.
 * - `duplicate`: the id is stored at the claimed place, which is another stream or revision.
 * - `pending`: nothing is stored at the claimed place yet; its claimant may still be
 *   appending (or crashed). Taking the id over could store it twice, so it is refused.
 * - `stale`: another event occupies the claimed place, so the claimant's append can never
 *   succeed there; the claim may be replaced.
 */
export type ExistingClaimVerdict = 'same_claim' | 'duplicate' | 'pending' | 'stale';

export function judgeExistingClaim(
  eventId: string,
  existingClaim: EventIdClaim,
  intendedClaim: EventIdClaim,
  /** Id of the event stored at the existing claim's place; null when there is none. */
  eventIdAtClaimedPlace: string | null,
): ExistingClaimVerdict {
  if (isSameClaim(existingClaim, intendedClaim)) return 'same_claim';
  if (eventIdAtClaimedPlace === null) return 'pending';
  return eventIdAtClaimedPlace.toLowerCase() === eventId.toLowerCase() ? 'duplicate' : 'stale';
}

/** The revisions an append with this expected version gives its events. */
export function revisionsOfAppend(expectedStreamVersion: ExpectedStreamVersion, eventCount: number): bigint[] {
  const first = expectedStreamVersion === 'no_stream' ? 0n : expectedStreamVersion + 1n;
  return Array.from({ length: eventCount }, (_, index) => first + BigInt(index));
}

// ---------------------------------------------------------------------------------------
// Revisions and expected versions
// ---------------------------------------------------------------------------------------

/**
 * The port's expected version as the client's expected revision. Never `ANY`: only an
 * explicit expected revision makes EventStoreDB's idempotency by event id guaranteed.
 */
export function toEventStoreDbExpectedRevision(expectedStreamVersion: ExpectedStreamVersion): typeof NO_STREAM | bigint {
  if (expectedStreamVersion === 'no_stream') return NO_STREAM;
  if (typeof expectedStreamVersion !== 'bigint' || expectedStreamVersion < 0n) {
    throw new RangeError(`expected stream version must be 'no_stream' or a non-negative bigint, got ${String(expectedStreamVersion)}`);
  }
  return expectedStreamVersion;
}

/**
 * The client's current revision as the port's stream version. Older servers report a
 * missing stream as revision -1 in error metadata; both spellings mean `no_stream`.
 */
export function fromEventStoreDbCurrentRevision(currentRevision: CurrentRevision): ExpectedStreamVersion {
  if (currentRevision === NO_STREAM) return 'no_stream';
  if (currentRevision < 0n) return 'no_stream';
  return currentRevision;
}

/** Expected revisions in a client error can also be `any`/`stream_exists`; the port only knows its own two. */
export function fromEventStoreDbExpectedRevision(
  expectedRevision: AppendExpectedRevision,
  fallback: ExpectedStreamVersion,
): ExpectedStreamVersion {
  if (expectedRevision === NO_STREAM) return 'no_stream';
  if (typeof expectedRevision === 'bigint') return expectedRevision < 0n ? 'no_stream' : expectedRevision;
  return fallback;
}

// ---------------------------------------------------------------------------------------
// Positions
// ---------------------------------------------------------------------------------------

export function fromEventStoreDbPosition(position: Position): GlobalPosition {
  return { commit: BigInt(position.commit), prepare: BigInt(position.prepare) };
}

export function toEventStoreDbPosition(position: GlobalPosition): Position {
  return { commit: position.commit, prepare: position.prepare };
}

/** Where a read of `$all` that wants events after `after` starts (null: the beginning). */
export function toEventStoreDbReadPosition(after: GlobalPosition | null): ReadPosition {
  return after === null ? START : toEventStoreDbPosition(after);
}

/**
 * EventStoreDB's `readAll({ fromPosition })` is INCLUSIVE: it returns the event at exactly
 * `fromPosition` first. The port's `readAll({ after })` is strictly after, so the adapter
 * drops every event at or before `after`.
 */
export function isStrictlyAfter(position: GlobalPosition, after: GlobalPosition | null): boolean {
  return after === null || compareGlobalPositions(position, after) > 0;
}

export function eventsStrictlyAfter<Event extends { globalPosition: GlobalPosition }>(
  events: readonly Event[],
  after: GlobalPosition | null,
): Event[] {
  return events.filter((event) => isStrictlyAfter(event.globalPosition, after));
}

// ---------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------

/**
 * A client error of an append as the port's error. `WrongExpectedVersionError` becomes
 * `StreamVersionConflictError` with the stream's actual version from the error; anything else
 * is returned unchanged (network errors must surface as they are, to be retried or reported).
 */
export function mapEventStoreDbAppendError(
  error: unknown,
  streamName: string,
  expectedStreamVersion: ExpectedStreamVersion,
): unknown {
  if (error instanceof WrongExpectedVersionError) {
    return new StreamVersionConflictError(
      streamName,
      fromEventStoreDbExpectedRevision(error.expectedVersion, expectedStreamVersion),
      fromEventStoreDbCurrentRevision(error.actualVersion),
    );
  }
  return error;
}

/** A stream read of a stream that does not exist fails with `StreamNotFoundError`. */
export function isEventStoreDbStreamNotFound(error: unknown): boolean {
  return error instanceof StreamNotFoundError;
}
