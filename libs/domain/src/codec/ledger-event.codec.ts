/**
 * Explicit codecs of the developer events: field by field, bigint ↔ string of minor units
 * ("1999"), times as normalised ISO strings. Decoding validates everything and throws
 * `EventMalformed` (a DomainError) on the first bad field, so a corrupt store is noticed at
 * once instead of producing a wrong state. No generic JSON reviver is involved.
 */
import { DomainError, EventMalformed, InvariantViolation } from '../domain.errors';
import {
  AppRegistered, ContractAmended, ContractVersionRecord, DeveloperEvent, DeveloperRegistered, PayoutFailed, PersonalDataErased,
  PayoutConversion, PayoutRequested, PayoutSettled, RevenueRecorded, RevenueRefunded, SPLIT_RULE_VERSION, SplitLine, DisputeOpened, DisputeResolved, PayoutRunAssessed,
} from '../ledger.events';
import { currencyExponent, parseMinorUnits } from '../money/money';
import { isNormalisedInstant } from '../time/instant';
import {
  CONTRACT_CARVE_OUTS_MAXIMUM, CONTRACT_VERSIONS_MAXIMUM, EVENT_STRING_LENGTH_MAXIMUM, FX_RATE_TEXT_LENGTH_MAXIMUM, FX_SOURCE_LENGTH_MAXIMUM, MONEY_MAXIMUM_MINOR,
} from '../limits/ledger-limits';
import { FX_CONVERSION_RULE_VERSION, FX_RATE_PATTERN } from '../money/fx-conversion';
import { canonicalContractDocument, contractHash, parseContractTerms } from '../contract/contract-terms.parser';
import { developerParty } from '../split/split-receipt.rule';
import { type PersonalText, isProtectedText, parseProtectedText } from '../developer/personal-data';
import { REVENUE_CATEGORIES, REVENUE_CATEGORY_DEFAULT, RevenueCategory } from '../contract/revenue-category';

export type JsonPrimitive = string | number | boolean | null;
export type JsonValue = JsonPrimitive | JsonValue[] | JsonObject;
export type JsonObject = { [key: string]: JsonValue };

export type EncodedDeveloperEvent = { type: string; data: JsonObject };

export const DEVELOPER_EVENT_TYPES = [
  'DeveloperRegistered', 'PersonalDataErased', 'AppRegistered', 'ContractAmended', 'RevenueRecorded', 'RevenueRefunded',
  'PayoutRequested', 'PayoutSettled', 'PayoutFailed', 'DisputeOpened', 'DisputeResolved', 'PayoutRunAssessed',
] as const;

/** Lines per split are bounded by the contract: platform + carve-outs + developer. */
const LINES_MAXIMUM = 2 + CONTRACT_CARVE_OUTS_MAXIMUM;
const STRING_LENGTH_MAXIMUM = EVENT_STRING_LENGTH_MAXIMUM;
const HASH_PATTERN = /^[0-9a-f]{64}$/;

// ---- Encoding -------------------------------------------------------------------------

/**
 * A receipt's category as stored: absent for `purchase` (every event recorded before categories
 * is one, and must encode and hash as it was), the category's name otherwise.
 */
function encodeCategory(category: RevenueCategory): JsonObject {
  return category === REVENUE_CATEGORY_DEFAULT ? {} : { category };
}

function encodeLines(lines: readonly SplitLine[]): JsonObject[] {
  return lines.map((line) => ({ party: line.party, amountMinor: line.amountMinor.toString() }));
}

/** Copies a value that must already be JSON (the canonical contract document). */
function jsonValueOf(value: unknown, depth = 0): JsonValue {
  if (depth > 16) throw new InvariantViolation('JSON value nested too deep');
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (Array.isArray(value)) return value.map((item) => jsonValueOf(item, depth + 1));
  if (typeof value === 'object') {
    const result: JsonObject = {};
    for (const [key, member] of Object.entries(value as Record<string, unknown>)) {
      if (member !== undefined) result[key] = jsonValueOf(member, depth + 1);
    }
    return result;
  }
  throw new InvariantViolation(`not a JSON value: ${typeof value}`);
}

function encodeContract(contract: ContractVersionRecord): JsonObject {
  return {
    version: contract.version,
    hash: contract.hash,
    effectiveFrom: contract.effectiveFrom,
    terms: jsonValueOf(contract.terms),
  };
}

/** Absent on a payout in its own currency, so that such events encode exactly as before conversions existed. */
function encodeConversion(conversion: PayoutConversion | undefined): { conversion?: JsonObject } {
  if (conversion === undefined) return {};
  return {
    conversion: {
      payoutCurrency: conversion.payoutCurrency,
      payoutAmountMinor: conversion.payoutAmountMinor.toString(),
      fxRate: conversion.fxRate,
      fxSource: conversion.fxSource,
      fxRuleVersion: conversion.fxRuleVersion,
    },
  };
}

function encodePersonalText(text: PersonalText): JsonValue {
  if (!isProtectedText(text)) return text;
  return { scheme: text.scheme, ciphertext: text.ciphertext, commitment: text.commitment };
}

export function encodeDeveloperEvent(event: DeveloperEvent): EncodedDeveloperEvent {
  switch (event.type) {
    case 'DeveloperRegistered': {
      const data = event.data;
      return { type: event.type, data: { developerId: data.developerId, name: encodePersonalText(data.name), country: data.country, incomeGroup: data.incomeGroup } };
    }
    case 'PersonalDataErased': {
      const data = event.data;
      return { type: event.type, data: { developerId: data.developerId, erasedAt: data.erasedAt, reason: data.reason } };
    }
    case 'AppRegistered': {
      const data = event.data;
      return { type: event.type, data: { appId: data.appId, developerId: data.developerId, name: data.name, contract: encodeContract(data.contract) } };
    }
    case 'ContractAmended': {
      const data = event.data;
      return { type: event.type, data: { appId: data.appId, developerId: data.developerId, contract: encodeContract(data.contract) } };
    }
    case 'RevenueRecorded': {
      const data = event.data;
      return {
        type: event.type,
        data: {
          receiptId: data.receiptId,
          appId: data.appId,
          developerId: data.developerId,
          currency: data.currency,
          amountMinor: data.amountMinor.toString(),
          occurredAt: data.occurredAt,
          ...encodeCategory(data.category),
          contractVersion: data.contractVersion,
          contractHash: data.contractHash,
          splitRuleVersion: data.splitRuleVersion,
          lines: encodeLines(data.lines),
          availableAt: data.availableAt,
          ...(data.reserveMinor === undefined ? {} : { reserveMinor: data.reserveMinor.toString(), reserveReleasedAt: data.reserveReleasedAt ?? null }),
        },
      };
    }
    case 'RevenueRefunded': {
      const data = event.data;
      return {
        type: event.type,
        data: {
          refundId: data.refundId,
          receiptId: data.receiptId,
          appId: data.appId,
          developerId: data.developerId,
          currency: data.currency,
          amountMinor: data.amountMinor.toString(),
          occurredAt: data.occurredAt,
          ...encodeCategory(data.category),
          contractVersion: data.contractVersion,
          contractHash: data.contractHash,
          splitRuleVersion: data.splitRuleVersion,
          lines: encodeLines(data.lines),
        },
      };
    }
    case 'PayoutRequested': {
      const data = event.data;
      return {
        type: event.type,
        data: {
          payoutId: data.payoutId, developerId: data.developerId, currency: data.currency, amountMinor: data.amountMinor.toString(), requestedAt: data.requestedAt,
          ...encodeConversion(data.conversion),
        },
      };
    }
    case 'PayoutSettled': {
      const data = event.data;
      return {
        type: event.type,
        data: {
          payoutId: data.payoutId, developerId: data.developerId, currency: data.currency, amountMinor: data.amountMinor.toString(),
          settledAt: data.settledAt, reference: data.reference, ...encodeConversion(data.conversion),
        },
      };
    }
    case 'PayoutFailed': {
      const data = event.data;
      return {
        type: event.type,
        data: {
          payoutId: data.payoutId, developerId: data.developerId, currency: data.currency, amountMinor: data.amountMinor.toString(),
          failedAt: data.failedAt, reason: data.reason, ...encodeConversion(data.conversion),
        },
      };
    }
    case 'DisputeOpened': {
      const data = event.data;
      return {
        type: event.type,
        data: {
          disputeId: data.disputeId,
          receiptId: data.receiptId,
          appId: data.appId,
          developerId: data.developerId,
          currency: data.currency,
          amountMinor: data.amountMinor.toString(),
          feeMinor: data.feeMinor.toString(),
          feeBearer: data.feeBearer,
          openedAt: data.openedAt,
          contractVersion: data.contractVersion,
          contractHash: data.contractHash,
          splitRuleVersion: data.splitRuleVersion,
          lines: encodeLines(data.lines),
        },
      };
    }
    case 'DisputeResolved': {
      const data = event.data;
      return {
        type: event.type,
        data: {
          disputeId: data.disputeId,
          receiptId: data.receiptId,
          appId: data.appId,
          developerId: data.developerId,
          currency: data.currency,
          amountMinor: data.amountMinor.toString(),
          outcome: data.outcome,
          resolvedAt: data.resolvedAt,
          lines: encodeLines(data.lines),
        },
      };
    }
    case 'PayoutRunAssessed': {
      const data = event.data;
      return {
        type: event.type,
        data: {
          runId: data.runId, developerId: data.developerId, currency: data.currency, asOf: data.asOf,
          availableMinor: data.availableMinor.toString(), minimumPayoutMinor: data.minimumPayoutMinor.toString(), payoutId: data.payoutId,
        },
      };
    }
    default:
      throw new InvariantViolation(`encodeDeveloperEvent: unknown event type ${(event as { type?: unknown }).type}`);
  }
}

// ---- Decoding -------------------------------------------------------------------------

/** Reads the fields of one event's data, naming the event and field in every error. */
class FieldReader {
  constructor(readonly type: string, readonly data: Record<string, unknown>, readonly prefix = '') {}

  static of(type: string, data: unknown, prefix = ''): FieldReader {
    if (typeof data !== 'object' || data === null || Array.isArray(data)) {
      throw new EventMalformed(type, prefix === '' ? 'data' : prefix, 'an object is required');
    }
    return new FieldReader(type, data as Record<string, unknown>, prefix);
  }

  fail(field: string, message: string): never {
    throw new EventMalformed(this.type, `${this.prefix}${field}`, message);
  }

  string(field: string): string {
    const value = this.data[field];
    if (typeof value !== 'string' || value.length === 0 || value.length > STRING_LENGTH_MAXIMUM) {
      this.fail(field, 'a non-empty string is required');
    }
    return value;
  }

  nullableString(field: string): string | null {
    const value = this.data[field];
    if (value === null || value === undefined) return null;
    return this.string(field);
  }

  /** A protected personal text, or a plaintext one as recorded before protection existed. */
  personalText(field: string): PersonalText {
    const value = this.data[field];
    if (typeof value === 'string') return this.string(field);
    try {
      return parseProtectedText(value, field);
    } catch (error) {
      if (error instanceof DomainError) this.fail(field, error.message);
      throw error;
    }
  }

  currency(field: string): string {
    const value = this.string(field);
    try {
      currencyExponent(value);
    } catch {
      this.fail(field, 'an ISO 4217 currency is required');
    }
    return value;
  }

  instant(field: string): string {
    const value = this.string(field);
    // Stored instants are always normalised: anything else is malformed data.
    if (!isNormalisedInstant(value)) this.fail(field, 'a normalised instant is required');
    return value;
  }

  amountMinor(field: string, options: { allowZero: boolean }): bigint {
    const amountMinor = parseMinorUnits(this.data[field]);
    if (amountMinor === null) this.fail(field, 'a string of minor units is required');
    if (amountMinor < 0n || (amountMinor === 0n && !options.allowZero)) this.fail(field, 'the amount is out of range');
    return amountMinor;
  }

  /** A signed string of minor units ("-1500"), at most 38 digits (the read models' numeric(38,0)). */
  signedAmountMinor(field: string): bigint {
    const value = this.data[field];
    if (typeof value !== 'string' || !/^-?(0|[1-9][0-9]{0,37})$/.test(value) || value === '-0') this.fail(field, 'a signed string of minor units is required');
    return BigInt(value);
  }

  positiveInteger(field: string, maximum: number): number {
    const value = this.data[field];
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > maximum) {
      this.fail(field, `an integer 1..${maximum} is required`);
    }
    return value;
  }

  /** One of `allowed`, as a string. */
  oneOf<T extends string>(field: string, allowed: readonly T[]): T {
    const value = this.data[field];
    if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) this.fail(field, `one of ${allowed.join(', ')} is required`);
    return value as T;
  }

  /**
   * A revenue category: absent is `purchase` (events recorded before categories). Present, it
   * must name a category other than the default, which is never written: a stored
   * `"category": "purchase"` is not what the encoder writes, so it is malformed.
   */
  category(field: string): RevenueCategory {
    const value = this.data[field];
    if (value === undefined) return REVENUE_CATEGORY_DEFAULT;
    const category = this.oneOf(field, REVENUE_CATEGORIES);
    if (category === REVENUE_CATEGORY_DEFAULT) this.fail(field, `${REVENUE_CATEGORY_DEFAULT} is recorded by omission`);
    return category;
  }

  hash(field: string): string {
    const value = this.string(field);
    if (!HASH_PATTERN.test(value)) this.fail(field, 'a SHA-256 hex digest is required');
    return value;
  }

  lines(field: string, amountMinor: bigint, developerId: string): SplitLine[] {
    const value = this.data[field];
    if (!Array.isArray(value) || value.length < 2 || value.length > LINES_MAXIMUM) this.fail(field, `2..${LINES_MAXIMUM} lines are required`);
    const lines: SplitLine[] = [];
    let totalMinor = 0n;
    for (let index = 0; index < value.length; index += 1) {
      const line = FieldReader.of(this.type, value[index], `${this.prefix}${field}[${index}].`);
      const party = line.string('party');
      const lineAmountMinor = line.amountMinor('amountMinor', { allowZero: true });
      totalMinor += lineAmountMinor;
      lines.push({ party, amountMinor: lineAmountMinor });
    }
    if (lines[0]!.party !== 'platform') this.fail(field, 'the first line is the platform');
    if (lines[lines.length - 1]!.party !== developerParty(developerId)) this.fail(field, 'the last line is the developer');
    if (totalMinor !== amountMinor) this.fail(field, 'the lines do not sum to the amount');
    return lines;
  }

  /**
   * A payout's conversion, or undefined when the event has none (every payout event recorded
   * before conversions existed). The shape and limits are checked here; whether the amount
   * follows from the rate is `verify`'s finding (fx-conversion.ts `conversionFailure`), as a
   * split's recomputation is, so that a wrong conversion is reported, not unreadable.
   */
  conversion(field: string, currency: string): PayoutConversion | undefined {
    const value = this.data[field];
    if (value === undefined) return undefined;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) this.fail(field, 'an object is required');
    const conversion = FieldReader.of(this.type, this.data[field], `${this.prefix}${field}.`);
    const payoutCurrency = conversion.currency('payoutCurrency');
    if (payoutCurrency === currency) conversion.fail('payoutCurrency', 'is the payout\'s own currency');
    const payoutAmountMinor = conversion.amountMinor('payoutAmountMinor', { allowZero: false });
    if (payoutAmountMinor > MONEY_MAXIMUM_MINOR) conversion.fail('payoutAmountMinor', 'the amount is out of range');
    const fxRate = conversion.string('fxRate');
    if (fxRate.length > FX_RATE_TEXT_LENGTH_MAXIMUM || !FX_RATE_PATTERN.test(fxRate)) conversion.fail('fxRate', 'a decimal exchange rate is required');
    const fxSource = conversion.string('fxSource');
    if (fxSource.length > FX_SOURCE_LENGTH_MAXIMUM) conversion.fail('fxSource', `at most ${FX_SOURCE_LENGTH_MAXIMUM} characters`);
    const fxRuleVersion = conversion.positiveInteger('fxRuleVersion', FX_CONVERSION_RULE_VERSION);
    return { payoutCurrency, payoutAmountMinor, fxRate, fxSource, fxRuleVersion };
  }

  contract(field: string): ContractVersionRecord {
    const contract = FieldReader.of(this.type, this.data[field], `${this.prefix}${field}.`);
    const version = contract.positiveInteger('version', CONTRACT_VERSIONS_MAXIMUM);
    const hash = contract.hash('hash');
    const effectiveFrom = contract.instant('effectiveFrom');
    let terms;
    try {
      terms = parseContractTerms(contract.data.terms, 'terms');
    } catch (error) {
      if (error instanceof DomainError) contract.fail('terms', error.message);
      throw error;
    }
    if (contractHash(terms) !== hash) contract.fail('hash', 'the hash does not match the terms');
    if (terms.effectiveFrom !== effectiveFrom) contract.fail('effectiveFrom', 'differs from the terms');
    return { version, hash, effectiveFrom, terms: canonicalContractDocument(terms) };
  }
}

export function decodeDeveloperEvent(type: string, data: unknown): DeveloperEvent {
  const reader = FieldReader.of(type, data);
  switch (type) {
    case 'DeveloperRegistered': {
      const event: DeveloperRegistered = {
        type,
        data: {
          developerId: reader.string('developerId'),
          name: reader.personalText('name'),
          country: reader.string('country'),
          incomeGroup: reader.nullableString('incomeGroup'),
        },
      };
      return event;
    }
    case 'PersonalDataErased': {
      const event: PersonalDataErased = {
        type,
        data: { developerId: reader.string('developerId'), erasedAt: reader.instant('erasedAt'), reason: reader.nullableString('reason') },
      };
      return event;
    }
    case 'AppRegistered': {
      const event: AppRegistered = {
        type,
        data: { appId: reader.string('appId'), developerId: reader.string('developerId'), name: reader.string('name'), contract: reader.contract('contract') },
      };
      if (event.data.contract.version !== 1) reader.fail('contract.version', 'a registration carries version 1');
      return event;
    }
    case 'ContractAmended': {
      const event: ContractAmended = {
        type,
        data: { appId: reader.string('appId'), developerId: reader.string('developerId'), contract: reader.contract('contract') },
      };
      if (event.data.contract.version < 2) reader.fail('contract.version', 'an amendment carries version 2 or later');
      return event;
    }
    case 'RevenueRecorded': {
      const developerId = reader.string('developerId');
      const amountMinor = reader.amountMinor('amountMinor', { allowZero: false });
      const event: RevenueRecorded = {
        type,
        data: {
          receiptId: reader.string('receiptId'),
          appId: reader.string('appId'),
          developerId,
          currency: reader.currency('currency'),
          amountMinor,
          occurredAt: reader.instant('occurredAt'),
          category: reader.category('category'),
          contractVersion: reader.positiveInteger('contractVersion', CONTRACT_VERSIONS_MAXIMUM),
          contractHash: reader.hash('contractHash'),
          splitRuleVersion: reader.positiveInteger('splitRuleVersion', SPLIT_RULE_VERSION),
          lines: reader.lines('lines', amountMinor, developerId),
          availableAt: reader.instant('availableAt'),
        },
      };
      if (reader.data.reserveMinor !== undefined) {
        const reserveMinor = reader.amountMinor('reserveMinor', { allowZero: true });
        if (reserveMinor > event.data.lines[event.data.lines.length - 1]!.amountMinor) reader.fail('reserveMinor', 'exceeds the developer line');
        event.data.reserveMinor = reserveMinor;
        event.data.reserveReleasedAt = reader.instant('reserveReleasedAt');
      }
      return event;
    }
    case 'RevenueRefunded': {
      const developerId = reader.string('developerId');
      const amountMinor = reader.amountMinor('amountMinor', { allowZero: false });
      const event: RevenueRefunded = {
        type,
        data: {
          refundId: reader.string('refundId'),
          receiptId: reader.string('receiptId'),
          appId: reader.string('appId'),
          developerId,
          currency: reader.currency('currency'),
          amountMinor,
          occurredAt: reader.instant('occurredAt'),
          category: reader.category('category'),
          contractVersion: reader.positiveInteger('contractVersion', CONTRACT_VERSIONS_MAXIMUM),
          contractHash: reader.hash('contractHash'),
          splitRuleVersion: reader.positiveInteger('splitRuleVersion', SPLIT_RULE_VERSION),
          lines: reader.lines('lines', amountMinor, developerId),
        },
      };
      return event;
    }
    case 'PayoutRequested': {
      const event: PayoutRequested = {
        type,
        data: {
          payoutId: reader.string('payoutId'),
          developerId: reader.string('developerId'),
          currency: reader.currency('currency'),
          amountMinor: reader.amountMinor('amountMinor', { allowZero: false }),
          requestedAt: reader.instant('requestedAt'),
        },
      };
      const conversion = reader.conversion('conversion', event.data.currency);
      if (conversion !== undefined) event.data.conversion = conversion;
      return event;
    }
    case 'PayoutSettled': {
      const event: PayoutSettled = {
        type,
        data: {
          payoutId: reader.string('payoutId'),
          developerId: reader.string('developerId'),
          currency: reader.currency('currency'),
          amountMinor: reader.amountMinor('amountMinor', { allowZero: false }),
          settledAt: reader.instant('settledAt'),
          reference: reader.string('reference'),
        },
      };
      const conversion = reader.conversion('conversion', event.data.currency);
      if (conversion !== undefined) event.data.conversion = conversion;
      return event;
    }
    case 'PayoutFailed': {
      const event: PayoutFailed = {
        type,
        data: {
          payoutId: reader.string('payoutId'),
          developerId: reader.string('developerId'),
          currency: reader.currency('currency'),
          amountMinor: reader.amountMinor('amountMinor', { allowZero: false }),
          failedAt: reader.instant('failedAt'),
          reason: reader.string('reason'),
        },
      };
      const conversion = reader.conversion('conversion', event.data.currency);
      if (conversion !== undefined) event.data.conversion = conversion;
      return event;
    }
    case 'DisputeOpened': {
      const developerId = reader.string('developerId');
      const amountMinor = reader.amountMinor('amountMinor', { allowZero: false });
      const event: DisputeOpened = {
        type,
        data: {
          disputeId: reader.string('disputeId'),
          receiptId: reader.string('receiptId'),
          appId: reader.string('appId'),
          developerId,
          currency: reader.currency('currency'),
          amountMinor,
          feeMinor: reader.amountMinor('feeMinor', { allowZero: true }),
          feeBearer: reader.oneOf('feeBearer', ['developer', 'platform'] as const),
          openedAt: reader.instant('openedAt'),
          contractVersion: reader.positiveInteger('contractVersion', CONTRACT_VERSIONS_MAXIMUM),
          contractHash: reader.hash('contractHash'),
          splitRuleVersion: reader.positiveInteger('splitRuleVersion', SPLIT_RULE_VERSION),
          lines: reader.lines('lines', amountMinor, developerId),
        },
      };
      return event;
    }
    case 'DisputeResolved': {
      const developerId = reader.string('developerId');
      const amountMinor = reader.amountMinor('amountMinor', { allowZero: false });
      const event: DisputeResolved = {
        type,
        data: {
          disputeId: reader.string('disputeId'),
          receiptId: reader.string('receiptId'),
          appId: reader.string('appId'),
          developerId,
          currency: reader.currency('currency'),
          amountMinor,
          outcome: reader.oneOf('outcome', ['won', 'lost'] as const),
          resolvedAt: reader.instant('resolvedAt'),
          lines: reader.lines('lines', amountMinor, developerId),
        },
      };
      return event;
    }
    case 'PayoutRunAssessed': {
      const event: PayoutRunAssessed = {
        type,
        data: {
          runId: reader.string('runId'),
          developerId: reader.string('developerId'),
          currency: reader.currency('currency'),
          asOf: reader.instant('asOf'),
          availableMinor: reader.signedAmountMinor('availableMinor'),
          minimumPayoutMinor: reader.amountMinor('minimumPayoutMinor', { allowZero: true }),
          payoutId: reader.nullableString('payoutId'),
        },
      };
      return event;
    }
    default:
      throw new EventMalformed(type, 'type', 'unknown developer event type');
  }
}

/** True if `type` is one of the developer stream's event types. */
export function isDeveloperEventType(type: string): type is DeveloperEvent['type'] {
  return (DEVELOPER_EVENT_TYPES as readonly string[]).includes(type);
}
