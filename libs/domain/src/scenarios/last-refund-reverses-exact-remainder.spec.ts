import { RevenueRecorded, RevenueRefunded } from '../ledger.events';
import { contractTerms, platformShare, recordRevenue, refundRevenue, registerApp, registerDeveloper, run } from '../testing/developer-decider.support';

const withCarveOuts = contractTerms({
  platformShare: platformShare([{ rate: '15%' }]),
  carveOuts: [{ party: 'provider:acme-models', rate: '30%', of: 'platform' }, { party: 'referrer:lagos-hub', rate: '1%', of: 'basis' }],
});

describe('the last refund reverses exactly the remainder', () => {
  const { events, state } = run([
    registerDeveloper(),
    registerApp('app-1', withCarveOuts),
    recordRevenue('r-1', 'app-1', '9.99', '2026-01-05T00:00:00Z'), // 105 / 44 / 9 / 841
    refundRevenue('f-1', 'r-1', '3.33', '2026-01-06T00:00:00Z'),
    refundRevenue('f-2', 'r-1', '3.33', '2026-01-07T00:00:00Z'),
    refundRevenue('f-3', 'r-1', '3.33', '2026-01-08T00:00:00Z'),
  ]);
  const split = events.find((event): event is RevenueRecorded => event.type === 'RevenueRecorded')!.data.lines.map((line) => line.amountMinor);
  const reversals = events.filter((event): event is RevenueRefunded => event.type === 'RevenueRefunded').map((event) => event.data.lines.map((line) => line.amountMinor));

  it('splits the receipt', () => expect(split).toEqual([105n, 44n, 9n, 841n]));

  it('reverses each refund proportionally with the largest-remainder rule', () => {
    expect(reversals).toEqual([
      // 44 × 333 / 999 = 14.67: the provider's fraction is the largest.
      [35n, 15n, 3n, 280n],
      // Exactly half of what remains: provider and developer tie at .5, line order gives it to the provider.
      [35n, 15n, 3n, 280n],
      // The last refund takes exactly the rest.
      [35n, 14n, 3n, 281n],
    ]);
  });

  it('leaves nothing on any line after the last refund', () => {
    const totals = split.map((_, index) => reversals.reduce((sum, reversal) => sum + reversal[index]!, 0n));
    expect(totals).toEqual(split);
    expect(state.receipts.get('r-1')!.remainingMinor).toEqual([0n, 0n, 0n, 0n]);
  });
});
