/**
 * A payout in another currency (docs/domain.md "Payouts in another currency"): the developer's
 * balance is debited in its own currency; the amount paid is that debit converted at the
 * exchange rate the operator gives, in minor units of the payout currency. Exact: the rate is
 * a decimal string read into a rational (digits / 10^decimals), the conversion one bigint
 * multiplication and one division, rounded once by one rule. No floating point anywhere.
 *
 * The rule (version 1, recorded on the event as `fxRuleVersion`): round half to even, to the
 * payout currency's minor unit. Half to even because neither party gains by it: a result
 * below half a minor unit goes down, above it up, exactly half to the even neighbour, so that
 * over many payouts the rounding sums to nothing in expectation. A later rule gets a new
 * version; recorded payouts keep theirs, and `verify` recomputes each under its own.
 */
import { FxRateMalformed, assertInvariant } from '../domain.errors';
import {
  FX_RATE_DECIMALS_MAXIMUM, FX_RATE_SIGNIFICANT_DIGITS_MAXIMUM, FX_RATE_TEXT_LENGTH_MAXIMUM,
} from '../limits/ledger-limits';
import { currencyExponent } from './money';

/** The rounding rule of a conversion; every recorded conversion names the one it was computed under. */
export const FX_CONVERSION_RULE_VERSION = 1;

/** Exported for the API's schema; the parser also checks decimals, significant digits and zero. */
export const FX_RATE_PATTERN = /^(0|[1-9][0-9]*)(\.([0-9]+))?$/;

/** An exact exchange rate, units of the payout currency per unit of the balance currency: numerator / 10^decimals. */
export type FxRate = {
  /** Canonical text: the input without trailing zeros after the point ("151.2370" → "151.237", "2.0" → "2"). */
  readonly text: string;
  readonly numerator: bigint;
  readonly denominator: bigint;
};

const EXAMPLE = '"151.237"';

/**
 * Parses a positive decimal string ("151.237", "0.0065") into an exact rate. Refuses JSON
 * numbers, signs, exponents, spaces, leading zeros, zero, more than
 * FX_RATE_DECIMALS_MAXIMUM decimals and more than FX_RATE_SIGNIFICANT_DIGITS_MAXIMUM
 * significant digits (digits from the first non-zero one on, trailing zeros after the point
 * not counted).
 */
export function parseFxRate(input: unknown, field: string): FxRate {
  if (typeof input !== 'string') {
    throw new FxRateMalformed(field, `an exchange rate must be a decimal string such as ${EXAMPLE}, not ${input === null ? 'null' : typeof input === 'number' ? 'a JSON number' : typeof input}`);
  }
  if (input.length === 0 || input.length > FX_RATE_TEXT_LENGTH_MAXIMUM) {
    throw new FxRateMalformed(field, `an exchange rate is 1 to ${FX_RATE_TEXT_LENGTH_MAXIMUM} characters`);
  }
  if (input.startsWith('-')) throw new FxRateMalformed(field, 'an exchange rate must be positive');
  const match = FX_RATE_PATTERN.exec(input);
  if (match === null) {
    throw new FxRateMalformed(field, `${JSON.stringify(input)} is not a plain decimal such as ${EXAMPLE} (digits and an optional decimal point; no sign, exponent, spaces or leading zeros)`);
  }
  const integerDigits = match[1]!;
  const fractionGiven = match[3] ?? '';
  if (fractionGiven.length > FX_RATE_DECIMALS_MAXIMUM) throw new FxRateMalformed(field, `at most ${FX_RATE_DECIMALS_MAXIMUM} decimals`);
  const fraction = fractionGiven.replace(/0+$/, '');
  const significant = (integerDigits + fraction).replace(/^0+/, '');
  if (significant.length === 0) throw new FxRateMalformed(field, 'an exchange rate must be positive, not zero');
  if (significant.length > FX_RATE_SIGNIFICANT_DIGITS_MAXIMUM) {
    throw new FxRateMalformed(field, `at most ${FX_RATE_SIGNIFICANT_DIGITS_MAXIMUM} significant digits`);
  }
  return {
    text: fraction.length === 0 ? integerDigits : `${integerDigits}.${fraction}`,
    numerator: BigInt(integerDigits + fraction),
    denominator: 10n ** BigInt(fraction.length),
  };
}

/** numerator / denominator rounded half to even; both non-negative, denominator positive. */
export function divideRoundHalfEven(numerator: bigint, denominator: bigint): bigint {
  assertInvariant(numerator >= 0n && denominator > 0n, 'divideRoundHalfEven takes a non-negative numerator and a positive denominator');
  const quotient = numerator / denominator;
  const twiceRemainder = (numerator % denominator) * 2n;
  if (twiceRemainder > denominator) return quotient + 1n;
  if (twiceRemainder === denominator && quotient % 2n === 1n) return quotient + 1n;
  return quotient;
}

/**
 * `amountMinor` of `currency` in minor units of `payoutCurrency` at `rate`, under rule version 1:
 * amountMinor / 10^e(currency) × rate × 10^e(payoutCurrency), rounded half to even.
 */
export function convertAmountMinor(amountMinor: bigint, currency: string, payoutCurrency: string, rate: FxRate): bigint {
  assertInvariant(amountMinor >= 0n, 'a converted amount is not negative');
  const fromScale = 10n ** BigInt(currencyExponent(currency));
  const toScale = 10n ** BigInt(currencyExponent(payoutCurrency));
  return divideRoundHalfEven(amountMinor * rate.numerator * toScale, rate.denominator * fromScale);
}

/**
 * Why a recorded conversion does not follow from its own figures, or null when it does: the
 * rate read again, the amount converted again under the rule version it names. `verify` and
 * the offline statement verifier both ask this.
 */
export function conversionFailure(
  debit: { currency: string; amountMinor: bigint },
  conversion: { payoutCurrency: string; payoutAmountMinor: bigint; fxRate: string; fxRuleVersion: number },
): string | null {
  if (conversion.fxRuleVersion !== FX_CONVERSION_RULE_VERSION) return `fxRuleVersion ${conversion.fxRuleVersion} is not a rule this ledger knows`;
  let rate: FxRate;
  try {
    rate = parseFxRate(conversion.fxRate, 'fxRate');
  } catch (error) {
    return (error as Error).message;
  }
  if (rate.text !== conversion.fxRate) return `fxRate ${JSON.stringify(conversion.fxRate)} is not in canonical form (${rate.text})`;
  if (conversion.payoutCurrency === debit.currency) return 'payoutCurrency is the balance currency';
  const expectedMinor = convertAmountMinor(debit.amountMinor, debit.currency, conversion.payoutCurrency, rate);
  if (expectedMinor !== conversion.payoutAmountMinor) {
    return `payoutAmountMinor ${conversion.payoutAmountMinor} ${conversion.payoutCurrency} does not follow from amountMinor ${debit.amountMinor} ${debit.currency} at ${conversion.fxRate} (rule ${conversion.fxRuleVersion} gives ${expectedMinor})`;
  }
  return null;
}
