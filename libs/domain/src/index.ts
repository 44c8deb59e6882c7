/** The public API of the pure domain. Everything else in `libs/domain` is internal. */
export * from './domain.errors';
export * from './ledger.events';
export * from './ledger.commands';
export * from './limits/ledger-limits';
export {
  MONEY_MAXIMUM_MINOR, MONEY_INPUT_LENGTH_MAXIMUM, AMOUNT_PATTERN, CURRENCY_PATTERN,
  currencyExponent, parseCurrency, parseIsoCurrencyCode, isMoneyCurrency, NON_MONEY_UNITS_OF_ACCOUNT, FUND_CURRENCY_CODES,
  parseMoney, formatMoney, parseMinorUnits,
} from './money/money';
export type { ParseMoneyOptions } from './money/money';
export {
  RATE_DENOMINATOR, RATE_PATTERN, RATE_ZERO, RATE_HUNDRED_PERCENT, parseRate, formatRate,
} from './money/rate';
export type { Rate } from './money/rate';
export {
  FX_CONVERSION_RULE_VERSION, FX_RATE_PATTERN, parseFxRate, divideRoundHalfEven, convertAmountMinor, conversionFailure,
} from './money/fx-conversion';
export type { FxRate } from './money/fx-conversion';
export {
  ADD_DAYS_MAXIMUM, INSTANT_PATTERN, parseInstant, isNormalisedInstant, addDays, addDaysToEpochMilliseconds, calendarMonthKey, calendarYearKey,
} from './time/instant';
export type { Instant } from './time/instant';
export {
  bookingTimeOf, checkOccurredTime, checkScheduledTime, parseOccurredTime, parseScheduledTime,
  businessTimeLatestEpochMilliseconds, scheduledTimeLatestEpochMilliseconds,
} from './time/business-time';
export type { BookingTime } from './time/business-time';
export { IDENTIFIER_PATTERN, parseIdentifier, parseText, parseOptionalText } from './identifier.parser';
export {
  INCOME_GROUPS, INCOME_GROUP_LENGTH_MAXIMUM, isCountryCode, parseCountryCode, parseOptionalIncomeGroup,
} from './reference/reference-data.parser';
export type { IncomeGroup } from './reference/reference-data.parser';
export {
  PLATFORM_PARTY, REVENUE_CLEARING_ACCOUNT, PAYOUTS_IN_FLIGHT_ACCOUNT, PAYOUTS_SETTLED_ACCOUNT, DISPUTES_HELD_ACCOUNT, DISPUTE_FEES_ACCOUNT, SYSTEM_ACCOUNTS,
  RESERVED_PARTY_KINDS, partyKind, isReservedParty,
} from './contract/party-namespace';
export * from './contract/contract-terms';
export { REVENUE_CATEGORIES, REVENUE_CATEGORY_DEFAULT, isRevenueCategory, parseRevenueCategory } from './contract/revenue-category';
export type { RevenueCategory } from './contract/revenue-category';
export { canonicalJson, sha256Hex } from './contract/canonical-json';
export {
  PARTY_LENGTH_MAXIMUM, PARTY_PATTERN, HOLD_DAYS_STRING_PATTERN, parseContractTerms, canonicalContractDocument, contractHash,
} from './contract/contract-terms.parser';
export { contractVersionRecord, selectContractVersion, selectContractVersionIndex } from './contract/contract-version.selector';
export { splitReceipt, developerParty } from './split/split-receipt.rule';
export type { SplitReceiptInput, SplitReceiptResult } from './split/split-receipt.rule';
export { reverseRefund } from './split/refund-reversal.rule';
export type { ReverseRefundInput } from './split/refund-reversal.rule';
export {
  initialDeveloperState, evolveDeveloper, developerStateFrom, availableBalanceMinor, pendingBalanceMinor, receiptRemainingMinor, balanceFiguresMinor, reserveHeldMinor,
  creditsAvailableMinor, balanceOf, counterKey, scopeKey, windowKey, DEVELOPER_SCOPE_KEY, restoreHeldRecords, trimHeldReceipts,
} from './developer/developer.state';
export type {
  DeveloperState, DeveloperRegistration, AppState, ContractVersionState, ReceiptState, RefundState, PayoutState,
  PayoutStatus, CurrencyBalanceState, DisputeState,
} from './developer/developer.state';
export { decideDeveloper, minimumPayoutMinor, parseRunId, runPayoutId, checkPayoutRunMatches } from './developer/developer.decider';
export * from './developer/personal-data';
export {
  encodeDeveloperEvent, decodeDeveloperEvent, isDeveloperEventType, DEVELOPER_EVENT_TYPES,
} from './codec/ledger-event.codec';
export type { JsonPrimitive, JsonValue, JsonObject, EncodedDeveloperEvent } from './codec/ledger-event.codec';
export * from './consumption/consumption.errors';
export type { RecordConsumption, PublishPriceBook, PriceBookMeterInput, ConsumptionCommand } from './consumption/consumption.commands';
export type {
  PriceBookMeter, PriceBookPublished, ConsumptionRecord, ConsumptionRecorded, ConsumptionEvent,
} from './consumption/consumption.events';
export { DECIMAL_PATTERN, DECIMAL_INPUT_LENGTH_MAXIMUM, formatExactDecimal, parseExactDecimal, roundHalfUp, parseSignedScaledDecimal } from './consumption/exact-decimal';
export {
  QUANTITY_MAXIMUM_NANOUNITS, UNIT_PRICE_MAXIMUM_PICOUNITS, EXACT_AMOUNT_DECIMALS, METER_NAME_PATTERN, parseQuantity, formatQuantity,
  parseUnitPrice, formatUnitPrice, parseMeterName, exactAmountZeptounits, roundZeptounitsToMinor, formatZeptounits, minorToZeptounits,
} from './consumption/consumption-units';
export {
  initialPriceBookState, decidePublishPriceBook, evolvePriceBooks,
  priceBookInEffect, parsePriceBookMeters,
} from './consumption/price-book';
export type { PriceBookState, PriceBookVersion, PublishPriceBookContext } from './consumption/price-book';
export {
  initialConsumptionState, decideRecordConsumption, consumptionRecordedEvent, evolveConsumption,
} from './consumption/consumption.decider';
export type { ConsumptionState, ConsumptionApp, RecordConsumptionContext } from './consumption/consumption.decider';
export {
  CONSUMPTION_EVENT_TYPES, isConsumptionEventType, encodeConsumptionEvent, decodeConsumptionEvent,
} from './consumption/consumption-event.codec';
