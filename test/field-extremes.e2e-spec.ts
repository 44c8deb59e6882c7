import { Logger, type INestApplication } from '@nestjs/common';
import type { Server } from 'node:http';
import fc from 'fast-check';
import request from 'supertest';
import {
  BUSINESS_TIME_EARLIEST_EPOCH_MILLISECONDS, CLOCK_SKEW_ALLOWANCE_MILLISECONDS, CONTRACT_CARVE_OUTS_MAXIMUM, CONTRACT_TIERS_MAXIMUM, DAY_MILLISECONDS,
  HOLD_DAYS_MAXIMUM, IDENTIFIER_LENGTH_MAXIMUM, METER_NAME_LENGTH_MAXIMUM, MONEY_MAXIMUM_MINOR, NAME_LENGTH_MAXIMUM, PRICE_BOOK_METERS_MAXIMUM,
  QUANTITY_DECIMALS_MAXIMUM, QUANTITY_MAXIMUM_UNITS, RATE_PERCENT_DECIMALS_MAXIMUM, REASON_LENGTH_MAXIMUM, REFERENCE_LENGTH_MAXIMUM,
  SCHEDULE_AHEAD_DAYS_MAXIMUM, UNIT_PRICE_DECIMALS_MAXIMUM, UNIT_PRICE_MAXIMUM_MAJOR,
} from '@rsi/domain';
import { runCli } from './support/cli-process';
import { openTestApi, type TestLedger } from './support/test-ledger';

/**
 * The extremes of every field of every command type, through every layer: the real API (DTO,
 * strict reader) → decide → encode → append → project → export, and `verify` at the end.
 * Each field takes values from its extremes (fast-check `constantFrom`), each tagged with
 * whether the ledger must accept it: the shortest and longest accepted text and the limit + 1,
 * 1 minor unit, MONEY_MAXIMUM_MINOR and one more in currencies of exponent 0, 2 and 3, the
 * earliest business time and 1 ms before, booking + skew and 1 ms after, and so on. A command
 * whose fields are all acceptable must be recorded and come out of the exports exactly; any
 * other must be a 4xx that writes nothing. The API's clock is held (only `Date` is faked), so
 * booking time is exact.
 */

const BOOKED_AT_MILLISECONDS = Date.parse('2026-11-01T12:00:00.000Z');
const QUIET = { RSI_API_LOG: 'quiet' };
const RUNS_PER_COMMAND = 12;
const isoOf = (epochMilliseconds: number) => new Date(epochMilliseconds).toISOString();
const EARLIEST = isoOf(BUSINESS_TIME_EARLIEST_EPOCH_MILLISECONDS);
const LATEST = isoOf(BOOKED_AT_MILLISECONDS + CLOCK_SKEW_ALLOWANCE_MILLISECONDS);
const METER_LONGEST = `a.${'b'.repeat(METER_NAME_LENGTH_MAXIMUM - 2)}`;

/** A value and whether the ledger must accept it. */
type Extreme<T> = { value: T; ok: boolean; label: string };
const good = <T>(label: string, value: T): Extreme<T> => ({ value, ok: true, label });
const bad = <T>(label: string, value: T): Extreme<T> => ({ value, ok: false, label });
const extremes = <T>(...values: Extreme<T>[]) => fc.constantFrom(...values);

type Currency = { code: string; exponent: number };
const CURRENCIES: Currency[] = [{ code: 'JPY', exponent: 0 }, { code: 'USD', exponent: 2 }, { code: 'KWD', exponent: 3 }];
/** Minor units as the decimal string of the edge, with exactly the currency's decimals. */
function decimalOf(minor: bigint, exponent: number): string {
  if (exponent === 0) return minor.toString();
  const digits = minor.toString().padStart(exponent + 1, '0');
  return `${digits.slice(0, -exponent)}.${digits.slice(-exponent)}`;
}
const amountExtremes = () => extremes(
  good('1 minor unit', 1n), good('the maximum', MONEY_MAXIMUM_MINOR), bad('the maximum + 1', MONEY_MAXIMUM_MINOR + 1n),
);

/** Ids unique per kind, of an exact length: a counter in base 36, padded. */
const counters = new Map<string, number>();
function idOf(kind: string, length: number): string {
  const next = (counters.get(kind) ?? 0) + 1;
  counters.set(kind, next);
  const counter = next.toString(36);
  return length <= counter.length ? counter.slice(-length) : `${kind[0]}${'x'.repeat(length - counter.length - 1)}${counter}`;
}
const idLengthExtremes = () => extremes(good('shortest id', 1), good('longest id', IDENTIFIER_LENGTH_MAXIMUM), bad('id of the limit + 1', IDENTIFIER_LENGTH_MAXIMUM + 1));
const textExtremes = (limit: number) => extremes(good('1 character', 'é'), good('the limit', 'ü'.repeat(limit)), bad('the limit + 1', 'ü'.repeat(limit + 1)));
const allOk = (fields: Record<string, Extreme<unknown>>) => Object.values(fields).every((field) => field.ok);
const labels = (fields: Record<string, Extreme<unknown>>) => Object.entries(fields).map(([name, field]) => `${name}=${field.label}`).join(', ');

function contractOf(currency: Currency, options: { effectiveFrom: string; holdDays: number | string; tiers?: number; carveOuts?: number; rate?: string }) {
  const tierCount = options.tiers ?? 1;
  const tiers = Array.from({ length: tierCount }, (_, index) => (index === tierCount - 1
    ? { rate: options.rate ?? '0%' }
    : { upTo: decimalOf(BigInt(index + 1) * 10n ** BigInt(currency.exponent + 3), currency.exponent), rate: '0%' }));
  const carveOuts = Array.from({ length: options.carveOuts ?? 0 }, (_, index) => ({ party: `referrer:r${index}`, rate: '1%', of: 'basis' }));
  return {
    currency: currency.code, effectiveFrom: options.effectiveFrom,
    platformShare: { tiers, window: 'lifetime', scope: 'app' },
    ...(carveOuts.length > 0 ? { carveOuts } : {}),
    holdDays: options.holdDays, minimumPayout: decimalOf(1n, currency.exponent),
  };
}

describe('field extremes of every command through every layer (real API, real database, the clock held)', () => {
  let ledger: TestLedger;
  let application: INestApplication;
  let server: Server;
  let loggedErrors: jest.SpyInstance;
  const pool = () => ledger.runtime.connection.pool;

  const post = (path: string, body: unknown) => request(server).post(path).set('Content-Type', 'application/json').send(JSON.stringify(body));
  const eventsCount = async () => Number((await pool().query('SELECT count(*)::text AS n FROM events')).rows[0].n);
  const exportRows = async (name: string): Promise<Record<string, unknown>[]> => {
    const response = await request(server).get(`/v1/exports/${name}`).query({ format: 'jsonl' }).buffer(true)
      .parse((incoming, callback) => {
        let text = '';
        incoming.on('data', (chunk: Buffer) => { text += chunk.toString('utf8'); });
        incoming.on('end', () => callback(null, text));
      }).expect(200);
    return String(response.body).split('\n').filter((line) => line !== '').map((line) => JSON.parse(line));
  };
  const storedData = async (commandId: string) => (await pool().query(`SELECT data FROM events WHERE metadata->>'commandId' = $1 ORDER BY position`, [commandId])).rows.map((row) => row.data);

  /**
   * Submits one command: when every field is acceptable it must be recorded (201), stored,
   * projected without a failure; otherwise a 4xx that writes nothing. Returns whether it was recorded.
   */
  async function submit(path: string, body: unknown, fields: Record<string, Extreme<unknown>>): Promise<boolean> {
    const before = await eventsCount();
    const response = await post(path, body);
    const context = `${path} with ${labels(fields)}: ${response.status} ${JSON.stringify(response.body).slice(0, 300)}`;
    if (!allOk(fields)) {
      expect([context, response.status >= 400 && response.status < 500]).toEqual([context, true]);
      expect(await eventsCount()).toBe(before);
      return false;
    }
    expect([context, response.status]).toEqual([context, 201]);
    await ledger.runtime.projector.catchUp();
    const failures = await pool().query('SELECT count(*)::int AS n FROM projection_failures');
    expect([context, failures.rows[0].n]).toEqual([context, 0]);
    return true;
  }

  beforeAll(async () => {
    jest.useFakeTimers({
      doNotFake: ['hrtime', 'nextTick', 'performance', 'queueMicrotask', 'setImmediate', 'clearImmediate', 'setInterval', 'clearInterval', 'setTimeout', 'clearTimeout'],
      now: BOOKED_AT_MILLISECONDS,
    });
    const api = await openTestApi({ environment: QUIET });
    ledger = api;
    application = api.app;
    server = application.getHttpServer() as Server;
    await post('/v1/developers', { developerId: 'dev', name: 'Ada', country: 'NG' }).expect(201);
    // One app per currency exponent, from the earliest business time; KWD holds credits the maximum days.
    for (const currency of CURRENCIES) {
      const holdDays = currency.code === 'KWD' ? HOLD_DAYS_MAXIMUM : 0;
      await post('/v1/apps', { appId: `app-${currency.code}`, developerId: 'dev', name: currency.code, contract: contractOf(currency, { effectiveFrom: EARLIEST, holdDays }) }).expect(201);
    }
    loggedErrors = jest.spyOn(Logger.prototype, 'error');
  });

  afterAll(async () => {
    loggedErrors?.mockRestore();
    jest.useRealTimers();
    await application?.close();
    await ledger?.cleanup();
  });

  afterEach(() => expect(loggedErrors).not.toHaveBeenCalled());

  it('RegisterDeveloper: id and name lengths, income groups', async () => {
    await fc.assert(fc.asyncProperty(
      fc.record({ developerId: idLengthExtremes(), name: textExtremes(NAME_LENGTH_MAXIMUM), incomeGroup: extremes(good('none', undefined as string | undefined), good('low', 'low'), good('upper-middle', 'upper-middle')) }),
      async (fields) => {
        const developerId = idOf('developer', fields.developerId.value);
        const body = { developerId, name: fields.name.value, country: 'DE', ...(fields.incomeGroup.value === undefined ? {} : { incomeGroup: fields.incomeGroup.value }) };
        if (await submit('/v1/developers', body, fields)) {
          // The name is personal data: stored encrypted, read back decrypted from the read model, every character intact.
          const [registered] = await storedData(`RegisterDeveloper:${developerId}`);
          expect(registered).toMatchObject({ developerId, name: { scheme: 'aes-256-gcm-v1', commitment: expect.stringMatching(/^[0-9a-f]{64}$/) } });
          await ledger.runtime.projector.catchUp();
          expect((await pool().query('SELECT name FROM developers WHERE developer_id = $1', [developerId])).rows[0].name).toBe(fields.name.value);
        }
      },
    ), { numRuns: RUNS_PER_COMMAND });
  });

  it('RegisterApp: id and name lengths, currency exponents, holdDays, tiers, carve-outs, rate decimals, effectiveFrom', async () => {
    await fc.assert(fc.asyncProperty(
      fc.record({
        appId: idLengthExtremes(), name: textExtremes(NAME_LENGTH_MAXIMUM), currency: extremes(...CURRENCIES.map((currency) => good(currency.code, currency))),
        holdDays: extremes(good('0', 0 as number | string), good('the maximum', HOLD_DAYS_MAXIMUM), good('the maximum as a string', String(HOLD_DAYS_MAXIMUM)), bad('the maximum + 1', HOLD_DAYS_MAXIMUM + 1)),
        tiers: extremes(good('1 tier', 1), good('the maximum', CONTRACT_TIERS_MAXIMUM), bad('the maximum + 1', CONTRACT_TIERS_MAXIMUM + 1)),
        carveOuts: extremes(good('none', 0), good('the maximum', CONTRACT_CARVE_OUTS_MAXIMUM), bad('the maximum + 1', CONTRACT_CARVE_OUTS_MAXIMUM + 1)),
        rate: extremes(good('15%', '15%'), good('the most decimals', `0.${'0'.repeat(RATE_PERCENT_DECIMALS_MAXIMUM - 1)}1%`), bad('one decimal more', `0.${'0'.repeat(RATE_PERCENT_DECIMALS_MAXIMUM)}1%`)),
        effectiveFrom: extremes(good('the earliest', EARLIEST), bad('1 ms before the earliest', isoOf(BUSINESS_TIME_EARLIEST_EPOCH_MILLISECONDS - 1)),
          good('booking + schedule bound', isoOf(BOOKED_AT_MILLISECONDS + SCHEDULE_AHEAD_DAYS_MAXIMUM * DAY_MILLISECONDS)),
          bad('1 ms beyond the schedule bound', isoOf(BOOKED_AT_MILLISECONDS + SCHEDULE_AHEAD_DAYS_MAXIMUM * DAY_MILLISECONDS + 1))),
      }),
      async (fields) => {
        const appId = idOf('app', fields.appId.value);
        const contract = contractOf(fields.currency.value, {
          effectiveFrom: fields.effectiveFrom.value, holdDays: fields.holdDays.value, tiers: fields.tiers.value, carveOuts: fields.carveOuts.value, rate: fields.rate.value,
        });
        if (await submit('/v1/apps', { appId, developerId: 'dev', name: fields.name.value, contract }, fields)) {
          const [registered] = await storedData(`RegisterApp:${appId}`);
          expect(registered).toMatchObject({ appId, name: fields.name.value });
          // The canonical terms write holdDays as a decimal string; the number is what must survive.
          expect(Number((registered as { contract: { terms: { holdDays: unknown } } }).contract.terms.holdDays)).toBe(Number(fields.holdDays.value));
        }
      },
    ), { numRuns: RUNS_PER_COMMAND });
  });

  it('RecordRevenue → splits export: amounts in every currency exponent, the business-time bounds', async () => {
    await fc.assert(fc.asyncProperty(
      fc.record({
        receiptId: idLengthExtremes(), currency: extremes(...CURRENCIES.map((currency) => good(currency.code, currency))), amount: amountExtremes(),
        occurredAt: extremes(good('the earliest', EARLIEST), bad('1 ms before the earliest', isoOf(BUSINESS_TIME_EARLIEST_EPOCH_MILLISECONDS - 1)),
          good('booking + skew', LATEST), bad('1 ms after booking + skew', isoOf(BOOKED_AT_MILLISECONDS + CLOCK_SKEW_ALLOWANCE_MILLISECONDS + 1))),
      }),
      async (fields) => {
        const receiptId = idOf('receipt', fields.receiptId.value);
        const currency = fields.currency.value;
        const amount = decimalOf(fields.amount.value, currency.exponent);
        const body = { receiptId, appId: `app-${currency.code}`, amount, currency: currency.code, occurredAt: fields.occurredAt.value };
        if (await submit('/v1/receipts', body, fields)) {
          const row = (await exportRows('splits')).find((split) => split.receiptId === receiptId)!;
          expect(row).toMatchObject({ amount, currency: currency.code, occurredAt: fields.occurredAt.value, lines: [{ party: 'platform', amount: decimalOf(0n, currency.exponent) }, { party: 'developer:dev', amount }] });
        }
      },
    ), { numRuns: RUNS_PER_COMMAND });
  });

  it('RefundRevenue → refunds export: 1 minor unit, the whole receipt and one more, the time bounds', async () => {
    await fc.assert(fc.asyncProperty(
      fc.record({
        refundId: idLengthExtremes(), currency: extremes(...CURRENCIES.map((currency) => good(currency.code, currency))),
        amount: extremes(good('1 minor unit', 'one'), good('the whole receipt', 'all'), bad('the receipt + 1 minor unit', 'more')),
        occurredAt: extremes(good('the receipt\'s time', '2026-06-01T00:00:00.000Z'), good('booking + skew', LATEST), bad('1 ms after booking + skew', isoOf(BOOKED_AT_MILLISECONDS + CLOCK_SKEW_ALLOWANCE_MILLISECONDS + 1))),
      }),
      async (fields) => {
        const currency = fields.currency.value;
        const receiptId = idOf('refunded-receipt', 24);
        const receiptMinor = MONEY_MAXIMUM_MINOR;
        await post('/v1/receipts', { receiptId, appId: `app-${currency.code}`, amount: decimalOf(receiptMinor, currency.exponent), currency: currency.code, occurredAt: '2026-06-01T00:00:00.000Z' }).expect(201);
        const refundMinor = { one: 1n, all: receiptMinor, more: receiptMinor + 1n }[fields.amount.value]!;
        const amount = decimalOf(refundMinor, currency.exponent);
        const refundId = idOf('refund', fields.refundId.value);
        if (await submit('/v1/refunds', { refundId, receiptId, amount, occurredAt: fields.occurredAt.value }, fields)) {
          const row = (await exportRows('refunds')).find((refund) => refund.refundId === refundId)!;
          expect(row).toMatchObject({ receiptId, amount, currency: currency.code, lines: [{ party: 'platform', amount: decimalOf(0n, currency.exponent) }, { party: 'developer:dev', amount }] });
        }
      },
    ), { numRuns: RUNS_PER_COMMAND });
  });

  it('RequestPayout, SettlePayout, FailPayout → balances export: the minimum, the maximum, texts and times at their bounds', async () => {
    // Enough available USD and JPY for every run (holdDays 0): receipts of the maximum amount.
    for (const currency of CURRENCIES.filter((each) => each.code !== 'KWD')) {
      for (let index = 0; index < RUNS_PER_COMMAND; index += 1) {
        await post('/v1/receipts', { receiptId: idOf('funding', 20), appId: `app-${currency.code}`, amount: decimalOf(MONEY_MAXIMUM_MINOR, currency.exponent), currency: currency.code, occurredAt: '2026-01-01T00:00:00Z' }).expect(201);
      }
    }
    await fc.assert(fc.asyncProperty(
      fc.record({
        payoutId: idLengthExtremes(), currency: extremes(good('JPY', CURRENCIES[0]!), good('USD', CURRENCIES[1]!)),
        amount: extremes(good('the minimum payout (1 minor unit)', 1n), good('the maximum', MONEY_MAXIMUM_MINOR), bad('the maximum + 1', MONEY_MAXIMUM_MINOR + 1n), bad('zero', 0n)),
        requestedAt: extremes(good('booking + skew', LATEST), bad('1 ms after booking + skew', isoOf(BOOKED_AT_MILLISECONDS + CLOCK_SKEW_ALLOWANCE_MILLISECONDS + 1)), good('a day earlier', '2026-10-31T12:00:00.000Z')),
        outcome: extremes(good('settled', 'settle'), good('failed', 'fail')),
        text: extremes(good('1 character', 1), good('the limit', 0), bad('the limit + 1', -1)),
        outcomeAt: extremes(good('at the request', 'request'), good('booking + skew', LATEST), bad('1 ms before the request', 'before'), bad('1 ms after booking + skew', 'after')),
      }),
      async (fields) => {
        const currency = fields.currency.value;
        const payoutId = idOf('payout', fields.payoutId.value);
        const amount = decimalOf(fields.amount.value, currency.exponent);
        const inFlight = async () => (await exportRows('balances')).find((row) => row.developerId === 'dev' && row.currency === currency.code)!;
        const before = await inFlight();
        const requestFields = { payoutId: fields.payoutId, amount: fields.amount, requestedAt: fields.requestedAt };
        if (!(await submit('/v1/payouts', { payoutId, developerId: 'dev', currency: currency.code, amount, requestedAt: fields.requestedAt.value }, requestFields))) return;
        const after = await inFlight();
        const minorOf = (text: unknown) => BigInt(String(text).replace('.', ''));
        expect(minorOf(after.payoutsInFlight) - minorOf(before.payoutsInFlight)).toBe(fields.amount.value);
        expect(minorOf(before.available) - minorOf(after.available)).toBe(fields.amount.value);

        const limit = fields.outcome.value === 'settle' ? REFERENCE_LENGTH_MAXIMUM : REASON_LENGTH_MAXIMUM;
        const text = fields.text.value === 1 ? 'ß' : 'ß'.repeat(limit + (fields.text.value === -1 ? 1 : 0));
        const requested = Date.parse(fields.requestedAt.value);
        const outcomeAt = { request: fields.requestedAt.value, before: isoOf(requested - 1), after: isoOf(BOOKED_AT_MILLISECONDS + CLOCK_SKEW_ALLOWANCE_MILLISECONDS + 1) }[fields.outcomeAt.value as string] ?? LATEST;
        const outcomeFields = { text: fields.text, outcomeAt: fields.outcomeAt };
        const recorded = fields.outcome.value === 'settle'
          ? await submit(`/v1/payouts/${payoutId}/settlement`, { settledAt: outcomeAt, reference: text }, outcomeFields)
          : await submit(`/v1/payouts/${payoutId}/failure`, { failedAt: outcomeAt, reason: text }, outcomeFields);
        const final = await inFlight();
        const paidDelta = minorOf(final.paid) - minorOf(after.paid);
        const availableDelta = minorOf(final.available) - minorOf(after.available);
        if (!recorded) expect([paidDelta, availableDelta]).toEqual([0n, 0n]);
        else if (fields.outcome.value === 'settle') expect([paidDelta, availableDelta]).toEqual([fields.amount.value, 0n]);
        else expect([paidDelta, availableDelta]).toEqual([0n, fields.amount.value]);
        if (recorded) {
          const [event] = await storedData(`${fields.outcome.value === 'settle' ? 'SettlePayout' : 'FailPayout'}:${payoutId}`);
          expect(JSON.stringify(event)).toContain(JSON.stringify(text));
        }
      },
    ), { numRuns: RUNS_PER_COMMAND });
  });

  it('AmendContract: holdDays and effectiveFrom at their bounds', async () => {
    await fc.assert(fc.asyncProperty(
      fc.record({
        currency: extremes(...CURRENCIES.map((currency) => good(currency.code, currency))),
        holdDays: extremes(good('0', 0), good('the maximum', HOLD_DAYS_MAXIMUM), bad('the maximum + 1', HOLD_DAYS_MAXIMUM + 1)),
        effectiveFrom: extremes(good('booking + schedule bound', isoOf(BOOKED_AT_MILLISECONDS + SCHEDULE_AHEAD_DAYS_MAXIMUM * DAY_MILLISECONDS)),
          bad('1 ms beyond the schedule bound', isoOf(BOOKED_AT_MILLISECONDS + SCHEDULE_AHEAD_DAYS_MAXIMUM * DAY_MILLISECONDS + 1)), good('1 ms after the first version', isoOf(BUSINESS_TIME_EARLIEST_EPOCH_MILLISECONDS + 1))),
      }),
      async (fields) => {
        const currency = fields.currency.value;
        const appId = idOf('amended-app', 16);
        await post('/v1/apps', { appId, developerId: 'dev', name: 'To amend', contract: contractOf(currency, { effectiveFrom: EARLIEST, holdDays: 1 }) }).expect(201);
        if (await submit(`/v1/apps/${appId}/contract-amendments`, { contract: contractOf(currency, { effectiveFrom: fields.effectiveFrom.value, holdDays: fields.holdDays.value }) }, fields)) {
          const versions = await pool().query(`SELECT count(*)::int AS n FROM events WHERE stream_name = 'developer-dev' AND type = 'ContractAmended' AND data->>'appId' = $1`, [appId]);
          expect(versions.rows[0].n).toBe(1);
        }
      },
    ), { numRuns: RUNS_PER_COMMAND });
  });

  it('RecordConsumption, then PublishPriceBook: quantities, meter names, meters, prices and times at their bounds', async () => {
    // A USD price book from the earliest instant prices both accepted meter names, so that a consumption at the earliest instant is priced.
    await post('/v1/price-books', { priceBookId: 'usd-first', effectiveFrom: EARLIEST, currency: 'USD', meters: { a: { listPrice: '1', unitCost: '0.5' }, [METER_LONGEST]: { listPrice: '1', unitCost: '0.5' } } }).expect(201);
    await fc.assert(fc.asyncProperty(
      fc.record({
        recordId: idLengthExtremes(),
        meter: extremes(good('1 character', 'a'), good('the limit', METER_LONGEST), bad('the limit + 1', `a.${'b'.repeat(METER_NAME_LENGTH_MAXIMUM - 1)}`)),
        quantity: extremes(good('the smallest', `0.${'0'.repeat(QUANTITY_DECIMALS_MAXIMUM - 1)}1`), bad('one decimal more', `0.${'0'.repeat(QUANTITY_DECIMALS_MAXIMUM)}1`),
          good('the maximum', QUANTITY_MAXIMUM_UNITS.toString()), bad('above the maximum', `${QUANTITY_MAXIMUM_UNITS}.${'0'.repeat(QUANTITY_DECIMALS_MAXIMUM - 1)}1`)),
        occurredAt: extremes(good('the earliest', EARLIEST), bad('1 ms before the earliest', isoOf(BUSINESS_TIME_EARLIEST_EPOCH_MILLISECONDS - 1)),
          good('booking + skew', LATEST), bad('1 ms after booking + skew', isoOf(BOOKED_AT_MILLISECONDS + CLOCK_SKEW_ALLOWANCE_MILLISECONDS + 1))),
      }),
      async (fields) => {
        const recordId = idOf('record', fields.recordId.value);
        const body = { recordId, appId: 'app-USD', meter: fields.meter.value, quantity: fields.quantity.value, occurredAt: fields.occurredAt.value };
        if (await submit('/v1/consumption', body, fields)) {
          const stored = await pool().query(`SELECT data::text AS data FROM events WHERE type = 'ConsumptionRecorded' AND data::text LIKE $1`, [`%"${recordId}"%`]);
          expect(stored.rows).toHaveLength(1);
          expect(stored.rows[0].data).toContain(fields.quantity.value);
        }
      },
    ), { numRuns: RUNS_PER_COMMAND });
    // A price book must start after every recorded consumption of its currency: after booking + skew, within the schedule bound.
    let effectiveFromDays = 0;
    await fc.assert(fc.asyncProperty(
      fc.record({
        priceBookId: idLengthExtremes(), currency: extremes(...CURRENCIES.map((currency) => good(currency.code, currency))),
        meters: extremes(good('1 meter', 1), good('the maximum', PRICE_BOOK_METERS_MAXIMUM), bad('the maximum + 1', PRICE_BOOK_METERS_MAXIMUM + 1)),
        price: extremes(good('the most decimals', `0.${'0'.repeat(UNIT_PRICE_DECIMALS_MAXIMUM - 1)}1`), bad('one decimal more', `0.${'0'.repeat(UNIT_PRICE_DECIMALS_MAXIMUM)}1`),
          good('the maximum', UNIT_PRICE_MAXIMUM_MAJOR.toString()), bad('above the maximum', `${UNIT_PRICE_MAXIMUM_MAJOR}.${'0'.repeat(UNIT_PRICE_DECIMALS_MAXIMUM - 1)}1`)),
      }),
      async (fields) => {
        effectiveFromDays += 1;
        const priceBookId = idOf('price-book', fields.priceBookId.value);
        const meters = Object.fromEntries(Array.from({ length: fields.meters.value }, (_, index) => [`m.n${index}`, { listPrice: fields.price.value, unitCost: fields.price.value }]));
        const body = { priceBookId, effectiveFrom: isoOf(BOOKED_AT_MILLISECONDS + effectiveFromDays * DAY_MILLISECONDS), currency: fields.currency.value.code, meters };
        if (await submit('/v1/price-books', body, fields)) {
          const stored = await pool().query(`SELECT count(*)::int AS n FROM events WHERE type = 'PriceBookPublished' AND data->>'priceBookId' = $1`, [priceBookId]);
          expect(stored.rows[0].n).toBe(1);
        }
      },
    ), { numRuns: RUNS_PER_COMMAND });

  });

  it('after every extreme: the ledger-entries export balances per event and currency, and verify passes', async () => {
    const entries = await exportRows('ledger-entries');
    const sums = new Map<string, bigint>();
    for (const entry of entries) {
      const key = `${entry.eventId} ${entry.currency}`;
      sums.set(key, (sums.get(key) ?? 0n) + BigInt(String(entry.amount).replace('.', '')));
    }
    expect([...sums.values()].filter((sum) => sum !== 0n)).toEqual([]);
    expect(entries.length).toBeGreaterThan(0);
    jest.useRealTimers();
    const verified = await runCli(['verify'], ledger.childEnvironment).finished;
    const report = JSON.parse(verified.stdout) as { ok: boolean; checks: { ok: boolean }[] };
    expect(report.checks.filter((check) => !check.ok)).toEqual([]);
    expect(verified.code).toBe(0);
  });
});
