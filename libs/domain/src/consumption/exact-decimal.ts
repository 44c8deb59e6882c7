/**
 * Exact non-negative decimals held as scaled bigints: the value `scaled / 10^decimals`.
 * Quantities and unit prices go through here; nothing is ever a JS number, because a
 * token priced 0.0000005 times a billion tokens must come out exact.
 */
import { assertInvariant, type DomainError } from '../domain.errors';
import type { ExactDecimalProblem } from './consumption.errors';

import { DECIMAL_TEXT_LENGTH_MAXIMUM } from '../limits/ledger-limits';

/** Exported for the API's schema; the parser also checks the decimals and the maximum. */
export const DECIMAL_PATTERN = /^(0|[1-9][0-9]*)(?:\.([0-9]+))?$/;
/** No input longer than this is looked at (the one limit of decimal texts, ledger-limits). */
export const DECIMAL_INPUT_LENGTH_MAXIMUM = DECIMAL_TEXT_LENGTH_MAXIMUM;

export type ExactDecimalLimits = {
  field: string;
  decimalsMaximum: number;
  /** The largest accepted value, scaled by `10^decimalsMaximum`. */
  maximumScaled: bigint;
  /** Builds the typed refusal of this kind of decimal (quantity, unit price). */
  refuse(field: string, problem: ExactDecimalProblem, message: string): DomainError;
  /** What the value is, for messages ("a quantity", "a price"). */
  what: string;
};

/**
 * Parses `"0.0000005"` into `5n * 10^(decimalsMaximum - 7)`. Refuses JSON numbers (they
 * may already have lost precision), signs, exponents, whitespace, leading zeros, more
 * decimals than allowed and values above the maximum.
 */
export function parseExactDecimal(input: unknown, limits: ExactDecimalLimits): bigint {
  const { field, decimalsMaximum } = limits;
  if (typeof input !== 'string') {
    throw limits.refuse(field, 'not_a_string', `${limits.what} must be a decimal string such as "1.5", not ${typeof input === 'number' ? 'a JSON number' : typeof input}`);
  }
  if (input.length === 0 || input.length > DECIMAL_INPUT_LENGTH_MAXIMUM) {
    throw limits.refuse(field, 'malformed', `${limits.what} must be 1..${DECIMAL_INPUT_LENGTH_MAXIMUM} characters`);
  }
  if (input.startsWith('-') && DECIMAL_PATTERN.test(input.slice(1))) throw limits.refuse(field, 'negative', `${limits.what} must not be negative`);
  const match = DECIMAL_PATTERN.exec(input);
  if (match === null) throw limits.refuse(field, 'malformed', `${JSON.stringify(input)} is not a plain decimal such as "1.5"`);
  const fractionDigits = match[2] ?? '';
  if (fractionDigits.length > decimalsMaximum) {
    throw limits.refuse(field, 'too_many_decimals', `${limits.what} has at most ${decimalsMaximum} decimal places`);
  }
  const scaled = BigInt(match[1]! + fractionDigits.padEnd(decimalsMaximum, '0'));
  if (scaled > limits.maximumScaled) {
    throw limits.refuse(field, 'above_maximum', `${limits.what} is above the maximum ${formatExactDecimal(limits.maximumScaled, decimalsMaximum)}`);
  }
  return scaled;
}

/**
 * The shortest decimal string of `scaled / 10^decimals` ("1.5", "0.0000005", "12"): the
 * canonical form used in events and exports, so equal values always print alike.
 */
export function formatExactDecimal(scaled: bigint, decimals: number): string {
  assertInvariant(typeof scaled === 'bigint', 'formatExactDecimal takes a bigint');
  assertInvariant(Number.isInteger(decimals) && decimals >= 0 && decimals <= 40, 'decimals must be 0..40');
  const negative = scaled < 0n;
  const digits = (negative ? -scaled : scaled).toString().padStart(decimals + 1, '0');
  const integerPart = digits.slice(0, digits.length - decimals);
  const fractionPart = digits.slice(digits.length - decimals).replace(/0+$/, '');
  return `${negative ? '-' : ''}${integerPart}${fractionPart.length > 0 ? `.${fractionPart}` : ''}`;
}

/**
 * Rounds `scaled / 10^fromDecimals` to `toDecimals` places, half away from zero (half-up
 * on magnitudes: 0.5 → 1, −0.5 → −1), so that a figure and its negation round alike.
 */
export function roundHalfUp(scaled: bigint, fromDecimals: number, toDecimals: number): bigint {
  assertInvariant(Number.isInteger(fromDecimals) && Number.isInteger(toDecimals) && toDecimals >= 0 && toDecimals <= fromDecimals, 'roundHalfUp only drops decimals');
  const divisor = 10n ** BigInt(fromDecimals - toDecimals);
  if (divisor === 1n) return scaled;
  const negative = scaled < 0n;
  const magnitude = negative ? -scaled : scaled;
  const quotient = magnitude / divisor;
  const remainder = magnitude % divisor;
  const rounded = remainder * 2n >= divisor ? quotient + 1n : quotient;
  return negative ? -rounded : rounded;
}

/** Parses an exact decimal string as PostgreSQL prints a numeric ("-12.340000") into `scaled` with `decimals` places. */
export function parseSignedScaledDecimal(input: string, decimals: number): bigint {
  const match = /^(-?)([0-9]+)(?:\.([0-9]+))?$/.exec(input);
  assertInvariant(match !== null, `not a decimal: ${input.slice(0, 64)}`);
  const fraction = match[3] ?? '';
  assertInvariant(fraction.replace(/0+$/, '').length <= decimals, `more than ${decimals} decimals: ${input.slice(0, 64)}`);
  const scaled = BigInt(match[2]! + fraction.slice(0, decimals).padEnd(decimals, '0'));
  return match[1] === '-' ? -scaled : scaled;
}
