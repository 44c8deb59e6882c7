import * as fc from 'fast-check';
import { TimedAmounts } from './timed-amounts';

describe('TimedAmounts', () => {
  it('sums the amounts at or before, and strictly after, an instant', () => {
    const amounts = new TimedAmounts();
    amounts.push(30, 3n);
    amounts.push(10, 1n);
    amounts.push(20, 2n);
    expect(amounts.sumAtOrBeforeMinor(20)).toBe(3n);
    expect(amounts.sumAfterMinor(20)).toBe(3n);
    expect(amounts.sumAtOrBeforeMinor(9)).toBe(0n);
  });

  it('adds an amount at the last entry’s instant to it, unless the sum would leave 64 bits', () => {
    const amounts = new TimedAmounts();
    amounts.push(10, 1n);
    amounts.push(10, 2n);
    expect(amounts.length).toBe(1);
    amounts.push(10, (1n << 63n) - 2n);
    expect(amounts.length).toBe(2);
    expect(amounts.sumAtOrBeforeMinor(10)).toBe((1n << 63n) + 1n);
  });

  it('refuses an amount beyond 64 bits instead of wrapping it', () => {
    expect(() => new TimedAmounts().push(1, 1n << 63n)).toThrow();
  });

  it('property: the same sums as a plain list of entries', () => {
    fc.assert(fc.property(
      fc.array(fc.tuple(fc.integer({ min: 0, max: 50 }), fc.bigInt({ min: -(10n ** 15n), max: 10n ** 15n })), { maxLength: 200 }),
      fc.integer({ min: -1, max: 51 }),
      (entries, asOf) => {
        const amounts = new TimedAmounts();
        for (const [time, amount] of entries) amounts.push(time, amount);
        const before = entries.filter(([time]) => time <= asOf).reduce((sum, [, amount]) => sum + amount, 0n);
        const after = entries.filter(([time]) => time > asOf).reduce((sum, [, amount]) => sum + amount, 0n);
        expect(amounts.sumAtOrBeforeMinor(asOf)).toBe(before);
        expect(amounts.sumAfterMinor(asOf)).toBe(after);
      },
    ));
  });
});
