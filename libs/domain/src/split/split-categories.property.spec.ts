import * as fc from 'fast-check';
import { encodeDeveloperEvent } from '../codec/ledger-event.codec';
import { REVENUE_CATEGORIES } from '../contract/revenue-category';
import { DeveloperCommand } from '../ledger.commands';
import { RevenueRecorded } from '../ledger.events';
import { formatMoney } from '../money/money';
import { RATE_DENOMINATOR, formatRate } from '../money/rate';
import { rawContractArbitrary } from '../testing/contract.arbitraries';
import { recordRevenue, registerApp, registerDeveloper, run } from '../testing/developer-decider.support';

/**
 * Properties of revenue categories (docs/domain.md "Revenue categories"): whatever the
 * category terms and counters, every split sums to its basis; and a contract that names no
 * category and counts across categories (every contract written before categories) splits a
 * receipt of any category exactly as it split it before categories existed.
 */
const RUNS = 150;

const percent = fc.bigInt({ min: 0n, max: RATE_DENOMINATOR / 2n }).map((numerator) => formatRate({ numerator, denominator: RATE_DENOMINATOR }));

/** Own terms for a category, in the contract's currency. */
const categoryTermsArbitrary = (currency: string) => fc.record({
  steps: fc.array(fc.bigInt({ min: 1n, max: 50_000n }), { maxLength: 3 }),
  rates: fc.array(percent, { minLength: 4, maxLength: 4 }),
  window: fc.constantFrom('lifetime', 'calendar_year', 'calendar_month'),
  scope: fc.constantFrom('app', 'developer'),
}).map(({ steps, rates, window, scope }) => {
  let upToMinor = 0n;
  const tiers: Record<string, unknown>[] = steps.map((step, index) => {
    upToMinor += step;
    return { upTo: formatMoney(upToMinor, currency), rate: rates[index] };
  });
  tiers.push({ rate: rates[steps.length] });
  return { tiers, window, scope };
});

const receiptsArbitrary = fc.array(fc.record({
  amountMinor: fc.bigInt({ min: 1n, max: 200_000n }),
  category: fc.constantFrom(...REVENUE_CATEGORIES),
  app: fc.constantFrom('app-1', 'app-2'),
  dayOfYear: fc.integer({ min: 0, max: 360 }),
}), { minLength: 1, maxLength: 25 });

function occurredAtOf(dayOfYear: number): string {
  return new Date(Date.UTC(2026, 0, 1) + dayOfYear * 86_400_000).toISOString();
}

function commandsOf(contract: unknown, receipts: readonly { amountMinor: bigint; category: string; app: string; dayOfYear: number }[], withCategory: boolean): DeveloperCommand[] {
  const currency = (contract as { currency: string }).currency;
  return [
    registerDeveloper(), registerApp('app-1', contract), registerApp('app-2', contract),
    ...receipts.map((receipt, index) => recordRevenue(
      `r-${index}`, receipt.app, formatMoney(receipt.amountMinor, currency), occurredAtOf(receipt.dayOfYear), currency,
      withCategory ? receipt.category : undefined,
    )),
  ];
}

const splitsOf = (commands: DeveloperCommand[]) => run(commands).events.filter((event): event is RevenueRecorded => event.type === 'RevenueRecorded');

describe('revenue category properties', () => {
  it('with category terms and per-category counters, every split sums to its basis and no line is negative', () => {
    const contractArbitrary = rawContractArbitrary.chain((raw) => fc.record({
      categories: fc.dictionary(fc.constantFrom(...REVENUE_CATEGORIES), categoryTermsArbitrary(raw.currency as string)),
      tierCounter: fc.constantFrom('per_category', 'across_categories'),
      capCounter: fc.constantFrom('per_category', 'across_categories'),
    }).map(({ categories, tierCounter, capCounter }) => ({
      ...raw,
      platformShare: { ...(raw.platformShare as object), counter: tierCounter, categories },
      ...(raw.platformCap === undefined ? {} : { platformCap: { ...(raw.platformCap as object), counter: capCounter } }),
    })));
    fc.assert(fc.property(contractArbitrary, receiptsArbitrary, (contract, receipts) => {
      let splits: RevenueRecorded[];
      try {
        splits = splitsOf(commandsOf(contract, receipts, true));
      } catch (error) {
        // A category's tiers may pass the 100% limit with the carve-outs: the parser refuses the
        // contract, as it must; nothing to split then.
        if ((error as { code?: string }).code === 'contract_over_hundred_percent') return;
        throw error;
      }
      expect(splits).toHaveLength(receipts.length);
      splits.forEach((split, index) => {
        expect(split.data.category).toBe(receipts[index]!.category);
        expect(split.data.lines.reduce((sum, line) => sum + line.amountMinor, 0n)).toBe(split.data.amountMinor);
        for (const line of split.data.lines) expect(line.amountMinor >= 0n).toBe(true);
      });
    }), { numRuns: RUNS });
  });

  it('per-category counters add up to the across-categories counter', () => {
    fc.assert(fc.property(rawContractArbitrary, receiptsArbitrary, (contract, receipts) => {
      const { state } = run(commandsOf(contract, receipts, true));
      const currency = contract.currency as string;
      for (const scope of ['app:app-1', 'app:app-2', 'developer']) {
        const across = state.tierCounters.get(`${scope}|${currency}|lifetime`) ?? 0n;
        const perCategory = REVENUE_CATEGORIES.reduce((sum, category) => sum + (state.tierCounters.get(`${category}|${scope}|${currency}|lifetime`) ?? 0n), 0n);
        expect(perCategory).toBe(across);
      }
    }), { numRuns: RUNS });
  });

  it('a contract without category terms, counted across categories, splits every category exactly as before categories', () => {
    fc.assert(fc.property(rawContractArbitrary, receiptsArbitrary, (contract, receipts) => {
      const before = splitsOf(commandsOf(contract, receipts, false));
      const after = splitsOf(commandsOf(contract, receipts, true));
      expect(after.map((split) => split.data.lines)).toEqual(before.map((split) => split.data.lines));
      // And the events differ by the category alone (absent for a purchase, as before).
      after.forEach((split, index) => {
        const { category, ...rest } = encodeDeveloperEvent(split).data;
        expect(category ?? 'purchase').toBe(receipts[index]!.category);
        expect(rest).toEqual(encodeDeveloperEvent(before[index]!).data);
      });
    }), { numRuns: RUNS });
  });
});
