import * as fc from 'fast-check';
import {
  DISPUTES_HELD_ACCOUNT, DISPUTE_FEES_ACCOUNT, PERSONAL_DATA_SCHEME, REVENUE_CLEARING_ACCOUNT, decideDeveloper, evolveDeveloper, formatMoney,
  initialDeveloperState, type DeveloperCommand, type DeveloperEvent,
} from '@rsi/domain';
import { postingsOf } from './ledger.projection';

const BOOKED_AT = '2026-12-31T00:00:00.000Z';
const PROTECTED_NAME = { kind: 'protected', name: { scheme: PERSONAL_DATA_SCHEME, ciphertext: 'AAAA', commitment: '0'.repeat(64) } } as const;

function contract(disputeFeeBearer: 'developer' | 'platform'): Record<string, unknown> {
  return {
    currency: 'USD', effectiveFrom: '2026-01-01T00:00:00Z', holdDays: 14, minimumPayout: '0',
    platformShare: { tiers: [{ rate: '30%' }], window: 'lifetime', scope: 'app' },
    carveOuts: [{ party: 'provider:acme', rate: '10%', of: 'platform' }], disputeFeeBearer,
  };
}

function eventsOf(commands: DeveloperCommand[]): DeveloperEvent[] {
  const state = initialDeveloperState();
  const events: DeveloperEvent[] = [];
  for (const command of commands) {
    for (const event of decideDeveloper(command, state, { bookedAt: BOOKED_AT })) { events.push(event); evolveDeveloper(state, event); }
  }
  return events;
}

function balanceOf(events: readonly DeveloperEvent[], account: string): bigint {
  return events.flatMap(postingsOf).filter((posting) => posting.account === account).reduce((sum, posting) => sum + posting.amountMinor, 0n);
}

describe('postings of disputes', () => {
  it('every event sums to zero; a won dispute empties the held account back to the parties, a lost one to the customer', () => {
    fc.assert(fc.property(
      fc.constantFrom('developer' as const, 'platform' as const),
      fc.bigInt({ min: 1n, max: 10n ** 9n }),
      fc.integer({ min: 1, max: 1000 }),
      fc.bigInt({ min: 0n, max: 10_000n }),
      fc.constantFrom('won' as const, 'lost' as const),
      (bearer, amountMinor, disputedPermille, feeMinor, outcome) => {
        const disputedMinor = (amountMinor * BigInt(disputedPermille) + 999n) / 1000n;
        const events = eventsOf([
          // The name as the application layer hands it over: protected (its content is never read here).
          { type: 'RegisterDeveloper', data: { developerId: 'dev-1', name: 'Ada', country: 'NG', nameProtection: PROTECTED_NAME } },
          { type: 'RegisterApp', data: { appId: 'app-1', developerId: 'dev-1', name: 'App', contract: contract(bearer) } },
          { type: 'RecordRevenue', data: { receiptId: 'r-1', appId: 'app-1', amount: formatMoney(amountMinor, 'USD'), currency: 'USD', occurredAt: '2026-02-01T00:00:00Z' } },
          { type: 'OpenDispute', data: { disputeId: 'd-1', receiptId: 'r-1', amount: formatMoney(disputedMinor, 'USD'), fee: formatMoney(feeMinor, 'USD'), openedAt: '2026-02-02T00:00:00Z' } },
          { type: 'ResolveDispute', data: { disputeId: 'd-1', outcome, resolvedAt: '2026-02-03T00:00:00Z' } },
        ]);
        for (const event of events) {
          // postingsOf asserts the zero sum itself; summed again here so that the property fails visibly.
          expect(postingsOf(event).reduce((sum, posting) => sum + posting.amountMinor, 0n)).toBe(0n);
        }
        expect(balanceOf(events, DISPUTES_HELD_ACCOUNT)).toBe(0n);
        expect(balanceOf(events, DISPUTE_FEES_ACCOUNT)).toBe(feeMinor);
        expect(balanceOf(events, REVENUE_CLEARING_ACCOUNT)).toBe(outcome === 'won' ? -amountMinor : -amountMinor + disputedMinor);
        const developerTotal = balanceOf(events, 'developer:dev-1') + balanceOf(events, 'platform') + balanceOf(events, 'provider:acme');
        expect(developerTotal).toBe((outcome === 'won' ? amountMinor : amountMinor - disputedMinor) - feeMinor);
      },
    ), { numRuns: 200 });
  });
});
