import { DomainError } from '../domain.errors';
import { RATE_DENOMINATOR, formatRate, parseRate } from './rate';

describe('parseRate', () => {
  it.each([
    ['15%', 15_000_000n],
    ['2.5%', 2_500_000n],
    ['0.125%', 125_000n],
    ['0%', 0n],
    ['100%', RATE_DENOMINATOR],
    ['100.000000%', RATE_DENOMINATOR],
    ['0.000001%', 1n],
  ])('%s is exact', (input, numerator) => {
    expect(parseRate(input, 'rate')).toEqual({ numerator, denominator: RATE_DENOMINATOR });
  });

  it.each([
    [15, 'rate_malformed'],
    ['15', 'rate_malformed'],
    ['-1%', 'rate_malformed'],
    ['+1%', 'rate_malformed'],
    ['1.5.%', 'rate_malformed'],
    ['.5%', 'rate_malformed'],
    ['05%', 'rate_malformed'],
    ['1e1%', 'rate_malformed'],
    ['0.0000001%', 'rate_malformed'],
    [' 1%', 'rate_malformed'],
    ['100.000001%', 'rate_above_hundred_percent'],
    ['101%', 'rate_above_hundred_percent'],
  ])('refuses %j with %s', (input, code) => {
    let caught: unknown;
    try {
      parseRate(input, 'contract.rate');
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(DomainError);
    expect((caught as DomainError).code).toBe(code);
    expect((caught as DomainError).field).toBe('contract.rate');
  });
});

describe('formatRate', () => {
  it.each([['15.0%', '15%'], ['2.50%', '2.5%'], ['0.125%', '0.125%'], ['100%', '100%'], ['0.000%', '0%']])('%s → %s', (input, expected) => {
    expect(formatRate(parseRate(input, 'rate'))).toBe(expected);
  });
});
