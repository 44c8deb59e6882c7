/**
 * Business times of commands, bounded by the booking time (when the ledger records the
 * command; read from the clock by the application layer and handed in with the command —
 * the domain never reads a clock).
 *
 * - A business time that says when something happened (`occurredAt`, `requestedAt`,
 *   `settledAt`, `failedAt`, consumption `occurredAt`) lies in
 *   [BUSINESS_TIME_EARLIEST, bookedAt + CLOCK_SKEW_ALLOWANCE]: a later one has not happened.
 * - A scheduled time (`effectiveFrom` of a contract or a price book) lies in
 *   [BUSINESS_TIME_EARLIEST, bookedAt + SCHEDULE_AHEAD_DAYS_MAXIMUM days].
 *
 * These are command checks. Recorded events are decoded and evolved without them, so a
 * ledger written under other rules (or before them) still replays.
 */
import { BusinessTimeAfterBooking, BusinessTimeBeforeEarliest, EffectiveFromTooFarAhead, assertInvariant } from '../domain.errors';
import {
  BOOKING_TIME_LATEST_EPOCH_MILLISECONDS, BUSINESS_TIME_EARLIEST_EPOCH_MILLISECONDS, BUSINESS_TIME_EARLIEST_ISO,
  CLOCK_SKEW_ALLOWANCE_MILLISECONDS, DAY_MILLISECONDS, SCHEDULE_AHEAD_DAYS_MAXIMUM,
} from '../limits/ledger-limits';
import { type Instant, isNormalisedInstant, parseInstant } from './instant';

/** The booking time of a command, validated once per decision. */
export type BookingTime = Instant;

/**
 * Validates the booking time handed in by the application layer. A malformed booking time
 * or one outside [BUSINESS_TIME_EARLIEST, BOOKING_TIME_LATEST] is a broken clock or a bug
 * in the caller, never user input: an invariant.
 */
export function bookingTimeOf(bookedAt: string): BookingTime {
  assertInvariant(typeof bookedAt === 'string' && isNormalisedInstant(bookedAt), 'the booking time is a normalised instant');
  const epochMilliseconds = Date.parse(bookedAt);
  assertInvariant(
    epochMilliseconds >= BUSINESS_TIME_EARLIEST_EPOCH_MILLISECONDS && epochMilliseconds <= BOOKING_TIME_LATEST_EPOCH_MILLISECONDS,
    `the booking time ${bookedAt} lies within ${BUSINESS_TIME_EARLIEST_ISO}..${new Date(BOOKING_TIME_LATEST_EPOCH_MILLISECONDS).toISOString()}`,
  );
  return { iso: bookedAt, epochMilliseconds };
}

/** The latest occurred-type business time accepted at this booking time. */
export function businessTimeLatestEpochMilliseconds(booking: BookingTime): number {
  return booking.epochMilliseconds + CLOCK_SKEW_ALLOWANCE_MILLISECONDS;
}

/** The latest scheduled `effectiveFrom` accepted at this booking time. */
export function scheduledTimeLatestEpochMilliseconds(booking: BookingTime): number {
  return booking.epochMilliseconds + SCHEDULE_AHEAD_DAYS_MAXIMUM * DAY_MILLISECONDS;
}

function refuseBeforeEarliest(instant: Instant, field: string): void {
  if (instant.epochMilliseconds < BUSINESS_TIME_EARLIEST_EPOCH_MILLISECONDS) {
    throw new BusinessTimeBeforeEarliest(field, instant.iso, BUSINESS_TIME_EARLIEST_ISO);
  }
}

/** Checks an already parsed time of something that happened against the booking time. */
export function checkOccurredTime(instant: Instant, field: string, booking: BookingTime): Instant {
  refuseBeforeEarliest(instant, field);
  const latestEpochMilliseconds = businessTimeLatestEpochMilliseconds(booking);
  if (instant.epochMilliseconds > latestEpochMilliseconds) {
    throw new BusinessTimeAfterBooking(field, instant.iso, new Date(latestEpochMilliseconds).toISOString());
  }
  return instant;
}

/** Parses the time of something that happened (occurredAt, requestedAt, settledAt, failedAt) and bounds it. */
export function parseOccurredTime(input: unknown, field: string, booking: BookingTime): Instant {
  return checkOccurredTime(parseInstant(input, field), field, booking);
}

/** Checks an already parsed scheduled time (effectiveFrom) against the booking time. */
export function checkScheduledTime(instant: Instant, field: string, booking: BookingTime): Instant {
  refuseBeforeEarliest(instant, field);
  const latestEpochMilliseconds = scheduledTimeLatestEpochMilliseconds(booking);
  if (instant.epochMilliseconds > latestEpochMilliseconds) {
    throw new EffectiveFromTooFarAhead(field, instant.iso, new Date(latestEpochMilliseconds).toISOString());
  }
  return instant;
}

/** Parses a scheduled time (price book effectiveFrom) and bounds it. */
export function parseScheduledTime(input: unknown, field: string, booking: BookingTime): Instant {
  return checkScheduledTime(parseInstant(input, field), field, booking);
}
