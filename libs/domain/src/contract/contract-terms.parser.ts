/**
 * Parses and validates raw contract terms (JSON as received, or the canonical document of a
 * recorded version) into `ContractTerms`, and turns terms back into their canonical document.
 *
 * Canonical document (what is hashed), chosen so that the same terms hash the same in any
 * key order and with or without written defaults:
 * - keys sorted (by `canonicalJson`), every number a string: amounts with exactly the
 *   currency's decimals ("1000000.00"), rates without trailing zeros ("2.5%"), holdDays as
 *   a decimal integer string ("14"), effectiveFrom normalised ("2026-01-01T00:00:00.000Z");
 * - defaults explicit: `rateMultiplier: "100%"`, `platformCap: null`, `carveOuts: []`;
 * - the open-ended last tier has `upTo: null`.
 * Optional terms added after the first contracts were recorded (`disputeFeeBearer`,
 * `reserve`, `platformShare.counter`, `platformShare.categories`, `platformCap.counter`) are
 * written only when they differ from their default (none), so that the hash of every contract
 * recorded before them stays what it was and old ledgers still verify.
 * The parser accepts that canonical form as input too (null `upTo`/`platformCap`, string
 * `holdDays`), so `parse(canonical(parse(x)))` equals `parse(x)`.
 */
import { ContractInvalid, ContractOverHundredPercent, CurrencyNotMoney, PartyReserved, assertInvariant } from '../domain.errors';
import { formatMoney, isMoneyCurrency, parseIsoCurrencyCode, parseMoney } from '../money/money';
import { RATE_DENOMINATOR, RATE_HUNDRED_PERCENT, Rate, formatRate, parseRate } from '../money/rate';
import { parseInstant } from '../time/instant';
import { type BookingTime, checkScheduledTime } from '../time/business-time';
import {
  CONTRACT_CARVE_OUTS_MAXIMUM, CONTRACT_TIERS_MAXIMUM, HOLD_DAYS_MAXIMUM, PARTY_LENGTH_MAXIMUM,
} from '../limits/ledger-limits';
import { RESERVED_PARTY_KINDS, isReservedParty } from './party-namespace';
import { ContractTermsDocument } from '../ledger.events';
import { canonicalJson, sha256Hex } from './canonical-json';
import {
  CARVE_OUT_BASES, CATEGORY_COUNTERS, CATEGORY_COUNTER_DEFAULT, CONTRACT_SCOPES, CONTRACT_WINDOWS, CarveOutBase, CategoryCounter, ContractCarveOut,
  ContractScope, ContractTerms, ContractTier, ContractWindow, DISPUTE_FEE_BEARERS, DISPUTE_FEE_BEARER_DEFAULT, DisputeFeeBearer, PlatformShareTerms,
} from './contract-terms';
import { REVENUE_CATEGORIES, RevenueCategory } from './revenue-category';

export { PARTY_LENGTH_MAXIMUM };
/** Exported for the API's schema; the parser also refuses the reserved party kinds. */
export const PARTY_PATTERN = /^[a-z][a-z0-9_-]*:[A-Za-z0-9][A-Za-z0-9_.:@-]*$/;
/** holdDays may also come as a string (the canonical document writes it so). */
export const HOLD_DAYS_STRING_PATTERN = /^(0|[1-9][0-9]{0,3})$/;

type RawObject = Record<string, unknown>;

function expectObject(input: unknown, field: string): RawObject {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new ContractInvalid(field, 'an object is required');
  }
  return input as RawObject;
}

function refuseUnknownKeys(object: RawObject, allowed: readonly string[], field: string): void {
  for (const key of Object.keys(object)) {
    if (!allowed.includes(key)) throw new ContractInvalid(`${field}.${key}`, 'unknown key');
  }
}

function parseWindow(input: unknown, field: string): ContractWindow {
  if (typeof input !== 'string' || !(CONTRACT_WINDOWS as readonly string[]).includes(input)) {
    throw new ContractInvalid(field, `one of ${CONTRACT_WINDOWS.join(', ')} is required`);
  }
  return input as ContractWindow;
}

function parseScope(input: unknown, field: string): ContractScope {
  if (typeof input !== 'string' || !(CONTRACT_SCOPES as readonly string[]).includes(input)) {
    throw new ContractInvalid(field, `one of ${CONTRACT_SCOPES.join(', ')} is required`);
  }
  return input as ContractScope;
}

function parseCategoryCounter(input: unknown, field: string): CategoryCounter {
  if (input === undefined || input === null) return CATEGORY_COUNTER_DEFAULT;
  if (typeof input !== 'string' || !(CATEGORY_COUNTERS as readonly string[]).includes(input)) {
    throw new ContractInvalid(field, `one of ${CATEGORY_COUNTERS.join(', ')} is required (default ${CATEGORY_COUNTER_DEFAULT})`);
  }
  return input as CategoryCounter;
}

/** `{tiers, window, scope}`: the default terms of a platform share, or a category's own. */
function parsePlatformShareTerms(raw: RawObject, currency: string, field: string): PlatformShareTerms {
  return {
    tiers: parseTiers(raw.tiers, currency, `${field}.tiers`),
    window: parseWindow(raw.window, `${field}.window`),
    scope: parseScope(raw.scope, `${field}.scope`),
  };
}

/** `platformShare.categories`: an object keyed by category, each with terms of its own. Absent, null or {} for none. */
function parseCategoryTerms(input: unknown, currency: string, field: string): Partial<Record<RevenueCategory, PlatformShareTerms>> {
  const categories: Partial<Record<RevenueCategory, PlatformShareTerms>> = {};
  if (input === undefined || input === null) return categories;
  const object = expectObject(input, field);
  // A key that names no revenue category (REVENUE_CATEGORIES) is refused like any unknown key.
  refuseUnknownKeys(object, REVENUE_CATEGORIES, field);
  // In the set's order, whatever the order of the keys received.
  for (const category of REVENUE_CATEGORIES) {
    if (object[category] === undefined) continue;
    const categoryField = `${field}.${category}`;
    const raw = expectObject(object[category], categoryField);
    refuseUnknownKeys(raw, ['tiers', 'window', 'scope'], categoryField);
    categories[category] = parsePlatformShareTerms(raw, currency, categoryField);
  }
  return categories;
}

function parseHoldDays(input: unknown, field: string): number {
  let holdDays: number;
  if (typeof input === 'number') holdDays = input;
  else if (typeof input === 'string' && HOLD_DAYS_STRING_PATTERN.test(input)) holdDays = Number(input);
  else throw new ContractInvalid(field, `an integer number of days 0..${HOLD_DAYS_MAXIMUM} is required`);
  if (!Number.isInteger(holdDays) || holdDays < 0 || holdDays > HOLD_DAYS_MAXIMUM) {
    throw new ContractInvalid(field, `an integer number of days 0..${HOLD_DAYS_MAXIMUM} is required`);
  }
  return holdDays;
}

function parseTiers(input: unknown, currency: string, field: string): ContractTier[] {
  if (!Array.isArray(input) || input.length === 0) throw new ContractInvalid(field, 'a non-empty array of tiers is required');
  if (input.length > CONTRACT_TIERS_MAXIMUM) throw new ContractInvalid(field, `at most ${CONTRACT_TIERS_MAXIMUM} tiers`);
  const tiers: ContractTier[] = [];
  let previousUpToMinor = 0n;
  for (let index = 0; index < input.length; index += 1) {
    const tierField = `${field}[${index}]`;
    const raw = expectObject(input[index], tierField);
    refuseUnknownKeys(raw, ['upTo', 'rate'], tierField);
    const rate = parseRate(raw.rate, `${tierField}.rate`);
    const last = index === input.length - 1;
    const upToInput = raw.upTo;
    if (last) {
      if (upToInput !== undefined && upToInput !== null) {
        throw new ContractInvalid(`${tierField}.upTo`, 'the last tier is open-ended and has no upTo');
      }
      tiers.push({ upToMinor: null, rate });
    } else {
      if (upToInput === undefined || upToInput === null) {
        throw new ContractInvalid(`${tierField}.upTo`, 'only the last tier may be open-ended');
      }
      const upToMinor = parseMoney(upToInput, currency, { field: `${tierField}.upTo` });
      if (upToMinor <= previousUpToMinor) {
        throw new ContractInvalid(`${tierField}.upTo`, 'tier bounds are cumulative and must increase strictly');
      }
      previousUpToMinor = upToMinor;
      tiers.push({ upToMinor, rate });
    }
  }
  return tiers;
}

function parseCarveOuts(input: unknown, field: string): ContractCarveOut[] {
  if (input === undefined || input === null) return [];
  if (!Array.isArray(input)) throw new ContractInvalid(field, 'an array is required');
  if (input.length > CONTRACT_CARVE_OUTS_MAXIMUM) throw new ContractInvalid(field, `at most ${CONTRACT_CARVE_OUTS_MAXIMUM} carve-outs`);
  const carveOuts: ContractCarveOut[] = [];
  const parties = new Set<string>();
  for (let index = 0; index < input.length; index += 1) {
    const carveOutField = `${field}[${index}]`;
    const raw = expectObject(input[index], carveOutField);
    refuseUnknownKeys(raw, ['party', 'rate', 'of'], carveOutField);
    const party = raw.party;
    if (typeof party !== 'string' || party.length > PARTY_LENGTH_MAXIMUM) {
      throw new ContractInvalid(`${carveOutField}.party`, 'a party such as "provider:acme-models" is required');
    }
    // Before the syntax, so that `platform` (no colon) is named for what it is. Also refused
    // when recorded terms are decoded: a line to `platform` or `developer:<id>` would merge
    // into the split's own lines. Same code as the rest of the reserved namespace.
    if (party === 'platform' || party.startsWith('developer:')) {
      throw new PartyReserved(`${carveOutField}.party`, party, RESERVED_PARTY_KINDS);
    }
    if (!PARTY_PATTERN.test(party)) {
      throw new ContractInvalid(`${carveOutField}.party`, 'a party such as "provider:acme-models" is required');
    }
    if (parties.has(party)) throw new ContractInvalid(`${carveOutField}.party`, 'each party may appear once');
    parties.add(party);
    const rate = parseRate(raw.rate, `${carveOutField}.rate`);
    if (typeof raw.of !== 'string' || !(CARVE_OUT_BASES as readonly string[]).includes(raw.of)) {
      throw new ContractInvalid(`${carveOutField}.of`, `one of ${CARVE_OUT_BASES.join(', ')} is required`);
    }
    carveOuts.push({ party, rate, of: raw.of as CarveOutBase });
  }
  return carveOuts;
}

/**
 * Validates every field of raw contract terms. `field` is the path prefix used in errors
 * (e.g. "contract" gives "contract.platformShare.tiers[1].rate").
 */
export function parseContractTerms(raw: unknown, field = 'contract'): ContractTerms {
  const object = expectObject(raw, field);
  refuseUnknownKeys(object,
    ['currency', 'effectiveFrom', 'platformShare', 'rateMultiplier', 'platformCap', 'carveOuts', 'holdDays', 'minimumPayout', 'disputeFeeBearer', 'reserve'], field);
  // Any ISO 4217 code with decimals: recorded terms are read back with this parser too.
  // `checkNewContractTerms` refuses what a new contract may no longer say.
  const currency = parseIsoCurrencyCode(object.currency, `${field}.currency`);
  const effectiveFrom = parseInstant(object.effectiveFrom, `${field}.effectiveFrom`);

  const platformShareField = `${field}.platformShare`;
  const platformShareRaw = expectObject(object.platformShare, platformShareField);
  refuseUnknownKeys(platformShareRaw, ['tiers', 'window', 'scope', 'counter', 'categories'], platformShareField);
  const defaultShare = parsePlatformShareTerms(platformShareRaw, currency, platformShareField);
  const counter = parseCategoryCounter(platformShareRaw.counter, `${platformShareField}.counter`);
  const categories = parseCategoryTerms(platformShareRaw.categories, currency, `${platformShareField}.categories`);

  const rateMultiplier: Rate = object.rateMultiplier === undefined
    ? RATE_HUNDRED_PERCENT
    : parseRate(object.rateMultiplier, `${field}.rateMultiplier`);

  let platformCap: ContractTerms['platformCap'] = null;
  if (object.platformCap !== undefined && object.platformCap !== null) {
    const capField = `${field}.platformCap`;
    const capRaw = expectObject(object.platformCap, capField);
    refuseUnknownKeys(capRaw, ['amount', 'window', 'counter'], capField);
    platformCap = {
      amountMinor: parseMoney(capRaw.amount, currency, { field: `${capField}.amount` }),
      window: parseWindow(capRaw.window, `${capField}.window`),
      counter: parseCategoryCounter(capRaw.counter, `${capField}.counter`),
    };
  }

  const carveOuts = parseCarveOuts(object.carveOuts, `${field}.carveOuts`);
  if (object.holdDays === undefined) throw new ContractInvalid(`${field}.holdDays`, 'required');
  const holdDays = parseHoldDays(object.holdDays, `${field}.holdDays`);
  if (object.minimumPayout === undefined) throw new ContractInvalid(`${field}.minimumPayout`, 'required');
  const minimumPayoutMinor = parseMoney(object.minimumPayout, currency, { field: `${field}.minimumPayout`, allowZero: true });
  const disputeFeeBearer = parseDisputeFeeBearer(object.disputeFeeBearer, `${field}.disputeFeeBearer`);
  let reserve: ContractTerms['reserve'] = null;
  if (object.reserve !== undefined && object.reserve !== null) {
    const reserveField = `${field}.reserve`;
    const reserveRaw = expectObject(object.reserve, reserveField);
    refuseUnknownKeys(reserveRaw, ['rate', 'holdDays'], reserveField);
    if (reserveRaw.holdDays === undefined) throw new ContractInvalid(`${reserveField}.holdDays`, 'required');
    reserve = { rate: parseRate(reserveRaw.rate, `${reserveField}.rate`), holdDays: parseHoldDays(reserveRaw.holdDays, `${reserveField}.holdDays`) };
  }

  // The 100% limits of docs/domain.md "Contract terms", in units of RATE_DENOMINATOR² so that they are exact.
  // Every category's tiers count: the highest rate of any of them is what a receipt may pay.
  let highestRateNumerator = 0n;
  for (const share of [defaultShare, ...Object.values(categories)]) {
    for (const tier of share.tiers) if (tier.rate.numerator > highestRateNumerator) highestRateNumerator = tier.rate.numerator;
  }
  let basisCarveOutNumerator = 0n;
  let platformCarveOutNumerator = 0n;
  for (const carveOut of carveOuts) {
    if (carveOut.of === 'basis') basisCarveOutNumerator += carveOut.rate.numerator;
    else platformCarveOutNumerator += carveOut.rate.numerator;
  }
  if (highestRateNumerator * rateMultiplier.numerator + basisCarveOutNumerator * RATE_DENOMINATOR > RATE_DENOMINATOR * RATE_DENOMINATOR) {
    throw new ContractOverHundredPercent(field, 'the highest tier rate × rateMultiplier plus the basis carve-outs exceeds 100%');
  }
  if (platformCarveOutNumerator > RATE_DENOMINATOR) {
    throw new ContractOverHundredPercent(`${field}.carveOuts`, 'the platform carve-outs exceed 100% of the platform share');
  }

  return {
    currency,
    effectiveFrom: effectiveFrom.iso,
    effectiveFromEpochMilliseconds: effectiveFrom.epochMilliseconds,
    platformShare: { ...defaultShare, counter, categories },
    rateMultiplier,
    platformCap,
    carveOuts,
    holdDays,
    minimumPayoutMinor,
    disputeFeeBearer,
    reserve,
  };
}

function parseDisputeFeeBearer(input: unknown, field: string): DisputeFeeBearer {
  if (input === undefined || input === null) return DISPUTE_FEE_BEARER_DEFAULT;
  if (typeof input !== 'string' || !(DISPUTE_FEE_BEARERS as readonly string[]).includes(input)) {
    throw new ContractInvalid(field, `one of ${DISPUTE_FEE_BEARERS.join(', ')} is required`);
  }
  return input as DisputeFeeBearer;
}

/**
 * The rules a contract must meet when a command brings it (registration or amendment), on
 * top of `parseContractTerms`. They are not applied to recorded terms, so that a ledger
 * written before a rule existed still decodes and replays; `verify` reports recorded terms
 * that break the party namespace.
 * - the currency is money (no fund code, unit of account, metal or testing code);
 * - no carve-out party lies in a reserved namespace (the platform's, the developers', the
 *   system accounts');
 * - effectiveFrom lies within [BUSINESS_TIME_EARLIEST, booking time + SCHEDULE_AHEAD_DAYS_MAXIMUM].
 */
export function checkNewContractTerms(terms: ContractTerms, field: string, booking: BookingTime): ContractTerms {
  if (!isMoneyCurrency(terms.currency)) throw new CurrencyNotMoney(`${field}.currency`, terms.currency);
  terms.carveOuts.forEach((carveOut, index) => {
    if (isReservedParty(carveOut.party)) throw new PartyReserved(`${field}.carveOuts[${index}].party`, carveOut.party, RESERVED_PARTY_KINDS);
  });
  checkScheduledTime({ iso: terms.effectiveFrom, epochMilliseconds: terms.effectiveFromEpochMilliseconds }, `${field}.effectiveFrom`, booking);
  return terms;
}

/** The canonical document of the terms (see the file comment). Keys are sorted by `canonicalJson`. */
export function canonicalContractDocument(terms: ContractTerms): ContractTermsDocument {
  const currency = terms.currency;
  const platformShare = platformShareDocument(terms.platformShare, currency);
  // Written only when not the default, like disputeFeeBearer below.
  if (terms.platformShare.counter !== CATEGORY_COUNTER_DEFAULT) platformShare.counter = terms.platformShare.counter;
  const categoryEntries = Object.entries(terms.platformShare.categories) as [RevenueCategory, PlatformShareTerms][];
  if (categoryEntries.length > 0) {
    platformShare.categories = Object.fromEntries(categoryEntries.map(([category, share]) => [category, platformShareDocument(share, currency)]));
  }
  let platformCap: Record<string, unknown> | null = null;
  if (terms.platformCap !== null) {
    platformCap = { amount: formatMoney(terms.platformCap.amountMinor, currency), window: terms.platformCap.window };
    if (terms.platformCap.counter !== CATEGORY_COUNTER_DEFAULT) platformCap.counter = terms.platformCap.counter;
  }
  const document: ContractTermsDocument = {
    currency,
    effectiveFrom: terms.effectiveFrom,
    platformShare,
    rateMultiplier: formatRate(terms.rateMultiplier),
    platformCap,
    carveOuts: terms.carveOuts.map((carveOut) => ({ party: carveOut.party, rate: formatRate(carveOut.rate), of: carveOut.of })),
    holdDays: String(terms.holdDays),
    minimumPayout: formatMoney(terms.minimumPayoutMinor, currency),
  };
  // Written only when not the default: the hash of a contract that omits it is unchanged.
  if (terms.disputeFeeBearer !== DISPUTE_FEE_BEARER_DEFAULT) document.disputeFeeBearer = terms.disputeFeeBearer;
  if (terms.reserve !== null) document.reserve = { rate: formatRate(terms.reserve.rate), holdDays: String(terms.reserve.holdDays) };
  return document;
}

function platformShareDocument(share: PlatformShareTerms, currency: string): Record<string, unknown> {
  return {
    tiers: share.tiers.map((tier) => ({
      upTo: tier.upToMinor === null ? null : formatMoney(tier.upToMinor, currency),
      rate: formatRate(tier.rate),
    })),
    window: share.window,
    scope: share.scope,
  };
}

/** SHA-256 hex of the canonical JSON of the canonical document. */
export function contractHash(terms: ContractTerms): string {
  const hash = sha256Hex(canonicalJson(canonicalContractDocument(terms)));
  assertInvariant(hash.length === 64, 'a SHA-256 hex digest has 64 characters');
  return hash;
}
