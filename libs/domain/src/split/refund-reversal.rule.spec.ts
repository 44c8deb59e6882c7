import { lineSummary } from '../testing/developer-decider.support';
import { reverseRefund } from './refund-reversal.rule';

const lines = (...amounts: bigint[]) => amounts.map((amountMinor, index) => ({ party: `party-${index}`, amountMinor }));

describe('reverseRefund', () => {
  it.each([
    { name: 'floors and gives the leftover to the largest fractions', remaining: [105n, 44n, 9n, 841n], refund: 100n, expected: [11n, 4n, 1n, 84n] },
    { name: 'ties go in line order', remaining: [1n, 1n, 1n], refund: 2n, expected: [1n, 1n, 0n] },
    { name: 'a refund of 1 unit goes to the largest fraction', remaining: [15n, 85n], refund: 1n, expected: [0n, 1n] },
    { name: 'a zero line never receives anything', remaining: [0n, 5n], refund: 3n, expected: [0n, 3n] },
    { name: 'proportional without fractions', remaining: [150n, 850n], refund: 500n, expected: [75n, 425n] },
    { name: 'the full remainder is reversed exactly', remaining: [7n, 0n, 3n], refund: 10n, expected: [7n, 0n, 3n] },
    { name: 'a single line takes everything', remaining: [10n], refund: 4n, expected: [4n] },
  ])('$name', ({ remaining, refund, expected }) => {
    const reversal = reverseRefund({ remainingLines: lines(...remaining), refundMinor: refund });
    expect(reversal.map((line) => line.amountMinor)).toEqual(expected);
    expect(lineSummary(reversal).map((text) => text.split('=')[0])).toEqual(remaining.map((_, index) => `party-${index}`));
  });

  it('refuses a refund above what remains or not positive', () => {
    expect(() => reverseRefund({ remainingLines: lines(1n, 2n), refundMinor: 4n })).toThrow('invariant');
    expect(() => reverseRefund({ remainingLines: lines(1n, 2n), refundMinor: 0n })).toThrow('invariant');
  });
});
