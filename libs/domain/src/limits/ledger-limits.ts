/**
 * Every limit of the ledger, defined once. The domain's parsers enforce them; the HTTP DTOs
 * and the JSONL field-shape parser import the same constants, so that a value is refused
 * with the same limit whichever door it comes through. docs/domain.md "Limits" lists each
 * one with where it is enforced. Nothing here reads a clock: `Date.UTC` only converts
 * fixed calendar fields into epoch milliseconds.
 */

export const DAY_MILLISECONDS = 86_400_000;

// ---- Instants: what the codecs can hold ------------------------------------------------

/**
 * Years an instant may have after normalisation to UTC, so that every normalised ISO string
 * has exactly four year digits (`toISOString` writes `+010000-…` beyond 9999, which the
 * event codecs refuse). This is the range of the instant codec.
 */
export const INSTANT_YEAR_MINIMUM = 1000;
export const INSTANT_YEAR_MAXIMUM = 9999;
export const INSTANT_EARLIEST_EPOCH_MILLISECONDS = Date.UTC(INSTANT_YEAR_MINIMUM, 0, 1);
export const INSTANT_LATEST_EPOCH_MILLISECONDS = Date.UTC(INSTANT_YEAR_MAXIMUM + 1, 0, 1) - 1;
/** No instant string longer than this is looked at (RFC 3339 with nine fraction digits and an offset is 35). */
export const INSTANT_TEXT_LENGTH_MAXIMUM = 40;

// ---- Business times: what a command may say ------------------------------------------

/**
 * The earliest business time a command may carry (occurredAt, requestedAt, settledAt,
 * failedAt, effectiveFrom). Older dates are typing errors, not history this ledger keeps.
 */
export const BUSINESS_TIME_EARLIEST_ISO = '2000-01-01T00:00:00.000Z';
export const BUSINESS_TIME_EARLIEST_EPOCH_MILLISECONDS = Date.UTC(2000, 0, 1);
/**
 * How far a business time may lie after the booking time: the sender's clock may run a
 * little ahead of the ledger's. Anything later has not happened yet.
 */
export const CLOCK_SKEW_ALLOWANCE_MILLISECONDS = 5 * 60_000;
/**
 * How far ahead of the booking time a contract's or a price book's `effectiveFrom` may be
 * scheduled. Bounded because every later receipt of the app must fall after it to amend
 * the contract again: a far-future effectiveFrom would freeze the terms for good.
 */
export const SCHEDULE_AHEAD_DAYS_MAXIMUM = 366;
/** Days from a receipt's occurredAt until its developer credit becomes available (ten years). */
export const HOLD_DAYS_MAXIMUM = 3650;

/**
 * The latest booking time at which every instant a command can produce still fits the
 * instant codec: a scheduled effectiveFrom (booking + SCHEDULE_AHEAD_DAYS_MAXIMUM), a
 * business time (booking + skew) plus HOLD_DAYS_MAXIMUM for `availableAt`. A ledger clock
 * beyond it is broken; the deciders refuse to decide on it (an invariant, not user input).
 */
export const BOOKING_TIME_LATEST_EPOCH_MILLISECONDS = INSTANT_LATEST_EPOCH_MILLISECONDS
  - (SCHEDULE_AHEAD_DAYS_MAXIMUM + HOLD_DAYS_MAXIMUM) * DAY_MILLISECONDS
  - CLOCK_SKEW_ALLOWANCE_MILLISECONDS;

// ---- Amounts -----------------------------------------------------------------------------

/** The largest amount accepted at the edge, in minor units of any currency (10^15). */
export const MONEY_MAXIMUM_MINOR = 10n ** 15n;
/**
 * No decimal string (amount, quantity, unit price) longer than this is looked at: the
 * largest has 16 integer digits, a point and 12 decimals.
 */
export const DECIMAL_TEXT_LENGTH_MAXIMUM = 40;
/** Decimals of a rate in percent ("0.125%" has 3). */
export const RATE_PERCENT_DECIMALS_MAXIMUM = 6;
/** Decimals of a consumption quantity. */
export const QUANTITY_DECIMALS_MAXIMUM = 9;
/** The largest quantity of one consumption record: 10^15 meter units (a million billion tokens). */
export const QUANTITY_MAXIMUM_UNITS = 10n ** 15n;
/** Decimals of a list price or unit cost per meter unit. */
export const UNIT_PRICE_DECIMALS_MAXIMUM = 12;
/** The largest list price or unit cost per meter unit: 10^6 major units. */
export const UNIT_PRICE_MAXIMUM_MAJOR = 10n ** 6n;

// ---- Exchange rates (payouts in another currency) ----------------------------------------

/**
 * Significant digits of a payout's exchange rate (`fxRate`): the published reference rates
 * have 5 to 7, a bank's dealt rate rarely more than 10; 15 leaves room without inviting a
 * rate computed in floating point and pasted with its noise ("0.1 + 0.2" has 17).
 */
export const FX_RATE_SIGNIFICANT_DIGITS_MAXIMUM = 15;
/** Decimals of an exchange rate: 12 reach a rate of 10^-12 (one unit of a weak currency in a strong one). */
export const FX_RATE_DECIMALS_MAXIMUM = 12;
/** No rate string longer than this is looked at: 15 integer digits, a point and 12 decimals fit with room. */
export const FX_RATE_TEXT_LENGTH_MAXIMUM = 32;
/** Where a payout's exchange rate comes from ("ECB reference rate 2026-12-02"). */
export const FX_SOURCE_LENGTH_MAXIMUM = 200;

// ---- Texts: one limit per concept ---------------------------------------------------------

/** Ids (developer, app, receipt, refund, payout, record, price book): parts of stream and party names. */
export const IDENTIFIER_LENGTH_MAXIMUM = 128;
/** Display names of developers and apps. */
export const NAME_LENGTH_MAXIMUM = 200;
/** A payout's bank or payment reference. */
export const REFERENCE_LENGTH_MAXIMUM = 200;
/** Why a payout failed. */
export const REASON_LENGTH_MAXIMUM = 500;
/**
 * A payout run's id: short enough that `<runId>:<developerId>` (the payout id of a developer in
 * the run) usually fits the identifier limit; a longer developer id is replaced by a hash there.
 */
export const RUN_ID_LENGTH_MAXIMUM = 64;
/** A word chosen from a fixed list (a dispute's outcome): refused unread beyond this. */
export const CHOICE_LENGTH_MAXIMUM = 32;
/** A carve-out party, `<kind>:<id>`. */
export const PARTY_LENGTH_MAXIMUM = 128;
/** ISO 3166-1 alpha-2. */
export const COUNTRY_CODE_LENGTH = 2;
/** ISO 4217 alphabetic code. */
export const CURRENCY_CODE_LENGTH = 3;
/** A consumption meter name (`tokens.input`). */
export const METER_NAME_LENGTH_MAXIMUM = 64;
/**
 * The longest string field a stored event may hold. Above every text limit of a command
 * (and above `developer:` + an identifier), so that whatever a command may say decodes.
 */
export const EVENT_STRING_LENGTH_MAXIMUM = 1000;

// ---- Counts ------------------------------------------------------------------------------

export const CONTRACT_TIERS_MAXIMUM = 32;
export const CONTRACT_CARVE_OUTS_MAXIMUM = 16;
/** Contract versions of one app (a stored version number above it is malformed). */
export const CONTRACT_VERSIONS_MAXIMUM = 1_000_000;
/** Meters per price book. */
export const PRICE_BOOK_METERS_MAXIMUM = 256;
/** Price-book versions per currency: a stream's whole state stays small. */
export const PRICE_BOOK_VERSIONS_MAXIMUM = 10_000;
/** Records per `ConsumptionRecorded` event: bounds the size of one stored event (~200 bytes a record). */
export const CONSUMPTION_RECORDS_PER_EVENT_MAXIMUM = 1_000;

// ---- Files -------------------------------------------------------------------------------

/** Commands per import batch unless `--batch` says otherwise (one append per stream per batch). */
export const IMPORT_BATCH_DEFAULT = 2_000;
/** The most commands `--batch` may name: a batch's decided events are held in memory. */
export const IMPORT_BATCH_MAXIMUM = 10_000;
/** A projection failure's skip reason, trimmed, is 1 to this many characters. */
export const SKIP_REASON_LENGTH_MAXIMUM = 1_000;

/** A JSONL command line longer than this (UTF-8 bytes) is refused before it is parsed. */
export const COMMAND_LINE_BYTES_MAXIMUM = 256 * 1024;

/** A provider's payout report (`reconcile payouts`, `POST /v1/reconciliations/payouts`) larger than this (bytes) is refused. */
export const PAYOUT_REPORT_BYTES_MAXIMUM = 8 * 1024 * 1024;
/** The most data rows a payout report may hold; one more is refused with its line number. */
export const PAYOUT_REPORT_ROWS_MAXIMUM = 100_000;

// ---- Webhooks ----------------------------------------------------------------------------

/** Subscriptions of one ledger: each costs the delivery worker a read per poll. */
export const WEBHOOK_SUBSCRIPTIONS_MAXIMUM = 100;
/** Event types one subscription may name. */
export const WEBHOOK_EVENT_TYPES_MAXIMUM = 50;
/** A longer URL is not a webhook endpoint. */
export const WEBHOOK_URL_LENGTH_MAXIMUM = 2_048;
/** How long a receiver may take to answer one delivery. */
export const WEBHOOK_DELIVERY_TIMEOUT_MILLISECONDS = 10_000;
/** A retry waits at most this long, however many failures came before. */
export const WEBHOOK_RETRY_DELAY_MAXIMUM_MILLISECONDS = 3_600_000;
/** How far a receiver should accept a signature's `t` from its own clock. */
export const WEBHOOK_SIGNATURE_TOLERANCE_SECONDS = 300;
/** Delivery attempts one answer of the delivery log lists (the latest). */
export const WEBHOOK_DELIVERIES_LISTED_MAXIMUM = 1_000;
