/**
 * The decider of a developer stream: `decideDeveloper(command, state) → events`. Pure: it
 * reads the state and the command, never mutates the state, never reads a clock. Every
 * refusal is a typed DomainError. Idempotency: a command whose natural id (developer, app,
 * receipt, refund, payout) is already in the state with the same content gives no events;
 * with different content it is refused. Receipts, refunds and disputes are looked up among
 * the state's HELD records (`DeveloperState.receipts`): a caller that keeps a bounded
 * working set restores every one a command names before deciding it (the ledger's write
 * pipeline does, from the stored events), so that "not held" means "not recorded".
 */
import {
  AmendmentNotAfterPreviousVersion, AmendmentNotAfterRecordedReceipt, AppAlreadyRegistered, CommandUnknown,
  ContractCurrencyChange, CurrencyMismatch, DeveloperAlreadyRegistered, DeveloperNotRegistered, DuplicatePayout,
  DuplicateReceipt, DuplicateRefund, FieldInvalid, PayoutAboveAvailable, PayoutBelowMinimum, PayoutNotPending,
  PayoutOutcomeBeforeRequest, ReceiptBeforeFirstContractVersion, RefundBeforeReceipt, RefundExceedsRemaining, UnknownApp, UnknownPayout,
  UnknownReceipt, DeveloperNameErased, assertInvariant,
  PayoutRunConflict, PayoutRunIdTaken, PayoutConvertedAmountAboveMaximum, PayoutConvertedAmountZero, DisputeBeforeReceipt, DisputeExceedsRemaining, DisputeNotOpen, DisputeResolvedBeforeOpened, DuplicateDispute, UnknownDispute,
} from '../domain.errors';
import {
  AmendContract, CommandMetadata, DeveloperCommand, ErasePersonalData, FailPayout, RecordRevenue, RefundRevenue, RegisterApp, RegisterDeveloper,
  RequestPayout, SettlePayout, OpenDispute, ResolveDispute, DISPUTE_OUTCOMES, DisputeOutcome, AssessRunPayout,
} from '../ledger.commands';
import { DeveloperEvent, PayoutConversion, SPLIT_RULE_VERSION, SplitLine } from '../ledger.events';
import { MONEY_MAXIMUM_MINOR, formatMoney, parseCurrency, parseMoney } from '../money/money';
import { FX_CONVERSION_RULE_VERSION, convertAmountMinor, parseFxRate } from '../money/fx-conversion';
import { addDaysToEpochMilliseconds } from '../time/instant';
import { type BookingTime, bookingTimeOf, parseOccurredTime } from '../time/business-time';
import { parseIdentifier, parseOptionalText, parseText } from '../identifier.parser';
import { type NameProtection, isProtectedText, parseNameProtection } from './personal-data';
import { parseCountryCode, parseOptionalIncomeGroup } from '../reference/reference-data.parser';
import {
  FX_SOURCE_LENGTH_MAXIMUM, IDENTIFIER_LENGTH_MAXIMUM, NAME_LENGTH_MAXIMUM, REASON_LENGTH_MAXIMUM, REFERENCE_LENGTH_MAXIMUM, RUN_ID_LENGTH_MAXIMUM,
} from '../limits/ledger-limits';
import { sha256Hex } from '../contract/canonical-json';
import { checkNewContractTerms, parseContractTerms } from '../contract/contract-terms.parser';
import { contractVersionRecord, selectContractVersionIndex } from '../contract/contract-version.selector';
import { splitReceipt } from '../split/split-receipt.rule';
import { platformShareTermsOf } from '../contract/contract-terms';
import { parseRevenueCategory } from '../contract/revenue-category';
import { reverseRefund } from '../split/refund-reversal.rule';
import {
  DeveloperRegistration, DeveloperState, availableBalanceMinor, counterKey, receiptRemainingMinor, scopeKey, windowKey,
} from './developer.state';

export { initialDeveloperState, evolveDeveloper } from './developer.state';

type CommandData = Record<string, unknown>;

function commandData(command: { data: unknown }): CommandData {
  const data = command.data;
  if (typeof data !== 'object' || data === null || Array.isArray(data)) throw new FieldInvalid('data', 'an object is required');
  return data as CommandData;
}

function requireRegistration(state: DeveloperState, developerId: string | null): DeveloperRegistration {
  const registration = state.registration;
  if (registration === null) throw new DeveloperNotRegistered(developerId ?? '(this stream)');
  if (developerId !== null && developerId !== registration.developerId) throw new DeveloperNotRegistered(developerId);
  return registration;
}

/**
 * Decides one command on the state of its developer stream. `metadata.bookedAt` bounds the
 * command's business times; it is never compared with anything recorded, so a replay of
 * recorded events does not depend on when it runs.
 */
export function decideDeveloper(command: DeveloperCommand, state: DeveloperState, metadata: CommandMetadata): DeveloperEvent[] {
  if (typeof command !== 'object' || command === null) throw new CommandUnknown(command);
  const booking = bookingTimeOf(metadata.bookedAt);
  switch (command.type) {
    case 'RegisterDeveloper': return decideRegisterDeveloper(command, state);
    case 'ErasePersonalData': return decideErasePersonalData(command, state, booking);
    case 'RegisterApp': return decideRegisterApp(command, state, booking);
    case 'AmendContract': return decideAmendContract(command, state, booking);
    case 'RecordRevenue': return decideRecordRevenue(command, state, booking);
    case 'RefundRevenue': return decideRefundRevenue(command, state, booking);
    case 'RequestPayout': return decideRequestPayout(command, state, booking);
    case 'SettlePayout': return decideSettlePayout(command, state, booking);
    case 'FailPayout': return decideFailPayout(command, state, booking);
    case 'OpenDispute': return decideOpenDispute(command, state, booking);
    case 'ResolveDispute': return decideResolveDispute(command, state, booking);
    case 'AssessRunPayout': return decideAssessRunPayout(command, state, booking);
    default: throw new CommandUnknown((command as { type?: unknown }).type);
  }
}

function decideRegisterDeveloper(command: RegisterDeveloper, state: DeveloperState): DeveloperEvent[] {
  const data = commandData(command);
  const developerId = parseIdentifier(data.developerId, 'developerId');
  const name = parseText(data.name, 'name', NAME_LENGTH_MAXIMUM);
  const country = parseCountryCode(data.country, 'country');
  const incomeGroup = parseOptionalIncomeGroup(data.incomeGroup, 'incomeGroup');
  // The edges never set it; the ledger's application layer always does (personal-data.ts).
  assertInvariant(data.nameProtection !== undefined, 'a registration reaches the domain with its name protected');
  const protection = parseNameProtection(data.nameProtection);
  const registration = state.registration;
  if (registration !== null) {
    const identical = registration.developerId === developerId && registration.country === country
      && registration.incomeGroup === incomeGroup && sameRegisteredName(registration, name, protection);
    if (identical) return [];
    throw new DeveloperAlreadyRegistered(registration.developerId);
  }
  if (protection.kind === 'erased') throw new DeveloperNameErased(developerId);
  return [{ type: 'DeveloperRegistered', data: { developerId, name: protection.name, country, incomeGroup } }];
}

/**
 * Whether a re-sent registration names the developer as recorded. A protected name is the
 * same when its commitment (keyed by the developer's data key) is; a name recorded before
 * protection is compared as plaintext. After an erasure the name can no longer be compared
 * and is not recorded again: the registration's other facts decide alone, so that an import
 * re-run after an erasure records nothing and is not refused.
 */
function sameRegisteredName(registration: DeveloperRegistration, name: string, protection: NameProtection): boolean {
  if (registration.personalDataErasedAt !== null) return true;
  if (!isProtectedText(registration.name)) return registration.name === name;
  return protection.kind === 'protected' && protection.name.commitment === registration.name.commitment;
}

function decideErasePersonalData(command: ErasePersonalData, state: DeveloperState, booking: BookingTime): DeveloperEvent[] {
  const data = commandData(command);
  const developerId = parseIdentifier(data.developerId, 'developerId');
  const reason = parseOptionalText(data.reason, 'reason', REASON_LENGTH_MAXIMUM);
  const registration = requireRegistration(state, developerId);
  // Erased once for good: a repeated request (whatever its reason) records nothing.
  if (registration.personalDataErasedAt !== null) return [];
  return [{ type: 'PersonalDataErased', data: { developerId, erasedAt: booking.iso, reason } }];
}

function decideRegisterApp(command: RegisterApp, state: DeveloperState, booking: BookingTime): DeveloperEvent[] {
  const data = commandData(command);
  const appId = parseIdentifier(data.appId, 'appId');
  const developerId = parseIdentifier(data.developerId, 'developerId');
  const name = parseText(data.name, 'name', NAME_LENGTH_MAXIMUM);
  const terms = checkNewContractTerms(parseContractTerms(data.contract, 'contract'), 'contract', booking);
  requireRegistration(state, developerId);
  const contract = contractVersionRecord(1, terms);
  const existing = state.apps.get(appId);
  if (existing !== undefined) {
    if (existing.name === name && existing.versions[0]!.record.hash === contract.hash) return [];
    throw new AppAlreadyRegistered(appId);
  }
  return [{ type: 'AppRegistered', data: { appId, developerId, name, contract } }];
}

function decideAmendContract(command: AmendContract, state: DeveloperState, booking: BookingTime): DeveloperEvent[] {
  const data = commandData(command);
  const appId = parseIdentifier(data.appId, 'appId');
  const terms = checkNewContractTerms(parseContractTerms(data.contract, 'contract'), 'contract', booking);
  const registration = requireRegistration(state, null);
  const app = state.apps.get(appId);
  if (app === undefined) throw new UnknownApp(appId);
  const latest = app.versions[app.versions.length - 1]!;
  const contract = contractVersionRecord(app.versions.length + 1, terms);
  // Idempotent by content across all versions: an import re-run that holds two amendments
  // of one app meets the earlier one after the later is recorded.
  if (app.versionByContractHash.has(contract.hash)) return [];
  if (terms.currency !== latest.terms.currency) throw new ContractCurrencyChange(latest.terms.currency, terms.currency);
  if (terms.effectiveFromEpochMilliseconds <= latest.terms.effectiveFromEpochMilliseconds) {
    throw new AmendmentNotAfterPreviousVersion(terms.effectiveFrom, latest.terms.effectiveFrom);
  }
  if (app.latestReceiptOccurredAt !== null && terms.effectiveFromEpochMilliseconds <= app.latestReceiptOccurredAtEpochMilliseconds) {
    throw new AmendmentNotAfterRecordedReceipt(terms.effectiveFrom, app.latestReceiptOccurredAt);
  }
  return [{ type: 'ContractAmended', data: { appId, developerId: registration.developerId, contract } }];
}

function decideRecordRevenue(command: RecordRevenue, state: DeveloperState, booking: BookingTime): DeveloperEvent[] {
  const data = commandData(command);
  const receiptId = parseIdentifier(data.receiptId, 'receiptId');
  const appId = parseIdentifier(data.appId, 'appId');
  const currency = parseCurrency(data.currency, 'currency');
  const amountMinor = parseMoney(data.amount, currency, { field: 'amount' });
  const occurredAt = parseOccurredTime(data.occurredAt, 'occurredAt', booking);
  const category = parseRevenueCategory(data.category, 'category');
  const registration = requireRegistration(state, null);
  const app = state.apps.get(appId);
  if (app === undefined) throw new UnknownApp(appId);

  const existing = state.receipts.get(receiptId);
  if (existing !== undefined) {
    // A retry that names another category is another receipt: refused like any differing field.
    const identical = existing.appId === appId && existing.currency === currency
      && existing.amountMinor === amountMinor && existing.occurredAt === occurredAt.iso && existing.category === category;
    if (identical) return [];
    throw new DuplicateReceipt(receiptId);
  }

  const contractCurrency = app.versions[0]!.terms.currency;
  if (currency !== contractCurrency) throw new CurrencyMismatch(currency, contractCurrency);
  const versionIndex = selectContractVersionIndex(app.effectiveFromEpochMilliseconds, occurredAt.epochMilliseconds);
  if (versionIndex < 0) throw new ReceiptBeforeFirstContractVersion(occurredAt.iso, app.versions[0]!.terms.effectiveFrom);
  const version = app.versions[versionIndex]!;
  const terms = version.terms;

  // The tiers of the receipt's category count in that category's window and scope; the cap
  // counts in the contract's default scope. Each counter counts every category or only this
  // one, as the contract's `counter` settings say.
  const share = platformShareTermsOf(terms, category);
  const tierCategory = terms.platformShare.counter === 'per_category' ? category : null;
  const tierKey = counterKey(scopeKey(share.scope, appId), currency, windowKey(share.window, occurredAt.iso), tierCategory);
  const tierCounterMinor = state.tierCounters.get(tierKey) ?? 0n;
  let capUsageMinor = 0n;
  if (terms.platformCap !== null) {
    const capCategory = terms.platformCap.counter === 'per_category' ? category : null;
    const capKey = counterKey(scopeKey(terms.platformShare.scope, appId), currency, windowKey(terms.platformCap.window, occurredAt.iso), capCategory);
    capUsageMinor = state.capUsageCounters.get(capKey) ?? 0n;
  }
  const split = splitReceipt({
    terms,
    category,
    developerId: registration.developerId,
    basisMinor: amountMinor,
    tierCounterMinor,
    capUsageMinor,
  });

  return [{
    type: 'RevenueRecorded',
    data: {
      receiptId,
      appId,
      developerId: registration.developerId,
      currency,
      amountMinor,
      occurredAt: occurredAt.iso,
      category,
      contractVersion: version.record.version,
      contractHash: version.record.hash,
      splitRuleVersion: SPLIT_RULE_VERSION,
      lines: split.lines,
      availableAt: addDaysToEpochMilliseconds(occurredAt.epochMilliseconds, terms.holdDays),
      ...(terms.reserve === null ? {} : {
        // floor: fractions of a minor unit stay available with the rest of the line.
        reserveMinor: (split.lines[split.lines.length - 1]!.amountMinor * terms.reserve.rate.numerator) / terms.reserve.rate.denominator,
        reserveReleasedAt: addDaysToEpochMilliseconds(occurredAt.epochMilliseconds, terms.reserve.holdDays),
      }),
    },
  }];
}

function decideRefundRevenue(command: RefundRevenue, state: DeveloperState, booking: BookingTime): DeveloperEvent[] {
  const data = commandData(command);
  const refundId = parseIdentifier(data.refundId, 'refundId');
  const receiptId = parseIdentifier(data.receiptId, 'receiptId');
  const occurredAt = parseOccurredTime(data.occurredAt, 'occurredAt', booking);
  const registration = requireRegistration(state, null);

  const existing = state.refunds.get(refundId);
  if (existing !== undefined) {
    const existingReceipt = state.receipts.get(existing.receiptId);
    assertInvariant(existingReceipt !== undefined, 'a recorded refund has its receipt');
    const amountMinor = parseMoney(data.amount, existingReceipt.currency, { field: 'amount' });
    const identical = existing.receiptId === receiptId && existing.amountMinor === amountMinor && existing.occurredAt === occurredAt.iso;
    if (identical) return [];
    throw new DuplicateRefund(refundId);
  }

  const receipt = state.receipts.get(receiptId);
  if (receipt === undefined) throw new UnknownReceipt(receiptId);
  const amountMinor = parseMoney(data.amount, receipt.currency, { field: 'amount' });
  if (occurredAt.epochMilliseconds < receipt.occurredAtEpochMilliseconds) throw new RefundBeforeReceipt(occurredAt.iso, receipt.occurredAt);
  // What is under dispute (open or lost) cannot be refunded as well.
  const remainingTotalMinor = receiptRemainingMinor(receipt);
  if (amountMinor > remainingTotalMinor) throw new RefundExceedsRemaining(receiptId, formatMoney(remainingTotalMinor, receipt.currency));

  const remainingLines: SplitLine[] = receipt.parties.map((party, index) => ({ party, amountMinor: receipt.remainingMinor[index]! }));
  const version = state.apps.get(receipt.appId)?.versions[receipt.contractVersion - 1];
  assertInvariant(version !== undefined, `receipt ${receiptId} names a contract version its app has`);
  const lines = reverseRefund({ remainingLines, refundMinor: amountMinor });
  return [{
    type: 'RevenueRefunded',
    data: {
      refundId,
      receiptId,
      appId: receipt.appId,
      developerId: registration.developerId,
      currency: receipt.currency,
      amountMinor,
      occurredAt: occurredAt.iso,
      category: receipt.category,
      contractVersion: receipt.contractVersion,
      contractHash: version.record.hash,
      splitRuleVersion: SPLIT_RULE_VERSION,
      lines,
    },
  }];
}

/**
 * The minimum payout in a currency is the largest `minimumPayout` among the latest contract
 * versions of the developer's apps in that currency (the strictest contract wins, so no
 * contract's minimum is ever undercut). Without an app in that currency it is zero.
 */
export function minimumPayoutMinor(state: DeveloperState, currency: string): bigint {
  let minimumMinor = 0n;
  for (const app of state.apps.values()) {
    const latest = app.versions[app.versions.length - 1]!.terms;
    if (latest.currency === currency && latest.minimumPayoutMinor > minimumMinor) minimumMinor = latest.minimumPayoutMinor;
  }
  return minimumMinor;
}

const CONVERSION_FIELDS = ['payoutCurrency', 'fxRate', 'fxSource'] as const;

/**
 * The conversion a RequestPayout asks for, or null when it names none of `payoutCurrency`,
 * `fxRate`, `fxSource` (null and absent alike). Naming some but not all is refused with the
 * first missing field: a rate without its source, or a currency without a rate, is a mistake,
 * never a default. A payout currency equal to the balance currency is refused too (a rate
 * other than 1 would pay an amount that is not the debit; a rate of 1 says nothing).
 */
function parsePayoutConversion(data: CommandData, currency: string, amountMinor: bigint): PayoutConversion | null {
  const named = CONVERSION_FIELDS.filter((field) => data[field] !== undefined && data[field] !== null);
  if (named.length === 0) return null;
  const missing = CONVERSION_FIELDS.find((field) => !named.includes(field));
  if (missing !== undefined) {
    throw new FieldInvalid(missing, `required with ${named.join(' and ')}: a payout in another currency names payoutCurrency, fxRate and fxSource together`);
  }
  const payoutCurrency = parseCurrency(data.payoutCurrency, 'payoutCurrency');
  if (payoutCurrency === currency) {
    throw new FieldInvalid('payoutCurrency', `must differ from currency ${currency}; leave out payoutCurrency, fxRate and fxSource to pay out in ${currency}`);
  }
  const rate = parseFxRate(data.fxRate, 'fxRate');
  const fxSource = parseText(data.fxSource, 'fxSource', FX_SOURCE_LENGTH_MAXIMUM);
  const payoutAmountMinor = convertAmountMinor(amountMinor, currency, payoutCurrency, rate);
  if (payoutAmountMinor === 0n) throw new PayoutConvertedAmountZero(payoutCurrency);
  if (payoutAmountMinor > MONEY_MAXIMUM_MINOR) throw new PayoutConvertedAmountAboveMaximum(formatMoney(MONEY_MAXIMUM_MINOR, payoutCurrency));
  return { payoutCurrency, payoutAmountMinor, fxRate: rate.text, fxSource, fxRuleVersion: FX_CONVERSION_RULE_VERSION };
}

function sameConversion(recorded: PayoutConversion | null, requested: PayoutConversion | null): boolean {
  if (recorded === null || requested === null) return recorded === requested;
  // The amount follows from the rest under the recorded rule; a payout recorded under an
  // older rule re-sent today is the same request if it names the same currency, rate and source.
  return recorded.payoutCurrency === requested.payoutCurrency && recorded.fxRate === requested.fxRate && recorded.fxSource === requested.fxSource;
}

function decideRequestPayout(command: RequestPayout, state: DeveloperState, booking: BookingTime): DeveloperEvent[] {
  const data = commandData(command);
  const payoutId = parseIdentifier(data.payoutId, 'payoutId');
  const developerId = parseIdentifier(data.developerId, 'developerId');
  const currency = parseCurrency(data.currency, 'currency');
  const amountMinor = parseMoney(data.amount, currency, { field: 'amount' });
  // Bounded by the booking time: availability is computed as of requestedAt, so a future
  // requestedAt would release credits still on hold.
  const requestedAt = parseOccurredTime(data.requestedAt, 'requestedAt', booking);
  const conversion = parsePayoutConversion(data, currency, amountMinor);
  requireRegistration(state, developerId);

  const existing = state.payouts.get(payoutId);
  if (existing !== undefined) {
    const identical = existing.currency === currency && existing.amountMinor === amountMinor && existing.requestedAt === requestedAt.iso
      && sameConversion(existing.conversion, conversion);
    if (identical) return [];
    throw new DuplicatePayout(payoutId);
  }
  // The minimum and the available balance are in the balance currency, whatever is paid out.
  const minimumMinor = minimumPayoutMinor(state, currency);
  if (amountMinor < minimumMinor) throw new PayoutBelowMinimum(formatMoney(minimumMinor, currency));
  const availableMinor = availableBalanceMinor(state, currency, requestedAt.epochMilliseconds);
  if (amountMinor > availableMinor) throw new PayoutAboveAvailable(formatMoney(availableMinor, currency));
  return [{
    type: 'PayoutRequested',
    data: { payoutId, developerId, currency, amountMinor, requestedAt: requestedAt.iso, ...(conversion === null ? {} : { conversion }) },
  }];
}

/** The conversion of a payout, copied onto its settlement or failure (absent when paid in its own currency). */
function conversionOf(payout: { conversion: PayoutConversion | null }): { conversion?: PayoutConversion } {
  return payout.conversion === null ? {} : { conversion: { ...payout.conversion } };
}

function decideSettlePayout(command: SettlePayout, state: DeveloperState, booking: BookingTime): DeveloperEvent[] {
  const data = commandData(command);
  const payoutId = parseIdentifier(data.payoutId, 'payoutId');
  const settledAt = parseOccurredTime(data.settledAt, 'settledAt', booking);
  const reference = parseText(data.reference, 'reference', REFERENCE_LENGTH_MAXIMUM);
  const registration = requireRegistration(state, null);
  const payout = state.payouts.get(payoutId);
  if (payout === undefined) throw new UnknownPayout(payoutId);
  if (payout.status === 'settled' && payout.settledAt === settledAt.iso && payout.reference === reference) return [];
  if (payout.status !== 'pending') throw new PayoutNotPending(payoutId, payout.status);
  if (settledAt.epochMilliseconds < Date.parse(payout.requestedAt)) throw new PayoutOutcomeBeforeRequest('settledAt', settledAt.iso, payout.requestedAt);
  return [{
    type: 'PayoutSettled',
    data: {
      payoutId, developerId: registration.developerId, currency: payout.currency, amountMinor: payout.amountMinor,
      settledAt: settledAt.iso, reference, ...conversionOf(payout),
    },
  }];
}

function decideFailPayout(command: FailPayout, state: DeveloperState, booking: BookingTime): DeveloperEvent[] {
  const data = commandData(command);
  const payoutId = parseIdentifier(data.payoutId, 'payoutId');
  const failedAt = parseOccurredTime(data.failedAt, 'failedAt', booking);
  const reason = parseText(data.reason, 'reason', REASON_LENGTH_MAXIMUM);
  const registration = requireRegistration(state, null);
  const payout = state.payouts.get(payoutId);
  if (payout === undefined) throw new UnknownPayout(payoutId);
  if (payout.status === 'failed' && payout.failedAt === failedAt.iso && payout.reason === reason) return [];
  if (payout.status !== 'pending') throw new PayoutNotPending(payoutId, payout.status);
  if (failedAt.epochMilliseconds < Date.parse(payout.requestedAt)) throw new PayoutOutcomeBeforeRequest('failedAt', failedAt.iso, payout.requestedAt);
  return [{
    type: 'PayoutFailed',
    data: {
      payoutId, developerId: registration.developerId, currency: payout.currency, amountMinor: payout.amountMinor,
      failedAt: failedAt.iso, reason, ...conversionOf(payout),
    },
  }];
}

function decideOpenDispute(command: OpenDispute, state: DeveloperState, booking: BookingTime): DeveloperEvent[] {
  const data = commandData(command);
  const disputeId = parseIdentifier(data.disputeId, 'disputeId');
  const receiptId = parseIdentifier(data.receiptId, 'receiptId');
  const openedAt = parseOccurredTime(data.openedAt, 'openedAt', booking);
  const registration = requireRegistration(state, null);

  const existing = state.disputes.get(disputeId);
  if (existing !== undefined) {
    const existingReceipt = state.receipts.get(existing.receiptId);
    assertInvariant(existingReceipt !== undefined, 'a recorded dispute has its receipt');
    const amountMinor = parseMoney(data.amount, existingReceipt.currency, { field: 'amount' });
    const feeMinor = parseMoney(data.fee, existingReceipt.currency, { field: 'fee', allowZero: true });
    const identical = existing.receiptId === receiptId && existing.amountMinor === amountMinor && existing.feeMinor === feeMinor
      && existing.openedAt === openedAt.iso;
    if (identical) return [];
    throw new DuplicateDispute(disputeId);
  }

  const receipt = state.receipts.get(receiptId);
  if (receipt === undefined) throw new UnknownReceipt(receiptId);
  const amountMinor = parseMoney(data.amount, receipt.currency, { field: 'amount' });
  const feeMinor = parseMoney(data.fee, receipt.currency, { field: 'fee', allowZero: true });
  if (openedAt.epochMilliseconds < receipt.occurredAtEpochMilliseconds) throw new DisputeBeforeReceipt(openedAt.iso, receipt.occurredAt);
  const remainingTotalMinor = receiptRemainingMinor(receipt);
  if (amountMinor > remainingTotalMinor) throw new DisputeExceedsRemaining(receiptId, formatMoney(remainingTotalMinor, receipt.currency));

  const version = state.apps.get(receipt.appId)?.versions[receipt.contractVersion - 1];
  assertInvariant(version !== undefined, `receipt ${receiptId} names a contract version its app has`);
  const remainingLines: SplitLine[] = receipt.parties.map((party, index) => ({ party, amountMinor: receipt.remainingMinor[index]! }));
  const lines = reverseRefund({ remainingLines, refundMinor: amountMinor });
  return [{
    type: 'DisputeOpened',
    data: {
      disputeId,
      receiptId,
      appId: receipt.appId,
      developerId: registration.developerId,
      currency: receipt.currency,
      amountMinor,
      feeMinor,
      feeBearer: version.terms.disputeFeeBearer,
      openedAt: openedAt.iso,
      contractVersion: receipt.contractVersion,
      contractHash: version.record.hash,
      splitRuleVersion: SPLIT_RULE_VERSION,
      lines,
    },
  }];
}

function parseDisputeOutcome(input: unknown): DisputeOutcome {
  if (typeof input !== 'string' || !(DISPUTE_OUTCOMES as readonly string[]).includes(input)) {
    throw new FieldInvalid('outcome', `one of ${DISPUTE_OUTCOMES.join(', ')} is required`);
  }
  return input as DisputeOutcome;
}

function decideResolveDispute(command: ResolveDispute, state: DeveloperState, booking: BookingTime): DeveloperEvent[] {
  const data = commandData(command);
  const disputeId = parseIdentifier(data.disputeId, 'disputeId');
  const outcome = parseDisputeOutcome(data.outcome);
  const resolvedAt = parseOccurredTime(data.resolvedAt, 'resolvedAt', booking);
  const registration = requireRegistration(state, null);
  const dispute = state.disputes.get(disputeId);
  if (dispute === undefined) throw new UnknownDispute(disputeId);
  if (dispute.status === outcome && dispute.resolvedAt === resolvedAt.iso) return [];
  if (dispute.status !== 'open') throw new DisputeNotOpen(disputeId, dispute.status);
  if (resolvedAt.epochMilliseconds < Date.parse(dispute.openedAt)) throw new DisputeResolvedBeforeOpened(resolvedAt.iso, dispute.openedAt);
  const receipt = state.receipts.get(dispute.receiptId);
  assertInvariant(receipt !== undefined, 'a dispute has its receipt');
  return [{
    type: 'DisputeResolved',
    data: {
      disputeId,
      receiptId: dispute.receiptId,
      appId: receipt.appId,
      developerId: registration.developerId,
      currency: receipt.currency,
      amountMinor: dispute.amountMinor,
      outcome,
      resolvedAt: resolvedAt.iso,
      lines: dispute.lines.map((line) => ({ party: line.party, amountMinor: line.amountMinor })),
    },
  }];
}

/** A payout run's id: an identifier of at most RUN_ID_LENGTH_MAXIMUM characters. */
export function parseRunId(input: unknown): string {
  const runId = parseIdentifier(input, 'runId');
  if (runId.length > RUN_ID_LENGTH_MAXIMUM) throw new FieldInvalid('runId', `at most ${RUN_ID_LENGTH_MAXIMUM} characters`);
  return runId;
}

/**
 * The payout id of a developer in a run: `<runId>:<developerId>`, or, when that would pass the
 * identifier limit, `<runId>:<first 32 hex digits of SHA-256 of the developer id>`.
 */
export function runPayoutId(runId: string, developerId: string): string {
  const readable = `${runId}:${developerId}`;
  if (readable.length <= IDENTIFIER_LENGTH_MAXIMUM) return readable;
  return `${runId}:${sha256Hex(developerId).slice(0, 32)}`;
}

/**
 * One developer's part of a payout run: available as of `asOf` (as for RequestPayout) is paid
 * out whole when it is positive and at least the minimum payout. Recorded either way
 * (`PayoutRunAssessed`), so that a run id assessed once decides nothing again, whatever the
 * balance has become since.
 */
function decideAssessRunPayout(command: AssessRunPayout, state: DeveloperState, booking: BookingTime): DeveloperEvent[] {
  const data = commandData(command);
  const runId = parseRunId(data.runId);
  const developerId = parseIdentifier(data.developerId, 'developerId');
  const currency = parseCurrency(data.currency, 'currency');
  const asOf = parseOccurredTime(data.asOf, 'asOf', booking);
  requireRegistration(state, developerId);
  if (state.payoutRuns.has(runId)) return [];
  const availableMinor = availableBalanceMinor(state, currency, asOf.epochMilliseconds);
  const minimumMinor = minimumPayoutMinor(state, currency);
  const paid = availableMinor > 0n && availableMinor >= minimumMinor;
  const payoutId = paid ? runPayoutId(runId, developerId) : null;
  if (payoutId !== null && state.payouts.has(payoutId)) throw new PayoutRunIdTaken(runId, payoutId);
  const assessed: DeveloperEvent = {
    type: 'PayoutRunAssessed',
    data: { runId, developerId, currency, asOf: asOf.iso, availableMinor, minimumPayoutMinor: minimumMinor, payoutId },
  };
  if (payoutId === null) return [assessed];
  return [assessed, { type: 'PayoutRequested', data: { payoutId, developerId, currency, amountMinor: availableMinor, requestedAt: asOf.iso } }];
}

/** Refuses a payout run id re-sent with another currency or asOf than recorded (checked by the application layer against the run's rows). */
export function checkPayoutRunMatches(runId: string, recorded: { currency: string; asOf: string }, requested: { currency: string; asOf: string }): void {
  if (recorded.currency !== requested.currency || recorded.asOf !== requested.asOf) {
    throw new PayoutRunConflict(runId, `currency ${recorded.currency} and asOf ${recorded.asOf}`);
  }
}
