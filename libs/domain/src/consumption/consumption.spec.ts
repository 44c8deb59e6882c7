import {
  decidePublishPriceBook, decideRecordConsumption, decodeConsumptionEvent, encodeConsumptionEvent, evolveConsumption, evolvePriceBooks,
  exactAmountZeptounits, formatQuantity, formatZeptounits, initialConsumptionState, initialPriceBookState, parseQuantity, parseUnitPrice,
  priceBookInEffect, roundHalfUp, roundZeptounitsToMinor, consumptionRecordedEvent, type ConsumptionState, type PriceBookState,
  type PublishPriceBook, type RecordConsumption,
} from '../index';

const app = { appId: 'chat-app', developerId: 'dev-1', currency: 'USD' };
/** Booking time of the specs: after every business time of the fixtures. */
const bookedAt = '2026-12-31T00:00:00.000Z';

function publish(state: PriceBookState, data: Partial<PublishPriceBook['data']> & { priceBookId: string; effectiveFrom: string }, latestConsumptionOccurredAt: string | null = null) {
  const command: PublishPriceBook = {
    type: 'PublishPriceBook',
    data: { currency: 'USD', meters: { 'tokens.input': { listPrice: '0.0000005', unitCost: '0.0000002' }, requests: { listPrice: '0.001', unitCost: '0.0004' } }, ...data },
  };
  const events = decidePublishPriceBook(command, state, { latestConsumptionOccurredAt, bookedAt });
  for (const event of events) evolvePriceBooks(state, event);
  return events;
}

function record(data: Partial<RecordConsumption['data']>): RecordConsumption {
  return { type: 'RecordConsumption', data: { recordId: 'r-1', appId: 'chat-app', meter: 'tokens.input', quantity: '1000', occurredAt: '2026-02-01T00:00:00Z', ...data } };
}

function withPriceBooks(): PriceBookState {
  const state = initialPriceBookState();
  publish(state, { priceBookId: 'usd-2026-01', effectiveFrom: '2026-01-01T00:00:00Z' });
  publish(state, { priceBookId: 'usd-2026-03', effectiveFrom: '2026-03-01T00:00:00Z', meters: { 'tokens.input': { listPrice: '0.0000004', unitCost: '0.0000001' } } });
  return state;
}

describe('quantities and unit prices are exact decimals', () => {
  it('parses and prints canonical decimals', () => {
    expect(parseQuantity('1500')).toBe(1_500_000_000_000n);
    expect(formatQuantity(parseQuantity('0.250000000'))).toBe('0.25');
    expect(parseUnitPrice('0.0000005', 'listPrice')).toBe(500_000n);
  });

  it.each([
    [12.5, 'quantity_not_a_string'], ['-1', 'quantity_negative'], ['0.0000000001', 'quantity_too_many_decimals'],
    ['1e3', 'quantity_malformed'], [' 1', 'quantity_malformed'], ['01', 'quantity_malformed'], ['1000000000000001', 'quantity_above_maximum'],
  ])('refuses the quantity %p with %s', (input, code) => {
    expect(() => parseQuantity(input)).toThrow(expect.objectContaining({ code }));
  });

  it('prices a tiny unit price times a huge quantity exactly, and rounds once half-up', () => {
    // 999,999,999,999,999.999999999 tokens at 0.000000000001 per token.
    const amount = exactAmountZeptounits(parseQuantity('999999999999999.999999999'), parseUnitPrice('0.000000000001', 'listPrice'));
    expect(formatZeptounits(amount)).toBe('999.999999999999999999999');
    expect(roundZeptounitsToMinor(amount, 'USD')).toBe(100_000n);
    // 3 tokens at 0.0000005: 0.0000015, which rounds to 0.00 USD; 10,000 of them: 0.015 → 0.02 (half-up).
    expect(roundZeptounitsToMinor(exactAmountZeptounits(parseQuantity('3'), parseUnitPrice('0.0000005', 'p')), 'USD')).toBe(0n);
    expect(roundZeptounitsToMinor(exactAmountZeptounits(parseQuantity('30000'), parseUnitPrice('0.0000005', 'p')), 'USD')).toBe(2n);
    expect(roundZeptounitsToMinor(exactAmountZeptounits(parseQuantity('30000'), parseUnitPrice('0.0000005', 'p')), 'JPY')).toBe(0n);
  });

  it('rounds half away from zero on both signs', () => {
    expect(roundHalfUp(5n, 1, 0)).toBe(1n);
    expect(roundHalfUp(-5n, 1, 0)).toBe(-1n);
    expect(roundHalfUp(-4n, 1, 0)).toBe(0n);
    expect(roundHalfUp(14n, 1, 0)).toBe(1n);
  });
});

describe('price books', () => {
  it('selects the book in effect at occurredAt, switching exactly at effectiveFrom', () => {
    const state = withPriceBooks();
    expect(priceBookInEffect(state, Date.parse('2025-12-31T23:59:59.999Z'))).toBeNull();
    expect(priceBookInEffect(state, Date.parse('2026-02-28T23:59:59.999Z'))!.priceBookId).toBe('usd-2026-01');
    expect(priceBookInEffect(state, Date.parse('2026-03-01T00:00:00.000Z'))!.priceBookId).toBe('usd-2026-03');
  });

  it('is idempotent by priceBookId and refuses other content, an earlier version and a re-pricing', () => {
    const state = withPriceBooks();
    expect(publish(state, { priceBookId: 'usd-2026-03', effectiveFrom: '2026-03-01T00:00:00Z', meters: { 'tokens.input': { listPrice: '0.0000004', unitCost: '0.0000001' } } })).toEqual([]);
    expect(() => publish(state, { priceBookId: 'usd-2026-03', effectiveFrom: '2026-03-02T00:00:00Z' })).toThrow(expect.objectContaining({ code: 'duplicate_price_book' }));
    expect(() => publish(state, { priceBookId: 'usd-2026-02', effectiveFrom: '2026-02-01T00:00:00Z' })).toThrow(expect.objectContaining({ code: 'price_book_not_after_previous_version' }));
    expect(() => publish(state, { priceBookId: 'usd-2026-04', effectiveFrom: '2026-04-01T00:00:00Z' }, '2026-04-01T00:00:00.000Z'))
      .toThrow(expect.objectContaining({ code: 'price_book_not_after_recorded_consumption' }));
    expect(publish(state, { priceBookId: 'usd-2026-04', effectiveFrom: '2026-04-01T00:00:00Z' }, '2026-03-31T00:00:00.000Z')[0]!.data.version).toBe(3);
  });

  it('refuses bad meters and prices', () => {
    const state = initialPriceBookState();
    expect(() => publish(state, { priceBookId: 'b', effectiveFrom: '2026-01-01T00:00:00Z', meters: { 'Tokens': { listPrice: '1', unitCost: '1' } } }))
      .toThrow(expect.objectContaining({ code: 'meter_name_invalid' }));
    expect(() => publish(state, { priceBookId: 'b', effectiveFrom: '2026-01-01T00:00:00Z', meters: { requests: { listPrice: 0.1, unitCost: '1' } } }))
      .toThrow(expect.objectContaining({ code: 'unit_price_not_a_string', field: 'meters.requests.listPrice' }));
    expect(() => publish(state, { priceBookId: 'b', effectiveFrom: '2026-01-01T00:00:00Z', meters: { requests: { listPrice: '0.0000000000001', unitCost: '1' } } }))
      .toThrow(expect.objectContaining({ code: 'unit_price_too_many_decimals' }));
  });
});

describe('consumption records', () => {
  const decide = (state: ConsumptionState, command: RecordConsumption, priceBooks = withPriceBooks()) => {
    const decided = decideRecordConsumption(command, state, { app, priceBooks, bookedAt });
    if (decided !== null) evolveConsumption(state, consumptionRecordedEvent(app, [decided]));
    return decided;
  };

  it('names the price book in effect and is idempotent by record id', () => {
    const state = initialConsumptionState();
    expect(decide(state, record({}))!.priceBookId).toBe('usd-2026-01');
    expect(decide(state, record({ recordId: 'r-2', occurredAt: '2026-03-01T00:00:00Z' }))!.priceBookId).toBe('usd-2026-03');
    expect(decide(state, record({}))).toBeNull();
    expect(() => decide(state, record({ quantity: '1001' }))).toThrow(expect.objectContaining({ code: 'duplicate_consumption_record', kind: 'conflict' }));
  });

  it.each([
    [{ meter: 'Tokens.Input' }, 'meter_name_invalid'], [{ meter: 'gpu.seconds' }, 'meter_not_priced'],
    [{ quantity: '-1' }, 'quantity_negative'], [{ quantity: '1.0000000001' }, 'quantity_too_many_decimals'],
    [{ quantity: 1000 as unknown as string }, 'quantity_not_a_string'], [{ occurredAt: '2025-06-01T00:00:00Z' }, 'no_price_book_in_effect'],
    [{ appId: 'other-app' }, 'consumption_app_mismatch'],
  ])('refuses %p with %s', (data, code) => {
    expect(() => decide(initialConsumptionState(), record(data))).toThrow(expect.objectContaining({ code }));
  });

  it('round-trips its events through the codec and refuses a non-canonical quantity', () => {
    const priceBooks = withPriceBooks();
    const decided = decideRecordConsumption(record({ quantity: '0.5' }), initialConsumptionState(), { app, priceBooks, bookedAt })!;
    const event = consumptionRecordedEvent(app, [decided]);
    const encoded = encodeConsumptionEvent(event);
    expect(JSON.parse(JSON.stringify(encoded)).data.records[0].quantity).toBe('0.5');
    expect(decodeConsumptionEvent(encoded.type, JSON.parse(JSON.stringify(encoded.data)))).toEqual(event);
    const tampered = JSON.parse(JSON.stringify(encoded.data));
    tampered.records[0].quantity = '0.50';
    expect(() => decodeConsumptionEvent(encoded.type, tampered)).toThrow(expect.objectContaining({ code: 'event_malformed' }));
    const book = publish(initialPriceBookState(), { priceBookId: 'x', effectiveFrom: '2026-01-01T00:00:00Z' })[0]!;
    const encodedBook = encodeConsumptionEvent(book);
    expect(decodeConsumptionEvent(encodedBook.type, JSON.parse(JSON.stringify(encodedBook.data)))).toEqual(book);
  });
});
