import { DomainError } from '../domain.errors';
import { MONEY_MAXIMUM_MINOR, currencyExponent, formatMoney, parseMinorUnits, parseMoney } from './money';

function refusal(action: () => unknown): string {
  try {
    action();
  } catch (error) {
    if (error instanceof DomainError) return `${error.code}:${error.kind}:${error.field}`;
    throw error;
  }
  return 'accepted';
}

describe('currencyExponent', () => {
  it.each([['USD', 2], ['JPY', 0], ['KWD', 3], ['EUR', 2], ['NGN', 2]])('%s has %i decimals', (currency, exponent) => {
    expect(currencyExponent(currency)).toBe(exponent);
  });
  it.each(['usd', 'US', 'USDX', 'ABC', '', 'XYZ'])('refuses %j', (currency) => {
    expect(refusal(() => currencyExponent(currency))).toBe('unknown_currency:invalid:currency');
  });
});

describe('parseMoney', () => {
  it.each([
    ['19.99', 'USD', 1999n],
    ['0.5', 'USD', 50n],
    ['1000', 'USD', 100000n],
    ['0.01', 'USD', 1n],
    ['1500', 'JPY', 1500n],
    ['1.25', 'KWD', 1250n],
    ['0.001', 'KWD', 1n],
    ['10000000000000.00', 'USD', MONEY_MAXIMUM_MINOR],
  ])('%s %s → %s minor units', (input, currency, expected) => {
    expect(parseMoney(input, currency, { field: 'amount' })).toBe(expected);
  });

  it.each([
    [19.99, 'amount_not_a_string'],
    [null, 'amount_not_a_string'],
    ['', 'amount_malformed'],
    ['1e3', 'amount_malformed'],
    ['+1.00', 'amount_malformed'],
    [' 1.00', 'amount_malformed'],
    ['1.00 ', 'amount_malformed'],
    ['01.00', 'amount_malformed'],
    ['.5', 'amount_malformed'],
    ['5.', 'amount_malformed'],
    ['1,00', 'amount_malformed'],
    ['0x10', 'amount_malformed'],
    ['1.999', 'amount_too_many_decimals'],
    ['1.000', 'amount_too_many_decimals'],
    ['-1.00', 'amount_negative'],
    ['0', 'amount_zero'],
    ['0.00', 'amount_zero'],
    ['10000000000000.01', 'amount_above_maximum'],
  ])('refuses %j with %s', (input, code) => {
    expect(refusal(() => parseMoney(input, 'USD', { field: 'amount' }))).toBe(`${code}:invalid:amount`);
  });

  it('refuses decimals for JPY and a fourth decimal for KWD', () => {
    expect(refusal(() => parseMoney('1.5', 'JPY', { field: 'x' }))).toBe('amount_too_many_decimals:invalid:x');
    expect(refusal(() => parseMoney('1.2345', 'KWD', { field: 'x' }))).toBe('amount_too_many_decimals:invalid:x');
  });

  it('accepts zero only when allowed', () => {
    expect(parseMoney('0.00', 'USD', { field: 'minimumPayout', allowZero: true })).toBe(0n);
  });

  it('refuses an unknown currency', () => {
    expect(refusal(() => parseMoney('1.00', 'ZZZ', { field: 'amount' }))).toBe('unknown_currency:invalid:currency');
  });
});

describe('formatMoney', () => {
  it.each([
    [1999n, 'USD', '19.99'],
    [-5n, 'USD', '-0.05'],
    [0n, 'USD', '0.00'],
    [1500n, 'JPY', '1500'],
    [-1500n, 'JPY', '-1500'],
    [1250n, 'KWD', '1.250'],
    [1n, 'KWD', '0.001'],
  ])('%s %s → %s', (amountMinor, currency, expected) => {
    expect(formatMoney(amountMinor, currency)).toBe(expected);
  });

  it('round-trips with parseMoney', () => {
    for (const text of ['0.01', '19.99', '123456.78']) expect(formatMoney(parseMoney(text, 'USD', { field: 'a' }), 'USD')).toBe(text);
  });
});

describe('parseMinorUnits', () => {
  it.each([['1999', 1999n], ['0', 0n], ['-5', -5n]])('%s', (input, expected) => expect(parseMinorUnits(input)).toBe(expected));
  it.each(['', '01', '-0', '1.0', ' 1', 1999, null])('refuses %j', (input) => expect(parseMinorUnits(input)).toBeNull());
});
