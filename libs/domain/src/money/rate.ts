/**
 * Rates are exact decimal percent strings ("15%", "2.5%", "0.125%"). Inside they are
 * rationals with one fixed denominator, `RATE_DENOMINATOR` (100% = 10^8, so six decimal
 * places of a percent), because a fixed denominator keeps the split's arithmetic to a few
 * bigint multiplications and one division.
 */
import { RateAboveHundredPercent, RateMalformed, assertInvariant } from '../domain.errors';
import { RATE_PERCENT_DECIMALS_MAXIMUM } from '../limits/ledger-limits';

/** 100% as a numerator over `RATE_DENOMINATOR`. */
export const RATE_DENOMINATOR = 10n ** BigInt(2 + RATE_PERCENT_DECIMALS_MAXIMUM);

/** An exact rate: numerator / denominator, with 0 ≤ numerator ≤ denominator. */
export type Rate = { readonly numerator: bigint; readonly denominator: bigint };

export const RATE_ZERO: Rate = Object.freeze({ numerator: 0n, denominator: RATE_DENOMINATOR });
export const RATE_HUNDRED_PERCENT: Rate = Object.freeze({ numerator: RATE_DENOMINATOR, denominator: RATE_DENOMINATOR });

/** Exported for the API's schema; the parser also refuses rates above 100%. */
export const RATE_PATTERN = /^(0|[1-9][0-9]{0,2})(\.([0-9]{1,6}))?%$/;

/** Parses "2.5%" into 2.5/100 exactly. Refuses malformed, negative and above 100%. */
export function parseRate(input: unknown, field: string): Rate {
  if (typeof input !== 'string') throw new RateMalformed(field, 'a rate must be a percent string such as "15%"');
  if (input.length > 16) throw new RateMalformed(field, 'the rate is too long');
  if (input.startsWith('-')) throw new RateMalformed(field, 'a rate must not be negative');
  const match = RATE_PATTERN.exec(input);
  if (match === null) {
    throw new RateMalformed(field, `${JSON.stringify(input)} is not a percent such as "15%" with at most ${RATE_PERCENT_DECIMALS_MAXIMUM} decimals`);
  }
  const fraction = (match[3] ?? '').padEnd(RATE_PERCENT_DECIMALS_MAXIMUM, '0');
  const numerator = BigInt(match[1]! + fraction);
  if (numerator > RATE_DENOMINATOR) throw new RateAboveHundredPercent(field);
  return { numerator, denominator: RATE_DENOMINATOR };
}

/** The canonical percent string of a rate: no trailing zeros, no trailing point ("2.5%"). */
export function formatRate(rate: Rate): string {
  assertInvariant(rate.denominator === RATE_DENOMINATOR, 'rates share one denominator');
  const digits = rate.numerator.toString().padStart(RATE_PERCENT_DECIMALS_MAXIMUM + 1, '0');
  const integerPart = digits.slice(0, digits.length - RATE_PERCENT_DECIMALS_MAXIMUM);
  const fractionPart = digits.slice(digits.length - RATE_PERCENT_DECIMALS_MAXIMUM).replace(/0+$/, '');
  return fractionPart.length === 0 ? `${integerPart}%` : `${integerPart}.${fractionPart}%`;
}
