/**
 * Money is a bigint of minor units inside the domain; at the edges it is a decimal string
 * in major units ("19.99"). The exponent of each currency comes from ISO 4217 data (the
 * `currency-codes` package), never from a hand-written table.
 */
import * as cc from 'currency-codes';
import {
  AmountAboveMaximum, AmountMalformed, AmountNegative, AmountNotAString, AmountTooManyDecimals,
  AmountZero, CurrencyNotMoney, UnknownCurrency, assertInvariant,
} from '../domain.errors';
import { DECIMAL_TEXT_LENGTH_MAXIMUM, MONEY_MAXIMUM_MINOR } from '../limits/ledger-limits';

export { MONEY_MAXIMUM_MINOR } from '../limits/ledger-limits';

/** No decimal amount longer than this is even looked at (the one limit of decimal texts, ledger-limits). */
export const MONEY_INPUT_LENGTH_MAXIMUM = DECIMAL_TEXT_LENGTH_MAXIMUM;

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

/**
 * ISO 4217 codes that are not money a platform can receive or pay out. ISO 4217 marks two
 * kinds of them in a way the `currency-codes` package keeps: the codes of the reserved
 * entities "ZZnn_…" (bond-market units XBA–XBD, the testing code XTS, "no currency" XXX,
 * the precious metals XAU, XAG, XPD, XPT), which the package lists with a country named
 * `Zz…`; those are derived from the package data below. Two other kinds it drops while
 * ingesting the ISO list, so they are listed here, and a spec checks both lists against the
 * ISO XML that the package ships:
 * - units of account whose minor unit is "N.A." in ISO 4217 (the package turns that into
 *   0 decimals, indistinguishable from JPY): the IMF's SDR (XDR), the SUCRE (XSU) and the
 *   ADB unit of account (XUA);
 * - fund codes (ISO's `IsFund="true"`): indexed units and settlement variants such as
 *   Bolivia's Mvdol (BOV), Chile's Unidad de Fomento (CLF), Colombia's UVR (COU), Mexico's
 *   UDI (MXV), Uruguay's UI (UYI), the WIR Euro and Franc (CHE, CHW) and the US Dollar
 *   next day (USN); and Uruguay's Unidad Previsional (UYW), an index unit like UYI that
 *   ISO does not flag as a fund.
 * Real currencies shared by several countries (XAF, XOF, XCD, XPF) are money and accepted.
 */
export const NON_MONEY_UNITS_OF_ACCOUNT: readonly string[] = ['XDR', 'XSU', 'XUA'];
export const FUND_CURRENCY_CODES: readonly string[] = ['BOV', 'CHE', 'CHW', 'CLF', 'COU', 'MXV', 'USN', 'UYI', 'UYW'];

/** The package names the reserved ISO 4217 entities "ZZ01_Bond Markets Unit…" etc. `Zz…`. */
const RESERVED_ENTITY_PATTERN = /^zz[0-9]{2}_/i;

function isReservedEntityCode(currency: string): boolean {
  const entry = cc.code(currency);
  return entry !== undefined && entry.countries.length > 0 && entry.countries.every((country) => RESERVED_ENTITY_PATTERN.test(country));
}

const NON_MONEY_CODES: ReadonlySet<string> = new Set([
  ...cc.codes().filter(isReservedEntityCode),
  ...NON_MONEY_UNITS_OF_ACCOUNT,
  ...FUND_CURRENCY_CODES,
]);

/** True for an active ISO 4217 code of real money (see `NON_MONEY_UNITS_OF_ACCOUNT`). */
export function isMoneyCurrency(currency: string): boolean {
  if (NON_MONEY_CODES.has(currency)) return false;
  try {
    currencyExponent(currency);
    return true;
  } catch {
    return false;
  }
}

/** Validates an ISO 4217 code with decimals, money or not: for terms read back from recorded events. */
export function parseIsoCurrencyCode(input: unknown, field: string): string {
  if (typeof input !== 'string') throw new UnknownCurrency(field, input);
  currencyExponent(input, field);
  return input;
}

/**
 * Validates a currency code taken from a command and returns it: an active ISO 4217 code
 * of real money. Recorded events are decoded with `currencyExponent` alone, so that a
 * currency accepted before this rule still decodes.
 */
export function parseCurrency(input: unknown, field: string): string {
  if (typeof input !== 'string') throw new UnknownCurrency(field, input);
  currencyExponent(input, field);
  if (NON_MONEY_CODES.has(input)) throw new CurrencyNotMoney(field, input);
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
  if (input.length === 0 || input.length > DECIMAL_TEXT_LENGTH_MAXIMUM) throw new AmountMalformed(field, input);
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
