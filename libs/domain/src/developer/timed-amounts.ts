import { assertInvariant } from '../domain.errors';

const INT64_MAXIMUM = (1n << 63n) - 1n;
const INT64_MINIMUM = -(1n << 63n);
const INITIAL_CAPACITY = 16;

/**
 * Amounts at instants (a developer's credits by availableAt, its reserve holds by release
 * time), in two typed arrays instead of arrays of numbers and BigInt objects: 16 bytes an
 * entry and no object per entry for the garbage collector to trace, because a developer
 * gets one entry per receipt (a million for a 1M import). Amounts are minor units within
 * ±(2^63 − 1) (a receipt is at most MONEY_MAXIMUM_MINOR, 10^15); an entry at the same
 * instant as the last one is added to it while the sum stays in range. Appended in any
 * time order; the sums scan.
 */
export class TimedAmounts {
  private times = new Float64Array(INITIAL_CAPACITY);
  private amounts = new BigInt64Array(INITIAL_CAPACITY);
  private count = 0;

  get length(): number {
    return this.count;
  }

  push(epochMilliseconds: number, amountMinor: bigint): void {
    assertInvariant(amountMinor >= INT64_MINIMUM && amountMinor <= INT64_MAXIMUM, 'a timed amount fits in 64 bits');
    const last = this.count - 1;
    if (last >= 0 && this.times[last] === epochMilliseconds) {
      const sumMinor = this.amounts[last]! + amountMinor;
      if (sumMinor >= INT64_MINIMUM && sumMinor <= INT64_MAXIMUM) {
        this.amounts[last] = sumMinor;
        return;
      }
    }
    if (this.count === this.times.length) {
      const times = new Float64Array(this.count * 2);
      times.set(this.times);
      this.times = times;
      const amounts = new BigInt64Array(this.count * 2);
      amounts.set(this.amounts);
      this.amounts = amounts;
    }
    this.times[this.count] = epochMilliseconds;
    this.amounts[this.count] = amountMinor;
    this.count += 1;
  }

  /** Σ of the amounts at or before an instant. */
  sumAtOrBeforeMinor(epochMilliseconds: number): bigint {
    let totalMinor = 0n;
    for (let index = 0; index < this.count; index += 1) {
      if (this.times[index]! <= epochMilliseconds) totalMinor += this.amounts[index]!;
    }
    return totalMinor;
  }

  /** Σ of the amounts strictly after an instant. */
  sumAfterMinor(epochMilliseconds: number): bigint {
    let totalMinor = 0n;
    for (let index = 0; index < this.count; index += 1) {
      if (this.times[index]! > epochMilliseconds) totalMinor += this.amounts[index]!;
    }
    return totalMinor;
  }
}
