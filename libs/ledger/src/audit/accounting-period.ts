/**
 * Accounting periods are calendar months in UTC, named `YYYY-MM`. Statements and seals go
 * by booking time (an event's `recordedAt`): an event belongs to the period in which
 * `periodStart <= recordedAt < periodEnd`. Normalised ISO instants (`…T…sssZ`) compare
 * correctly as strings, so no clock or Date arithmetic is needed beyond building the bounds.
 */
export type AccountingPeriod = {
  /** `2026-03` */
  name: string;
  /** `2026-03-01T00:00:00.000Z`, inclusive. */
  startIso: string;
  /** `2026-04-01T00:00:00.000Z`, exclusive. */
  endIso: string;
};

const PERIOD_PATTERN = /^([0-9]{4})-([0-9]{2})$/;
const YEAR_MINIMUM = 1000;
const YEAR_MAXIMUM = 9998;

export class PeriodMalformedError extends Error {
  readonly code = 'period_malformed';
  constructor(input: unknown) {
    super(`--period must be a UTC calendar month YYYY-MM such as 2026-03, not ${JSON.stringify(input)}`);
    this.name = 'PeriodMalformedError';
  }
}

function monthStartIso(year: number, month: number): string {
  return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-01T00:00:00.000Z`;
}

export function parsePeriod(input: unknown): AccountingPeriod {
  if (typeof input !== 'string') throw new PeriodMalformedError(input);
  const match = PERIOD_PATTERN.exec(input);
  if (!match) throw new PeriodMalformedError(input);
  const year = Number(match[1]);
  const month = Number(match[2]);
  if (year < YEAR_MINIMUM || year > YEAR_MAXIMUM || month < 1 || month > 12) throw new PeriodMalformedError(input);
  const nextYear = month === 12 ? year + 1 : year;
  const nextMonth = month === 12 ? 1 : month + 1;
  return { name: input, startIso: monthStartIso(year, month), endIso: monthStartIso(nextYear, nextMonth) };
}

/** The month after `period`. */
export function nextPeriod(period: AccountingPeriod): AccountingPeriod {
  return parsePeriod(period.endIso.slice(0, 7));
}

/** True if a booking time lies before the period's end. */
export function bookedBefore(recordedAt: string, boundaryIso: string): boolean {
  return normalisedBookingTime(recordedAt) < boundaryIso;
}

/**
 * Booking times are written by the ledger as `new Date().toISOString()`; a stored value in
 * another RFC 3339 form (an offset, fewer fraction digits) is normalised before it is
 * compared as a string.
 */
export function normalisedBookingTime(recordedAt: string): string {
  if (/^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z$/.test(recordedAt)) return recordedAt;
  const epochMilliseconds = Date.parse(recordedAt);
  if (!Number.isFinite(epochMilliseconds)) throw new Error(`recordedAt ${JSON.stringify(recordedAt)} is not an instant`);
  return new Date(epochMilliseconds).toISOString();
}
