import { RevenueRecorded } from '../ledger.events';
import { contractTerms, recordRevenue, registerApp, registerDeveloper, run } from '../testing/developer-decider.support';

/**
 * Google Play's rule for subscriptions: subscriptions pay 15% from the first dollar; purchases
 * pay 15% of the first 1,000,000.00 a developer earns in a calendar year, then 30%. Whether the
 * subscriptions count toward that 1,000,000.00 is the contract's `counter`: across categories
 * (they do) or per category (purchases count alone).
 */
const googlePlayWithSubscriptions = (counter: string) => contractTerms({
  platformShare: {
    tiers: [{ upTo: '1000000.00', rate: '15%' }, { rate: '30%' }],
    window: 'calendar_year',
    scope: 'developer',
    counter,
    categories: { subscription: { tiers: [{ rate: '15%' }], window: 'calendar_year', scope: 'developer' } },
  },
});

const receipts = [
  recordRevenue('sub-1', 'app-a', '800000.00', '2026-03-01T00:00:00Z', 'USD', 'subscription'), // 15%: 120,000.00
  recordRevenue('buy-1', 'app-b', '900000.00', '2026-04-01T00:00:00Z', 'USD', 'purchase'),
  recordRevenue('buy-2', 'app-a', '200000.00', '2026-05-01T00:00:00Z'), // no category: a purchase
  recordRevenue('sub-2', 'app-b', '100000.00', '2026-06-01T00:00:00Z', 'USD', 'subscription'), // 15% whatever the counters: 15,000.00
];

function platformShares(counter: string): Record<string, bigint> {
  const { events } = run([registerDeveloper(), registerApp('app-a', googlePlayWithSubscriptions(counter)), registerApp('app-b', googlePlayWithSubscriptions(counter)), ...receipts]);
  return Object.fromEntries(events.filter((event): event is RevenueRecorded => event.type === 'RevenueRecorded')
    .map((event) => [`${event.data.receiptId} (${event.data.category})`, event.data.lines[0]!.amountMinor]));
}

describe('subscription tiers per category (Google Play with subscriptions)', () => {
  it('per_category: purchases count their own 1,000,000.00; subscriptions pay 15% throughout', () => {
    expect(platformShares('per_category')).toEqual({
      'sub-1 (subscription)': 12_000_000n,
      'buy-1 (purchase)': 13_500_000n, // 15% of 900,000.00
      'buy-2 (purchase)': 4_500_000n, // 15% of 100,000.00 + 30% of 100,000.00 = 15,000.00 + 30,000.00
      'sub-2 (subscription)': 1_500_000n,
    });
  });

  it('across_categories: the subscriptions use up the purchases\' 15% band first', () => {
    expect(platformShares('across_categories')).toEqual({
      'sub-1 (subscription)': 12_000_000n,
      'buy-1 (purchase)': 24_000_000n, // 15% of 200,000.00 + 30% of 700,000.00 = 30,000.00 + 210,000.00
      'buy-2 (purchase)': 6_000_000n, // 30% of 200,000.00
      'sub-2 (subscription)': 1_500_000n,
    });
  });
});
