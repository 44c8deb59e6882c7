import {
  EVENT_HASH_SCHEME_CURRENT, eventHashBodyOf, eventHashOf, eventHashSchemeOf, expectedEventHashOf, GENESIS_EVENT_HASH, hashOfEventBody,
  type HashedEventFields,
} from './event-hash';

function eventV2(): HashedEventFields {
  return {
    streamName: 'developer-dev-1',
    streamVersion: 3n,
    eventId: '0b6f7a2e-6a55-5d1c-9c3e-1f2d3c4b5a69',
    type: 'RevenueRecorded',
    data: { receiptId: 'r-1', amountMinor: '1000', currency: 'USD' },
    metadata: {
      commandId: 'RecordRevenue:r-1', actor: 'key-1', recordedAt: '2026-03-01T00:00:00.000Z', schemaVersion: 1,
      hashScheme: 2, previousEventHash: 'a'.repeat(64), eventHash: '',
    },
  };
}

const PREVIOUS_HASH = 'a'.repeat(64);

describe('event hash schemes', () => {
  it('scheme 2 is the one written now, and its hash is SHA-256 of the canonical JSON of all identifying fields', () => {
    expect(EVENT_HASH_SCHEME_CURRENT).toBe(2);
    const body = eventHashBodyOf(eventV2(), PREVIOUS_HASH);
    expect(Object.keys(body).sort()).toEqual([
      'actor', 'commandId', 'data', 'eventId', 'hashScheme', 'previousEventHash', 'recordedAt', 'schemaVersion', 'streamName', 'streamVersion', 'type',
    ]);
    expect(body).toMatchObject({ hashScheme: 2, streamVersion: '3', eventId: '0b6f7a2e-6a55-5d1c-9c3e-1f2d3c4b5a69' });
    // Pinned: SHA-256 of the sorted-key JSON written out by hand (computed independently of
    // canonicalJson); a change of the encoding would break every stored hash.
    expect(hashOfEventBody(body)).toBe('15348c550e755e34073c28cc7668dd7348bd42cb14060cd96cf66930457d03a6');
    expect(expectedEventHashOf(eventV2(), PREVIOUS_HASH)).toBe('15348c550e755e34073c28cc7668dd7348bd42cb14060cd96cf66930457d03a6');
  });

  const changes: [string, (event: HashedEventFields) => void][] = [
    ['stream name', (event) => { event.streamName = 'developer-dev-2'; }],
    ['stream version', (event) => { event.streamVersion = 4n; }],
    ['event id', (event) => { event.eventId = '0b6f7a2e-6a55-5d1c-9c3e-1f2d3c4b5a6a'; }],
    ['type', (event) => { event.type = 'RevenueRefunded'; }],
    ['data', (event) => { event.data = { ...event.data, amountMinor: '1001' }; }],
    ['actor', (event) => { event.metadata.actor = 'key-2'; }],
    ['command id', (event) => { event.metadata.commandId = 'RecordRevenue:r-2'; }],
    ['booking time', (event) => { event.metadata.recordedAt = '2026-03-01T00:00:00.001Z'; }],
    ['schema version', (event) => { event.metadata.schemaVersion = 2; }],
  ];
  it.each(changes)('scheme 2: changing the %s changes the hash', (_field, change) => {
    const original = expectedEventHashOf(eventV2(), PREVIOUS_HASH);
    const changed = eventV2();
    change(changed);
    expect(expectedEventHashOf(changed, PREVIOUS_HASH)).not.toBe(original);
  });

  it('scheme 2: changing the previous hash changes the hash', () => {
    expect(expectedEventHashOf(eventV2(), 'b'.repeat(64))).not.toBe(expectedEventHashOf(eventV2(), PREVIOUS_HASH));
  });

  it('scheme 2: the hash does not depend on the case a store returns the event id in', () => {
    const upper = eventV2();
    upper.eventId = upper.eventId.toUpperCase();
    expect(expectedEventHashOf(upper, PREVIOUS_HASH)).toBe(expectedEventHashOf(eventV2(), PREVIOUS_HASH));
  });

  it('scheme 2: downgrading an event to scheme 1 (removing hashScheme) changes the hash it must carry', () => {
    const downgraded = eventV2();
    delete downgraded.metadata.hashScheme;
    expect(expectedEventHashOf(downgraded, PREVIOUS_HASH)).not.toBe(expectedEventHashOf(eventV2(), PREVIOUS_HASH));
  });

  it('scheme 1 (no hashScheme): covers type, data and previous hash only, as before', () => {
    const legacy = eventV2();
    delete legacy.metadata.hashScheme;
    expect(eventHashSchemeOf(legacy.metadata)).toBe(1);
    const hash = expectedEventHashOf(legacy, GENESIS_EVENT_HASH);
    expect(hash).toBe(eventHashOf(legacy.type, legacy.data, GENESIS_EVENT_HASH));
    legacy.metadata.actor = 'someone-else';
    legacy.metadata.recordedAt = '2030-01-01T00:00:00.000Z';
    expect(expectedEventHashOf(legacy, GENESIS_EVENT_HASH)).toBe(hash);
  });

  it('an unknown scheme or a missing covered field throws (verify reports it as a finding)', () => {
    const unknown = eventV2();
    unknown.metadata.hashScheme = 3;
    expect(() => expectedEventHashOf(unknown, PREVIOUS_HASH)).toThrow('unknown event hash scheme 3');
    const noActor = eventV2();
    delete noActor.metadata.actor;
    expect(() => expectedEventHashOf(noActor, PREVIOUS_HASH)).toThrow('actor is not a string');
    const badVersion = eventV2();
    badVersion.metadata.schemaVersion = '1';
    expect(() => expectedEventHashOf(badVersion, PREVIOUS_HASH)).toThrow('schemaVersion is not an integer');
  });
});
