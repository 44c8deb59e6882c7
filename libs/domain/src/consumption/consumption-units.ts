/**
 * Quantities, unit prices and meter names, with their limits.
 *
 * Units of the scaled bigints (named in every field, units last):
 * - `…Nanounits`: 10^-9 of one meter unit (a quantity has at most 9 decimals);
 * - `…Picounits`: 10^-12 of the currency's major unit (a price per meter unit has at most 12 decimals);
 * - `…Zeptounits`: 10^-21 of the currency's major unit: quantity × price, exact (9 + 12 decimals).
 */
import { MeterNameInvalid, QuantityInvalid, UnitPriceInvalid } from './consumption.errors';
import { formatExactDecimal, parseExactDecimal, roundHalfUp } from './exact-decimal';
import { currencyExponent } from '../money/money';
import { assertInvariant } from '../domain.errors';
import {
  METER_NAME_LENGTH_MAXIMUM, QUANTITY_DECIMALS_MAXIMUM, QUANTITY_MAXIMUM_UNITS, UNIT_PRICE_DECIMALS_MAXIMUM, UNIT_PRICE_MAXIMUM_MAJOR,
} from '../limits/ledger-limits';

export const QUANTITY_MAXIMUM_NANOUNITS = QUANTITY_MAXIMUM_UNITS * 10n ** BigInt(QUANTITY_DECIMALS_MAXIMUM);

export const UNIT_PRICE_MAXIMUM_PICOUNITS = UNIT_PRICE_MAXIMUM_MAJOR * 10n ** BigInt(UNIT_PRICE_DECIMALS_MAXIMUM);

/** Decimals of an exact amount: quantity decimals plus price decimals. */
export const EXACT_AMOUNT_DECIMALS = QUANTITY_DECIMALS_MAXIMUM + UNIT_PRICE_DECIMALS_MAXIMUM;

/** Dotted lower-case segments: `tokens.input`, `gpu.seconds`, `requests`. */
export const METER_NAME_PATTERN = /^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$/;

export function parseQuantity(input: unknown, field = 'quantity'): bigint {
  return parseExactDecimal(input, {
    field, what: 'a quantity', decimalsMaximum: QUANTITY_DECIMALS_MAXIMUM, maximumScaled: QUANTITY_MAXIMUM_NANOUNITS,
    refuse: (refusedField, problem, message) => new QuantityInvalid(refusedField, problem, message),
  });
}

export function formatQuantity(quantityNanounits: bigint): string {
  return formatExactDecimal(quantityNanounits, QUANTITY_DECIMALS_MAXIMUM);
}

export function parseUnitPrice(input: unknown, field: string): bigint {
  return parseExactDecimal(input, {
    field, what: 'a price per unit', decimalsMaximum: UNIT_PRICE_DECIMALS_MAXIMUM, maximumScaled: UNIT_PRICE_MAXIMUM_PICOUNITS,
    refuse: (refusedField, problem, message) => new UnitPriceInvalid(refusedField, problem, message),
  });
}

export function formatUnitPrice(pricePicounits: bigint): string {
  return formatExactDecimal(pricePicounits, UNIT_PRICE_DECIMALS_MAXIMUM);
}

export function parseMeterName(input: unknown, field = 'meter'): string {
  if (typeof input !== 'string' || input.length === 0) throw new MeterNameInvalid(field, 'a non-empty meter name string is required');
  if (input.length > METER_NAME_LENGTH_MAXIMUM) throw new MeterNameInvalid(field, `at most ${METER_NAME_LENGTH_MAXIMUM} characters`);
  if (!METER_NAME_PATTERN.test(input)) {
    throw new MeterNameInvalid(field, `${JSON.stringify(input)} is not a meter name: dotted lower-case segments such as "tokens.input" or "gpu.seconds"`);
  }
  return input;
}

/** quantity × price per unit, exact, in zeptounits (10^-21 of the major unit). */
export function exactAmountZeptounits(quantityNanounits: bigint, pricePicounits: bigint): bigint {
  assertInvariant(quantityNanounits >= 0n && pricePicounits >= 0n, 'quantities and prices are non-negative');
  return quantityNanounits * pricePicounits;
}

/** An exact amount rounded once, half-up, to the currency's minor unit. */
export function roundZeptounitsToMinor(amountZeptounits: bigint, currency: string): bigint {
  return roundHalfUp(amountZeptounits, EXACT_AMOUNT_DECIMALS, currencyExponent(currency));
}

/** An exact amount as a decimal string in major units, all decimals kept ("0.0000005"). */
export function formatZeptounits(amountZeptounits: bigint): string {
  return formatExactDecimal(amountZeptounits, EXACT_AMOUNT_DECIMALS);
}

/** Minor units (of `currency`) as zeptounits, to add them exactly to priced amounts. */
export function minorToZeptounits(amountMinor: bigint, currency: string): bigint {
  return amountMinor * 10n ** BigInt(EXACT_AMOUNT_DECIMALS - currencyExponent(currency));
}
