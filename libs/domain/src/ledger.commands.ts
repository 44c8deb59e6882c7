/**
 * The ledger's commands, Emmett style: `{type, data}`. Shapes follow docs/cli.md
 * "JSONL commands". Amounts stay decimal strings in major units until `decide` parses them
 * with the currency's exponent, so that every refusal is one typed domain error.
 * Times are strings; `decide` parses them strictly. Nothing here reads a clock.
 */

import type { NameProtection } from './developer/personal-data';

export type Command<Type extends string, Data> = { type: Type; data: Data };

/**
 * What the application layer tells the decider about a command besides its data (Emmett's
 * command metadata). `bookedAt` is the booking time: when the ledger records the command,
 * read from the clock by the caller, a normalised ISO instant. Every business time of the
 * command is bounded by it (see time/business-time.ts).
 */
export type CommandMetadata = { bookedAt: string };

export type RegisterDeveloper = Command<'RegisterDeveloper', {
  developerId: string;
  /** The name as received (personal data): the domain checks its limits, and records only `nameProtection`. */
  name: string;
  country: string;
  incomeGroup?: string | null;
  /**
   * Set by the application layer (libs/ledger) before deciding, never by an edge: the name
   * encrypted under the developer's data key, or `erased` when that key was destroyed
   * (developer/personal-data.ts). Without it the domain refuses to decide.
   */
  nameProtection?: NameProtection;
}>;

/** Erases a developer's personal data: records the fact; the application layer destroys the data key. */
export type ErasePersonalData = Command<'ErasePersonalData', {
  developerId: string;
  /** Why (a request reference, a legal basis). Hash-chained for good: must not itself hold personal data. */
  reason?: string | null;
}>;

export type RegisterApp = Command<'RegisterApp', {
  appId: string;
  developerId: string;
  name: string;
  /** Raw contract terms (JSON as received); parsed and validated by the domain. */
  contract: unknown;
}>;

export type AmendContract = Command<'AmendContract', {
  appId: string;
  contract: unknown;
}>;

export type RecordRevenue = Command<'RecordRevenue', {
  receiptId: string;
  appId: string;
  amount: string;
  currency: string;
  occurredAt: string;
  /** One of REVENUE_CATEGORIES (contract/revenue-category.ts); absent or null is `purchase`. */
  category?: string | null;
}>;

export type RefundRevenue = Command<'RefundRevenue', {
  refundId: string;
  receiptId: string;
  amount: string;
  occurredAt: string;
}>;

/**
 * `amount` is debited from the balance in `currency`. To pay it out in another currency, name
 * all three of `payoutCurrency`, `fxRate` (a decimal string: units of `payoutCurrency` per
 * unit of `currency`) and `fxSource` (where the rate comes from), or none of them; the domain
 * computes the amount paid (docs/domain.md "Payouts in another currency").
 */
export type RequestPayout = Command<'RequestPayout', {
  payoutId: string;
  developerId: string;
  currency: string;
  amount: string;
  requestedAt: string;
  payoutCurrency?: string | null;
  fxRate?: string | null;
  fxSource?: string | null;
}>;

export type SettlePayout = Command<'SettlePayout', {
  payoutId: string;
  settledAt: string;
  reference: string;
}>;

export type FailPayout = Command<'FailPayout', {
  payoutId: string;
  failedAt: string;
  reason: string;
}>;

/**
 * A dispute (chargeback) of part or all of a receipt: `amount` is reversed across the
 * receipt's lines by the refund rule and held as disputed; `fee` (may be "0") is charged to
 * the party the receipt's contract names in `disputeFeeBearer`.
 */
export type OpenDispute = Command<'OpenDispute', {
  disputeId: string;
  receiptId: string;
  amount: string;
  fee: string;
  openedAt: string;
}>;

export const DISPUTE_OUTCOMES = ['won', 'lost'] as const;
export type DisputeOutcome = typeof DISPUTE_OUTCOMES[number];

/** `won` gives the reversed lines back; `lost` makes the reversal final. The fee is never returned. */
export type ResolveDispute = Command<'ResolveDispute', {
  disputeId: string;
  outcome: string;
  resolvedAt: string;
}>;

/**
 * A payout run (the application layer's command): for every developer whose available balance
 * in `currency` at `asOf` is at least their minimum payout, one payout of the whole available
 * amount. The ledger fans it out into one `AssessRunPayout` per developer with a balance in
 * that currency; re-running a run id changes nothing.
 */
export type RunPayouts = Command<'RunPayouts', {
  runId: string;
  currency: string;
  asOf: string;
}>;

/** One developer's part of a payout run, decided on the developer's stream. Never sent by an edge. */
export type AssessRunPayout = Command<'AssessRunPayout', {
  runId: string;
  developerId: string;
  currency: string;
  asOf: string;
}>;

/** Every command decided on a developer's stream (`developer-<developerId>`). */
export type DeveloperCommand =
  | RegisterDeveloper
  | ErasePersonalData
  | RegisterApp
  | AmendContract
  | RecordRevenue
  | RefundRevenue
  | RequestPayout
  | SettlePayout
  | FailPayout
  | OpenDispute
  | ResolveDispute
  | AssessRunPayout;
