/**
 * fast-check arbitraries for specs: random valid contract terms (raw JSON as a client would
 * send them). Used by specs only.
 */
import * as fc from 'fast-check';
import { parseContractTerms } from '../contract/contract-terms.parser';
import { formatMoney } from '../money/money';
import { RATE_DENOMINATOR, formatRate } from '../money/rate';

export const CURRENCIES = ['USD', 'JPY', 'KWD'] as const;

const percent = (maximumNumerator: bigint) =>
  fc.oneof(
    fc.bigInt({ min: 0n, max: maximumNumerator }),
    fc.constantFrom(0n, RATE_DENOMINATOR / 100n, RATE_DENOMINATOR / 4n, maximumNumerator),
  ).map((numerator) => formatRate({ numerator, denominator: RATE_DENOMINATOR }));

const windowArbitrary = fc.constantFrom('lifetime', 'calendar_year', 'calendar_month');

export const rawContractArbitrary = fc.record({
  currency: fc.constantFrom(...CURRENCIES),
  tierSteps: fc.array(fc.bigInt({ min: 1n, max: 50_000n }), { minLength: 0, maxLength: 3 }),
  tierRates: fc.array(percent(RATE_DENOMINATOR), { minLength: 4, maxLength: 4 }),
  window: windowArbitrary,
  scope: fc.constantFrom('app', 'developer'),
  rateMultiplier: fc.option(percent(RATE_DENOMINATOR), { nil: undefined }),
  cap: fc.option(fc.record({ amountMinor: fc.bigInt({ min: 1n, max: 100_000n }), window: windowArbitrary }), { nil: undefined }),
  carveOuts: fc.array(fc.record({ rate: percent(RATE_DENOMINATOR / 3n), of: fc.constantFrom('platform', 'basis') }), { maxLength: 3 }),
  holdDays: fc.integer({ min: 0, max: 60 }),
  minimumPayoutMinor: fc.bigInt({ min: 0n, max: 1000n }),
  disputeFeeBearer: fc.option(fc.constantFrom('developer', 'platform'), { nil: undefined }),
}).map((shape) => {
  const tiers: Record<string, unknown>[] = [];
  let upToMinor = 0n;
  shape.tierSteps.forEach((step, index) => {
    upToMinor += step;
    tiers.push({ upTo: formatMoney(upToMinor, shape.currency), rate: shape.tierRates[index] });
  });
  tiers.push({ rate: shape.tierRates[shape.tierSteps.length] });
  const raw: Record<string, unknown> = {
    currency: shape.currency,
    effectiveFrom: '2026-01-01T00:00:00Z',
    platformShare: { tiers, window: shape.window, scope: shape.scope },
    holdDays: shape.holdDays,
    minimumPayout: formatMoney(shape.minimumPayoutMinor, shape.currency),
  };
  if (shape.disputeFeeBearer !== undefined) raw.disputeFeeBearer = shape.disputeFeeBearer;
  if (shape.rateMultiplier !== undefined) raw.rateMultiplier = shape.rateMultiplier;
  if (shape.cap !== undefined) raw.platformCap = { amount: formatMoney(shape.cap.amountMinor, shape.currency), window: shape.cap.window };
  if (shape.carveOuts.length > 0) {
    raw.carveOuts = shape.carveOuts.map((carveOut, index) => ({ party: `party:p${index}`, rate: carveOut.rate, of: carveOut.of }));
  }
  return raw;
}).filter((raw) => {
  // Keep only contracts within the 100% limits; the parser is the judge.
  try {
    parseContractTerms(raw);
    return true;
  } catch {
    return false;
  }
});
