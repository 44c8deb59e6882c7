import { RevenueRecorded } from '../ledger.events';
import { contractTerms, platformShare, recordRevenue, registerApp, registerDeveloper, run } from '../testing/developer-decider.support';

// 0% on the first 100.00 of each calendar month (UTC, by occurredAt), 15% above.
const monthly = contractTerms({ platformShare: platformShare([{ upTo: '100.00', rate: '0%' }, { rate: '15%' }], 'calendar_month') });

describe('a calendar-month window resets the tiers', () => {
  const { events } = run([
    registerDeveloper(),
    registerApp('app-1', monthly),
    recordRevenue('r-1', 'app-1', '100.00', '2026-01-10T00:00:00Z'),
    recordRevenue('r-2', 'app-1', '100.00', '2026-01-31T23:59:59.999Z'),
    recordRevenue('r-3', 'app-1', '100.00', '2026-02-01T00:00:00Z'),
    // Late January receipt recorded in February: January's counter applies.
    recordRevenue('r-4', 'app-1', '100.00', '2026-01-20T00:00:00Z'),
    // Still January in local time but February in UTC, where r-3 already used the 0% tier.
    recordRevenue('r-5', 'app-1', '10.00', '2026-01-31T23:30:00-01:00'),
  ]);
  const platformLines = events.filter((event): event is RevenueRecorded => event.type === 'RevenueRecorded')
    .map((event) => [event.data.receiptId, event.data.lines[0]!.amountMinor]);

  it('charges 15% only above 100.00 within each month', () => {
    expect(platformLines).toEqual([
      ['r-1', 0n],
      ['r-2', 1500n],
      ['r-3', 0n],
      ['r-4', 1500n],
      ['r-5', 150n],
    ]);
  });
});
