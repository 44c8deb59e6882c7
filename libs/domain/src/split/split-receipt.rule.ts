/**
 * The split rule of docs/domain.md, steps 1–6, version `SPLIT_RULE_VERSION`. Pure and exact:
 * bigint minor units and rationals over RATE_DENOMINATOR, no JS number touches money.
 *
 * The caller supplies the counters of step 1 (C) and step 4 (U), counted as the contract's
 * `counter` settings say (across categories or per category); the rule does the rest, with
 * the tiers of the receipt's category (its own in `platformShare.categories`, or the default).
 * It is the hot path of an import (a million receipts), so it allocates only the result.
 */
import { assertInvariant } from '../domain.errors';
import { SplitLine } from '../ledger.events';
import { RATE_DENOMINATOR } from '../money/rate';
import { ContractTerms, platformShareTermsOf } from '../contract/contract-terms';
import { REVENUE_CATEGORY_DEFAULT, RevenueCategory } from '../contract/revenue-category';

const EXACT_SHARE_DENOMINATOR = RATE_DENOMINATOR * RATE_DENOMINATOR;

export type SplitReceiptInput = {
  readonly terms: ContractTerms;
  readonly developerId: string;
  /** Whose tiers apply: the category's own terms, or the default ones. `purchase` when absent. */
  readonly category?: RevenueCategory;
  /** B: the receipt amount in minor units, positive. */
  readonly basisMinor: bigint;
  /** C: the bases of the receipts counted before this one in the tier window and scope. */
  readonly tierCounterMinor: bigint;
  /** U: the platform shares (after cap) counted before this one in the cap window; ignored without a cap. */
  readonly capUsageMinor: bigint;
};

export type SplitReceiptResult = {
  /** platform, carve-out parties in contract order, `developer:<id>`. Sum = B, none negative. */
  readonly lines: SplitLine[];
  /** P after floor and cap, before the platform carve-outs: what the cap counter adds. */
  readonly platformShareMinor: bigint;
  /** P* = exactPlatformShareNumerator / exactPlatformShareDenominator, before floor and cap. */
  readonly exactPlatformShareNumerator: bigint;
  readonly exactPlatformShareDenominator: bigint;
};

/** The developer's party name in lines. */
export function developerParty(developerId: string): string {
  return `developer:${developerId}`;
}

export function splitReceipt(input: SplitReceiptInput): SplitReceiptResult {
  const { terms, basisMinor, tierCounterMinor, capUsageMinor } = input;
  assertInvariant(basisMinor > 0n, 'a split basis is positive');
  assertInvariant(tierCounterMinor >= 0n && capUsageMinor >= 0n, 'counters are not negative');

  // Step 2: marginal tiers over [C, C + B).
  const windowStartMinor = tierCounterMinor;
  const windowEndMinor = tierCounterMinor + basisMinor;
  const tiers = platformShareTermsOf(terms, input.category ?? REVENUE_CATEGORY_DEFAULT).tiers;
  let tierLowerMinor = 0n;
  let weightedRateSum = 0n; // Σ |overlap| × rate numerator
  for (let index = 0; index < tiers.length; index += 1) {
    const tier = tiers[index]!;
    const tierUpperMinor = tier.upToMinor;
    if (tierUpperMinor !== null && tierUpperMinor <= windowStartMinor) {
      tierLowerMinor = tierUpperMinor;
      continue;
    }
    const overlapStartMinor = windowStartMinor > tierLowerMinor ? windowStartMinor : tierLowerMinor;
    const overlapEndMinor = tierUpperMinor === null || windowEndMinor < tierUpperMinor ? windowEndMinor : tierUpperMinor;
    if (overlapEndMinor > overlapStartMinor) weightedRateSum += (overlapEndMinor - overlapStartMinor) * tier.rate.numerator;
    if (tierUpperMinor === null || tierUpperMinor >= windowEndMinor) break;
    tierLowerMinor = tierUpperMinor;
  }
  const exactPlatformShareNumerator = weightedRateSum * terms.rateMultiplier.numerator;

  // Step 3: floor; the fraction goes to the developer.
  let platformShareMinor = exactPlatformShareNumerator / EXACT_SHARE_DENOMINATOR;

  // Step 4: cap.
  const platformCap = terms.platformCap;
  if (platformCap !== null) {
    const capRemainingMinor = platformCap.amountMinor > capUsageMinor ? platformCap.amountMinor - capUsageMinor : 0n;
    if (platformShareMinor > capRemainingMinor) platformShareMinor = capRemainingMinor;
  }

  // Steps 5 and 6: carve-outs, then the lines.
  const carveOuts = terms.carveOuts;
  const lines = new Array<SplitLine>(carveOuts.length + 2);
  let platformLineMinor = platformShareMinor;
  let developerLineMinor = basisMinor - platformShareMinor;
  for (let index = 0; index < carveOuts.length; index += 1) {
    const carveOut = carveOuts[index]!;
    let amountMinor: bigint;
    if (carveOut.of === 'platform') {
      amountMinor = (platformShareMinor * carveOut.rate.numerator) / RATE_DENOMINATOR;
      platformLineMinor -= amountMinor;
    } else {
      amountMinor = (basisMinor * carveOut.rate.numerator) / RATE_DENOMINATOR;
      developerLineMinor -= amountMinor;
    }
    assertInvariant(amountMinor >= 0n, 'a carve-out line is not negative');
    lines[index + 1] = { party: carveOut.party, amountMinor };
  }
  assertInvariant(platformLineMinor >= 0n, 'the platform line is not negative');
  assertInvariant(developerLineMinor >= 0n, 'the developer line is not negative');
  lines[0] = { party: 'platform', amountMinor: platformLineMinor };
  lines[carveOuts.length + 1] = { party: developerParty(input.developerId), amountMinor: developerLineMinor };

  // Sum = B by construction: every carve-out was subtracted from the platform or the developer.
  // Checked anyway, because the whole ledger depends on it.
  let totalMinor = 0n;
  for (let index = 0; index < lines.length; index += 1) totalMinor += lines[index]!.amountMinor;
  assertInvariant(totalMinor === basisMinor, 'a split sums to its basis');

  return {
    lines,
    platformShareMinor,
    exactPlatformShareNumerator,
    exactPlatformShareDenominator: EXACT_SHARE_DENOMINATOR,
  };
}
