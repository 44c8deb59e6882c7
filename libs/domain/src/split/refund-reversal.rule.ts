/**
 * The refund reversal of docs/domain.md "Refunds": with `rem_i` each line's amount not yet reversed and
 * `T = Σ rem_i`, each line gets floor(rem_i × R / T); the units left over go one each to the
 * lines with the largest fractional parts (ties in line order). When R = T the rest is
 * reversed exactly. Pure bigint arithmetic.
 */
import { assertInvariant } from '../domain.errors';
import { SplitLine } from '../ledger.events';

export type ReverseRefundInput = {
  /** What is left of each line of the receipt, in line order. */
  readonly remainingLines: readonly SplitLine[];
  /** R: the refund in minor units, 0 < R ≤ T. */
  readonly refundMinor: bigint;
};

/** The reversal per line, in line order; sums to R, never above a line's remaining. */
export function reverseRefund(input: ReverseRefundInput): SplitLine[] {
  const { remainingLines, refundMinor } = input;
  let totalRemainingMinor = 0n;
  for (const line of remainingLines) {
    assertInvariant(line.amountMinor >= 0n, 'a remaining line is not negative');
    totalRemainingMinor += line.amountMinor;
  }
  assertInvariant(refundMinor > 0n && refundMinor <= totalRemainingMinor, 'a refund is positive and at most what remains');

  if (refundMinor === totalRemainingMinor) {
    return remainingLines.map((line) => ({ party: line.party, amountMinor: line.amountMinor }));
  }

  const reversalMinor = new Array<bigint>(remainingLines.length);
  const fractionNumerator = new Array<bigint>(remainingLines.length);
  let allocatedMinor = 0n;
  for (let index = 0; index < remainingLines.length; index += 1) {
    const product = remainingLines[index]!.amountMinor * refundMinor;
    reversalMinor[index] = product / totalRemainingMinor;
    fractionNumerator[index] = product % totalRemainingMinor;
    allocatedMinor += reversalMinor[index]!;
  }
  let leftoverMinor = refundMinor - allocatedMinor;
  // The leftover is the sum of the fractional parts, each < 1, so it is smaller than the
  // number of lines: one unit each to the largest fractions, ties in line order (stable sort).
  assertInvariant(leftoverMinor >= 0n && leftoverMinor < BigInt(remainingLines.length), 'the leftover is less than the number of lines');
  if (leftoverMinor > 0n) {
    const order = remainingLines.map((_, index) => index);
    order.sort((left, right) => {
      const difference = fractionNumerator[right]! - fractionNumerator[left]!;
      return difference > 0n ? 1 : difference < 0n ? -1 : left - right;
    });
    for (const index of order) {
      if (leftoverMinor === 0n) break;
      // A zero fraction means the line already gets its exact share; a nonzero fraction
      // means floor + 1 ≤ rem_i, because rem_i × R / T < rem_i when R < T.
      assertInvariant(fractionNumerator[index]! > 0n, 'leftover units go only to lines with a fractional part');
      reversalMinor[index] = reversalMinor[index]! + 1n;
      leftoverMinor -= 1n;
    }
  }

  const lines = new Array<SplitLine>(remainingLines.length);
  let totalMinor = 0n;
  for (let index = 0; index < remainingLines.length; index += 1) {
    const line = remainingLines[index]!;
    const amountMinor = reversalMinor[index]!;
    assertInvariant(amountMinor >= 0n && amountMinor <= line.amountMinor, 'a reversal never exceeds what is left of a line');
    totalMinor += amountMinor;
    lines[index] = { party: line.party, amountMinor };
  }
  assertInvariant(totalMinor === refundMinor, 'a reversal sums to the refund');
  return lines;
}
