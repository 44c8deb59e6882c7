import * as fc from 'fast-check';
import { DeveloperCommand } from '../ledger.commands';
import { FX_RATE_DECIMALS_MAXIMUM, FX_RATE_SIGNIFICANT_DIGITS_MAXIMUM, MONEY_MAXIMUM_MINOR } from '../limits/ledger-limits';
import { DEVELOPER_ID, contractTerms, decideAsLedger, recordRevenue, registerApp, registerDeveloper, run } from '../testing/developer-decider.support';
import { DomainError } from '../domain.errors';
import { conversionFailure, convertAmountMinor, parseFxRate } from './fx-conversion';
import { currencyExponent, formatMoney } from './money';

/** Currencies of every exponent a payout may cross: 0 (JPY, CLP), 2 (USD, EUR), 3 (KWD, BHD, TND). */
const CURRENCIES = ['JPY', 'CLP', 'USD', 'EUR', 'KWD', 'BHD', 'TND'] as const;

/**
 * The reference: the exact product written out as a decimal (the divisor is a power of ten, so
 * it terminates), rounded half to even by looking at its digits. Independent of the bigint
 * division the domain does.
 */
function referenceConversion(amountMinor: bigint, fromExponent: number, rateText: string, toExponent: number): bigint {
  const [integerDigits, fractionDigits = ''] = rateText.split('.');
  const product = (amountMinor * BigInt(integerDigits! + fractionDigits) * 10n ** BigInt(toExponent)).toString();
  const shift = fractionDigits.length + fromExponent;
  const padded = product.padStart(shift + 1, '0');
  const whole = BigInt(padded.slice(0, padded.length - shift));
  const dropped = padded.slice(padded.length - shift);
  if (dropped.length === 0) return whole;
  const first = dropped.charCodeAt(0) - 48;
  const restNonZero = /[1-9]/.test(dropped.slice(1));
  if (first > 5 || (first === 5 && restNonZero)) return whole + 1n;
  if (first === 5 && !restNonZero) return whole % 2n === 1n ? whole + 1n : whole;
  return whole;
}

/** A rate within the limits: 1 to 15 significant digits, 0 to 12 decimals, sometimes with trailing zeros. */
const rateTextArbitrary = fc.tuple(
  fc.bigInt({ min: 1n, max: 10n ** BigInt(FX_RATE_SIGNIFICANT_DIGITS_MAXIMUM) - 1n }),
  fc.integer({ min: 0, max: FX_RATE_DECIMALS_MAXIMUM }),
).map(([digits, decimals]) => {
  const text = digits.toString().padStart(decimals + 1, '0');
  return decimals === 0 ? text : `${text.slice(0, text.length - decimals)}.${text.slice(text.length - decimals)}`;
}).filter((text) => {
  try {
    parseFxRate(text, 'fxRate');
    return true;
  } catch {
    return false;
  }
});

describe('payout conversion properties', () => {
  it('converts exactly and rounds half to even, for any amount, rate and pair of exponents', () => {
    fc.assert(fc.property(
      fc.bigInt({ min: 0n, max: MONEY_MAXIMUM_MINOR }), rateTextArbitrary, fc.constantFrom(...CURRENCIES), fc.constantFrom(...CURRENCIES),
      (amountMinor, rateText, from, to) => {
        const rate = parseFxRate(rateText, 'fxRate');
        const converted = convertAmountMinor(amountMinor, from, to, rate);
        expect(converted).toBe(referenceConversion(amountMinor, currencyExponent(from), rate.text, currencyExponent(to)));
        // Within half a minor unit of the exact value: |converted·D − N| ≤ D/2.
        const numerator = amountMinor * rate.numerator * 10n ** BigInt(currencyExponent(to));
        const denominator = rate.denominator * 10n ** BigInt(currencyExponent(from));
        const error = converted * denominator - numerator;
        expect(2n * (error < 0n ? -error : error) <= denominator).toBe(true);
        // The canonical text is the same rate.
        expect(parseFxRate(rate.text, 'fxRate')).toEqual(rate);
      },
    ), { numRuns: 2000 });
  });

  it('the decider records the reference amount, debits the balance currency, and verify\'s recomputation agrees', () => {
    fc.assert(fc.property(
      fc.constantFrom(...CURRENCIES), fc.constantFrom(...CURRENCIES), fc.bigInt({ min: 1n, max: 10n ** 12n }), rateTextArbitrary,
      (from, to, creditMinor, rateText) => {
        fc.pre(from !== to);
        const { state } = run([
          registerDeveloper(), registerApp('app-1', contractTerms({ currency: from, minimumPayout: '0', platformShare: { tiers: [{ rate: '0%' }], window: 'lifetime', scope: 'app' } })),
          recordRevenue('r-1', 'app-1', formatMoney(creditMinor, from), '2026-01-10T00:00:00Z', from),
        ]);
        const command: DeveloperCommand = {
          type: 'RequestPayout',
          data: { payoutId: 'p-1', developerId: DEVELOPER_ID, currency: from, amount: formatMoney(creditMinor, from), requestedAt: '2026-03-01T00:00:00Z', payoutCurrency: to, fxRate: rateText, fxSource: 'test' },
        };
        const expectedMinor = referenceConversion(creditMinor, currencyExponent(from), parseFxRate(rateText, 'fxRate').text, currencyExponent(to));
        let events;
        try {
          events = decideAsLedger(command, state, { bookedAt: '2026-12-31T00:00:00.000Z' });
        } catch (error) {
          // Refused exactly when the converted amount is 0 or above the maximum.
          expect(error).toBeInstanceOf(DomainError);
          expect((error as DomainError).code).toBe(expectedMinor === 0n ? 'payout_converted_amount_zero' : 'payout_converted_amount_above_maximum');
          expect(expectedMinor === 0n || expectedMinor > MONEY_MAXIMUM_MINOR).toBe(true);
          return;
        }
        expect(events).toHaveLength(1);
        const requested = events[0]!;
        if (requested.type !== 'PayoutRequested' || requested.data.conversion === undefined) throw new Error('a converted PayoutRequested was expected');
        expect(requested.data.amountMinor).toBe(creditMinor);
        expect(requested.data.currency).toBe(from);
        expect(requested.data.conversion.payoutAmountMinor).toBe(expectedMinor);
        expect(conversionFailure(requested.data, requested.data.conversion)).toBeNull();
        expect(conversionFailure(requested.data, { ...requested.data.conversion, payoutAmountMinor: expectedMinor + 1n })).not.toBeNull();
      },
    ), { numRuns: 300 });
  });
});
