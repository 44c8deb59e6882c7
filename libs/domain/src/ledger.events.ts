/**
 * The ledger's domain events, Emmett style: `{type, data}` with plain data.
 * Money is `bigint` minor units here; `ledger-event.codec.ts` turns it into strings of
 * minor units for storage, explicitly, field by field.
 * Times are ISO-8601 UTC strings normalised by `parseInstant` (millisecond precision, `Z`).
 */

import type { PersonalText } from './developer/personal-data';
import type { RevenueCategory } from './contract/revenue-category';

export type DomainEvent<Type extends string, Data> = { type: Type; data: Data };

/** Version of the split rule implemented in `split/`. Recorded in every split event. */
export const SPLIT_RULE_VERSION = 1;

/** The terms exactly as hashed: canonical JSON (sorted keys, strings for every number). */
export type ContractTermsDocument = { [key: string]: unknown };

export type ContractVersionRecord = {
  /** 1 for the registration, +1 per amendment. */
  version: number;
  /** SHA-256 hex of the canonical JSON of `terms`. */
  hash: string;
  effectiveFrom: string;
  terms: ContractTermsDocument;
};

/** One party's part of a split or of a refund reversal. Parties: `platform`, carve-out parties, `developer:<id>`. */
export type SplitLine = { party: string; amountMinor: bigint };

export type DeveloperRegistered = DomainEvent<'DeveloperRegistered', {
  developerId: string;
  /** Personal data: encrypted under the developer's data key; plaintext only in events recorded before protection. */
  name: PersonalText;
  country: string;
  incomeGroup: string | null;
}>;

/** The developer's personal data was erased (its data key destroyed); `erasedAt` is the booking time. */
export type PersonalDataErased = DomainEvent<'PersonalDataErased', {
  developerId: string;
  erasedAt: string;
  reason: string | null;
}>;

export type AppRegistered = DomainEvent<'AppRegistered', {
  appId: string;
  developerId: string;
  name: string;
  contract: ContractVersionRecord;
}>;

export type ContractAmended = DomainEvent<'ContractAmended', {
  appId: string;
  developerId: string;
  contract: ContractVersionRecord;
}>;

export type RevenueRecorded = DomainEvent<'RevenueRecorded', {
  receiptId: string;
  appId: string;
  developerId: string;
  currency: string;
  amountMinor: bigint;
  occurredAt: string;
  /**
   * What kind of revenue: its contract terms and counters follow from it. Encoded only when not
   * `purchase`, so that every event recorded before categories encodes (and hashes) as it was.
   */
  category: RevenueCategory;
  contractVersion: number;
  contractHash: string;
  splitRuleVersion: number;
  /** Lines in line order: platform, carve-outs in contract order, developer. Sum = amountMinor. */
  lines: SplitLine[];
  /** When the developer's credit stops being pending: occurredAt + holdDays. */
  availableAt: string;
  /**
   * Rolling reserve, only when the contract version has one (absent from every other event, so
   * events recorded before reserves encode as they were): the part of the developer line held
   * until `reserveReleasedAt` = occurredAt + reserve.holdDays instead of `availableAt`.
   */
  reserveMinor?: bigint;
  reserveReleasedAt?: string;
}>;

export type RevenueRefunded = DomainEvent<'RevenueRefunded', {
  refundId: string;
  receiptId: string;
  appId: string;
  developerId: string;
  currency: string;
  amountMinor: bigint;
  occurredAt: string;
  /** The refunded receipt's category; encoded only when not `purchase`, as for RevenueRecorded. */
  category: RevenueCategory;
  contractVersion: number;
  contractHash: string;
  splitRuleVersion: number;
  /** Reversal per party, in the receipt's line order. Sum = amountMinor. */
  lines: SplitLine[];
}>;

/**
 * How a payout in another currency is paid: `payoutAmountMinor` of `payoutCurrency`, converted
 * from the payout's `amountMinor` (debited in its `currency`) at `fxRate` (canonical decimal
 * text, units of payoutCurrency per unit of currency) under rounding rule `fxRuleVersion`
 * (money/fx-conversion.ts). Absent on a payout in the balance currency.
 */
export type PayoutConversion = {
  payoutCurrency: string;
  payoutAmountMinor: bigint;
  fxRate: string;
  fxSource: string;
  fxRuleVersion: number;
};

export type PayoutRequested = DomainEvent<'PayoutRequested', {
  payoutId: string;
  developerId: string;
  currency: string;
  amountMinor: bigint;
  requestedAt: string;
  conversion?: PayoutConversion;
}>;

/** `conversion` repeats the request's, so that the settlement says what was paid. */
export type PayoutSettled = DomainEvent<'PayoutSettled', {
  payoutId: string;
  developerId: string;
  currency: string;
  amountMinor: bigint;
  settledAt: string;
  reference: string;
  conversion?: PayoutConversion;
}>;

/** `amountMinor` (in the balance currency) returns to the balance; `conversion` repeats the request's. */
export type PayoutFailed = DomainEvent<'PayoutFailed', {
  payoutId: string;
  developerId: string;
  currency: string;
  amountMinor: bigint;
  failedAt: string;
  reason: string;
  conversion?: PayoutConversion;
}>;

/**
 * A dispute opened: `lines` (the refund rule over what is left of the receipt's lines) are
 * taken from the parties and held in `system:disputes-held`; `feeMinor` is charged to
 * `feeBearer` (the receipt's contract's `disputeFeeBearer`) and paid to `system:dispute-fees`.
 */
export type DisputeOpened = DomainEvent<'DisputeOpened', {
  disputeId: string;
  receiptId: string;
  appId: string;
  developerId: string;
  currency: string;
  amountMinor: bigint;
  feeMinor: bigint;
  feeBearer: 'developer' | 'platform';
  openedAt: string;
  contractVersion: number;
  contractHash: string;
  splitRuleVersion: number;
  /** Reversal per party, in the receipt's line order. Sum = amountMinor. */
  lines: SplitLine[];
}>;

/** A dispute resolved: `won` gives `lines` (those of the opening) back to the parties; `lost` makes them final. */
export type DisputeResolved = DomainEvent<'DisputeResolved', {
  disputeId: string;
  receiptId: string;
  appId: string;
  developerId: string;
  currency: string;
  amountMinor: bigint;
  outcome: 'won' | 'lost';
  resolvedAt: string;
  lines: SplitLine[];
}>;

/**
 * A developer assessed in a payout run: what was available at `asOf` and the minimum payout;
 * `payoutId` names the `PayoutRequested` that follows it in the same decision, or is null when
 * nothing was paid (available below the minimum, or not positive).
 */
export type PayoutRunAssessed = DomainEvent<'PayoutRunAssessed', {
  runId: string;
  developerId: string;
  currency: string;
  asOf: string;
  /** May be negative. */
  availableMinor: bigint;
  minimumPayoutMinor: bigint;
  payoutId: string | null;
}>;

export type DeveloperEvent =
  | DeveloperRegistered
  | PersonalDataErased
  | AppRegistered
  | ContractAmended
  | RevenueRecorded
  | RevenueRefunded
  | PayoutRequested
  | PayoutSettled
  | PayoutFailed
  | DisputeOpened
  | DisputeResolved
  | PayoutRunAssessed;
