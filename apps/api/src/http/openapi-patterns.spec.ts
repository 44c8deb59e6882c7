import * as fc from 'fast-check';
import {
  DomainError, HOLD_DAYS_MAXIMUM, IDENTIFIER_LENGTH_MAXIMUM, MONEY_INPUT_LENGTH_MAXIMUM, MONEY_MAXIMUM_MINOR, PARTY_LENGTH_MAXIMUM,
  RATE_DENOMINATOR, formatMoney, formatRate, parseContractTerms, parseCurrency, parseIdentifier, parseInstant, parseMoney, parseQuantity,
  parseRate, parseFxRate, FX_RATE_TEXT_LENGTH_MAXIMUM,
} from '@rsi/domain';
import {
  AMOUNT_PATTERN, CURRENCY_PATTERN, DECIMAL_PATTERN, HOLD_DAYS_STRING_PATTERN, IDENTIFIER_PATTERN, INSTANT_PATTERN, PARTY_PATTERN,
  RATE_PATTERN, SIGNED_AMOUNT_PATTERN, FX_RATE_PATTERN,
} from './openapi-patterns';

/**
 * Each pattern of the OpenAPI document against the domain parser that enforces it, on random
 * strings near the syntax (so that both acceptance and refusal are exercised):
 * - what the parser accepts, the pattern accepts (the document never refuses a valid value);
 * - what the pattern accepts, the parser refuses only for a reason a pattern cannot state
 *   (decimals of the currency, a maximum, a date that does not exist), never for syntax.
 */

/** The domain refusal of `parse()`, or null when it accepts. */
function refusalOf(parse: () => unknown): DomainError | null {
  try {
    parse();
    return null;
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
}

/** Strings over `alphabet`, mixed with strings from `valid` and their one-character edits. */
function nearSyntax(alphabet: string, valid: fc.Arbitrary<string>, lengthMaximum = 24): fc.Arbitrary<string> {
  const characters = fc.constantFrom(...alphabet.split(''));
  return fc.oneof(
    fc.string({ unit: characters, maxLength: lengthMaximum }),
    valid,
    fc.tuple(valid, fc.nat(), characters).map(([text, position, character]) => {
      const index = text.length === 0 ? 0 : position % text.length;
      return `${text.slice(0, index)}${character}${text.slice(index + 1)}`;
    }),
    fc.tuple(valid, fc.nat(), characters).map(([text, position, character]) => {
      const index = text.length === 0 ? 0 : position % (text.length + 1);
      return `${text.slice(0, index)}${character}${text.slice(index)}`;
    }),
  );
}

const CURRENCIES = ['USD', 'JPY', 'KWD', 'CLF'] as const;
const RUNS = { numRuns: 2000 };

describe('openapi-patterns', () => {
  it('money: the pattern accepts every amount the parser accepts, and refuses none for its syntax', () => {
    const validAmount = fc.tuple(fc.bigInt({ min: 0n, max: MONEY_MAXIMUM_MINOR * 10n }), fc.constantFrom(...CURRENCIES))
      .map(([amountMinor, currency]) => formatMoney(amountMinor, currency));
    let accepted = 0;
    fc.assert(fc.property(nearSyntax('0123456789.-+e ', validAmount), fc.constantFrom(...CURRENCIES), (text, currency) => {
      const refusal = refusalOf(() => parseMoney(text, currency, { field: 'amount', allowZero: true }));
      const documented = AMOUNT_PATTERN.test(text) && text.length <= MONEY_INPUT_LENGTH_MAXIMUM;
      if (refusal === null) accepted += 1;
      if (refusal === null) expect(documented).toBe(true);
      if (documented && refusal !== null) expect(['amount_too_many_decimals', 'amount_above_maximum']).toContain(refusal.code);
    }), RUNS);
    expect(accepted).toBeGreaterThan(100);
  });

  it('signed money: every amount the API writes matches the response pattern', () => {
    fc.assert(fc.property(fc.bigInt({ min: -MONEY_MAXIMUM_MINOR, max: MONEY_MAXIMUM_MINOR }), fc.constantFrom(...CURRENCIES), (amountMinor, currency) => {
      expect(formatMoney(amountMinor, currency)).toMatch(SIGNED_AMOUNT_PATTERN);
    }), RUNS);
    expect(SIGNED_AMOUNT_PATTERN.test('-')).toBe(false);
    expect(SIGNED_AMOUNT_PATTERN.test('--1.00')).toBe(false);
  });

  it('rate: the pattern accepts every rate the parser accepts; the parser refuses a matching rate only above 100%', () => {
    const validRate = fc.bigInt({ min: 0n, max: RATE_DENOMINATOR * 2n }).map((numerator) => formatRate({ numerator, denominator: RATE_DENOMINATOR }));
    fc.assert(fc.property(nearSyntax('0123456789.%-', validRate, 14), (text) => {
      const refusal = refusalOf(() => parseRate(text, 'rate'));
      if (refusal === null) expect(RATE_PATTERN.test(text)).toBe(true);
      if (RATE_PATTERN.test(text) && refusal !== null) expect(refusal.code).toBe('rate_above_hundred_percent');
    }), RUNS);
  });

  it('instant: the pattern accepts every instant the parser accepts; the parser refuses a matching one only for its values', () => {
    const validInstant = fc.date({ min: new Date('1000-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59Z'), noInvalidDate: true })
      .chain((date) => fc.constantFrom(date.toISOString(), date.toISOString().replace('.000Z', 'Z'), date.toISOString().replace('Z', '+02:30')));
    let accepted = 0;
    fc.assert(fc.property(nearSyntax('0123456789-:.TZz+ ', validInstant, 32), (text) => {
      const refusal = refusalOf(() => parseInstant(text, 'at'));
      if (refusal === null) accepted += 1;
      if (refusal === null) expect(INSTANT_PATTERN.test(text)).toBe(true);
      // A syntax refusal says "is not an RFC 3339 instant"; value refusals say what is out of range.
      if (INSTANT_PATTERN.test(text) && refusal !== null) expect(refusal.message).not.toContain('is not an RFC 3339 instant');
    }), RUNS);
    expect(accepted).toBeGreaterThan(100);
  });

  it('identifier: pattern and maxLength accept exactly what the parser accepts', () => {
    const validIdentifier = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,20}$/);
    fc.assert(fc.property(nearSyntax('aZ09_.:@- /é', validIdentifier), (text) => {
      const documented = IDENTIFIER_PATTERN.test(text) && text.length <= IDENTIFIER_LENGTH_MAXIMUM;
      expect(refusalOf(() => parseIdentifier(text, 'id')) === null).toBe(documented);
    }), RUNS);
    expect(refusalOf(() => parseIdentifier('a'.repeat(IDENTIFIER_LENGTH_MAXIMUM + 1), 'id'))).not.toBeNull();
  });

  it('currency: the pattern accepts every code the parser accepts (which also checks ISO 4217)', () => {
    fc.assert(fc.property(nearSyntax('AUSDJPYKWXZa1 ', fc.constantFrom(...CURRENCIES), 5), (text) => {
      if (refusalOf(() => parseCurrency(text, 'currency')) === null) expect(CURRENCY_PATTERN.test(text)).toBe(true);
    }), RUNS);
  });

  it('quantity: the pattern accepts every quantity the parser accepts, and refuses none for its syntax', () => {
    fc.assert(fc.property(nearSyntax('0123456789.-e ', fc.stringMatching(/^(0|[1-9][0-9]{0,15})(\.[0-9]{1,9})?$/)), (text) => {
      const refusal = refusalOf(() => parseQuantity(text));
      if (refusal === null) expect(DECIMAL_PATTERN.test(text)).toBe(true);
      if (DECIMAL_PATTERN.test(text) && refusal !== null) expect(refusal.code).not.toBe('quantity_malformed');
    }), RUNS);
  });

  it('exchange rate: pattern and maxLength accept every rate the parser accepts; it refuses a match only for zero, decimals or significant digits', () => {
    fc.assert(fc.property(nearSyntax('0123456789.-eE+ ', fc.stringMatching(/^(0|[1-9][0-9]{0,15})(\.[0-9]{1,14})?$/), 40), (text) => {
      const refusal = refusalOf(() => parseFxRate(text, 'fxRate'));
      const documented = FX_RATE_PATTERN.test(text) && text.length <= FX_RATE_TEXT_LENGTH_MAXIMUM;
      if (refusal === null) expect(documented).toBe(true);
      if (documented && refusal !== null) expect(refusal.message).toMatch(/zero|decimals|significant digits/);
    }), RUNS);
  });

  describe('contract fields', () => {
    const contractWith = (change: Record<string, unknown>) => ({
      currency: 'USD', effectiveFrom: '2026-01-01T00:00:00Z',
      platformShare: { tiers: [{ rate: '15%' }], window: 'lifetime', scope: 'app' }, holdDays: 14, minimumPayout: '0.00', ...change,
    });

    it('party: pattern and maxLength accept what the parser accepts, less the reserved platform and developer parties', () => {
      const validParty = fc.stringMatching(/^[a-z][a-z0-9_-]{0,6}:[A-Za-z0-9][A-Za-z0-9_.:@-]{0,10}$/);
      fc.assert(fc.property(nearSyntax('az09_-:A.@ ', validParty), (party) => {
        const refusal = refusalOf(() => parseContractTerms(contractWith({ carveOuts: [{ party, rate: '1%', of: 'basis' }] })));
        const documented = PARTY_PATTERN.test(party) && party.length <= PARTY_LENGTH_MAXIMUM;
        const reserved = party === 'platform' || party.startsWith('developer:');
        expect(refusal === null).toBe(documented && !reserved);
      }), RUNS);
    });

    it('holdDays as a string: the pattern accepts what the parser accepts; the parser refuses a match only above the maximum', () => {
      fc.assert(fc.property(nearSyntax('0123456789-. ', fc.nat({ max: 9999 }).map(String), 6), (holdDays) => {
        const refusal = refusalOf(() => parseContractTerms(contractWith({ holdDays })));
        if (refusal === null) expect(HOLD_DAYS_STRING_PATTERN.test(holdDays)).toBe(true);
        if (HOLD_DAYS_STRING_PATTERN.test(holdDays)) expect(refusal === null).toBe(Number(holdDays) <= HOLD_DAYS_MAXIMUM);
      }), RUNS);
    });
  });
});
