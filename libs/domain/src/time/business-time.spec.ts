import { decodeDeveloperEvent, encodeDeveloperEvent } from '../codec/ledger-event.codec';
import { decideDeveloper } from '../developer/developer.decider';
import { developerStateFrom } from '../developer/developer.state';
import { decidePublishPriceBook, evolvePriceBooks, initialPriceBookState } from '../consumption/price-book';
import { decideRecordConsumption, initialConsumptionState } from '../consumption/consumption.decider';
import { InvariantViolation } from '../domain.errors';
import {
  BOOKING_TIME_LATEST_EPOCH_MILLISECONDS, BUSINESS_TIME_EARLIEST_EPOCH_MILLISECONDS, BUSINESS_TIME_EARLIEST_ISO,
  CLOCK_SKEW_ALLOWANCE_MILLISECONDS, DAY_MILLISECONDS, HOLD_DAYS_MAXIMUM, INSTANT_EARLIEST_EPOCH_MILLISECONDS,
  INSTANT_LATEST_EPOCH_MILLISECONDS, SCHEDULE_AHEAD_DAYS_MAXIMUM,
} from '../limits/ledger-limits';
import {
  amendContract, contractTerms, failPayout, given, history, recordRevenue, refundRevenue, registerApp, registerDeveloper,
  requestPayout, run, settlePayout,
} from '../testing/developer-decider.support';
import { isNormalisedInstant } from './instant';

const BOOKED_AT = '2026-06-01T12:00:00.000Z';
const bookedAtMilliseconds = Date.parse(BOOKED_AT);
const iso = (epochMilliseconds: number) => new Date(epochMilliseconds).toISOString();
/** Exactly the latest occurred-type time accepted at BOOKED_AT, and one millisecond later. */
const latestOccurred = iso(bookedAtMilliseconds + CLOCK_SKEW_ALLOWANCE_MILLISECONDS);
const firstRefusedOccurred = iso(bookedAtMilliseconds + CLOCK_SKEW_ALLOWANCE_MILLISECONDS + 1);
const latestScheduled = iso(bookedAtMilliseconds + SCHEDULE_AHEAD_DAYS_MAXIMUM * DAY_MILLISECONDS);
const firstRefusedScheduled = iso(bookedAtMilliseconds + SCHEDULE_AHEAD_DAYS_MAXIMUM * DAY_MILLISECONDS + 1);
const beforeEarliest = iso(BUSINESS_TIME_EARLIEST_EPOCH_MILLISECONDS - 1);

const earliestContract = contractTerms({ effectiveFrom: BUSINESS_TIME_EARLIEST_ISO, holdDays: 0, minimumPayout: '0.00' });
const withApp = history([registerDeveloper(), registerApp('app-1', earliestContract)]);
const withReceipt = [...withApp, ...run([recordRevenue('r-1', 'app-1', '100.00', '2026-01-10T00:00:00Z')], developerStateFrom(withApp), BOOKED_AT).events];
const withPayout = [...withReceipt, ...run([requestPayout('p-1', '10.00', '2026-03-01T00:00:00Z')], developerStateFrom(withReceipt), BOOKED_AT).events];

describe('business times are bounded by the booking time', () => {
  describe('RecordRevenue occurredAt', () => {
    it('accepts exactly the booking time plus the clock-skew allowance', () => {
      const [event] = given(withApp).when(recordRevenue('r-2', 'app-1', '1.00', latestOccurred), BOOKED_AT).thenEvents();
      expect(event!.type).toBe('RevenueRecorded');
    });
    it('refuses one millisecond later, naming the field', () => {
      given(withApp).when(recordRevenue('r-2', 'app-1', '1.00', firstRefusedOccurred), BOOKED_AT)
        .thenRefused('business_time_after_booking', 'invalid', 'occurredAt');
    });
    it('refuses the year 9999 (whose availableAt would overflow the instant range)', () => {
      given(withApp).when(recordRevenue('r-2', 'app-1', '1.00', '9999-12-31T12:00:00Z'), BOOKED_AT)
        .thenRefused('business_time_after_booking', 'invalid', 'occurredAt');
    });
    it('accepts exactly the earliest business time and refuses one millisecond before', () => {
      expect(given(withApp).when(recordRevenue('r-2', 'app-1', '1.00', BUSINESS_TIME_EARLIEST_ISO), BOOKED_AT).thenEvents()).toHaveLength(1);
      given(withApp).when(recordRevenue('r-2', 'app-1', '1.00', beforeEarliest), BOOKED_AT)
        .thenRefused('business_time_before_earliest', 'invalid', 'occurredAt');
    });
    it('is decided by the booking time alone: the same receipt is accepted when booked later', () => {
      const later = iso(bookedAtMilliseconds + 60 * 60_000);
      expect(given(withApp).when(recordRevenue('r-2', 'app-1', '1.00', firstRefusedOccurred), later).thenEvents()).toHaveLength(1);
    });
  });

  describe('RefundRevenue occurredAt', () => {
    it('accepts the latest and refuses one millisecond later', () => {
      expect(given(withReceipt).when(refundRevenue('f-1', 'r-1', '1.00', latestOccurred), BOOKED_AT).thenEvents()).toHaveLength(1);
      given(withReceipt).when(refundRevenue('f-1', 'r-1', '1.00', firstRefusedOccurred), BOOKED_AT)
        .thenRefused('business_time_after_booking', 'invalid', 'occurredAt');
    });
  });

  describe('RequestPayout requestedAt', () => {
    it('refuses 2099, which would release every credit still on hold', () => {
      given(withReceipt).when(requestPayout('p-9', '10.00', '2099-01-01T00:00:00Z'), BOOKED_AT)
        .thenRefused('business_time_after_booking', 'invalid', 'requestedAt');
    });
    it('accepts the latest and refuses one millisecond later', () => {
      expect(given(withReceipt).when(requestPayout('p-9', '10.00', latestOccurred), BOOKED_AT).thenEvents()).toHaveLength(1);
      given(withReceipt).when(requestPayout('p-9', '10.00', firstRefusedOccurred), BOOKED_AT)
        .thenRefused('business_time_after_booking', 'invalid', 'requestedAt');
    });
    it('refuses a time before the earliest business time', () => {
      given(withReceipt).when(requestPayout('p-9', '10.00', beforeEarliest), BOOKED_AT)
        .thenRefused('business_time_before_earliest', 'invalid', 'requestedAt');
    });
  });

  describe('SettlePayout settledAt and FailPayout failedAt', () => {
    it('accept exactly the payout\'s requestedAt', () => {
      expect(given(withPayout).when(settlePayout('p-1', '2026-03-01T00:00:00Z'), BOOKED_AT).thenEvents()).toHaveLength(1);
      expect(given(withPayout).when(failPayout('p-1', '2026-03-01T00:00:00Z'), BOOKED_AT).thenEvents()).toHaveLength(1);
    });
    it('refuse one millisecond before the payout\'s requestedAt', () => {
      given(withPayout).when(settlePayout('p-1', '2026-02-28T23:59:59.999Z'), BOOKED_AT)
        .thenRefused('payout_outcome_before_request', 'invalid', 'settledAt');
      given(withPayout).when(failPayout('p-1', '2026-02-28T23:59:59.999Z'), BOOKED_AT)
        .thenRefused('payout_outcome_before_request', 'invalid', 'failedAt');
    });
    it('refuse a failure dated years before the request', () => {
      given(withPayout).when(failPayout('p-1', '2020-01-01T00:00:00Z'), BOOKED_AT)
        .thenRefused('payout_outcome_before_request', 'invalid', 'failedAt');
    });
    it('accept the latest and refuse one millisecond later', () => {
      expect(given(withPayout).when(settlePayout('p-1', latestOccurred), BOOKED_AT).thenEvents()).toHaveLength(1);
      given(withPayout).when(settlePayout('p-1', firstRefusedOccurred), BOOKED_AT)
        .thenRefused('business_time_after_booking', 'invalid', 'settledAt');
      given(withPayout).when(failPayout('p-1', firstRefusedOccurred), BOOKED_AT)
        .thenRefused('business_time_after_booking', 'invalid', 'failedAt');
    });
  });

  describe('contract effectiveFrom (scheduled amendments)', () => {
    const registered = history([registerDeveloper()]);
    it('accepts a registration scheduled exactly SCHEDULE_AHEAD_DAYS_MAXIMUM days ahead and refuses one millisecond more', () => {
      expect(given(registered).when(registerApp('app-2', contractTerms({ effectiveFrom: latestScheduled })), BOOKED_AT).thenEvents()).toHaveLength(1);
      given(registered).when(registerApp('app-2', contractTerms({ effectiveFrom: firstRefusedScheduled })), BOOKED_AT)
        .thenRefused('effective_from_too_far_ahead', 'invalid', 'contract.effectiveFrom');
    });
    it('bounds amendments the same way', () => {
      expect(given(withReceipt).when(amendContract('app-1', contractTerms({ effectiveFrom: latestScheduled })), BOOKED_AT).thenEvents()).toHaveLength(1);
      given(withReceipt).when(amendContract('app-1', contractTerms({ effectiveFrom: firstRefusedScheduled })), BOOKED_AT)
        .thenRefused('effective_from_too_far_ahead', 'invalid', 'contract.effectiveFrom');
    });
    it('refuses an effectiveFrom before the earliest business time', () => {
      given(registered).when(registerApp('app-2', contractTerms({ effectiveFrom: '1999-12-31T23:59:59.999Z' })), BOOKED_AT)
        .thenRefused('business_time_before_earliest', 'invalid', 'contract.effectiveFrom');
    });
  });

  describe('consumption and price books', () => {
    const app = { appId: 'chat-app', developerId: 'dev-1', currency: 'USD' };
    const meters = { 'tokens.input': { listPrice: '0.0000005', unitCost: '0.0000002' } };
    const publish = (effectiveFrom: string) => decidePublishPriceBook(
      { type: 'PublishPriceBook', data: { priceBookId: 'usd-1', effectiveFrom, currency: 'USD', meters } },
      initialPriceBookState(), { latestConsumptionOccurredAt: null, bookedAt: BOOKED_AT },
    );
    it('bounds a price book\'s effectiveFrom like a contract\'s', () => {
      expect(publish(latestScheduled)).toHaveLength(1);
      expect(() => publish(firstRefusedScheduled)).toThrow(expect.objectContaining({ code: 'effective_from_too_far_ahead', field: 'effectiveFrom' }));
      expect(() => publish(beforeEarliest)).toThrow(expect.objectContaining({ code: 'business_time_before_earliest', field: 'effectiveFrom' }));
    });
    it('bounds a consumption record\'s occurredAt by the booking time', () => {
      const priceBooks = initialPriceBookState();
      const [published] = decidePublishPriceBook(
        { type: 'PublishPriceBook', data: { priceBookId: 'usd-1', effectiveFrom: '2026-01-01T00:00:00Z', currency: 'USD', meters } },
        priceBooks, { latestConsumptionOccurredAt: null, bookedAt: BOOKED_AT },
      );
      evolvePriceBooks(priceBooks, published!);
      const record = (occurredAt: string) => decideRecordConsumption(
        { type: 'RecordConsumption', data: { recordId: 'r-1', appId: 'chat-app', meter: 'tokens.input', quantity: '1', occurredAt } },
        initialConsumptionState(), { app, priceBooks, bookedAt: BOOKED_AT },
      );
      expect(record(latestOccurred)).not.toBeNull();
      expect(() => record(firstRefusedOccurred)).toThrow(expect.objectContaining({ code: 'business_time_after_booking', field: 'occurredAt' }));
    });
  });

  describe('the booking time itself', () => {
    it('is an invariant, not user input: a malformed or out-of-range booking time throws InvariantViolation', () => {
      const command = recordRevenue('r-2', 'app-1', '1.00', '2026-01-10T00:00:00Z');
      for (const bookedAt of ['2026-06-01T12:00:00Z', 'yesterday', iso(BOOKING_TIME_LATEST_EPOCH_MILLISECONDS + 1), '1999-12-31T23:59:59.999Z']) {
        expect(() => decideDeveloper(command, developerStateFrom(withApp), { bookedAt })).toThrow(InvariantViolation);
      }
    });
  });

  describe('recorded events are not re-checked', () => {
    it('decodes and evolves a receipt whose occurredAt lies after any booking time a command could have today', () => {
      const farBooking = iso(BOOKING_TIME_LATEST_EPOCH_MILLISECONDS);
      const [event] = run([recordRevenue('r-2', 'app-1', '1.00', farBooking)], developerStateFrom(withApp), farBooking).events;
      const decoded = decodeDeveloperEvent('RevenueRecorded', encodeDeveloperEvent(event!).data);
      expect(() => developerStateFrom([...withApp, decoded])).not.toThrow();
    });
  });
});

describe('the instant codec holds every instant a command can produce', () => {
  it('puts the business-time range inside the codec range', () => {
    expect(BUSINESS_TIME_EARLIEST_EPOCH_MILLISECONDS).toBeGreaterThanOrEqual(INSTANT_EARLIEST_EPOCH_MILLISECONDS);
    const latestProduced = BOOKING_TIME_LATEST_EPOCH_MILLISECONDS
      + Math.max(CLOCK_SKEW_ALLOWANCE_MILLISECONDS + HOLD_DAYS_MAXIMUM * DAY_MILLISECONDS, SCHEDULE_AHEAD_DAYS_MAXIMUM * DAY_MILLISECONDS);
    expect(latestProduced).toBeLessThanOrEqual(INSTANT_LATEST_EPOCH_MILLISECONDS);
    expect(isNormalisedInstant(iso(INSTANT_LATEST_EPOCH_MILLISECONDS))).toBe(true);
    expect(isNormalisedInstant(iso(INSTANT_LATEST_EPOCH_MILLISECONDS + 1))).toBe(false);
  });

  it('encodes and decodes, at the latest booking time, the latest receipt with the longest hold and the furthest scheduled amendment', () => {
    const bookedAt = iso(BOOKING_TIME_LATEST_EPOCH_MILLISECONDS);
    const latest = iso(BOOKING_TIME_LATEST_EPOCH_MILLISECONDS + CLOCK_SKEW_ALLOWANCE_MILLISECONDS);
    const scheduled = iso(BOOKING_TIME_LATEST_EPOCH_MILLISECONDS + SCHEDULE_AHEAD_DAYS_MAXIMUM * DAY_MILLISECONDS);
    const longHold = contractTerms({ effectiveFrom: BUSINESS_TIME_EARLIEST_ISO, holdDays: HOLD_DAYS_MAXIMUM });
    const { events } = run([
      registerDeveloper(), registerApp('app-1', longHold), recordRevenue('r-1', 'app-1', '100.00', latest),
      amendContract('app-1', contractTerms({ effectiveFrom: scheduled, holdDays: HOLD_DAYS_MAXIMUM })),
    ], undefined, bookedAt);
    expect(events.map((event) => event.type)).toEqual(['DeveloperRegistered', 'AppRegistered', 'RevenueRecorded', 'ContractAmended']);
    for (const event of events) {
      const decoded = decodeDeveloperEvent(event.type, encodeDeveloperEvent(event).data);
      expect(encodeDeveloperEvent(decoded)).toEqual(encodeDeveloperEvent(event));
    }
    const receipt = events[2]!;
    expect(receipt.type === 'RevenueRecorded' && receipt.data.availableAt).toBe(iso(Date.parse(latest) + HOLD_DAYS_MAXIMUM * DAY_MILLISECONDS));
  });
});
