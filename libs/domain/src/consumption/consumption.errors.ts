/**
 * Refusals of the consumption and price-book commands. Every one is a typed DomainError
 * with a stable snake_case code, like the rest of the domain.
 */
import { DomainError } from '../domain.errors';

export type ExactDecimalProblem = 'not_a_string' | 'malformed' | 'negative' | 'too_many_decimals' | 'above_maximum';

/** A quantity that is not an exact non-negative decimal string within the limits. */
export class QuantityInvalid extends DomainError {
  readonly problem: ExactDecimalProblem;
  constructor(field: string, problem: ExactDecimalProblem, message: string) {
    super(`quantity_${problem}`, 'invalid', `${field}: ${message}`, field);
    this.problem = problem;
  }
}

/** A list price or unit cost that is not an exact non-negative decimal string within the limits. */
export class UnitPriceInvalid extends DomainError {
  readonly problem: ExactDecimalProblem;
  constructor(field: string, problem: ExactDecimalProblem, message: string) {
    super(`unit_price_${problem}`, 'invalid', `${field}: ${message}`, field);
    this.problem = problem;
  }
}

export class MeterNameInvalid extends DomainError {
  constructor(field: string, message: string) {
    super('meter_name_invalid', 'invalid', `${field}: ${message}`, field);
  }
}

export class PriceBookInvalid extends DomainError {
  constructor(field: string, message: string) {
    super('price_book_invalid', 'invalid', `${field}: ${message}`, field);
  }
}

export class DuplicatePriceBook extends DomainError {
  constructor(priceBookId: string) {
    super('duplicate_price_book', 'conflict', `price book ${priceBookId} is already published with other content`, 'priceBookId');
  }
}

export class PriceBookNotAfterPreviousVersion extends DomainError {
  constructor(effectiveFrom: string, previousEffectiveFrom: string) {
    super('price_book_not_after_previous_version', 'conflict',
      `effectiveFrom ${effectiveFrom} must be after the previous price book's ${previousEffectiveFrom}`, 'effectiveFrom');
  }
}

export class PriceBookNotAfterRecordedConsumption extends DomainError {
  constructor(effectiveFrom: string, latestConsumptionOccurredAt: string) {
    super('price_book_not_after_recorded_consumption', 'conflict',
      `effectiveFrom ${effectiveFrom} must be after the latest recorded consumption's occurredAt ${latestConsumptionOccurredAt} in this currency, so that no recorded consumption is priced again`, 'effectiveFrom');
  }
}

export class NoPriceBookInEffect extends DomainError {
  constructor(currency: string, occurredAt: string) {
    super('no_price_book_in_effect', 'invalid', `occurredAt ${occurredAt} is before the first ${currency} price book's effectiveFrom`, 'occurredAt');
  }
}

export class MeterNotPriced extends DomainError {
  constructor(meter: string, priceBookId: string) {
    super('meter_not_priced', 'invalid', `meter ${meter} has no price in price book ${priceBookId}, which is in effect at occurredAt`, 'meter');
  }
}

export class DuplicateConsumptionRecord extends DomainError {
  constructor(recordId: string) {
    super('duplicate_consumption_record', 'conflict', `consumption record ${recordId} is already recorded with other content`, 'recordId');
  }
}

export class ConsumptionAppMismatch extends DomainError {
  constructor(appId: string, streamAppId: string) {
    super('consumption_app_mismatch', 'invalid', `appId ${appId} is not the app ${streamAppId} of this consumption stream`, 'appId');
  }
}
