import * as fc from 'fast-check';
import { DomainError } from '../domain.errors';
import { DeveloperCommand } from '../ledger.commands';
import { DeveloperEvent } from '../ledger.events';
import { formatMoney } from '../money/money';
import { rawContractArbitrary } from '../testing/contract.arbitraries';
import {
  decideAsLedger, openDispute, recordRevenue, refundRevenue, registerApp, registerDeveloper, resolveDispute,
} from '../testing/developer-decider.support';
import { developerStateFrom, evolveDeveloper } from './developer.state';

const BOOKED_AT = '2026-12-31T00:00:00.000Z';
/** Refusals a random sequence may meet; anything else is a bug. */
const EXPECTED_REFUSALS = new Set(['refund_exceeds_remaining', 'dispute_exceeds_remaining', 'dispute_not_open']);

type Step =
  | { kind: 'refund'; receiptSeed: number; amountPermille: number }
  | { kind: 'dispute'; receiptSeed: number; amountPermille: number; feeMinor: bigint }
  | { kind: 'resolve'; disputeSeed: number; outcome: 'won' | 'lost' };

const stepArbitrary: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant('refund' as const), receiptSeed: fc.nat(), amountPermille: fc.integer({ min: 1, max: 1200 }) }),
  fc.record({ kind: fc.constant('dispute' as const), receiptSeed: fc.nat(), amountPermille: fc.integer({ min: 1, max: 1200 }), feeMinor: fc.bigInt({ min: 0n, max: 5000n }) }),
  fc.record({ kind: fc.constant('resolve' as const), disputeSeed: fc.nat(), outcome: fc.constantFrom('won' as const, 'lost' as const) }),
);

describe('dispute properties', () => {
  it('refunds and open or lost disputes of a receipt never exceed it; every reversal sums to its amount and stays within its lines', () => {
    fc.assert(fc.property(
      rawContractArbitrary,
      fc.array(fc.bigInt({ min: 1n, max: 10n ** 7n }), { minLength: 1, maxLength: 3 }),
      fc.array(stepArbitrary, { minLength: 1, maxLength: 30 }),
      (contract, receiptAmounts, steps) => {
        const currency = contract.currency as string;
        const state = developerStateFrom([]);
        const events: DeveloperEvent[] = [];
        const apply = (command: DeveloperCommand): boolean => {
          let decided: DeveloperEvent[];
          try {
            decided = decideAsLedger(command, state, { bookedAt: BOOKED_AT });
          } catch (error) {
            if (error instanceof DomainError && EXPECTED_REFUSALS.has(error.code)) return false;
            throw error;
          }
          for (const event of decided) { events.push(event); evolveDeveloper(state, event); }
          return true;
        };
        apply(registerDeveloper());
        apply(registerApp('app-1', contract));
        receiptAmounts.forEach((amountMinor, index) => apply(recordRevenue(`r-${index}`, 'app-1', formatMoney(amountMinor, currency), '2026-02-01T00:00:00Z', currency)));
        const disputeIds: string[] = [];
        steps.forEach((step, index) => {
          if (step.kind === 'resolve') {
            if (disputeIds.length === 0) return;
            apply(resolveDispute(disputeIds[step.disputeSeed % disputeIds.length]!, step.outcome, '2026-04-01T00:00:00Z'));
            return;
          }
          const receiptIndex = step.receiptSeed % receiptAmounts.length;
          const amountMinor = (receiptAmounts[receiptIndex]! * BigInt(step.amountPermille) + 999n) / 1000n;
          if (step.kind === 'refund') apply(refundRevenue(`f-${index}`, `r-${receiptIndex}`, formatMoney(amountMinor, currency), '2026-03-01T00:00:00Z'));
          else if (apply(openDispute(`d-${index}`, `r-${receiptIndex}`, formatMoney(amountMinor, currency), '2026-03-01T00:00:00Z', formatMoney(step.feeMinor, currency)))) {
            disputeIds.push(`d-${index}`);
          }
        });

        // Replayed from the events: per receipt and line, what refunds and open or lost disputes took.
        const original = new Map<string, bigint[]>();
        const taken = new Map<string, bigint[]>();
        const takenTotal = new Map<string, bigint>();
        const amountOf = new Map<string, bigint>();
        const openLines = new Map<string, { receiptId: string; lines: bigint[]; amountMinor: bigint }>();
        const take = (receiptId: string, lines: readonly { amountMinor: bigint }[], amountMinor: bigint, sign: bigint) => {
          const sums = taken.get(receiptId)!;
          lines.forEach((line, index) => { sums[index] = sums[index]! + sign * line.amountMinor; });
          takenTotal.set(receiptId, takenTotal.get(receiptId)! + sign * amountMinor);
        };
        for (const event of events) {
          if (event.type === 'RevenueRecorded') {
            original.set(event.data.receiptId, event.data.lines.map((line) => line.amountMinor));
            taken.set(event.data.receiptId, event.data.lines.map(() => 0n));
            takenTotal.set(event.data.receiptId, 0n);
            amountOf.set(event.data.receiptId, event.data.amountMinor);
            continue;
          }
          if (event.type === 'RevenueRefunded' || event.type === 'DisputeOpened' || event.type === 'DisputeResolved') {
            expect(event.data.lines.reduce((sum, line) => sum + line.amountMinor, 0n)).toBe(event.data.amountMinor);
          }
          if (event.type === 'RevenueRefunded') take(event.data.receiptId, event.data.lines, event.data.amountMinor, 1n);
          if (event.type === 'DisputeOpened') {
            take(event.data.receiptId, event.data.lines, event.data.amountMinor, 1n);
            openLines.set(event.data.disputeId, { receiptId: event.data.receiptId, lines: event.data.lines.map((line) => line.amountMinor), amountMinor: event.data.amountMinor });
          }
          if (event.type === 'DisputeResolved') {
            const opened = openLines.get(event.data.disputeId)!;
            expect(event.data.lines.map((line) => line.amountMinor)).toEqual(opened.lines);
            if (event.data.outcome === 'won') take(event.data.receiptId, event.data.lines, event.data.amountMinor, -1n);
          }
          for (const [receiptId, sums] of taken) {
            expect(takenTotal.get(receiptId)! <= amountOf.get(receiptId)!).toBe(true);
            sums.forEach((sum, index) => expect(sum >= 0n && sum <= original.get(receiptId)![index]!).toBe(true));
          }
        }
        // The state agrees with the events.
        for (const [receiptId, total] of takenTotal) {
          const receipt = state.receipts.get(receiptId)!;
          expect(receipt.refundedMinor + receipt.disputedMinor).toBe(total);
        }
      },
    ), { numRuns: 200 });
  });
});
