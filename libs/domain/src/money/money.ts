/**
 * Money is a bigint of minor units inside the domain; at the edges it is a decimal string
 * in major units ("19.99"). The exponent of each currency comes from ISO 4217 data (the
 * `currency-codes` package), never from a hand-written table.
 */
import * as cc from 'currency-codes';
import {
  AmountAboveMaximum, AmountMalformed, AmountNegative, AmountNotAString, AmountTooManyDecimals,
  AmountZero, UnknownCurrency, assertInvariant,
} from '../domain.errors';

/** The largest amount accepted at the edge, in minor units of any currency (10^15). */
export const MONEY_MAXIMUM_MINOR = 10n ** 15n;

/** No decimal amount longer than this is even looked at (the maximum has 16 digits plus a point). */
export const MONEY_INPUT_LENGTH_MAXIMUM = 40;

/** Exported so that the API's schema states the same syntax (the parser also checks ISO 4217 membership). */
export const CURRENCY_PATTERN = /^[A-Z]{3}$/;
/** Exported for the API's schema; the parser also checks the currency's decimals, zero and the maximum. */
export const AMOUNT_PATTERN = /^(0|[1-9][0-9]*)(\.([0-9]+))?$/;

/** Exponents are looked up once per currency: the split path calls this a million times. */
const exponentByCurrency = new Map<string, number>();

/**
 * The number of decimal places of an ISO 4217 currency ("USD" → 2, "JPY" → 0, "KWD" → 3).
 * Only upper-case three-letter codes with a defined minor unit are accepted.
 */
export function currencyExponent(currency: string, field = 'currency'): number {
  const known = exponentByCurrency.get(currency);
  if (known !== undefined) return known;
  if (typeof currency !== 'string' || !CURRENCY_PATTERN.test(currency)) throw new UnknownCurrency(field, currency);
  const entry = cc.code(currency);
  if (entry === undefined || entry.code !== currency) throw new UnknownCurrency(field, currency);
  const digits: unknown = entry.digits;
  if (typeof digits !== 'number' || !Number.isInteger(digits) || digits < 0 || digits > 4) {
    throw new UnknownCurrency(field, currency);
  }
  exponentByCurrency.set(currency, digits);
  return digits;
}

/** Validates a currency code taken from untrusted input and returns it. */
export function parseCurrency(input: unknown, field: string): string {
  if (typeof input !== 'string') throw new UnknownCurrency(field, input);
  currencyExponent(input, field);
  return input;
}

export type ParseMoneyOptions = {
  field: string;
  /** Zero is refused unless this is true (e.g. a minimum payout of "0.00"). */
  allowZero?: boolean;
};

/**
 * Parses a decimal string in major units into minor units. Refuses JSON numbers, signs,
 * exponents, whitespace, leading zeros, more decimals than the currency has, zero unless
 * allowed, and anything above `MONEY_MAXIMUM_MINOR`.
 */
export function parseMoney(input: unknown, currency: string, options: ParseMoneyOptions): bigint {
  const field = options.field;
  const exponent = currencyExponent(currency);
  if (typeof input !== 'string') throw new AmountNotAString(field);
  if (input.length === 0 || input.length > MONEY_INPUT_LENGTH_MAXIMUM) throw new AmountMalformed(field, input);
  if (input.charCodeAt(0) === 45 /* '-' */ && AMOUNT_PATTERN.test(input.slice(1))) throw new AmountNegative(field);
  const match = AMOUNT_PATTERN.exec(input);
  if (match === null) throw new AmountMalformed(field, input);
  const integerDigits = match[1]!;
  const fractionDigits = match[3] ?? '';
  if (fractionDigits.length > exponent) {
    // Trailing zeros beyond the exponent still change nothing, but they show that the
    // sender thinks in another precision, so they are refused too.
    throw new AmountTooManyDecimals(field, currency, exponent);
  }
  const amountMinor = BigInt(integerDigits + fractionDigits.padEnd(exponent, '0'));
  if (amountMinor === 0n && options.allowZero !== true) throw new AmountZero(field);
  if (amountMinor > MONEY_MAXIMUM_MINOR) throw new AmountAboveMaximum(field, formatMoney(MONEY_MAXIMUM_MINOR, currency));
  return amountMinor;
}

/** Formats minor units as a decimal string with exactly the currency's decimals ("-0.05"). */
export function formatMoney(amountMinor: bigint, currency: string): string {
  assertInvariant(typeof amountMinor === 'bigint', 'formatMoney takes a bigint');
  const exponent = currencyExponent(currency);
  const negative = amountMinor < 0n;
  const digits = (negative ? -amountMinor : amountMinor).toString();
  if (exponent === 0) return negative ? `-${digits}` : digits;
  const padded = digits.padStart(exponent + 1, '0');
  const integerPart = padded.slice(0, padded.length - exponent);
  const fractionPart = padded.slice(padded.length - exponent);
  return `${negative ? '-' : ''}${integerPart}.${fractionPart}`;
}

const MINOR_UNITS_PATTERN = /^(0|-?[1-9][0-9]{0,39})$/;

/** Parses a string of minor units ("1999", "-5") as stored in events. Returns null if malformed. */
export function parseMinorUnits(input: unknown): bigint | null {
  if (typeof input !== 'string' || !MINOR_UNITS_PATTERN.test(input)) return null;
  return BigInt(input);
}
