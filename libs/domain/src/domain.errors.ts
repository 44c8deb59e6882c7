/**
 * Every refusal of the domain is a typed `DomainError` with a stable snake_case `code`,
 * a `kind` that the HTTP layer maps to a status (invalid → 400, not_found → 404,
 * conflict → 409) and, when one input field is to blame, its path in `field`.
 * `InvariantViolation` is different: it means the domain itself is wrong, never the input.
 */

export type DomainErrorKind = 'invalid' | 'not_found' | 'conflict';

export class DomainError extends Error {
  readonly code: string;
  readonly kind: DomainErrorKind;
  readonly field?: string;

  constructor(code: string, kind: DomainErrorKind, message: string, field?: string) {
    super(message);
    this.name = new.target.name;
    this.code = code;
    this.kind = kind;
    if (field !== undefined) this.field = field;
  }
}

/** A broken internal invariant: a bug, never a user error. Not a DomainError on purpose. */
export class InvariantViolation extends Error {
  constructor(message: string) {
    super(`invariant violated: ${message}`);
    this.name = 'InvariantViolation';
  }
}

/** Throws `InvariantViolation` unless `condition` holds. */
export function assertInvariant(condition: boolean, message: string): asserts condition {
  if (!condition) throw new InvariantViolation(message);
}

// ---- Input shape ----------------------------------------------------------------------

export class FieldInvalid extends DomainError {
  constructor(field: string, message: string) {
    super('field_invalid', 'invalid', `${field}: ${message}`, field);
  }
}

export class CommandUnknown extends DomainError {
  constructor(type: unknown) {
    super('command_unknown', 'invalid', `unknown command type ${JSON.stringify(String(type))}`, 'type');
  }
}

// ---- Money ----------------------------------------------------------------------------

export class AmountNotAString extends DomainError {
  constructor(field: string) {
    super('amount_not_a_string', 'invalid', `${field}: an amount must be a decimal string such as "19.99", not a JSON number`, field);
  }
}

export class AmountMalformed extends DomainError {
  constructor(field: string, input: string) {
    super('amount_malformed', 'invalid', `${field}: ${JSON.stringify(input.slice(0, 64))} is not a plain decimal amount such as "19.99"`, field);
  }
}

export class AmountTooManyDecimals extends DomainError {
  constructor(field: string, currency: string, exponent: number) {
    super('amount_too_many_decimals', 'invalid', `${field}: ${currency} has ${exponent} decimal place(s)`, field);
  }
}

export class AmountNegative extends DomainError {
  constructor(field: string) {
    super('amount_negative', 'invalid', `${field}: the amount must not be negative`, field);
  }
}

export class AmountZero extends DomainError {
  constructor(field: string) {
    super('amount_zero', 'invalid', `${field}: the amount must be positive`, field);
  }
}

export class AmountAboveMaximum extends DomainError {
  constructor(field: string, maximum: string) {
    super('amount_above_maximum', 'invalid', `${field}: the amount is above the maximum ${maximum}`, field);
  }
}

export class UnknownCurrency extends DomainError {
  constructor(field: string, currency: unknown) {
    super('unknown_currency', 'invalid', `${field}: ${JSON.stringify(String(currency).slice(0, 16))} is not an ISO 4217 currency code with minor units`, field);
  }
}

export class CurrencyNotMoney extends DomainError {
  constructor(field: string, currency: string) {
    super('currency_not_money', 'invalid',
      `${field}: ${currency} is an ISO 4217 code but not a currency of real money (fund codes, units of account, precious metals, testing and "no currency" codes are refused)`, field);
  }
}

// ---- Reference data ---------------------------------------------------------------------

export class UnknownCountry extends DomainError {
  constructor(field: string, country: unknown) {
    super('unknown_country', 'invalid', `${field}: ${JSON.stringify(String(country).slice(0, 16))} is not an ISO 3166-1 alpha-2 country code in capitals such as "NG"`, field);
  }
}

export class UnknownIncomeGroup extends DomainError {
  constructor(field: string, incomeGroup: unknown, allowed: readonly string[]) {
    super('unknown_income_group', 'invalid', `${field}: ${JSON.stringify(String(incomeGroup).slice(0, 32))} is not a World Bank income group (${allowed.join(', ')})`, field);
  }
}

// ---- Instants -------------------------------------------------------------------------

export class InstantMalformed extends DomainError {
  constructor(field: string, message: string) {
    super('instant_malformed', 'invalid', `${field}: ${message}`, field);
  }
}

/** A command's business time before `BUSINESS_TIME_EARLIEST_ISO`. */
export class BusinessTimeBeforeEarliest extends DomainError {
  constructor(field: string, iso: string, earliestIso: string) {
    super('business_time_before_earliest', 'invalid', `${field}: ${iso} is before the earliest business time the ledger accepts, ${earliestIso}`, field);
  }
}

/** A command's business time later than its booking time plus the clock-skew allowance: it has not happened yet. */
export class BusinessTimeAfterBooking extends DomainError {
  constructor(field: string, iso: string, latestIso: string) {
    super('business_time_after_booking', 'invalid', `${field}: ${iso} lies in the future; the latest accepted now is ${latestIso} (booking time plus the clock-skew allowance)`, field);
  }
}

/** A scheduled effectiveFrom (contract, price book) further ahead of the booking time than allowed. */
export class EffectiveFromTooFarAhead extends DomainError {
  constructor(field: string, iso: string, latestIso: string) {
    super('effective_from_too_far_ahead', 'invalid', `${field}: ${iso} is scheduled too far ahead; the latest accepted now is ${latestIso}`, field);
  }
}

// ---- Rates and contracts --------------------------------------------------------------

export class RateMalformed extends DomainError {
  constructor(field: string, message: string) {
    super('rate_malformed', 'invalid', `${field}: ${message}`, field);
  }
}

export class RateAboveHundredPercent extends DomainError {
  constructor(field: string) {
    super('rate_above_hundred_percent', 'invalid', `${field}: a rate may not exceed 100%`, field);
  }
}

export class ContractInvalid extends DomainError {
  constructor(field: string, message: string) {
    super('contract_invalid', 'invalid', `${field}: ${message}`, field);
  }
}

/** A carve-out party in a namespace that the ledger keeps for itself (platform, developers, system accounts). */
export class PartyReserved extends DomainError {
  constructor(field: string, party: string, reservedKinds: readonly string[]) {
    super('party_reserved', 'invalid', `${field}: ${JSON.stringify(party)} is in a reserved namespace; a carve-out party's kind may not be one of ${reservedKinds.join(', ')}`, field);
  }
}

export class ContractOverHundredPercent extends DomainError {
  constructor(field: string, message: string) {
    super('contract_over_hundred_percent', 'invalid', `${field}: ${message}`, field);
  }
}

// ---- Developer and apps ---------------------------------------------------------------

export class DeveloperAlreadyRegistered extends DomainError {
  constructor(developerId: string) {
    super('developer_already_registered', 'conflict', `developer ${developerId} is already registered with other details`, 'developerId');
  }
}

export class DeveloperNotRegistered extends DomainError {
  constructor(developerId: string) {
    super('developer_not_registered', 'not_found', `developer ${developerId} is not registered`, 'developerId');
  }
}

export class DeveloperNameErased extends DomainError {
  constructor(developerId: string) {
    super('personal_data_erased', 'conflict', `the personal data of developer ${developerId} was erased: its name can no longer be recorded`, 'name');
  }
}

export class AppAlreadyRegistered extends DomainError {
  constructor(appId: string) {
    super('app_already_registered', 'conflict', `app ${appId} is already registered with other details`, 'appId');
  }
}

export class UnknownApp extends DomainError {
  constructor(appId: string) {
    super('unknown_app', 'not_found', `app ${appId} is not registered for this developer`, 'appId');
  }
}

export class AmendmentNotAfterPreviousVersion extends DomainError {
  constructor(effectiveFrom: string, previousEffectiveFrom: string) {
    super('amendment_not_after_previous_version', 'conflict',
      `effectiveFrom ${effectiveFrom} must be after the previous version's ${previousEffectiveFrom}`, 'contract.effectiveFrom');
  }
}

export class AmendmentNotAfterRecordedReceipt extends DomainError {
  constructor(effectiveFrom: string, latestReceiptOccurredAt: string) {
    super('amendment_not_after_recorded_receipt', 'conflict',
      `effectiveFrom ${effectiveFrom} must be after the latest recorded receipt's occurredAt ${latestReceiptOccurredAt}`, 'contract.effectiveFrom');
  }
}

export class ContractCurrencyChange extends DomainError {
  constructor(previousCurrency: string, currency: string) {
    super('contract_currency_change', 'conflict', `an amendment may not change the currency from ${previousCurrency} to ${currency}`, 'contract.currency');
  }
}

// ---- Receipts and refunds -------------------------------------------------------------

export class ReceiptBeforeFirstContractVersion extends DomainError {
  constructor(occurredAt: string, firstEffectiveFrom: string) {
    super('receipt_before_first_contract_version', 'invalid',
      `occurredAt ${occurredAt} is before the first contract version's effectiveFrom ${firstEffectiveFrom}`, 'occurredAt');
  }
}

export class CurrencyMismatch extends DomainError {
  constructor(currency: string, contractCurrency: string) {
    super('currency_mismatch', 'invalid', `currency ${currency} differs from the contract currency ${contractCurrency}`, 'currency');
  }
}

export class DuplicateReceipt extends DomainError {
  constructor(receiptId: string) {
    super('duplicate_receipt', 'conflict', `receipt ${receiptId} is already recorded with other content`, 'receiptId');
  }
}

export class UnknownReceipt extends DomainError {
  constructor(receiptId: string) {
    super('unknown_receipt', 'not_found', `receipt ${receiptId} is not recorded for this developer`, 'receiptId');
  }
}

export class RefundExceedsRemaining extends DomainError {
  constructor(receiptId: string, remaining: string) {
    super('refund_exceeds_remaining', 'conflict', `the refund exceeds what remains of receipt ${receiptId} (${remaining})`, 'amount');
  }
}

export class RefundBeforeReceipt extends DomainError {
  constructor(occurredAt: string, receiptOccurredAt: string) {
    super('refund_before_receipt', 'invalid', `refund occurredAt ${occurredAt} precedes the receipt's occurredAt ${receiptOccurredAt}`, 'occurredAt');
  }
}

export class DuplicateRefund extends DomainError {
  constructor(refundId: string) {
    super('duplicate_refund', 'conflict', `refund ${refundId} is already recorded with other content`, 'refundId');
  }
}

// ---- Payout runs --------------------------------------------------------------------------

export class PayoutRunIdTaken extends DomainError {
  constructor(runId: string, payoutId: string) {
    super('payout_run_id_taken', 'conflict', `payout run ${runId}: its payout id ${payoutId} is already used by another payout`, 'runId');
  }
}

export class PayoutRunConflict extends DomainError {
  constructor(runId: string, recorded: string) {
    super('duplicate_payout_run', 'conflict', `payout run ${runId} is already recorded with ${recorded}`, 'runId');
  }
}

// ---- Disputes ---------------------------------------------------------------------------

export class DisputeExceedsRemaining extends DomainError {
  constructor(receiptId: string, remaining: string) {
    super('dispute_exceeds_remaining', 'conflict', `the dispute exceeds what is neither refunded nor under dispute of receipt ${receiptId} (${remaining})`, 'amount');
  }
}

export class DisputeBeforeReceipt extends DomainError {
  constructor(openedAt: string, receiptOccurredAt: string) {
    super('dispute_before_receipt', 'invalid', `dispute openedAt ${openedAt} precedes the receipt's occurredAt ${receiptOccurredAt}`, 'openedAt');
  }
}

export class DuplicateDispute extends DomainError {
  constructor(disputeId: string) {
    super('duplicate_dispute', 'conflict', `dispute ${disputeId} is already recorded with other content`, 'disputeId');
  }
}

export class UnknownDispute extends DomainError {
  constructor(disputeId: string) {
    super('unknown_dispute', 'not_found', `dispute ${disputeId} is not recorded for this developer`, 'disputeId');
  }
}

export class DisputeNotOpen extends DomainError {
  constructor(disputeId: string, status: string) {
    super('dispute_not_open', 'conflict', `dispute ${disputeId} is already ${status}`, 'disputeId');
  }
}

export class DisputeResolvedBeforeOpened extends DomainError {
  constructor(resolvedAt: string, openedAt: string) {
    super('dispute_resolved_before_opened', 'invalid', `resolvedAt ${resolvedAt} precedes the dispute's openedAt ${openedAt}`, 'resolvedAt');
  }
}

// ---- Payouts --------------------------------------------------------------------------

export class PayoutBelowMinimum extends DomainError {
  constructor(minimum: string) {
    super('payout_below_minimum', 'invalid', `the payout is below the minimum payout ${minimum}`, 'amount');
  }
}

export class PayoutAboveAvailable extends DomainError {
  constructor(available: string) {
    super('payout_above_available', 'conflict', `the payout is above the available balance ${available}`, 'amount');
  }
}

/** A settlement or failure dated before the payout's request. */
export class PayoutOutcomeBeforeRequest extends DomainError {
  constructor(field: string, iso: string, requestedAt: string) {
    super('payout_outcome_before_request', 'invalid', `${field}: ${iso} precedes the payout's requestedAt ${requestedAt}`, field);
  }
}

export class UnknownPayout extends DomainError {
  constructor(payoutId: string) {
    super('unknown_payout', 'not_found', `payout ${payoutId} is not known for this developer`, 'payoutId');
  }
}

export class PayoutNotPending extends DomainError {
  constructor(payoutId: string, status: string) {
    super('payout_not_pending', 'conflict', `payout ${payoutId} is ${status}, not pending`, 'payoutId');
  }
}

/** An exchange rate that is no positive decimal within the limits (money/fx-conversion.ts). */
export class FxRateMalformed extends DomainError {
  constructor(field: string, message: string) {
    super('fx_rate_malformed', 'invalid', `${field}: ${message}`, field);
  }
}

/** A payout in another currency whose converted amount rounds to nothing: the rate or the amount is wrong. */
export class PayoutConvertedAmountZero extends DomainError {
  constructor(payoutCurrency: string) {
    super('payout_converted_amount_zero', 'invalid', `amount: converted at fxRate it rounds to 0 ${payoutCurrency}; nothing would be paid`, 'amount');
  }
}

/** A payout in another currency whose converted amount passes the ledger's one maximum of an amount. */
export class PayoutConvertedAmountAboveMaximum extends DomainError {
  constructor(maximum: string) {
    super('payout_converted_amount_above_maximum', 'invalid', `fxRate: the converted amount is above the maximum ${maximum}`, 'fxRate');
  }
}

export class DuplicatePayout extends DomainError {
  constructor(payoutId: string) {
    super('duplicate_payout', 'conflict', `payout ${payoutId} is already requested with other content`, 'payoutId');
  }
}

// ---- Events ---------------------------------------------------------------------------

export class EventMalformed extends DomainError {
  constructor(type: string, field: string, message: string) {
    super('event_malformed', 'invalid', `${type}.${field}: ${message}`, field);
  }
}
