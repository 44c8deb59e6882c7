import * as fc from 'fast-check';
import { RevenueRecorded } from '../ledger.events';
import { contractHash, parseContractTerms } from '../contract/contract-terms.parser';
import { formatMoney } from '../money/money';
import {
  contractTerms, given, history, recordRevenue, refundRevenue, registerApp, registerDeveloper, requestPayout, run,
} from '../testing/developer-decider.support';
import { balanceFiguresMinor, reserveHeldMinor } from './developer.state';

// 10% of each developer credit held 90 days; the rest on the ordinary 14-day hold.
const withReserve = contractTerms({ reserve: { rate: '10%', holdDays: 90 } });
const setUp = [registerDeveloper(), registerApp('app-1', withReserve)];
const at = (iso: string) => Date.parse(iso);

describe('rolling reserve', () => {
  it('holds floor(developer line × rate) until occurredAt + reserve.holdDays, recorded on the split', () => {
    // 2000.01: platform floor(1000.01 × 15%) = 150.00, developer 1850.01, reserve floor(185.001) = 185.00.
    const [event] = given(history(setUp)).when(recordRevenue('r-1', 'app-1', '2000.01', '2026-01-10T00:00:00Z')).thenEvents() as RevenueRecorded[];
    expect(event!.data).toMatchObject({ availableAt: '2026-01-24T00:00:00.000Z', reserveMinor: 18500n, reserveReleasedAt: '2026-04-10T00:00:00.000Z' });
  });

  it('shows pending, reserved and available apart, and releases the reserve on its day', () => {
    const { state } = run([...setUp, recordRevenue('r-1', 'app-1', '2000.00', '2026-01-10T00:00:00Z')]);
    expect(balanceFiguresMinor(state, 'USD', at('2026-01-20T00:00:00Z'))).toEqual({ pendingMinor: 166500n, reservedMinor: 18500n, availableMinor: 0n });
    expect(balanceFiguresMinor(state, 'USD', at('2026-02-01T00:00:00Z'))).toEqual({ pendingMinor: 0n, reservedMinor: 18500n, availableMinor: 166500n });
    expect(balanceFiguresMinor(state, 'USD', at('2026-04-10T00:00:00Z'))).toEqual({ pendingMinor: 0n, reservedMinor: 0n, availableMinor: 185000n });
    // A payout may not take the reserve.
    given(history([...setUp, recordRevenue('r-1', 'app-1', '2000.00', '2026-01-10T00:00:00Z')]))
      .when(requestPayout('p-1', '1665.01', '2026-02-01T00:00:00Z')).thenRefused('payout_above_available');
  });

  it('covers a negative balance from the reserve first', () => {
    // 1665.00 paid out, then the whole receipt refunded: 1850.00 debited; the 185.00 reserve covers what it can.
    const { state } = run([
      ...setUp, recordRevenue('r-1', 'app-1', '2000.00', '2026-01-10T00:00:00Z'), requestPayout('p-1', '1665.00', '2026-02-01T00:00:00Z'),
      refundRevenue('f-1', 'r-1', '2000.00', '2026-02-02T00:00:00Z'),
    ]);
    expect(balanceFiguresMinor(state, 'USD', at('2026-02-03T00:00:00Z'))).toEqual({ pendingMinor: 0n, reservedMinor: 0n, availableMinor: -166500n });
    const partly = run([...setUp, recordRevenue('r-1', 'app-1', '2000.00', '2026-01-10T00:00:00Z'), refundRevenue('f-1', 'r-1', '200.00', '2026-01-11T00:00:00Z')]).state;
    // Refund 200.00: developer reversal 185.00 while all 1665.00 is still pending: available −185.00 is covered by the 185.00 reserve.
    expect(balanceFiguresMinor(partly, 'USD', at('2026-01-12T00:00:00Z'))).toEqual({ pendingMinor: 166500n, reservedMinor: 0n, availableMinor: 0n });
  });

  it('leaves the hash of contracts without a reserve unchanged; a reserve changes it', () => {
    expect(contractHash(parseContractTerms(contractTerms()))).toBe('9c0aea141489d831908b65183f7bbf93d13842415c0c30a624a10e3457130771');
    expect(contractHash(parseContractTerms(contractTerms({ reserve: null })))).toBe('9c0aea141489d831908b65183f7bbf93d13842415c0c30a624a10e3457130771');
    expect(contractHash(parseContractTerms(withReserve))).not.toBe('9c0aea141489d831908b65183f7bbf93d13842415c0c30a624a10e3457130771');
    expect(() => parseContractTerms(contractTerms({ reserve: { rate: '10%' } }))).toThrow(/reserve.holdDays/);
    expect(() => parseContractTerms(contractTerms({ reserve: { rate: '101%', holdDays: 1 } }))).toThrow();
  });

  it('property: reserve releases sum to reserve holds; the three figures always sum to credits less debits', () => {
    fc.assert(fc.property(
      fc.integer({ min: 0, max: 100 }),
      fc.integer({ min: 0, max: 400 }),
      fc.array(fc.record({ amountMinor: fc.bigInt({ min: 1n, max: 10n ** 8n }), day: fc.integer({ min: 0, max: 300 }), refundPercent: fc.integer({ min: 0, max: 100 }) }), { minLength: 1, maxLength: 12 }),
      (ratePercent, reserveHoldDays, receipts) => {
        const commands = [registerDeveloper(), registerApp('app-1', contractTerms({ reserve: { rate: `${ratePercent}%`, holdDays: reserveHoldDays } }))];
        receipts.forEach((receipt, index) => {
          const occurredAt = new Date(Date.UTC(2026, 0, 1) + receipt.day * 86_400_000).toISOString();
          commands.push(recordRevenue(`r-${index}`, 'app-1', formatMoney(receipt.amountMinor, 'USD'), occurredAt));
          const refundMinor = (receipt.amountMinor * BigInt(receipt.refundPercent)) / 100n;
          if (refundMinor > 0n) commands.push(refundRevenue(`f-${index}`, `r-${index}`, formatMoney(refundMinor, 'USD'), occurredAt));
        });
        const { events, state } = run(commands, undefined, '2027-12-31T00:00:00.000Z');
        const balance = state.balances.get('USD')!;
        let holdsMinor = 0n;
        let creditedMinor = 0n;
        let refundedMinor = 0n;
        for (const event of events) {
          if (event.type === 'RevenueRecorded') {
            const developerLine = event.data.lines[event.data.lines.length - 1]!.amountMinor;
            expect(event.data.reserveMinor! <= developerLine).toBe(true);
            expect(event.data.reserveMinor).toBe((developerLine * BigInt(ratePercent)) / 100n);
            holdsMinor += event.data.reserveMinor!;
            creditedMinor += developerLine;
          }
          if (event.type === 'RevenueRefunded') refundedMinor += event.data.lines[event.data.lines.length - 1]!.amountMinor;
        }
        // Before any receipt everything is held; long after the last release nothing is: all holds were released.
        expect(reserveHeldMinor(balance, Date.UTC(2025, 0, 1))).toBe(holdsMinor);
        expect(reserveHeldMinor(balance, Date.UTC(2030, 0, 1))).toBe(0n);
        for (const day of [0, 10, 50, 120, 400, 800]) {
          const figures = balanceFiguresMinor(state, 'USD', Date.UTC(2026, 0, 1) + day * 86_400_000);
          expect(figures.pendingMinor + figures.reservedMinor + figures.availableMinor).toBe(creditedMinor - refundedMinor);
          expect(figures.reservedMinor >= 0n && figures.pendingMinor >= 0n).toBe(true);
        }
        expect(balanceFiguresMinor(state, 'USD', Date.UTC(2030, 0, 1))).toEqual({ pendingMinor: 0n, reservedMinor: 0n, availableMinor: creditedMinor - refundedMinor });
      },
    ), { numRuns: 150 });
  });
});
