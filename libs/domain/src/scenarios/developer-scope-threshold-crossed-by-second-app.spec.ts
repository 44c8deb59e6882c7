import { RevenueRecorded } from '../ledger.events';
import { contractTerms, lineSummary, platformShare, recordRevenue, registerApp, registerDeveloper, run } from '../testing/developer-decider.support';

// 0% up to 1000.00 counted over all the developer's apps, 15% above.
const developerScope = contractTerms({ platformShare: platformShare([{ upTo: '1000.00', rate: '0%' }, { rate: '15%' }], 'lifetime', 'developer') });
const appScope = contractTerms({ platformShare: platformShare([{ upTo: '1000.00', rate: '0%' }, { rate: '15%' }], 'lifetime', 'app') });

function splits(contract: Record<string, unknown>): string[][] {
  const { events } = run([
    registerDeveloper(),
    registerApp('app-a', contract),
    registerApp('app-b', contract),
    recordRevenue('r-1', 'app-a', '800.00', '2026-01-05T00:00:00Z'),
    recordRevenue('r-2', 'app-b', '400.00', '2026-01-06T00:00:00Z'),
  ]);
  return events.filter((event): event is RevenueRecorded => event.type === 'RevenueRecorded').map((event) => lineSummary(event.data.lines));
}

describe('developer scope: the threshold is crossed by the second app', () => {
  it('the second app pays 15% on the 200.00 above the developer-wide threshold', () => {
    expect(splits(developerScope)).toEqual([
      ['platform=0', 'developer:dev-1=80000'],
      ['platform=3000', 'developer:dev-1=37000'],
    ]);
  });

  it('with app scope the same receipts stay under each app\'s own threshold', () => {
    expect(splits(appScope)).toEqual([
      ['platform=0', 'developer:dev-1=80000'],
      ['platform=0', 'developer:dev-1=40000'],
    ]);
  });
});
