/**
 * Price books: per currency, versioned and effective-dated like contracts. A price book
 * gives per meter a `listPrice` (what pay-per-use would charge) and a `unitCost` (what the
 * platform pays). Stream `price-books-<currency>`.
 *
 * Rules: a new price book's effectiveFrom is later than the previous one's and later than
 * every consumption already recorded in the currency (the caller reads that from the
 * read model), so that no recorded consumption is ever priced again; the same priceBookId
 * with the same content is nothing, with other content a conflict.
 */
import { FieldInvalid, assertInvariant } from '../domain.errors';
import { parseIdentifier } from '../identifier.parser';
import { parseCurrency } from '../money/money';
import { parseInstant } from '../time/instant';
import { bookingTimeOf, parseScheduledTime } from '../time/business-time';
import { PRICE_BOOK_METERS_MAXIMUM, PRICE_BOOK_VERSIONS_MAXIMUM } from '../limits/ledger-limits';
import type { PublishPriceBook } from './consumption.commands';
import type { PriceBookMeter, PriceBookPublished } from './consumption.events';
import { parseMeterName, parseUnitPrice } from './consumption-units';
import {
  DuplicatePriceBook, PriceBookInvalid, PriceBookNotAfterPreviousVersion, PriceBookNotAfterRecordedConsumption,
} from './consumption.errors';


export type PriceBookVersion = {
  priceBookId: string;
  version: number;
  effectiveFrom: string;
  effectiveFromEpochMilliseconds: number;
  meters: ReadonlyMap<string, PriceBookMeter>;
};

export type PriceBookState = {
  currency: string | null;
  /** In version order, so effectiveFrom strictly increases. */
  versions: PriceBookVersion[];
  byId: Map<string, PriceBookVersion>;
};

export function initialPriceBookState(): PriceBookState {
  return { currency: null, versions: [], byId: new Map() };
}

export type PublishPriceBookContext = {
  /** Latest occurredAt of consumption recorded in this currency (normalised), or null. */
  latestConsumptionOccurredAt: string | null;
  /**
   * Booking time (normalised ISO). effectiveFrom may be scheduled ahead of it, at most
   * SCHEDULE_AHEAD_DAYS_MAXIMUM days: consumption recorded later must fall after a new
   * price book's effectiveFrom, so a far-future one would freeze the prices for good.
   */
  bookedAt: string;
};

function metersEqual(left: readonly PriceBookMeter[], right: ReadonlyMap<string, PriceBookMeter>): boolean {
  if (left.length !== right.size) return false;
  return left.every((meter) => {
    const other = right.get(meter.meter);
    return other !== undefined && other.listPricePicounits === meter.listPricePicounits && other.unitCostPicounits === meter.unitCostPicounits;
  });
}

/** Parses the `meters` object: names by pattern, prices exact, sorted by name. */
export function parsePriceBookMeters(input: unknown, field = 'meters'): PriceBookMeter[] {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new PriceBookInvalid(field, 'an object of meter name → {listPrice, unitCost} is required');
  const entries = Object.entries(input as Record<string, unknown>);
  if (entries.length === 0) throw new PriceBookInvalid(field, 'at least one meter is required');
  if (entries.length > PRICE_BOOK_METERS_MAXIMUM) throw new PriceBookInvalid(field, `at most ${PRICE_BOOK_METERS_MAXIMUM} meters`);
  const meters: PriceBookMeter[] = [];
  for (const [name, value] of entries) {
    const meter = parseMeterName(name, `${field}.${name.slice(0, 64)}`);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new PriceBookInvalid(`${field}.${meter}`, 'an object {listPrice, unitCost} is required');
    const prices = value as Record<string, unknown>;
    for (const key of Object.keys(prices)) {
      if (key !== 'listPrice' && key !== 'unitCost') throw new FieldInvalid(`${field}.${meter}.${key.slice(0, 64)}`, 'unknown field');
    }
    meters.push({
      meter,
      listPricePicounits: parseUnitPrice(prices.listPrice, `${field}.${meter}.listPrice`),
      unitCostPicounits: parseUnitPrice(prices.unitCost, `${field}.${meter}.unitCost`),
    });
  }
  return meters.sort((left, right) => (left.meter < right.meter ? -1 : left.meter > right.meter ? 1 : 0));
}

export function decidePublishPriceBook(command: PublishPriceBook, state: PriceBookState, context: PublishPriceBookContext): PriceBookPublished[] {
  const data = command.data as Record<string, unknown>;
  if (typeof data !== 'object' || data === null) throw new FieldInvalid('data', 'an object is required');
  const priceBookId = parseIdentifier(data.priceBookId, 'priceBookId');
  const effectiveFrom = parseScheduledTime(data.effectiveFrom, 'effectiveFrom', bookingTimeOf(context.bookedAt));
  const currency = parseCurrency(data.currency, 'currency');
  const meters = parsePriceBookMeters(data.meters);
  assertInvariant(state.currency === null || state.currency === currency, 'a price-book stream holds one currency');

  const existing = state.byId.get(priceBookId);
  if (existing !== undefined) {
    if (existing.effectiveFrom === effectiveFrom.iso && metersEqual(meters, existing.meters)) return [];
    throw new DuplicatePriceBook(priceBookId);
  }
  const latest = state.versions[state.versions.length - 1];
  if (latest !== undefined && effectiveFrom.epochMilliseconds <= latest.effectiveFromEpochMilliseconds) {
    throw new PriceBookNotAfterPreviousVersion(effectiveFrom.iso, latest.effectiveFrom);
  }
  const latestConsumption = context.latestConsumptionOccurredAt;
  if (latestConsumption !== null && effectiveFrom.epochMilliseconds <= parseInstant(latestConsumption, 'latestConsumptionOccurredAt').epochMilliseconds) {
    throw new PriceBookNotAfterRecordedConsumption(effectiveFrom.iso, latestConsumption);
  }
  if (state.versions.length >= PRICE_BOOK_VERSIONS_MAXIMUM) throw new PriceBookInvalid('priceBookId', `a currency has at most ${PRICE_BOOK_VERSIONS_MAXIMUM} price books`);
  return [{ type: 'PriceBookPublished', data: { priceBookId, currency, version: state.versions.length + 1, effectiveFrom: effectiveFrom.iso, meters } }];
}

/** Applies an event to the state it is given (mutated and returned, as `evolveDeveloper` does). */
export function evolvePriceBooks(state: PriceBookState, event: PriceBookPublished): PriceBookState {
  const data = event.data;
  assertInvariant(state.currency === null || state.currency === data.currency, 'a price-book stream holds one currency');
  assertInvariant(data.version === state.versions.length + 1, 'price-book versions are consecutive');
  const effectiveFromEpochMilliseconds = parseInstant(data.effectiveFrom, 'effectiveFrom').epochMilliseconds;
  const latest = state.versions[state.versions.length - 1];
  assertInvariant(latest === undefined || effectiveFromEpochMilliseconds > latest.effectiveFromEpochMilliseconds, 'price-book effectiveFrom increases');
  const version: PriceBookVersion = {
    priceBookId: data.priceBookId, version: data.version, effectiveFrom: data.effectiveFrom, effectiveFromEpochMilliseconds,
    meters: new Map(data.meters.map((meter) => [meter.meter, meter])),
  };
  state.currency = data.currency;
  state.versions.push(version);
  state.byId.set(version.priceBookId, version);
  return state;
}

/**
 * The price book in effect at an instant: the one with the latest effectiveFrom at or
 * before it, or null before the first. Binary search: versions are in effectiveFrom order.
 */
export function priceBookInEffect(state: PriceBookState, occurredAtEpochMilliseconds: number): PriceBookVersion | null {
  let low = 0;
  let high = state.versions.length - 1;
  let found: PriceBookVersion | null = null;
  while (low <= high) {
    const middle = (low + high) >>> 1;
    const candidate = state.versions[middle]!;
    if (candidate.effectiveFromEpochMilliseconds <= occurredAtEpochMilliseconds) {
      found = candidate;
      low = middle + 1;
    } else {
      high = middle - 1;
    }
  }
  return found;
}
