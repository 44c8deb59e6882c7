import { NO_STREAM, START, StreamNotFoundError, WrongExpectedVersionError } from '@eventstore/db-client';
import type { RecordedEvent as EventStoreDbRecordedEvent } from '@eventstore/db-client';
import { deriveEventId } from '../event-id';
import { StreamVersionConflictError } from '../event-store.port';
import type { EventMetadata, GlobalPosition, NewEvent } from '../event-store.port';
import {
  EVENT_ID_RESERVATION_EVENT_TYPE,
  eventIdReservationEventId,
  eventIdReservationStreamName,
  EventStoreDbEventFormatError,
  fromEventIdClaimData,
  isLedgerEvent,
  judgeExistingClaim,
  revisionsOfAppend,
  toEventIdClaimData,
  eventsStrictlyAfter,
  fromEventStoreDbCurrentRevision,
  fromEventStoreDbExpectedRevision,
  fromEventStoreDbPosition,
  fromEventStoreDbRecordedEvent,
  isEventStoreDbStreamNotFound,
  isStrictlyAfter,
  isSystemEvent,
  mapEventStoreDbAppendError,
  toEventStoreDbEventData,
  toEventStoreDbExpectedRevision,
  toEventStoreDbPosition,
  toEventStoreDbReadPosition,
} from './eventstoredb-event.mapping';

// Far beyond Number.MAX_SAFE_INTEGER (2^53 - 1): Number() would round these.
const ABOVE_TWO_TO_THE_53 = 2n ** 53n + 1n;
const NEAR_INT64_MAXIMUM = 2n ** 63n - 3n;

const metadata: EventMetadata = {
  commandId: 'RecordRevenue:receipt-1',
  actor: 'key-1',
  recordedAt: '2026-03-01T12:00:00.000Z',
  schemaVersion: 1,
  previousEventHash: '0'.repeat(64),
  eventHash: 'a'.repeat(64),
  extra: { nested: ['kept', 1, true, null] },
};

const newEvent: NewEvent = {
  eventId: deriveEventId('RecordRevenue:receipt-1', 0),
  type: 'RevenueRecorded',
  data: { receiptId: 'receipt-1', amount: '1999', currency: 'USD' },
  metadata,
};

function recordedFixture(overrides: Partial<Record<string, unknown>> = {}): EventStoreDbRecordedEvent {
  return {
    streamId: 'developer-d1',
    id: newEvent.eventId,
    isJson: true,
    revision: ABOVE_TWO_TO_THE_53,
    type: newEvent.type,
    created: new Date('2026-03-01T12:00:00.000Z'),
    data: newEvent.data,
    metadata: newEvent.metadata,
    position: { commit: NEAR_INT64_MAXIMUM, prepare: NEAR_INT64_MAXIMUM - 1n },
    ...overrides,
  } as EventStoreDbRecordedEvent;
}

describe('event mapping', () => {
  it('maps a port event to a client JSON event with the given id and unchanged metadata', () => {
    const eventData = toEventStoreDbEventData(newEvent);
    expect(eventData).toEqual({
      id: newEvent.eventId,
      contentType: 'application/json',
      type: 'RevenueRecorded',
      data: newEvent.data,
      metadata,
    });
  });

  it('maps a recorded client event back to the port event, bigint revision and position intact', () => {
    const recorded = fromEventStoreDbRecordedEvent(recordedFixture());
    expect(recorded).toEqual({
      ...newEvent,
      streamName: 'developer-d1',
      streamVersion: ABOVE_TWO_TO_THE_53,
      globalPosition: { commit: NEAR_INT64_MAXIMUM, prepare: NEAR_INT64_MAXIMUM - 1n },
    });
    expect(typeof recorded.streamVersion).toBe('bigint');
  });

  it('round-trips: what is appended is what is read back', () => {
    const eventData = toEventStoreDbEventData(newEvent);
    const recorded = fromEventStoreDbRecordedEvent(
      recordedFixture({ id: eventData.id, type: eventData.type, data: eventData.data, metadata: eventData.metadata }),
    );
    expect({ eventId: recorded.eventId, type: recorded.type, data: recorded.data, metadata: recorded.metadata }).toEqual(newEvent);
  });

  it('refuses stored events that are not ledger events', () => {
    expect(() => fromEventStoreDbRecordedEvent(recordedFixture({ isJson: false, data: new Uint8Array([1]) }))).toThrow(
      EventStoreDbEventFormatError,
    );
    expect(() => fromEventStoreDbRecordedEvent(recordedFixture({ data: ['not', 'an', 'object'] }))).toThrow(/data is not a JSON object/);
    expect(() => fromEventStoreDbRecordedEvent(recordedFixture({ metadata: undefined }))).toThrow(/metadata is not a JSON object/);
    expect(() => fromEventStoreDbRecordedEvent(recordedFixture({ metadata: { ...metadata, commandId: 7 } }))).toThrow(
      /metadata.commandId/,
    );
    expect(() => fromEventStoreDbRecordedEvent(recordedFixture({ metadata: { ...metadata, schemaVersion: '1' } }))).toThrow(
      /metadata.schemaVersion/,
    );
    expect(() => fromEventStoreDbRecordedEvent(recordedFixture({ position: undefined }))).toThrow(/22\.6/);
  });

  it('recognises system events by type or stream name', () => {
    expect(isSystemEvent({ type: '$metadata', streamId: '$$developer-d1' })).toBe(true);
    expect(isSystemEvent({ type: '$>', streamId: '$ce-developer' })).toBe(true);
    expect(isSystemEvent({ type: 'SomethingPlain', streamId: '$stats-127.0.0.1:2113' })).toBe(true);
    expect(isSystemEvent({ type: 'RevenueRecorded', streamId: 'developer-d1' })).toBe(false);
  });
});

describe('revision conversions', () => {
  it('sends no_stream or the exact bigint revision, never ANY', () => {
    expect(toEventStoreDbExpectedRevision('no_stream')).toBe(NO_STREAM);
    expect(toEventStoreDbExpectedRevision(0n)).toBe(0n);
    expect(toEventStoreDbExpectedRevision(NEAR_INT64_MAXIMUM)).toBe(NEAR_INT64_MAXIMUM);
  });

  it('refuses anything else as an expected version', () => {
    expect(() => toEventStoreDbExpectedRevision(-1n)).toThrow(RangeError);
    expect(() => toEventStoreDbExpectedRevision('any' as never)).toThrow(RangeError);
    expect(() => toEventStoreDbExpectedRevision(5 as never)).toThrow(RangeError);
  });

  it('maps the current revision, including -1 and no_stream, to the port', () => {
    expect(fromEventStoreDbCurrentRevision(NO_STREAM)).toBe('no_stream');
    expect(fromEventStoreDbCurrentRevision(-1n)).toBe('no_stream');
    expect(fromEventStoreDbCurrentRevision(ABOVE_TWO_TO_THE_53)).toBe(ABOVE_TWO_TO_THE_53);
  });

  it('maps an expected revision from an error, falling back for any/stream_exists', () => {
    expect(fromEventStoreDbExpectedRevision(NO_STREAM, 3n)).toBe('no_stream');
    expect(fromEventStoreDbExpectedRevision(ABOVE_TWO_TO_THE_53, 3n)).toBe(ABOVE_TWO_TO_THE_53);
    expect(fromEventStoreDbExpectedRevision('any', 3n)).toBe(3n);
    expect(fromEventStoreDbExpectedRevision('stream_exists', 'no_stream')).toBe('no_stream');
  });
});

describe('position conversions', () => {
  it('keeps positions above 2^53 exact, both ways', () => {
    const position: GlobalPosition = { commit: NEAR_INT64_MAXIMUM, prepare: ABOVE_TWO_TO_THE_53 };
    expect(toEventStoreDbPosition(position)).toEqual({ commit: NEAR_INT64_MAXIMUM, prepare: ABOVE_TWO_TO_THE_53 });
    expect(fromEventStoreDbPosition(toEventStoreDbPosition(position))).toEqual(position);
    expect(fromEventStoreDbPosition({ commit: ABOVE_TWO_TO_THE_53, prepare: ABOVE_TWO_TO_THE_53 }).commit - 2n ** 53n).toBe(1n);
  });

  it('starts a read at the beginning for no position, else at the position', () => {
    expect(toEventStoreDbReadPosition(null)).toBe(START);
    expect(toEventStoreDbReadPosition({ commit: 10n, prepare: 9n })).toEqual({ commit: 10n, prepare: 9n });
  });
});

describe('strictly after', () => {
  const at = (commit: bigint, prepare: bigint) => ({ globalPosition: { commit, prepare } });

  it('drops the event at exactly `after`, which the inclusive server read returns first', () => {
    const after = { commit: ABOVE_TWO_TO_THE_53, prepare: ABOVE_TWO_TO_THE_53 };
    const page = [at(ABOVE_TWO_TO_THE_53, ABOVE_TWO_TO_THE_53), at(ABOVE_TWO_TO_THE_53 + 1n, ABOVE_TWO_TO_THE_53 + 1n)];
    expect(eventsStrictlyAfter(page, after)).toEqual([page[1]]);
  });

  it('orders by commit, then prepare, in bigint (2^53 and 2^53 + 1 differ)', () => {
    expect(isStrictlyAfter({ commit: 2n ** 53n + 1n, prepare: 0n }, { commit: 2n ** 53n, prepare: 5n })).toBe(true);
    expect(isStrictlyAfter({ commit: 7n, prepare: ABOVE_TWO_TO_THE_53 }, { commit: 7n, prepare: ABOVE_TWO_TO_THE_53 - 1n })).toBe(true);
    expect(isStrictlyAfter({ commit: 7n, prepare: 3n }, { commit: 7n, prepare: 3n })).toBe(false);
    expect(isStrictlyAfter({ commit: 6n, prepare: 9n }, { commit: 7n, prepare: 3n })).toBe(false);
  });

  it('keeps everything when there is no position yet', () => {
    const page = [at(0n, 0n), at(1n, 1n)];
    expect(eventsStrictlyAfter(page, null)).toEqual(page);
  });
});

describe('error mapping', () => {
  it('maps WrongExpectedVersionError to StreamVersionConflictError with the actual version', () => {
    const error = new WrongExpectedVersionError(undefined, {
      streamName: 'run-1-developer-d1',
      expected: 4n,
      current: ABOVE_TWO_TO_THE_53,
    });
    const mapped = mapEventStoreDbAppendError(error, 'developer-d1', 4n);
    expect(mapped).toBeInstanceOf(StreamVersionConflictError);
    expect(mapped).toMatchObject({
      streamName: 'developer-d1',
      expectedStreamVersion: 4n,
      actualStreamVersion: ABOVE_TWO_TO_THE_53,
      code: 'stream_version_conflict',
    });
  });

  it('maps a conflict on a missing stream to actual no_stream', () => {
    const error = new WrongExpectedVersionError(undefined, { streamName: 'developer-d1', expected: 0n, current: NO_STREAM });
    expect(mapEventStoreDbAppendError(error, 'developer-d1', 0n)).toMatchObject({ actualStreamVersion: 'no_stream' });
  });

  it('maps a conflict on an existing stream when no_stream was expected', () => {
    const error = new WrongExpectedVersionError(undefined, { streamName: 'developer-d1', expected: NO_STREAM, current: 2n });
    expect(mapEventStoreDbAppendError(error, 'developer-d1', 'no_stream')).toMatchObject({
      expectedStreamVersion: 'no_stream',
      actualStreamVersion: 2n,
    });
  });

  it('returns other errors unchanged', () => {
    const networkError = new Error('UNAVAILABLE');
    expect(mapEventStoreDbAppendError(networkError, 'developer-d1', 0n)).toBe(networkError);
  });

  it('recognises a missing stream', () => {
    expect(isEventStoreDbStreamNotFound(new StreamNotFoundError(undefined, 'developer-d1'))).toBe(true);
    expect(isEventStoreDbStreamNotFound(new Error('other'))).toBe(false);
  });
});

describe('event-id reservations', () => {
  const eventId = deriveEventId('RegisterApp:app-1', 0);
  const claimInA = { streamName: 'developer-a', streamVersion: 3n };
  const claimInB = { streamName: 'developer-b', streamVersion: 0n };

  it('names one reservation stream per event id, case-insensitively', () => {
    expect(eventIdReservationStreamName(eventId.toUpperCase())).toBe(`event-id-reservation-${eventId}`);
  });

  it('derives the claim event id deterministically, per claim', () => {
    expect(eventIdReservationEventId(eventId, claimInA)).toBe(eventIdReservationEventId(eventId, { ...claimInA }));
    expect(eventIdReservationEventId(eventId, claimInA)).not.toBe(eventIdReservationEventId(eventId, claimInB));
  });

  it('stores claims with exact bigint stream versions as strings', () => {
    const claim = { streamName: 'developer-a', streamVersion: NEAR_INT64_MAXIMUM };
    expect(toEventIdClaimData(claim)).toEqual({ streamName: 'developer-a', streamVersion: NEAR_INT64_MAXIMUM.toString() });
    expect(fromEventIdClaimData(toEventIdClaimData(claim))).toEqual(claim);
    expect(() => fromEventIdClaimData({ streamName: 'x', streamVersion: 3 })).toThrow(TypeError);
    expect(() => fromEventIdClaimData({ streamName: 'x', streamVersion: '-1' })).toThrow(TypeError);
  });

  it('accepts its own claim again (a retried command)', () => {
    expect(judgeExistingClaim(eventId, claimInA, { ...claimInA }, null)).toBe('same_claim');
  });

  it('refuses an id stored in another stream, or at another revision of the same stream', () => {
    expect(judgeExistingClaim(eventId, claimInA, claimInB, eventId)).toBe('duplicate');
    expect(judgeExistingClaim(eventId, claimInA, { streamName: 'developer-a', streamVersion: 9n }, eventId.toUpperCase())).toBe('duplicate');
  });

  it('refuses an id whose claimant may still be appending', () => {
    expect(judgeExistingClaim(eventId, claimInA, claimInB, null)).toBe('pending');
  });

  it('replaces a claim whose place another event took (its append can never succeed)', () => {
    expect(judgeExistingClaim(eventId, claimInA, claimInB, deriveEventId('RegisterApp:other', 0))).toBe('stale');
  });

  it('computes the revisions an append gives its events', () => {
    expect(revisionsOfAppend('no_stream', 3)).toEqual([0n, 1n, 2n]);
    expect(revisionsOfAppend(ABOVE_TWO_TO_THE_53, 2)).toEqual([ABOVE_TWO_TO_THE_53 + 1n, ABOVE_TWO_TO_THE_53 + 2n]);
  });

  it('never hands reservations or system events to the ledger', () => {
    expect(isLedgerEvent({ type: EVENT_ID_RESERVATION_EVENT_TYPE, streamId: eventIdReservationStreamName(eventId) })).toBe(false);
    expect(isLedgerEvent({ type: '$metadata', streamId: '$$developer-a' })).toBe(false);
    expect(isLedgerEvent({ type: 'AppRegistered', streamId: 'developer-a' })).toBe(true);
  });
});
