/**
 * Parsed contract terms: the exact, validated form the split rule computes with.
 * Amounts are bigint minor units of `currency`; rates are exact rationals.
 */
import { Rate } from '../money/rate';

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

export type ContractTerms = {
  readonly currency: string;
  /** Normalised ISO instant. */
  readonly effectiveFrom: string;
  readonly effectiveFromEpochMilliseconds: number;
  readonly platformShare: {
    readonly tiers: readonly ContractTier[];
    readonly window: ContractWindow;
    readonly scope: ContractScope;
  };
  /** 100% when the contract omits it. */
  readonly rateMultiplier: Rate;
  readonly platformCap: { readonly amountMinor: bigint; readonly window: ContractWindow } | null;
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
