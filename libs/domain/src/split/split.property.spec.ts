import * as fc from 'fast-check';
import { parseContractTerms } from '../contract/contract-terms.parser';
import { encodeDeveloperEvent } from '../codec/ledger-event.codec';
import { DeveloperCommand } from '../ledger.commands';
import { DeveloperEvent, RevenueRecorded, RevenueRefunded } from '../ledger.events';
import { formatMoney } from '../money/money';
import { rawContractArbitrary } from '../testing/contract.arbitraries';
import { recordRevenue, refundRevenue, registerApp, registerDeveloper, run } from '../testing/developer-decider.support';
import { reverseRefund } from './refund-reversal.rule';
import { splitReceipt } from './split-receipt.rule';

const RUNS = 300;

describe('split rule properties', () => {
  it('every split sums to its basis, no line is negative, the platform never gains a fraction', () => {
    fc.assert(fc.property(
      rawContractArbitrary,
      fc.bigInt({ min: 1n, max: 10n ** 12n }),
      fc.bigInt({ min: 0n, max: 10n ** 7n }),
      fc.bigInt({ min: 0n, max: 10n ** 6n }),
      (raw, basisMinor, tierCounterMinor, capUsageMinor) => {
        const terms = parseContractTerms(raw);
        const result = splitReceipt({ terms, developerId: 'dev-1', basisMinor, tierCounterMinor, capUsageMinor });
        const total = result.lines.reduce((sum, line) => sum + line.amountMinor, 0n);
        expect(total).toBe(basisMinor);
        for (const line of result.lines) expect(line.amountMinor >= 0n).toBe(true);
        // P ≤ P*: P × denominator ≤ numerator.
        expect(result.platformShareMinor * result.exactPlatformShareDenominator <= result.exactPlatformShareNumerator).toBe(true);
        expect(result.lines[0]!.amountMinor <= result.platformShareMinor).toBe(true);
        if (terms.platformCap === null) {
          // Without a cap, P is exactly floor(P*).
          expect(result.platformShareMinor).toBe(result.exactPlatformShareNumerator / result.exactPlatformShareDenominator);
        } else {
          const remainingCap = terms.platformCap.amountMinor - capUsageMinor;
          expect(result.platformShareMinor <= (remainingCap > 0n ? remainingCap : 0n)).toBe(true);
        }
      },
    ), { numRuns: RUNS });
  });

  it('refund sequences never reverse more than a line has; the last refund reverses exactly the rest', () => {
    fc.assert(fc.property(
      fc.array(fc.bigInt({ min: 0n, max: 10n ** 9n }), { minLength: 2, maxLength: 6 }).filter((amounts) => amounts.some((amount) => amount > 0n)),
      fc.array(fc.bigInt({ min: 1n, max: 10n ** 9n }), { minLength: 1, maxLength: 8 }),
      (amounts, refundSeeds) => {
        const original = amounts.map((amountMinor, index) => ({ party: `p${index}`, amountMinor }));
        const remaining = original.map((line) => ({ ...line }));
        const total = amounts.reduce((sum, amount) => sum + amount, 0n);
        let left = total;
        for (const seed of refundSeeds) {
          if (left === 0n) break;
          const refundMinor = 1n + (seed % left);
          const reversal = reverseRefund({ remainingLines: remaining, refundMinor });
          expect(reversal.reduce((sum, line) => sum + line.amountMinor, 0n)).toBe(refundMinor);
          reversal.forEach((line, index) => {
            expect(line.amountMinor >= 0n && line.amountMinor <= remaining[index]!.amountMinor).toBe(true);
            remaining[index]!.amountMinor -= line.amountMinor;
          });
          left -= refundMinor;
        }
        if (left > 0n) {
          const last = reverseRefund({ remainingLines: remaining, refundMinor: left });
          expect(last.map((line) => line.amountMinor)).toEqual(remaining.map((line) => line.amountMinor));
        }
      },
    ), { numRuns: RUNS });
  });
});

/** Receipts span two years from 2026-01-01; they are booked after the last one. */
const STEPS_BOOKED_AT = '2028-01-02T00:00:00.000Z';

type Step = { kind: 'receipt'; amountMinor: bigint; offsetMinutes: number } | { kind: 'refund'; receiptSeed: number; amountSeed: bigint };

const stepArbitrary: fc.Arbitrary<Step> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('receipt' as const), amountMinor: fc.bigInt({ min: 1n, max: 10n ** 7n }), offsetMinutes: fc.integer({ min: 0, max: 2 * 365 * 24 * 60 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('refund' as const), receiptSeed: fc.nat(), amountSeed: fc.bigInt({ min: 1n, max: 10n ** 7n }) }) },
);

function commandsFor(generatedContracts: Record<string, unknown>[], steps: Step[]): DeveloperCommand[] {
  const currency = generatedContracts[0]!.currency as string;
  // Apps of one developer share the currency here, so the amounts of all contracts must be in it.
  const contracts = generatedContracts.filter((contract) => contract.currency === currency);
  const commands: DeveloperCommand[] = [registerDeveloper()];
  // Two apps in one currency so that developer-scope counters see both.
  contracts.forEach((contract, index) => commands.push(registerApp(`app-${index}`, contract)));
  const receipts: { receiptId: string; amountMinor: bigint; occurredAt: string; refundedMinor: bigint }[] = [];
  steps.forEach((step, index) => {
    if (step.kind === 'receipt') {
      const occurredAt = new Date(Date.UTC(2026, 0, 1) + step.offsetMinutes * 60_000).toISOString();
      const receiptId = `r-${index}`;
      receipts.push({ receiptId, amountMinor: step.amountMinor, occurredAt, refundedMinor: 0n });
      commands.push(recordRevenue(receiptId, `app-${index % contracts.length}`, formatMoney(step.amountMinor, currency), occurredAt, currency));
    } else if (receipts.length > 0) {
      const receipt = receipts[step.receiptSeed % receipts.length]!;
      const leftMinor = receipt.amountMinor - receipt.refundedMinor;
      if (leftMinor === 0n) return;
      const amountMinor = 1n + (step.amountSeed % leftMinor);
      receipt.refundedMinor += amountMinor;
      commands.push(refundRevenue(`f-${index}`, receipt.receiptId, formatMoney(amountMinor, currency), receipt.occurredAt));
    }
  });
  // Finally refund every remainder, so that full refunds can be checked.
  receipts.forEach((receipt) => {
    const leftMinor = receipt.amountMinor - receipt.refundedMinor;
    if (leftMinor > 0n) commands.push(refundRevenue(`final-${receipt.receiptId}`, receipt.receiptId, formatMoney(leftMinor, currency), receipt.occurredAt));
  });
  return commands;
}

describe('decider properties over receipt sequences', () => {
  it('splits sum to their bases, reversals stay within lines, full refunds reverse exactly the split, and replays are byte-identical', () => {
    fc.assert(fc.property(
      fc.array(rawContractArbitrary, { minLength: 1, maxLength: 2 }),
      fc.array(stepArbitrary, { minLength: 1, maxLength: 25 }),
      (contracts, steps) => {
        const commands = commandsFor(contracts, steps);
        const { events } = run(commands, undefined, STEPS_BOOKED_AT);
        const recorded = new Map<string, RevenueRecorded['data']>();
        const reversed = new Map<string, bigint[]>();
        for (const event of events) {
          if (event.type === 'RevenueRecorded') {
            const total = event.data.lines.reduce((sum, line) => sum + line.amountMinor, 0n);
            expect(total).toBe(event.data.amountMinor);
            for (const line of event.data.lines) expect(line.amountMinor >= 0n).toBe(true);
            recorded.set(event.data.receiptId, event.data);
            reversed.set(event.data.receiptId, event.data.lines.map(() => 0n));
          } else if (event.type === 'RevenueRefunded') {
            const data: RevenueRefunded['data'] = event.data;
            const split = recorded.get(data.receiptId)!;
            const sums = reversed.get(data.receiptId)!;
            data.lines.forEach((line, index) => {
              sums[index] = sums[index]! + line.amountMinor;
              expect(sums[index]! <= split.lines[index]!.amountMinor).toBe(true);
            });
          }
        }
        for (const [receiptId, split] of recorded) {
          expect(reversed.get(receiptId)).toEqual(split.lines.map((line) => line.amountMinor));
        }
        const encode = (all: DeveloperEvent[]) => JSON.stringify(all.map(encodeDeveloperEvent));
        expect(encode(run(commands, undefined, STEPS_BOOKED_AT).events)).toBe(encode(events));
      },
    ), { numRuns: 150 });
  });
});
