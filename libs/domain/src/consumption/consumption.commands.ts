/**
 * Commands of the RSI side (docs/unit-economics.md). Quantities and
 * prices stay decimal strings until the deciders parse them, so that every refusal is one
 * typed domain error; times are strings parsed strictly.
 */
import type { Command } from '../ledger.commands';

export type RecordConsumption = Command<'RecordConsumption', {
  recordId: string;
  appId: string;
  meter: string;
  /** Exact non-negative decimal string, at most 9 decimals ("1500", "0.25"). */
  quantity: string;
  occurredAt: string;
}>;

export type PriceBookMeterInput = { listPrice: string; unitCost: string };

export type PublishPriceBook = Command<'PublishPriceBook', {
  priceBookId: string;
  effectiveFrom: string;
  currency: string;
  /** Per meter name: decimal strings in major units per meter unit, at most 12 decimals. */
  meters: Record<string, PriceBookMeterInput> | unknown;
}>;

export type ConsumptionCommand = RecordConsumption | PublishPriceBook;
