/**
 * Business times come in with the commands as RFC 3339 strings and are normalised to
 * `YYYY-MM-DDTHH:mm:ss.sssZ`. Nothing here reads the clock: `Date.UTC` only converts
 * validated fields.
 */
import { InstantMalformed, assertInvariant } from '../domain.errors';
import {
  DAY_MILLISECONDS, HOLD_DAYS_MAXIMUM, INSTANT_LATEST_EPOCH_MILLISECONDS, INSTANT_TEXT_LENGTH_MAXIMUM, INSTANT_YEAR_MAXIMUM, INSTANT_YEAR_MINIMUM,
} from '../limits/ledger-limits';

export type Instant = { iso: string; epochMilliseconds: number };

/**
 * Upper-case `T` and `Z` only; fractions of a second up to nine digits, but digits below the
 * millisecond must be zero, because the ledger keeps milliseconds and would otherwise lose
 * information silently. No leap seconds (60). Exported for the API's schema; the parser also
 * checks that the date and time exist and that the year lies in 1000..9999.
 */
export const INSTANT_PATTERN = /^([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]{1,9}))?(Z|([+-])([0-9]{2}):([0-9]{2}))$/;
const NORMALISED_PATTERN = /^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z$/;

/** Years accepted after normalisation to UTC, so that every ISO string has four digits. */
const YEAR_MINIMUM = INSTANT_YEAR_MINIMUM;
const YEAR_MAXIMUM = INSTANT_YEAR_MAXIMUM;
/** `addDays` takes at most this many days: the longest hold. */
export const ADD_DAYS_MAXIMUM = HOLD_DAYS_MAXIMUM;

function daysInMonth(year: number, month: number): number {
  if (month === 2) {
    const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
    return leap ? 29 : 28;
  }
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

export function parseInstant(input: unknown, field: string): Instant {
  if (typeof input !== 'string') throw new InstantMalformed(field, 'an instant must be an RFC 3339 string');
  if (input.length > INSTANT_TEXT_LENGTH_MAXIMUM) throw new InstantMalformed(field, 'the instant is too long');
  const match = INSTANT_PATTERN.exec(input);
  if (match === null) {
    throw new InstantMalformed(field, `${JSON.stringify(input)} is not an RFC 3339 instant such as "2026-01-31T12:00:00Z"`);
  }
  const year = Number(match[1]);
  const month = Number(match[2]);
  const day = Number(match[3]);
  const hour = Number(match[4]);
  const minute = Number(match[5]);
  const second = Number(match[6]);
  const fraction = match[7] ?? '';
  if (month < 1 || month > 12) throw new InstantMalformed(field, 'the month must be 01..12');
  if (day < 1 || day > daysInMonth(year, month)) throw new InstantMalformed(field, 'the day does not exist in that month');
  if (hour > 23 || minute > 59 || second > 59) throw new InstantMalformed(field, 'the time of day is out of range');
  if (fraction.length > 3 && !/^0+$/.test(fraction.slice(3))) {
    throw new InstantMalformed(field, 'precision finer than a millisecond is not kept');
  }
  const milliseconds = Number(fraction.slice(0, 3).padEnd(3, '0'));
  let offsetMinutes = 0;
  if (match[8] !== 'Z') {
    const offsetHours = Number(match[10]);
    const offsetMinutesPart = Number(match[11]);
    if (offsetHours > 23 || offsetMinutesPart > 59) throw new InstantMalformed(field, 'the offset is out of range');
    offsetMinutes = (offsetHours * 60 + offsetMinutesPart) * (match[9] === '-' ? -1 : 1);
  }
  const epochMilliseconds = Date.UTC(year, month - 1, day, hour, minute, second, milliseconds) - offsetMinutes * 60_000;
  // Date.UTC maps years 0..99 to 1900..1999; the year bound below excludes them anyway.
  const normalised = new Date(epochMilliseconds);
  const normalisedYear = normalised.getUTCFullYear();
  if (year < YEAR_MINIMUM || normalisedYear < YEAR_MINIMUM || normalisedYear > YEAR_MAXIMUM) {
    throw new InstantMalformed(field, `the year must lie in ${YEAR_MINIMUM}..${YEAR_MAXIMUM}`);
  }
  return { iso: normalised.toISOString(), epochMilliseconds };
}

/** True if `iso` is already in the normalised form produced by `parseInstant`. */
export function isNormalisedInstant(iso: string): boolean {
  // Every decoded event checks its instants, so this avoids the full parser: the pattern
  // fixes the shape, a year below 1000 is refused by its first digit, and the round trip
  // through Date refuses days and times that do not exist (they would come back changed).
  if (!NORMALISED_PATTERN.test(iso) || iso.charCodeAt(0) === 48 /* 0 */) return false;
  const epochMilliseconds = Date.parse(iso);
  return Number.isFinite(epochMilliseconds) && new Date(epochMilliseconds).toISOString() === iso;
}

/** The normalised instant `days` whole days (of 86,400 s, UTC) after `iso`. */
export function addDays(iso: string, days: number): string {
  assertInvariant(Number.isInteger(days) && days >= 0 && days <= ADD_DAYS_MAXIMUM, `addDays takes 0..${ADD_DAYS_MAXIMUM} days`);
  return addDaysToEpochMilliseconds(parseInstant(iso, 'instant').epochMilliseconds, days);
}

/** Like `addDays` for an already validated epoch; the decider's hot path uses it. */
export function addDaysToEpochMilliseconds(epochMilliseconds: number, days: number): string {
  assertInvariant(Number.isInteger(days) && days >= 0 && days <= ADD_DAYS_MAXIMUM, `addDays takes 0..${ADD_DAYS_MAXIMUM} days`);
  const resultEpochMilliseconds = epochMilliseconds + days * DAY_MILLISECONDS;
  // The booking-time bounds keep every sum inside the codec's range; past it the ISO string
  // would have six year digits and no stored event could be decoded again.
  assertInvariant(resultEpochMilliseconds <= INSTANT_LATEST_EPOCH_MILLISECONDS, 'addDays stays inside the instant range');
  return new Date(resultEpochMilliseconds).toISOString();
}

/** "2026-03" for any instant in March 2026 UTC. Expects a normalised instant. */
export function calendarMonthKey(iso: string): string {
  assertInvariant(iso.length === 24 && iso.charCodeAt(23) === 90 /* Z */, 'calendarMonthKey takes a normalised instant');
  return iso.slice(0, 7);
}

/** "2026" for any instant in 2026 UTC. Expects a normalised instant. */
export function calendarYearKey(iso: string): string {
  assertInvariant(iso.length === 24 && iso.charCodeAt(23) === 90 /* Z */, 'calendarYearKey takes a normalised instant');
  return iso.slice(0, 4);
}
