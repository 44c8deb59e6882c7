import { RevenueRecorded } from '../ledger.events';
import { contractTerms, platformShare, recordRevenue, registerApp, registerDeveloper, run } from '../testing/developer-decider.support';

// 15% flat, at most 100.00 a calendar month to the platform; 30% of the platform's share to a provider.
const capped = contractTerms({
  platformShare: platformShare([{ rate: '15%' }]),
  platformCap: { amount: '100.00', window: 'calendar_month' },
  carveOuts: [{ party: 'provider:acme-models', rate: '30%', of: 'platform' }],
});

describe('the platform cap is reached in the middle of a receipt', () => {
  const { events, state } = run([
    registerDeveloper(),
    registerApp('app-1', capped),
    recordRevenue('r-1', 'app-1', '600.00', '2026-01-05T00:00:00Z'), // P = 90.00
    recordRevenue('r-2', 'app-1', '200.00', '2026-01-06T00:00:00Z'), // P* = 30.00, only 10.00 of cap left
    recordRevenue('r-3', 'app-1', '100.00', '2026-01-07T00:00:00Z'), // cap used up
    recordRevenue('r-4', 'app-1', '100.00', '2026-02-01T00:00:00Z'), // a new month, a new cap
  ]);
  const splits = events.filter((event): event is RevenueRecorded => event.type === 'RevenueRecorded').map((event) => event.data.lines.map((line) => line.amountMinor));

  it('caps P, then carves out of the capped P', () => {
    expect(splits).toEqual([
      [6300n, 2700n, 51000n],
      [700n, 300n, 19000n],
      [0n, 0n, 10000n],
      [1050n, 450n, 8500n],
    ]);
  });

  it('counts P after the cap in the cap window', () => {
    expect(state.capUsageCounters.get('app:app-1|USD|2026-01')).toBe(10000n);
    expect(state.capUsageCounters.get('app:app-1|USD|2026-02')).toBe(1500n);
  });
});
