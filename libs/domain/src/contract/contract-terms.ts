/**
 * Parsed contract terms: the exact, validated form the split rule computes with.
 * Amounts are bigint minor units of `currency`; rates are exact rationals.
 */
import { Rate } from '../money/rate';
import type { RevenueCategory } from './revenue-category';

export type ContractWindow = 'lifetime' | 'calendar_year' | 'calendar_month';
export type ContractScope = 'app' | 'developer';
export type CarveOutBase = 'platform' | 'basis';

export const CONTRACT_WINDOWS: readonly ContractWindow[] = ['lifetime', 'calendar_year', 'calendar_month'];
export const CONTRACT_SCOPES: readonly ContractScope[] = ['app', 'developer'];
export const CARVE_OUT_BASES: readonly CarveOutBase[] = ['platform', 'basis'];
/** Who pays a dispute's (chargeback's) fee: the developer unless the contract says `platform`. */
export type DisputeFeeBearer = 'developer' | 'platform';
export const DISPUTE_FEE_BEARERS: readonly DisputeFeeBearer[] = ['developer', 'platform'];
export const DISPUTE_FEE_BEARER_DEFAULT: DisputeFeeBearer = 'developer';

/**
 * What a tier or cap counter counts (docs/domain.md "Revenue categories"): the receipts of
 * every category (`across_categories`, the default, as before categories existed) or only
 * those of the receipt's own category (`per_category`).
 */
export type CategoryCounter = 'across_categories' | 'per_category';
export const CATEGORY_COUNTERS: readonly CategoryCounter[] = ['across_categories', 'per_category'];
export const CATEGORY_COUNTER_DEFAULT: CategoryCounter = 'across_categories';

export type ContractTier = {
  /** Cumulative upper bound (exclusive) in minor units; null for the open-ended last tier. */
  readonly upToMinor: bigint | null;
  readonly rate: Rate;
};

export type ContractCarveOut = {
  readonly party: string;
  readonly rate: Rate;
  readonly of: CarveOutBase;
};

/** The tiers of a platform share and where their counter counts. */
export type PlatformShareTerms = {
  readonly tiers: readonly ContractTier[];
  readonly window: ContractWindow;
  readonly scope: ContractScope;
};

export type ContractTerms = {
  readonly currency: string;
  /** Normalised ISO instant. */
  readonly effectiveFrom: string;
  readonly effectiveFromEpochMilliseconds: number;
  /** The default terms: those of every category the contract does not name in `categories`. */
  readonly platformShare: PlatformShareTerms & {
    /** Whether the tier counter counts the receipts of every category or of the receipt's own. */
    readonly counter: CategoryCounter;
    /** Categories with terms of their own (empty when the contract names none). */
    readonly categories: Readonly<Partial<Record<RevenueCategory, PlatformShareTerms>>>;
  };
  /** 100% when the contract omits it. */
  readonly rateMultiplier: Rate;
  /** Counted in `platformShare.scope`; `counter` as for the tiers. */
  readonly platformCap: { readonly amountMinor: bigint; readonly window: ContractWindow; readonly counter: CategoryCounter } | null;
  /** In contract order; that order is the line order. */
  readonly carveOuts: readonly ContractCarveOut[];
  readonly holdDays: number;
  readonly minimumPayoutMinor: bigint;
  /** `developer` when the contract omits it. */
  readonly disputeFeeBearer: DisputeFeeBearer;
  /**
   * Rolling reserve: `floor(developer line × rate)` of each receipt is held until
   * occurredAt + `holdDays` instead of the ordinary hold. Null when the contract has none.
   */
  readonly reserve: { readonly rate: Rate; readonly holdDays: number } | null;
};

/** The platform-share terms a receipt of `category` is split by: its own, or the contract's default. */
export function platformShareTermsOf(terms: ContractTerms, category: RevenueCategory): PlatformShareTerms {
  return terms.platformShare.categories[category] ?? terms.platformShare;
}
