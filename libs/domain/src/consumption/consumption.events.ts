/**
 * Events of the RSI side. Quantities are nanounits (10^-9 meter unit) and prices
 * picounits (10^-12 major unit per meter unit), as bigints; the codec writes them as
 * canonical decimal strings.
 */
import type { DomainEvent } from '../ledger.events';

export type PriceBookMeter = { meter: string; listPricePicounits: bigint; unitCostPicounits: bigint };

export type PriceBookPublished = DomainEvent<'PriceBookPublished', {
  priceBookId: string;
  currency: string;
  /** 1 for the currency's first price book, +1 per later one. */
  version: number;
  effectiveFrom: string;
  /** Sorted by meter name. */
  meters: PriceBookMeter[];
}>;

export type ConsumptionRecord = {
  recordId: string;
  meter: string;
  quantityNanounits: bigint;
  occurredAt: string;
  /** The price book in effect at occurredAt when the record was decided: a replay prices it the same. */
  priceBookId: string;
};

/** Many records of one app in one event; each record id appears once in the app's stream. */
export type ConsumptionRecorded = DomainEvent<'ConsumptionRecorded', {
  appId: string;
  developerId: string;
  /** The app's contract currency, which selects the price books. */
  currency: string;
  records: ConsumptionRecord[];
}>;

export type ConsumptionEvent = PriceBookPublished | ConsumptionRecorded;
