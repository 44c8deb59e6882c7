import type { EventHashBody } from '../core/event-hash';
import { conversionFailure, currencyExponent, decodeDeveloperEvent, formatMoney, type DeveloperEvent, type PayoutConversion } from '@rsi/domain';
import type { ProofStep } from './merkle-tree';

/**
 * One line of a developer's statement and how it follows from its event. Pure: the
 * statement builder and the offline verifier both derive a line's figures from the event's
 * body with `statementFiguresOf`, so a line whose figures were edited no longer matches the
 * body that its hash, and so its Merkle proof, vouch for.
 */
export type StatementLineKind = 'receipt_credit' | 'refund_debit' | 'payout_requested' | 'payout_settled' | 'payout_failed'
  | 'dispute_debit' | 'dispute_won' | 'dispute_lost';

/** What a line says, all derived from the event body and its booking time. */
export type StatementFigures = {
  kind: StatementLineKind;
  /** receiptId, refundId, payoutId or disputeId. */
  reference: string;
  appId: string | null;
  /** The receipt a refund reverses. */
  receiptId: string | null;
  currency: string;
  /** Effect on the developer's balance, signed decimal string ("-3.10"). */
  amount: string;
  /** The receipt's or refund's whole amount (all parties), or the payout's. */
  grossAmount: string;
  /** Business time: occurredAt, requestedAt, settledAt or failedAt. */
  occurredAt: string;
  /** Booking time: the event's recordedAt. */
  bookedAt: string;
  /** When a receipt credit stops being pending. */
  availableAt: string | null;
  contractVersion: number | null;
  contractHash: string | null;
  /** The revenue category of a receipt credit or refund debit (of its receipt); null on other lines. */
  category: string | null;
} & Partial<StatementConversionFigures>;

/**
 * A payout in another currency (docs/domain.md "Payouts in another currency"): what its
 * request, settlement or failure pays, in which currency, at which rate from which source.
 * Present on those lines only, so that a statement without such payouts reads as before.
 */
export type StatementConversionFigures = {
  payoutCurrency: string;
  /** In the payout currency, with its decimals ("186711" for JPY). */
  payoutAmount: string;
  fxRate: string;
  fxSource: string;
};

/**
 * The body an event hash covers, `eventHash = SHA-256(canonicalJson(eventBody))`: under hash
 * scheme 1 `{type, data, previousEventHash}`, under scheme 2 also stream, version, event id,
 * actor, command id, booking time and schema version (`libs/ledger/src/event-hash.ts`).
 */
export type EventBody = EventHashBody;

export type StatementLine = StatementFigures & {
  eventId: string;
  eventHash: string;
  eventBody: EventBody;
  /** Position of the event's leaf in the covering seal's tree, or null when not sealed. */
  leafIndex: number | null;
  proof: ProofStep[] | null;
  merkleRoot: string | null;
  sealPeriod: string | null;
};

function developerLineMinor(lines: readonly { party: string; amountMinor: bigint }[], developerId: string): bigint {
  const party = `developer:${developerId}`;
  let amountMinor = 0n;
  for (const line of lines) if (line.party === party) amountMinor += line.amountMinor;
  return amountMinor;
}

/** The signed effect of an event on the developer's balance, or null if it is no statement line. */
export function balanceEffectOf(event: DeveloperEvent): { currency: string; amountMinor: bigint } | null {
  switch (event.type) {
    case 'RevenueRecorded': return { currency: event.data.currency, amountMinor: developerLineMinor(event.data.lines, event.data.developerId) };
    case 'RevenueRefunded': return { currency: event.data.currency, amountMinor: -developerLineMinor(event.data.lines, event.data.developerId) };
    case 'PayoutRequested': return { currency: event.data.currency, amountMinor: -event.data.amountMinor };
    // Settling moves money from in-flight to paid: the developer's balance was debited at the request.
    case 'PayoutSettled': return { currency: event.data.currency, amountMinor: 0n };
    case 'PayoutFailed': return { currency: event.data.currency, amountMinor: event.data.amountMinor };
    // Opening: the developer's line is held and the fee charged when the developer bears it.
    case 'DisputeOpened': {
      const feeMinor = event.data.feeBearer === 'developer' ? event.data.feeMinor : 0n;
      return { currency: event.data.currency, amountMinor: -developerLineMinor(event.data.lines, event.data.developerId) - feeMinor };
    }
    // Won: the held line comes back; lost: the reversal stays (nothing moves now).
    case 'DisputeResolved': return {
      currency: event.data.currency,
      amountMinor: event.data.outcome === 'won' ? developerLineMinor(event.data.lines, event.data.developerId) : 0n,
    };
    default: return null;
  }
}

/** The conversion of a payout event, or null (another event, or a payout in its own currency). */
export function payoutConversionOf(event: DeveloperEvent): PayoutConversion | null {
  if (event.type !== 'PayoutRequested' && event.type !== 'PayoutSettled' && event.type !== 'PayoutFailed') return null;
  return event.data.conversion ?? null;
}

export function statementFiguresOfEvent(event: DeveloperEvent, bookedAt: string): StatementFigures | null {
  const figures = unorderedFiguresOf(event, bookedAt);
  if (figures === null) return null;
  // Fields in reading order (kind, reference, … bookedAt …), whatever order they were built in.
  const ordered = Object.fromEntries(STATEMENT_FIGURE_FIELDS.map((field) => [field, figures[field]])) as StatementFigures;
  const conversion = payoutConversionOf(event);
  if (conversion === null) return ordered;
  const conversionFigures: StatementConversionFigures = {
    payoutCurrency: conversion.payoutCurrency, payoutAmount: formatMoney(conversion.payoutAmountMinor, conversion.payoutCurrency),
    fxRate: conversion.fxRate, fxSource: conversion.fxSource,
  };
  return { ...ordered, ...conversionFigures };
}

function unorderedFiguresOf(event: DeveloperEvent, bookedAt: string): StatementFigures | null {
  const effect = balanceEffectOf(event);
  if (effect === null) return null;
  const money = (amountMinor: bigint) => formatMoney(amountMinor, effect.currency);
  const common = { currency: effect.currency, amount: money(effect.amountMinor), bookedAt, category: null };
  switch (event.type) {
    case 'RevenueRecorded': return {
      ...common, kind: 'receipt_credit', reference: event.data.receiptId, appId: event.data.appId, receiptId: event.data.receiptId,
      grossAmount: money(event.data.amountMinor), occurredAt: event.data.occurredAt, availableAt: event.data.availableAt,
      contractVersion: event.data.contractVersion, contractHash: event.data.contractHash, category: event.data.category,
    };
    case 'RevenueRefunded': return {
      ...common, kind: 'refund_debit', reference: event.data.refundId, appId: event.data.appId, receiptId: event.data.receiptId,
      grossAmount: money(event.data.amountMinor), occurredAt: event.data.occurredAt, availableAt: null,
      contractVersion: event.data.contractVersion, contractHash: event.data.contractHash, category: event.data.category,
    };
    case 'PayoutRequested': return {
      ...common, kind: 'payout_requested', reference: event.data.payoutId, appId: null, receiptId: null,
      grossAmount: money(event.data.amountMinor), occurredAt: event.data.requestedAt, availableAt: null, contractVersion: null, contractHash: null,
    };
    case 'PayoutSettled': return {
      ...common, kind: 'payout_settled', reference: event.data.payoutId, appId: null, receiptId: null,
      grossAmount: money(event.data.amountMinor), occurredAt: event.data.settledAt, availableAt: null, contractVersion: null, contractHash: null,
    };
    case 'PayoutFailed': return {
      ...common, kind: 'payout_failed', reference: event.data.payoutId, appId: null, receiptId: null,
      grossAmount: money(event.data.amountMinor), occurredAt: event.data.failedAt, availableAt: null, contractVersion: null, contractHash: null,
    };
    case 'DisputeOpened': return {
      ...common, kind: 'dispute_debit', reference: event.data.disputeId, appId: event.data.appId, receiptId: event.data.receiptId,
      grossAmount: money(event.data.amountMinor), occurredAt: event.data.openedAt, availableAt: null,
      contractVersion: event.data.contractVersion, contractHash: event.data.contractHash,
    };
    case 'DisputeResolved': return {
      ...common, kind: event.data.outcome === 'won' ? 'dispute_won' : 'dispute_lost', reference: event.data.disputeId, appId: event.data.appId,
      receiptId: event.data.receiptId, grossAmount: money(event.data.amountMinor), occurredAt: event.data.resolvedAt, availableAt: null,
      contractVersion: null, contractHash: null,
    };
    default: return null;
  }
}

/**
 * The figures of a line recomputed from an event body (throws if the body is no developer
 * event), and for a payout in another currency whether its converted amount follows from its
 * rate (`conversionFailure`: null when it does, or when there is no conversion).
 */
export function statementFiguresOf(body: EventBody, bookedAt: string): { figures: StatementFigures | null; developerId: string; conversionFailure: string | null } {
  const event = decodeDeveloperEvent(body.type, body.data);
  const conversion = payoutConversionOf(event);
  const debit = event.data as { currency: string; amountMinor: bigint };
  return {
    figures: statementFiguresOfEvent(event, bookedAt), developerId: event.data.developerId,
    conversionFailure: conversion === null ? null : conversionFailure(debit, conversion),
  };
}

export const STATEMENT_FIGURE_FIELDS: readonly (keyof StatementFigures)[] = [
  'kind', 'reference', 'appId', 'receiptId', 'currency', 'amount', 'grossAmount', 'occurredAt', 'bookedAt', 'availableAt', 'contractVersion', 'contractHash',
  'category',
];
/** On the lines of a payout in another currency only (`StatementConversionFigures`), after the others. */
export const STATEMENT_CONVERSION_FIELDS: readonly (keyof StatementConversionFigures)[] = ['payoutCurrency', 'payoutAmount', 'fxRate', 'fxSource'];

/**
 * Whether a line's figure is the one that follows from its event. `category` came after the
 * first statements were issued: a line without it (a statement issued before categories) is
 * taken as saying `purchase` on a receipt or refund line and nothing on others, which is what
 * every event of that time was; a line that states a category must state the event's.
 */
export function statementFigureMatches(line: Partial<Record<keyof StatementFigures, unknown>>, figures: StatementFigures, field: keyof StatementFigures): boolean {
  if (field === 'category' && !Object.prototype.hasOwnProperty.call(line, 'category')) return figures.category === null || figures.category === 'purchase';
  return line[field] === figures[field];
}

/** A decimal string as formatted by `formatMoney` back to minor units, or null if it is not one. */
export function minorOfDecimal(text: unknown, currency: string): bigint | null {
  if (typeof text !== 'string' || text.length > 48) return null;
  const match = /^(-?)([0-9]+)(?:\.([0-9]+))?$/.exec(text);
  if (!match) return null;
  const exponent = currencyExponent(currency);
  const fraction = match[3] ?? '';
  if (fraction.length !== exponent) return null;
  const magnitude = BigInt(match[2]! + fraction);
  return match[1] === '-' ? -magnitude : magnitude;
}
