import { deriveEventId, LEDGER_EVENT_ID_NAMESPACE, uuidVersion5 } from './event-id';

// Vectors computed independently with Python's `uuid.uuid5`.
const DNS_NAMESPACE = '6ba7b810-9dad-11d1-80b4-00c04fd430c8';
const URL_NAMESPACE = '6ba7b811-9dad-11d1-80b4-00c04fd430c8';

describe('uuidVersion5', () => {
  it('matches known RFC 4122 version 5 vectors', () => {
    expect(uuidVersion5(DNS_NAMESPACE, 'python.org')).toBe('886313e1-3b8a-5372-9b90-0c9aee199e5d');
    expect(uuidVersion5(URL_NAMESPACE, 'http://www.ietf.org/rfc/rfc4122.txt')).toBe('d0690b3c-b29d-52e7-81b0-d573b503f2d4');
  });

  it('accepts an upper-case namespace and refuses a malformed one', () => {
    expect(uuidVersion5(DNS_NAMESPACE.toUpperCase(), 'python.org')).toBe('886313e1-3b8a-5372-9b90-0c9aee199e5d');
    expect(() => uuidVersion5('not-a-uuid', 'x')).toThrow(TypeError);
  });
});

describe('deriveEventId', () => {
  it('uses the fixed ledger namespace', () => {
    expect(LEDGER_EVENT_ID_NAMESPACE).toBe('ee08e682-551c-4e8b-b330-51fe229246b5');
  });

  it('matches known vectors (computed with Python uuid.uuid5 in the ledger namespace)', () => {
    expect(deriveEventId('RecordRevenue:receipt-1', 0)).toBe('237090b9-1eda-5233-a379-b70c9d703fec');
    // Names are UTF-8 encoded before hashing.
    expect(deriveEventId('RegisterApp:app-é', 3)).toBe('ac28481c-9c8a-5bb0-8237-6172daafd10e');
  });

  it('is deterministic and distinguishes command ids and indexes', () => {
    expect(deriveEventId('RegisterApp:a', 0)).toBe(deriveEventId('RegisterApp:a', 0));
    expect(deriveEventId('RegisterApp:a', 0)).not.toBe(deriveEventId('RegisterApp:a', 1));
    expect(deriveEventId('RegisterApp:a', 0)).not.toBe(deriveEventId('RegisterApp:b', 0));
  });

  it('sets the version 5 and RFC 4122 variant bits', () => {
    for (let eventIndex = 0; eventIndex < 64; eventIndex += 1) {
      const eventId = deriveEventId(`RecordRevenue:r-${eventIndex}`, eventIndex);
      expect(eventId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    }
  });

  it('refuses an empty command id and a negative or fractional index', () => {
    expect(() => deriveEventId('', 0)).toThrow(TypeError);
    expect(() => deriveEventId('RegisterApp:a', -1)).toThrow(RangeError);
    expect(() => deriveEventId('RegisterApp:a', 1.5)).toThrow(RangeError);
  });
});
