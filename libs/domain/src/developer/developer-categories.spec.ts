import { encodeDeveloperEvent, decodeDeveloperEvent } from '../codec/ledger-event.codec';
import { RevenueRecorded, RevenueRefunded } from '../ledger.events';
import {
  contractTerms, given, history, lineSummary, platformShare, recordRevenue, refundRevenue, registerApp, registerDeveloper, run,
} from '../testing/developer-decider.support';

/**
 * Revenue categories (docs/domain.md "Revenue categories"): a receipt names its category,
 * `purchase` by default; the contract may give a category tiers of its own and count its
 * tier and cap counters per category or across categories.
 */

// Purchases: 0% up to 1000.00, then 15% (the support's default); subscriptions: a flat 10%.
const withSubscriptionTerms = (counter?: string) => contractTerms({
  platformShare: {
    ...platformShare([{ upTo: '1000.00', rate: '0%' }, { rate: '15%' }]),
    ...(counter === undefined ? {} : { counter }),
    categories: { subscription: platformShare([{ rate: '10%' }]) },
  },
});

const registered = history([registerDeveloper(), registerApp('app-1', withSubscriptionTerms('per_category'))]);

function recorded(events: readonly { type: string }[]): RevenueRecorded['data'] {
  const event = events.find((item) => item.type === 'RevenueRecorded') as RevenueRecorded | undefined;
  if (event === undefined) throw new Error('no RevenueRecorded');
  return event.data;
}

describe('RecordRevenue with a category', () => {
  it('records a receipt without a category as a purchase, and encodes it as before categories', () => {
    const events = given(registered).when(recordRevenue('r-1', 'app-1', '100.00', '2026-01-10T00:00:00Z')).thenEvents();
    expect(recorded(events).category).toBe('purchase');
    expect(lineSummary(recorded(events).lines)).toEqual(['platform=0', 'developer:dev-1=10000']);
    expect(Object.keys(encodeDeveloperEvent(events[0]!).data)).not.toContain('category');
  });

  it('takes null as the default too', () => {
    const events = given(registered).when(recordRevenue('r-1', 'app-1', '100.00', '2026-01-10T00:00:00Z', 'USD', null)).thenEvents();
    expect(recorded(events).category).toBe('purchase');
  });

  it('splits a subscription by the subscription terms and records its category', () => {
    const events = given(registered).when(recordRevenue('r-1', 'app-1', '100.00', '2026-01-10T00:00:00Z', 'USD', 'subscription')).thenEvents();
    expect(recorded(events).category).toBe('subscription');
    expect(lineSummary(recorded(events).lines)).toEqual(['platform=1000', 'developer:dev-1=9000']);
    const encoded = encodeDeveloperEvent(events[0]!);
    expect(encoded.data.category).toBe('subscription');
    expect(decodeDeveloperEvent(encoded.type, encoded.data)).toEqual(events[0]);
  });

  it('splits an advertising receipt, which the contract does not name, by the default terms', () => {
    const events = given(registered).when(recordRevenue('r-1', 'app-1', '2000.00', '2026-01-10T00:00:00Z', 'USD', 'advertising')).thenEvents();
    expect(recorded(events).category).toBe('advertising');
    expect(lineSummary(recorded(events).lines)).toEqual(['platform=15000', 'developer:dev-1=185000']);
  });

  it.each([
    ['a word outside the set', 'donation'],
    ['another spelling', 'Subscription'],
    ['a number', 1],
    ['an object', { category: 'purchase' }],
    ['an empty string', ''],
    ['an oversized string', 'subscription'.repeat(100)],
  ])('refuses %s with a field error', (_label, category) => {
    given(registered).when(recordRevenue('r-1', 'app-1', '100.00', '2026-01-10T00:00:00Z', 'USD', category)).thenRefused('field_invalid', 'invalid', 'category');
  });

  describe('idempotency', () => {
    const withSubscription = history([
      registerDeveloper(), registerApp('app-1', withSubscriptionTerms('per_category')),
      recordRevenue('r-1', 'app-1', '100.00', '2026-01-10T00:00:00Z', 'USD', 'subscription'),
    ]);
    const withPurchase = history([
      registerDeveloper(), registerApp('app-1', withSubscriptionTerms('per_category')), recordRevenue('r-1', 'app-1', '100.00', '2026-01-10T00:00:00Z'),
    ]);

    it('a retry with the same category records nothing', () => {
      given(withSubscription).when(recordRevenue('r-1', 'app-1', '100.00', '2026-01-10T00:00:00Z', 'USD', 'subscription')).then([]);
    });
    it('a retry naming purchase of a receipt recorded without a category records nothing', () => {
      given(withPurchase).when(recordRevenue('r-1', 'app-1', '100.00', '2026-01-10T00:00:00Z', 'USD', 'purchase')).then([]);
    });
    it('a retry with another category is a conflict', () => {
      given(withSubscription).when(recordRevenue('r-1', 'app-1', '100.00', '2026-01-10T00:00:00Z', 'USD', 'advertising'))
        .thenRefused('duplicate_receipt', 'conflict', 'receiptId');
      given(withSubscription).when(recordRevenue('r-1', 'app-1', '100.00', '2026-01-10T00:00:00Z'))
        .thenRefused('duplicate_receipt', 'conflict', 'receiptId');
      given(withPurchase).when(recordRevenue('r-1', 'app-1', '100.00', '2026-01-10T00:00:00Z', 'USD', 'subscription'))
        .thenRefused('duplicate_receipt', 'conflict', 'receiptId');
    });
  });
});

describe('tier counters per category or across categories', () => {
  // 900.00 of subscriptions first, then a purchase of 200.00.
  const receipts = [
    recordRevenue('r-1', 'app-1', '900.00', '2026-01-10T00:00:00Z', 'USD', 'subscription'),
    recordRevenue('r-2', 'app-1', '200.00', '2026-01-11T00:00:00Z', 'USD', 'purchase'),
  ];

  it('per_category: the purchase starts its own 1000.00 at zero (no platform share)', () => {
    const { events } = run([registerDeveloper(), registerApp('app-1', withSubscriptionTerms('per_category')), ...receipts]);
    const splits = events.filter((event): event is RevenueRecorded => event.type === 'RevenueRecorded').map((event) => lineSummary(event.data.lines));
    expect(splits).toEqual([['platform=9000', 'developer:dev-1=81000'], ['platform=0', 'developer:dev-1=20000']]);
  });

  it('across_categories (the default): the subscriptions count toward the purchase tiers (100.00 of it above 1000.00 pays 15%)', () => {
    const { events } = run([registerDeveloper(), registerApp('app-1', withSubscriptionTerms()), ...receipts]);
    const splits = events.filter((event): event is RevenueRecorded => event.type === 'RevenueRecorded').map((event) => lineSummary(event.data.lines));
    expect(splits).toEqual([['platform=9000', 'developer:dev-1=81000'], ['platform=1500', 'developer:dev-1=18500']]);
  });

  it('counts every receipt in both kinds of counter', () => {
    const { state } = run([registerDeveloper(), registerApp('app-1', withSubscriptionTerms()), ...receipts]);
    expect(state.tierCounters.get('app:app-1|USD|lifetime')).toBe(110000n);
    expect(state.tierCounters.get('subscription|app:app-1|USD|lifetime')).toBe(90000n);
    expect(state.tierCounters.get('purchase|app:app-1|USD|lifetime')).toBe(20000n);
    expect(state.tierCounters.get('advertising|app:app-1|USD|lifetime')).toBeUndefined();
  });
});

describe('cap counters per category or across categories', () => {
  // A flat 10%; the platform takes at most 15.00 a month.
  const capped = (counter: string) => contractTerms({
    platformShare: platformShare([{ rate: '10%' }]),
    platformCap: { amount: '15.00', window: 'calendar_month', counter },
  });
  const receipts = [
    recordRevenue('r-1', 'app-1', '100.00', '2026-01-10T00:00:00Z', 'USD', 'advertising'), // P = 10.00
    recordRevenue('r-2', 'app-1', '100.00', '2026-01-11T00:00:00Z', 'USD', 'purchase'), // P* = 10.00
  ];
  const platformLines = (counter: string) => run([registerDeveloper(), registerApp('app-1', capped(counter)), ...receipts]).events
    .filter((event): event is RevenueRecorded => event.type === 'RevenueRecorded').map((event) => event.data.lines[0]!.amountMinor);

  it('across_categories: the purchase meets the cap the advertising receipt used (5.00 left)', () => {
    expect(platformLines('across_categories')).toEqual([1000n, 500n]);
  });
  it('per_category: the purchase has a cap of its own', () => {
    expect(platformLines('per_category')).toEqual([1000n, 1000n]);
  });
});

describe('RefundRevenue of a categorised receipt', () => {
  it('carries the receipt\'s category, and does not move the counters', () => {
    const { events, state } = run([
      registerDeveloper(), registerApp('app-1', withSubscriptionTerms('per_category')),
      recordRevenue('r-1', 'app-1', '100.00', '2026-01-10T00:00:00Z', 'USD', 'subscription'),
      refundRevenue('f-1', 'r-1', '40.00', '2026-01-12T00:00:00Z'),
    ]);
    const refunded = events.find((event): event is RevenueRefunded => event.type === 'RevenueRefunded')!;
    expect(refunded.data.category).toBe('subscription');
    expect(lineSummary(refunded.data.lines)).toEqual(['platform=400', 'developer:dev-1=3600']);
    const encoded = encodeDeveloperEvent(refunded);
    expect(encoded.data.category).toBe('subscription');
    expect(decodeDeveloperEvent(encoded.type, encoded.data)).toEqual(refunded);
    expect(state.tierCounters.get('subscription|app:app-1|USD|lifetime')).toBe(10000n);
  });
});

describe('the codec of the category', () => {
  const { events } = run([
    registerDeveloper(), registerApp('app-1', withSubscriptionTerms('per_category')),
    recordRevenue('r-1', 'app-1', '100.00', '2026-01-10T00:00:00Z', 'USD', 'subscription'),
  ]);
  const encoded = encodeDeveloperEvent(events.find((event) => event.type === 'RevenueRecorded')!);

  it('decodes an event recorded before categories (no category) as a purchase', () => {
    const { category: _category, ...withoutCategory } = encoded.data;
    expect((decodeDeveloperEvent(encoded.type, withoutCategory) as RevenueRecorded).data.category).toBe('purchase');
  });
  it.each([
    ['purchase, which is recorded by omission', 'purchase'],
    ['an unknown category', 'donation'],
    ['null', null],
    ['a number', 3],
  ])('refuses a stored category that is %s', (_label, category) => {
    expect(() => decodeDeveloperEvent(encoded.type, { ...encoded.data, category })).toThrow(/RevenueRecorded.*category/);
  });
});
