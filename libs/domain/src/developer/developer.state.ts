/**
 * The state of one developer stream (`developer-<developerId>`), and `evolve`.
 *
 * Performance choice: an import applies about a million `RevenueRecorded` events, so the
 * state is made of Maps and arrays that `evolveDeveloper` MUTATES IN PLACE and returns (the
 * same object). Replaying a stream therefore costs O(events) with no copying. The contract:
 * a caller that folds events must start from a fresh `initialDeveloperState()` and must not
 * keep references to an earlier state; `decideDeveloper` never mutates the state it is given.
 *
 * Counters (steps 1 and 4 of the split rule) are kept per scope key × currency × window key
 * for every window at once (lifetime, calendar year, calendar month) and both scopes (the
 * app, the developer), across categories and for the receipt's category apart, so that any
 * contract version reads its counter in O(1) whatever its `counter` settings.
 */
import { assertInvariant } from '../domain.errors';
import {
  ContractVersionRecord, DeveloperEvent, DisputeOpened, DisputeResolved, PayoutConversion, RevenueRecorded, RevenueRefunded, SplitLine,
} from '../ledger.events';
import type { PersonalText } from './personal-data';
import { TimedAmounts } from './timed-amounts';
import { ContractScope, ContractTerms, ContractWindow } from '../contract/contract-terms';
import type { RevenueCategory } from '../contract/revenue-category';
import { parseContractTerms } from '../contract/contract-terms.parser';

export type DeveloperRegistration = {
  readonly developerId: string;
  readonly name: PersonalText;
  readonly country: string;
  readonly incomeGroup: string | null;
  /** When the developer's personal data was erased (its data key destroyed), or null. */
  personalDataErasedAt: string | null;
};

export type ContractVersionState = {
  readonly record: ContractVersionRecord;
  readonly terms: ContractTerms;
};

export type AppState = {
  readonly appId: string;
  readonly name: string;
  /** In version order; effectiveFrom strictly increasing. */
  readonly versions: ContractVersionState[];
  readonly effectiveFromEpochMilliseconds: number[];
  /**
   * Contract hash → version, for every version: re-sending any recorded version's terms
   * (the hash covers them all, effectiveFrom included) is idempotent, not only the latest's.
   */
  readonly versionByContractHash: Map<string, number>;
  /** The latest occurredAt of the app's recorded receipts (an amendment must come after it). */
  latestReceiptOccurredAt: string | null;
  latestReceiptOccurredAtEpochMilliseconds: number;
};

export type ReceiptState = {
  readonly receiptId: string;
  readonly appId: string;
  readonly currency: string;
  readonly amountMinor: bigint;
  readonly occurredAt: string;
  readonly occurredAtEpochMilliseconds: number;
  readonly category: RevenueCategory;
  readonly contractVersion: number;
  /**
   * The parties of the split as recorded, in line order. One array is shared by every
   * receipt with the same parties (`state.partyLists`): a developer holds each of its
   * receipts in memory, so what is held per receipt is kept to its own amounts. The
   * contract hash is the version's (`app.versions[contractVersion - 1].record.hash`).
   */
  readonly parties: readonly string[];
  /** What is not yet reversed of each line, in line order (the recorded amounts at first). */
  readonly remainingMinor: bigint[];
  refundedMinor: bigint;
  /** Σ of its disputes that are open or lost (a won dispute gives its amount back). */
  disputedMinor: bigint;
};

/** What refunds and disputes may still take of a receipt: its amount less refunds and open or lost disputes. */
export function receiptRemainingMinor(receipt: ReceiptState): bigint {
  return receipt.amountMinor - receipt.refundedMinor - receipt.disputedMinor;
}

export type DisputeStatus = 'open' | 'won' | 'lost';

export type DisputeState = {
  readonly disputeId: string;
  readonly receiptId: string;
  readonly amountMinor: bigint;
  readonly feeMinor: bigint;
  readonly openedAt: string;
  /** The reversal of the opening, given back when won. */
  readonly lines: readonly SplitLine[];
  status: DisputeStatus;
  resolvedAt: string | null;
};

export type RefundState = {
  readonly refundId: string;
  readonly receiptId: string;
  readonly amountMinor: bigint;
  readonly occurredAt: string;
};

export type PayoutStatus = 'pending' | 'settled' | 'failed';

export type PayoutState = {
  readonly payoutId: string;
  readonly currency: string;
  readonly amountMinor: bigint;
  readonly requestedAt: string;
  /** How it is paid in another currency, or null when paid in `currency`. */
  readonly conversion: PayoutConversion | null;
  status: PayoutStatus;
  settledAt: string | null;
  reference: string | null;
  failedAt: string | null;
  reason: string | null;
};

/**
 * The developer's money in one currency. Credits are kept by availableAt (`TimedAmounts`)
 * because "available as of requestedAt" needs them by time; the common case (asking after
 * the latest availableAt) is answered from `creditTotalMinor` in O(1), other cases scan.
 */
export type CurrencyBalanceState = {
  /** Credits by availableAt. */
  readonly credits: TimedAmounts;
  creditTotalMinor: bigint;
  latestCreditAvailableAtEpochMilliseconds: number;
  /** Σ of the developer's line of every refund reversal (refunds debit at once). */
  refundDebitTotalMinor: bigint;
  /** Σ of payouts requested and not failed. */
  payoutDebitTotalMinor: bigint;
  /** Σ of the developer's line of every dispute open or lost (debits at once, like a refund). */
  disputeDebitTotalMinor: bigint;
  /** Σ of the dispute fees the developer bears. */
  disputeFeeDebitTotalMinor: bigint;
  /**
   * Rolling-reserve holds by release time. Each is also one of the credits above, available
   * from its release time; these say which credits are reserves.
   */
  readonly reserves: TimedAmounts;
};

export type DeveloperState = {
  registration: DeveloperRegistration | null;
  readonly apps: Map<string, AppState>;
  /**
   * The receipts HELD in memory, with their refunds and disputes (in `refunds` and
   * `disputes`): all of them when the state is folded from its events alone; a bounded
   * working set when the caller trims it (`trimHeldReceipts`) and restores, before deciding,
   * every receipt, refund and dispute a command names from the stored events
   * (`restoreHeldRecords`). A held receipt always holds all its refunds and disputes, so
   * what it has left is exact. Everything else of the state (counters, balances, apps) is
   * complete either way.
   */
  readonly receipts: Map<string, ReceiptState>;
  readonly refunds: Map<string, RefundState>;
  /** Σ bases, by `counterKey(scopeKey, currency, windowKey)` (all categories) and by `counterKey(…, category)` (one). */
  readonly tierCounters: Map<string, bigint>;
  /** Σ platform shares after cap (P), by the same keys. */
  readonly capUsageCounters: Map<string, bigint>;
  readonly balances: Map<string, CurrencyBalanceState>;
  readonly payouts: Map<string, PayoutState>;
  readonly disputes: Map<string, DisputeState>;
  /** Payout runs this developer was assessed in: run id → the payout id, or null when nothing was paid. */
  readonly payoutRuns: Map<string, string | null>;
  /** The distinct party lists of the receipts, by the parties joined with NUL. */
  readonly partyLists: Map<string, readonly string[]>;
};

export function initialDeveloperState(): DeveloperState {
  return {
    registration: null,
    apps: new Map(),
    receipts: new Map(),
    refunds: new Map(),
    tierCounters: new Map(),
    capUsageCounters: new Map(),
    balances: new Map(),
    payouts: new Map(),
    disputes: new Map(),
    payoutRuns: new Map(),
    partyLists: new Map(),
  };
}

// ---- Counter keys ---------------------------------------------------------------------

export const DEVELOPER_SCOPE_KEY = 'developer';

export function scopeKey(scope: ContractScope, appId: string): string {
  return scope === 'app' ? `app:${appId}` : DEVELOPER_SCOPE_KEY;
}

/** 'lifetime', '2026' or '2026-03' for a normalised occurredAt. */
export function windowKey(window: ContractWindow, occurredAtIso: string): string {
  if (window === 'lifetime') return 'lifetime';
  if (window === 'calendar_year') return occurredAtIso.slice(0, 4);
  return occurredAtIso.slice(0, 7);
}

/**
 * The key of a counter: across categories without `category`, of that category alone with it.
 * The two kinds never collide: an across key starts with its scope (`app:` or `developer`).
 */
export function counterKey(scope: string, currency: string, window: string, category: RevenueCategory | null = null): string {
  return category === null ? `${scope}|${currency}|${window}` : `${category}|${scope}|${currency}|${window}`;
}

function addToCounter(counters: Map<string, bigint>, key: string, amountMinor: bigint): void {
  counters.set(key, (counters.get(key) ?? 0n) + amountMinor);
}

export function balanceOf(state: DeveloperState, currency: string): CurrencyBalanceState | undefined {
  return state.balances.get(currency);
}

function balanceFor(state: DeveloperState, currency: string): CurrencyBalanceState {
  let balance = state.balances.get(currency);
  if (balance === undefined) {
    balance = {
      credits: new TimedAmounts(),
      creditTotalMinor: 0n,
      latestCreditAvailableAtEpochMilliseconds: Number.NEGATIVE_INFINITY,
      refundDebitTotalMinor: 0n,
      payoutDebitTotalMinor: 0n,
      disputeDebitTotalMinor: 0n,
      disputeFeeDebitTotalMinor: 0n,
      reserves: new TimedAmounts(),
    };
    state.balances.set(currency, balance);
  }
  return balance;
}

/** Credits of the developer whose availableAt ≤ asOf, in minor units. */
export function creditsAvailableMinor(balance: CurrencyBalanceState, asOfEpochMilliseconds: number): bigint {
  if (asOfEpochMilliseconds >= balance.latestCreditAvailableAtEpochMilliseconds) return balance.creditTotalMinor;
  return balance.credits.sumAtOrBeforeMinor(asOfEpochMilliseconds);
}

/**
 * Available for a payout as of an instant: credits available by then, minus every recorded
 * refund's developer reversal, minus payouts requested and not failed, minus the developer's
 * reversal of every dispute open or lost and the dispute fees it bears. May be negative.
 */
export function availableBalanceMinor(state: DeveloperState, currency: string, asOfEpochMilliseconds: number): bigint {
  return balanceFiguresMinor(state, currency, asOfEpochMilliseconds).availableMinor;
}

/** Reserve holds not yet released at an instant. */
export function reserveHeldMinor(balance: CurrencyBalanceState, asOfEpochMilliseconds: number): bigint {
  return balance.reserves.sumAfterMinor(asOfEpochMilliseconds);
}

/**
 * A developer's balance in one currency at an instant, split three ways that sum to every
 * credit less every debit: `pending` (credits on their ordinary hold), `reserved` (reserve
 * holds not yet released) and `available`. A negative available balance is covered from the
 * reserve first: as much of the held reserve as it takes (at most all of it) counts as
 * available instead of reserved.
 */
export function balanceFiguresMinor(state: DeveloperState, currency: string, asOfEpochMilliseconds: number): { pendingMinor: bigint; reservedMinor: bigint; availableMinor: bigint } {
  const balance = state.balances.get(currency);
  if (balance === undefined) return { pendingMinor: 0n, reservedMinor: 0n, availableMinor: 0n };
  const creditsMinor = creditsAvailableMinor(balance, asOfEpochMilliseconds);
  const heldMinor = reserveHeldMinor(balance, asOfEpochMilliseconds);
  const rawAvailableMinor = creditsMinor - balance.refundDebitTotalMinor - balance.payoutDebitTotalMinor
    - balance.disputeDebitTotalMinor - balance.disputeFeeDebitTotalMinor;
  const coverMinor = rawAvailableMinor < 0n ? (heldMinor < -rawAvailableMinor ? heldMinor : -rawAvailableMinor) : 0n;
  return {
    pendingMinor: balance.creditTotalMinor - creditsMinor - heldMinor,
    reservedMinor: heldMinor - coverMinor,
    availableMinor: rawAvailableMinor + coverMinor,
  };
}

/** What is not available as of an instant: credits on their ordinary hold and the reserve held (after covering a negative balance). */
export function pendingBalanceMinor(state: DeveloperState, currency: string, asOfEpochMilliseconds: number): bigint {
  const figures = balanceFiguresMinor(state, currency, asOfEpochMilliseconds);
  return figures.pendingMinor + figures.reservedMinor;
}

// ---- Evolve ---------------------------------------------------------------------------

function contractVersionState(record: ContractVersionRecord): ContractVersionState {
  // The record was validated when decided (and by the codec when read); parsing again
  // gives the exact terms the split rule needs.
  return { record, terms: parseContractTerms(record.terms, 'contract') };
}

/** Holds a recorded receipt (its own facts only: the aggregates are `evolveRevenueRecorded`'s). */
function holdReceipt(state: DeveloperState, app: AppState, data: RevenueRecorded['data'], occurredAtEpochMilliseconds: number): void {
  const lines = data.lines;
  const remainingMinor = new Array<bigint>(lines.length);
  let partyKey = '';
  for (let index = 0; index < lines.length; index += 1) {
    remainingMinor[index] = lines[index]!.amountMinor;
    partyKey += (index === 0 ? '' : '\u0000') + lines[index]!.party;
  }
  let parties = state.partyLists.get(partyKey);
  if (parties === undefined) {
    parties = lines.map((line) => line.party);
    state.partyLists.set(partyKey, parties);
  }
  state.receipts.set(data.receiptId, {
    receiptId: data.receiptId,
    // The app's own string, not the event's copy: shared by every receipt of the app.
    appId: app.appId,
    currency: data.currency,
    amountMinor: data.amountMinor,
    occurredAt: data.occurredAt,
    occurredAtEpochMilliseconds,
    category: data.category,
    contractVersion: data.contractVersion,
    parties,
    remainingMinor,
    refundedMinor: 0n,
    disputedMinor: 0n,
  });
}

function evolveRevenueRecorded(state: DeveloperState, data: RevenueRecorded['data']): void {
  const app = state.apps.get(data.appId);
  assertInvariant(app !== undefined, `RevenueRecorded for unknown app ${data.appId}`);
  const version = app.versions[data.contractVersion - 1];
  assertInvariant(version !== undefined, `RevenueRecorded with unknown contract version ${data.contractVersion}`);
  const occurredAtEpochMilliseconds = Date.parse(data.occurredAt);
  const lines = data.lines;
  holdReceipt(state, app, data, occurredAtEpochMilliseconds);
  if (occurredAtEpochMilliseconds > app.latestReceiptOccurredAtEpochMilliseconds) {
    app.latestReceiptOccurredAtEpochMilliseconds = occurredAtEpochMilliseconds;
    app.latestReceiptOccurredAt = data.occurredAt;
  }

  // P (after cap, before platform carve-outs) = platform line + platform carve-out lines.
  const carveOuts = version.terms.carveOuts;
  let platformShareMinor = lines[0]!.amountMinor;
  for (let index = 0; index < carveOuts.length; index += 1) {
    if (carveOuts[index]!.of === 'platform') platformShareMinor += lines[index + 1]!.amountMinor;
  }

  const currency = data.currency;
  const year = data.occurredAt.slice(0, 4);
  const month = data.occurredAt.slice(0, 7);
  const appScope = `app:${data.appId}`;
  for (const scope of [appScope, DEVELOPER_SCOPE_KEY]) {
    for (const window of ['lifetime', year, month]) {
      const acrossKey = counterKey(scope, currency, window);
      const categoryKey = counterKey(scope, currency, window, data.category);
      addToCounter(state.tierCounters, acrossKey, data.amountMinor);
      addToCounter(state.tierCounters, categoryKey, data.amountMinor);
      if (platformShareMinor !== 0n) {
        addToCounter(state.capUsageCounters, acrossKey, platformShareMinor);
        addToCounter(state.capUsageCounters, categoryKey, platformShareMinor);
      }
    }
  }

  const reserveMinor = data.reserveMinor ?? 0n;
  const balance = balanceFor(state, currency);
  addCredit(balance, lines[lines.length - 1]!.amountMinor - reserveMinor, Date.parse(data.availableAt));
  if (reserveMinor !== 0n) {
    const releasedAtEpochMilliseconds = Date.parse(data.reserveReleasedAt!);
    addCredit(balance, reserveMinor, releasedAtEpochMilliseconds);
    balance.reserves.push(releasedAtEpochMilliseconds, reserveMinor);
  }
}

function addCredit(balance: CurrencyBalanceState, amountMinor: bigint, availableAtEpochMilliseconds: number): void {
  if (amountMinor === 0n) return;
  balance.credits.push(availableAtEpochMilliseconds, amountMinor);
  balance.creditTotalMinor += amountMinor;
  if (availableAtEpochMilliseconds > balance.latestCreditAvailableAtEpochMilliseconds) {
    balance.latestCreditAvailableAtEpochMilliseconds = availableAtEpochMilliseconds;
  }
}

/** Applies a refund to its held receipt and holds the refund; a receipt not held is left to the stored events. */
function holdRefund(state: DeveloperState, data: RevenueRefunded['data']): void {
  const receipt = state.receipts.get(data.receiptId);
  if (receipt === undefined) return;
  assertInvariant(data.lines.length === receipt.remainingMinor.length, 'a reversal has one line per receipt line');
  for (let index = 0; index < data.lines.length; index += 1) {
    const remainingMinor = receipt.remainingMinor[index]! - data.lines[index]!.amountMinor;
    assertInvariant(remainingMinor >= 0n, 'a reversal never exceeds what is left of a line');
    receipt.remainingMinor[index] = remainingMinor;
  }
  receipt.refundedMinor += data.amountMinor;
  state.refunds.set(data.refundId, {
    refundId: data.refundId,
    receiptId: data.receiptId,
    amountMinor: data.amountMinor,
    occurredAt: data.occurredAt,
  });
}

function evolveRevenueRefunded(state: DeveloperState, data: RevenueRefunded['data']): void {
  holdRefund(state, data);
  balanceFor(state, data.currency).refundDebitTotalMinor += data.lines[data.lines.length - 1]!.amountMinor;
}

/** Applies a dispute's opening to its held receipt and holds the dispute; a receipt not held is left to the stored events. */
function holdOpenedDispute(state: DeveloperState, data: DisputeOpened['data']): void {
  const receipt = state.receipts.get(data.receiptId);
  if (receipt === undefined) return;
  assertInvariant(data.lines.length === receipt.remainingMinor.length, 'a dispute reversal has one line per receipt line');
  for (let index = 0; index < data.lines.length; index += 1) {
    const remainingMinor = receipt.remainingMinor[index]! - data.lines[index]!.amountMinor;
    assertInvariant(remainingMinor >= 0n, 'a dispute never reverses more than is left of a line');
    receipt.remainingMinor[index] = remainingMinor;
  }
  receipt.disputedMinor += data.amountMinor;
  state.disputes.set(data.disputeId, {
    disputeId: data.disputeId,
    receiptId: data.receiptId,
    amountMinor: data.amountMinor,
    feeMinor: data.feeMinor,
    openedAt: data.openedAt,
    lines: data.lines,
    status: 'open',
    resolvedAt: null,
  });
}

function evolveDisputeOpened(state: DeveloperState, data: DisputeOpened['data']): void {
  holdOpenedDispute(state, data);
  const balance = balanceFor(state, data.currency);
  balance.disputeDebitTotalMinor += data.lines[data.lines.length - 1]!.amountMinor;
  if (data.feeBearer === 'developer') balance.disputeFeeDebitTotalMinor += data.feeMinor;
}

/** Resolves a held dispute (a won one gives its reversal back to its receipt); a dispute not held is left to the stored events. */
function holdResolvedDispute(state: DeveloperState, data: DisputeResolved['data']): void {
  const dispute = state.disputes.get(data.disputeId);
  if (dispute === undefined) return;
  assertInvariant(dispute.status === 'open', 'only an open dispute is resolved');
  dispute.status = data.outcome;
  dispute.resolvedAt = data.resolvedAt;
  if (data.outcome === 'lost') return;
  // Won: the reversal of the opening goes back to the lines.
  const receipt = state.receipts.get(dispute.receiptId);
  assertInvariant(receipt !== undefined, 'a held dispute has its receipt held');
  for (let index = 0; index < dispute.lines.length; index += 1) {
    receipt.remainingMinor[index] = receipt.remainingMinor[index]! + dispute.lines[index]!.amountMinor;
  }
  receipt.disputedMinor -= dispute.amountMinor;
}

function evolveDisputeResolved(state: DeveloperState, data: DisputeResolved['data']): void {
  holdResolvedDispute(state, data);
  if (data.outcome === 'lost') return;
  // Won: the developer's line of the opening goes back to its balance. The event carries the
  // opening's lines (the decider copies them), so this does not need the dispute held.
  balanceFor(state, data.currency).disputeDebitTotalMinor -= data.lines[data.lines.length - 1]!.amountMinor;
}

// ---- Held receipts: a bounded working set -----------------------------------------------

/**
 * Restores receipts (with their refunds and disputes) into the held set from their stored
 * events, which the caller read from the stream: for each receipt, its `RevenueRecorded`
 * and every `RevenueRefunded`, `DisputeOpened` and `DisputeResolved` naming it, in stream
 * order, up to the state's version. Only the held records change: the counters, balances
 * and apps already count these events. A receipt held already is left as it is (it holds
 * its history already); events of a receipt whose `RevenueRecorded` is not given are
 * ignored.
 */
export function restoreHeldRecords(state: DeveloperState, events: readonly DeveloperEvent[]): void {
  const restoring = new Set<string>();
  for (const event of events) {
    switch (event.type) {
      case 'RevenueRecorded': {
        const data = event.data;
        if (state.receipts.has(data.receiptId)) break;
        const app = state.apps.get(data.appId);
        assertInvariant(app !== undefined, `RevenueRecorded for unknown app ${data.appId}`);
        holdReceipt(state, app, data, Date.parse(data.occurredAt));
        restoring.add(data.receiptId);
        break;
      }
      case 'RevenueRefunded':
        if (restoring.has(event.data.receiptId)) holdRefund(state, event.data);
        break;
      case 'DisputeOpened':
        if (restoring.has(event.data.receiptId)) holdOpenedDispute(state, event.data);
        break;
      case 'DisputeResolved':
        if (restoring.has(event.data.receiptId)) holdResolvedDispute(state, event.data);
        break;
      default:
        break;
    }
  }
}

/**
 * Lets go of the receipts held longest beyond `receiptsMaximum` (the oldest recorded or
 * restored first), each with its refunds and disputes, so that a held receipt keeps its
 * whole history. Returns how many receipts were let go.
 */
export function trimHeldReceipts(state: DeveloperState, receiptsMaximum: number): number {
  const excess = state.receipts.size - receiptsMaximum;
  if (excess <= 0) return 0;
  let released = 0;
  for (const receiptId of state.receipts.keys()) {
    if (released >= excess) break;
    state.receipts.delete(receiptId);
    released += 1;
  }
  for (const [refundId, refund] of state.refunds) {
    if (!state.receipts.has(refund.receiptId)) state.refunds.delete(refundId);
  }
  for (const [disputeId, dispute] of state.disputes) {
    if (!state.receipts.has(dispute.receiptId)) state.disputes.delete(disputeId);
  }
  return released;
}

/** Applies one event to the state, in place, and returns the same state object. */
export function evolveDeveloper(state: DeveloperState, event: DeveloperEvent): DeveloperState {
  switch (event.type) {
    case 'DeveloperRegistered': {
      const { developerId, name, country, incomeGroup } = event.data;
      state.registration = { developerId, name, country, incomeGroup, personalDataErasedAt: null };
      return state;
    }
    case 'PersonalDataErased': {
      assertInvariant(state.registration !== null, 'personal data is erased only of a registered developer');
      state.registration.personalDataErasedAt = event.data.erasedAt;
      return state;
    }
    case 'AppRegistered': {
      const versionState = contractVersionState(event.data.contract);
      state.apps.set(event.data.appId, {
        appId: event.data.appId,
        name: event.data.name,
        versions: [versionState],
        effectiveFromEpochMilliseconds: [versionState.terms.effectiveFromEpochMilliseconds],
        versionByContractHash: new Map([[versionState.record.hash, versionState.record.version]]),
        latestReceiptOccurredAt: null,
        latestReceiptOccurredAtEpochMilliseconds: Number.NEGATIVE_INFINITY,
      });
      return state;
    }
    case 'ContractAmended': {
      const app = state.apps.get(event.data.appId);
      assertInvariant(app !== undefined, `ContractAmended for unknown app ${event.data.appId}`);
      assertInvariant(event.data.contract.version === app.versions.length + 1, 'contract versions are consecutive');
      const versionState = contractVersionState(event.data.contract);
      app.versions.push(versionState);
      app.effectiveFromEpochMilliseconds.push(versionState.terms.effectiveFromEpochMilliseconds);
      // The first version of a hash keeps it: the decider never records the same terms twice.
      if (!app.versionByContractHash.has(versionState.record.hash)) app.versionByContractHash.set(versionState.record.hash, versionState.record.version);
      return state;
    }
    case 'RevenueRecorded':
      evolveRevenueRecorded(state, event.data);
      return state;
    case 'RevenueRefunded':
      evolveRevenueRefunded(state, event.data);
      return state;
    case 'PayoutRequested': {
      const data = event.data;
      state.payouts.set(data.payoutId, {
        payoutId: data.payoutId,
        currency: data.currency,
        amountMinor: data.amountMinor,
        requestedAt: data.requestedAt,
        conversion: data.conversion ?? null,
        status: 'pending',
        settledAt: null,
        reference: null,
        failedAt: null,
        reason: null,
      });
      balanceFor(state, data.currency).payoutDebitTotalMinor += data.amountMinor;
      return state;
    }
    case 'PayoutSettled': {
      const payout = state.payouts.get(event.data.payoutId);
      assertInvariant(payout !== undefined && payout.status === 'pending', 'only a pending payout settles');
      payout.status = 'settled';
      payout.settledAt = event.data.settledAt;
      payout.reference = event.data.reference;
      return state;
    }
    case 'PayoutFailed': {
      const payout = state.payouts.get(event.data.payoutId);
      assertInvariant(payout !== undefined && payout.status === 'pending', 'only a pending payout fails');
      payout.status = 'failed';
      payout.failedAt = event.data.failedAt;
      payout.reason = event.data.reason;
      // A failed payout credits back by no longer being counted.
      balanceFor(state, payout.currency).payoutDebitTotalMinor -= payout.amountMinor;
      return state;
    }
    case 'DisputeOpened':
      evolveDisputeOpened(state, event.data);
      return state;
    case 'DisputeResolved':
      evolveDisputeResolved(state, event.data);
      return state;
    case 'PayoutRunAssessed':
      // The payout itself is the PayoutRequested that follows.
      state.payoutRuns.set(event.data.runId, event.data.payoutId);
      return state;
    default: {
      // Events of other types (a later schema) do not change this state.
      return state;
    }
  }
}

/** Folds events into a fresh state. */
export function developerStateFrom(events: Iterable<DeveloperEvent>): DeveloperState {
  let state = initialDeveloperState();
  for (const event of events) state = evolveDeveloper(state, event);
  return state;
}
