import { conversionFailure, convertAmountMinor, divideRoundHalfEven, parseFxRate } from './fx-conversion';

describe('parseFxRate', () => {
  it('reads a decimal into an exact rational and a canonical text', () => {
    expect(parseFxRate('151.237', 'fxRate')).toEqual({ text: '151.237', numerator: 151237n, denominator: 1000n });
    expect(parseFxRate('151.2370', 'fxRate')).toEqual({ text: '151.237', numerator: 151237n, denominator: 1000n });
    expect(parseFxRate('2.0', 'fxRate')).toEqual({ text: '2', numerator: 2n, denominator: 1n });
    expect(parseFxRate('0.0065', 'fxRate')).toEqual({ text: '0.0065', numerator: 65n, denominator: 10000n });
    expect(parseFxRate('100', 'fxRate').text).toBe('100');
  });

  it('counts significant digits from the first non-zero digit, trailing zeros after the point not counted', () => {
    expect(parseFxRate('0.000000000001', 'fxRate').text).toBe('0.000000000001');
    expect(parseFxRate('123456789012345', 'fxRate').text).toBe('123456789012345');
    expect(parseFxRate('1.000000000000', 'fxRate').text).toBe('1');
    expect(parseFxRate('0.012345678901', 'fxRate').numerator).toBe(12345678901n);
    expect(() => parseFxRate('1234567890123456', 'fxRate')).toThrow(/significant digits/);
    expect(() => parseFxRate('1.0000000000000', 'fxRate')).toThrow(/decimals/);
  });
});

describe('divideRoundHalfEven', () => {
  it('rounds below half down, above half up, exactly half to even', () => {
    expect([5n, 15n, 25n, 35n, 14n, 16n].map((numerator) => divideRoundHalfEven(numerator, 10n))).toEqual([0n, 2n, 2n, 4n, 1n, 2n]);
    expect(divideRoundHalfEven(0n, 7n)).toBe(0n);
  });
});

describe('convertAmountMinor', () => {
  it('converts between exponents (docs/domain.md worked example)', () => {
    const rate = parseFxRate('151.237', 'fxRate');
    expect(convertAmountMinor(123456n, 'USD', 'JPY', rate)).toBe(186711n);
    expect(convertAmountMinor(186711n, 'JPY', 'KWD', parseFxRate('0.002031', 'fxRate'))).toBe(379210n); // 379.210041
  });

  it('finds a recorded amount that does not follow from its rate', () => {
    const conversion = { payoutCurrency: 'JPY', payoutAmountMinor: 186711n, fxRate: '151.237', fxRuleVersion: 1 };
    expect(conversionFailure({ currency: 'USD', amountMinor: 123456n }, conversion)).toBeNull();
    expect(conversionFailure({ currency: 'USD', amountMinor: 123456n }, { ...conversion, payoutAmountMinor: 186712n })).toMatch(/does not follow/);
    expect(conversionFailure({ currency: 'USD', amountMinor: 123456n }, { ...conversion, fxRate: '151.2370' })).toMatch(/canonical/);
    expect(conversionFailure({ currency: 'USD', amountMinor: 123456n }, { ...conversion, fxRuleVersion: 2 })).toMatch(/rule/);
  });
});
