/**
 * The syntax of every string the API accepts or returns, for the OpenAPI document and the
 * DTOs' class-validator checks. Each input pattern IS the regular expression of the domain
 * parser that enforces it (exported by that module), so the document cannot drift from the
 * validation. A pattern states the syntax only: the parsers also check what a regular
 * expression cannot (the currency's decimals, a rate at most 100%, a date that exists), and
 * the descriptions say so. `openapi-patterns.spec.ts` checks each pattern against its parser.
 */
import type { ApiPropertyOptions } from '@nestjs/swagger';
import {
  AMOUNT_PATTERN, CURRENCY_PATTERN, DECIMAL_INPUT_LENGTH_MAXIMUM, DECIMAL_PATTERN, HOLD_DAYS_MAXIMUM, HOLD_DAYS_STRING_PATTERN,
  IDENTIFIER_LENGTH_MAXIMUM, IDENTIFIER_PATTERN, INSTANT_PATTERN, MONEY_INPUT_LENGTH_MAXIMUM, PARTY_LENGTH_MAXIMUM, PARTY_PATTERN,
  RATE_PATTERN, RATE_PERCENT_DECIMALS_MAXIMUM, FX_RATE_PATTERN, FX_RATE_TEXT_LENGTH_MAXIMUM, FX_RATE_DECIMALS_MAXIMUM,
  FX_RATE_SIGNIFICANT_DIGITS_MAXIMUM,
} from '@rsi/domain';

export {
  AMOUNT_PATTERN, CURRENCY_PATTERN, DECIMAL_PATTERN, HOLD_DAYS_STRING_PATTERN, IDENTIFIER_PATTERN, INSTANT_PATTERN, PARTY_PATTERN, RATE_PATTERN, FX_RATE_PATTERN,
};

function assertAnchored(pattern: RegExp): RegExp {
  if (!pattern.source.startsWith('^') || !pattern.source.endsWith('$') || pattern.flags !== '') {
    throw new Error(`openapi-patterns: ${pattern.source} must be anchored and without flags to mean the same in JSON Schema`);
  }
  return pattern;
}

for (const pattern of [AMOUNT_PATTERN, CURRENCY_PATTERN, DECIMAL_PATTERN, HOLD_DAYS_STRING_PATTERN, IDENTIFIER_PATTERN, INSTANT_PATTERN, PARTY_PATTERN, RATE_PATTERN, FX_RATE_PATTERN]) {
  assertAnchored(pattern);
}

/**
 * A decimal amount as the API writes it in responses: `formatMoney` output, which may be
 * negative (reversal lines, balances after refunds). Derived from the input pattern.
 */
export const SIGNED_AMOUNT_PATTERN = assertAnchored(new RegExp(`^-?${AMOUNT_PATTERN.source.slice(1)}`));

/** A contract's money field (tier bound, cap, minimum payout): an amount in the contract currency. */
export function moneySchema(description: string, example: string): ApiPropertyOptions {
  return {
    type: String,
    description: `${description} Decimal string in major units, never a JSON number; at most the currency's decimals (ISO 4217) and 10^15 minor units.`,
    example,
    pattern: AMOUNT_PATTERN.source,
    maxLength: MONEY_INPUT_LENGTH_MAXIMUM,
  };
}

/** An amount in a response body. */
export function signedMoneySchema(description: string, example: string): ApiPropertyOptions {
  return { type: String, description: `${description} Decimal string in major units with the currency's decimals.`, example, pattern: SIGNED_AMOUNT_PATTERN.source };
}

export function rateSchema(description: string, example: string): ApiPropertyOptions {
  return { type: String, description: `${description} Percent string with at most ${RATE_PERCENT_DECIMALS_MAXIMUM} decimals, 0% to 100%.`, example, pattern: RATE_PATTERN.source };
}

/** An RFC 3339 instant: upper-case T and Z, an offset allowed, at most millisecond precision; the date must exist. */
export function instantSchema(description: string, example: string): ApiPropertyOptions {
  return {
    type: String,
    description: `${description} RFC 3339 instant (upper-case T and Z or an offset, at most millisecond precision, years 1000..9999).`,
    example,
    format: 'date-time',
    pattern: INSTANT_PATTERN.source,
  };
}

export function identifierSchema(description: string, example: string): ApiPropertyOptions {
  return { type: String, description, example, pattern: IDENTIFIER_PATTERN.source, minLength: 1, maxLength: IDENTIFIER_LENGTH_MAXIMUM };
}

export function currencySchema(): ApiPropertyOptions {
  return { type: String, description: 'ISO 4217 currency code with a defined minor unit.', example: 'USD', pattern: CURRENCY_PATTERN.source };
}

export function partySchema(): ApiPropertyOptions {
  return {
    type: String,
    description: 'The party paid by the carve-out, "kind:name"; neither "platform" nor a "developer:" party; each party once.',
    example: 'provider:acme-models',
    pattern: PARTY_PATTERN.source,
    maxLength: PARTY_LENGTH_MAXIMUM,
  };
}

/** holdDays: the parser accepts an integer or, as the canonical document writes it, a decimal string. */
export function holdDaysSchema(): ApiPropertyOptions {
  return {
    description: `Days a credit stays pending before it becomes available, 0..${HOLD_DAYS_MAXIMUM}: an integer, or the same as a decimal string.`,
    example: 14,
    oneOf: [
      { type: 'integer', minimum: 0, maximum: HOLD_DAYS_MAXIMUM },
      { type: 'string', pattern: HOLD_DAYS_STRING_PATTERN.source },
    ],
  };
}

/** A payout's exchange rate: units of the payout currency per unit of the balance currency. */
export function fxRateSchema(description: string, example: string): ApiPropertyOptions {
  return {
    type: String, nullable: true,
    description: `${description} Positive decimal string, never a JSON number; at most ${FX_RATE_DECIMALS_MAXIMUM} decimals and ${FX_RATE_SIGNIFICANT_DIGITS_MAXIMUM} significant digits; no sign or exponent.`,
    example, pattern: FX_RATE_PATTERN.source, maxLength: FX_RATE_TEXT_LENGTH_MAXIMUM,
  };
}

/** An exact non-negative decimal (quantities, unit prices). */
export function exactDecimalSchema(description: string, example: string): ApiPropertyOptions {
  return { type: String, description: `${description} Never a JSON number.`, example, pattern: DECIMAL_PATTERN.source, maxLength: DECIMAL_INPUT_LENGTH_MAXIMUM };
}

/** Names of the schemas whose class refuses unknown properties (see `RefusesUnknownProperties`). */
const closedSchemaNames = new Set<string>();

/**
 * Marks a DTO whose validation refuses unknown properties (every body, by the strict
 * validation pipe; the contract terms, by the domain parser), so that its schema says
 * `additionalProperties: false` (applied by `buildOpenApiDocument`).
 */
export function RefusesUnknownProperties(): ClassDecorator {
  return (target) => {
    closedSchemaNames.add(target.name);
  };
}

export function schemaNamesRefusingUnknownProperties(): readonly string[] {
  return [...closedSchemaNames].sort();
}
