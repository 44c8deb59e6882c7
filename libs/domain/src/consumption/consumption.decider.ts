/**
 * The consumption of one app: stream `consumption-<appId>`, whose state is the set of
 * record ids already recorded with their content. Idempotency by record id: the same
 * content again is nothing, other content a conflict. Pure: the app's developer and
 * currency and the currency's price books come in as context, read by the caller.
 */
import { FieldInvalid, assertInvariant } from '../domain.errors';
import { parseIdentifier } from '../identifier.parser';
import { bookingTimeOf, parseOccurredTime } from '../time/business-time';
import type { RecordConsumption } from './consumption.commands';
import type { ConsumptionRecord, ConsumptionRecorded } from './consumption.events';
import { parseMeterName, parseQuantity } from './consumption-units';
import { ConsumptionAppMismatch, DuplicateConsumptionRecord, MeterNotPriced, NoPriceBookInEffect } from './consumption.errors';
import { priceBookInEffect, type PriceBookState } from './price-book';

import { CONSUMPTION_RECORDS_PER_EVENT_MAXIMUM } from '../limits/ledger-limits';

type RecordedContent = { meter: string; quantityNanounits: bigint; occurredAt: string };

export type ConsumptionState = {
  appId: string | null;
  records: Map<string, RecordedContent>;
};

export function initialConsumptionState(): ConsumptionState {
  return { appId: null, records: new Map() };
}

export type ConsumptionApp = { appId: string; developerId: string; currency: string };

export type RecordConsumptionContext = {
  app: ConsumptionApp;
  /** The price books of the app's currency. */
  priceBooks: PriceBookState;
  /** Booking time (normalised ISO): a record's occurredAt may not lie after it (plus the clock-skew allowance). */
  bookedAt: string;
};

/**
 * Decides one record: the record to append, or null when the same record is already in
 * the state. The caller evolves the state with the event before deciding the next record,
 * so that a record id repeated inside one batch is caught too.
 */
export function decideRecordConsumption(command: RecordConsumption, state: ConsumptionState, context: RecordConsumptionContext): ConsumptionRecord | null {
  const data = command.data as Record<string, unknown>;
  if (typeof data !== 'object' || data === null) throw new FieldInvalid('data', 'an object is required');
  const recordId = parseIdentifier(data.recordId, 'recordId');
  const appId = parseIdentifier(data.appId, 'appId');
  const meter = parseMeterName(data.meter, 'meter');
  const quantityNanounits = parseQuantity(data.quantity, 'quantity');
  const occurredAt = parseOccurredTime(data.occurredAt, 'occurredAt', bookingTimeOf(context.bookedAt));
  if (appId !== context.app.appId) throw new ConsumptionAppMismatch(appId, context.app.appId);
  if (state.appId !== null && state.appId !== appId) throw new ConsumptionAppMismatch(appId, state.appId);

  const existing = state.records.get(recordId);
  if (existing !== undefined) {
    if (existing.meter === meter && existing.quantityNanounits === quantityNanounits && existing.occurredAt === occurredAt.iso) return null;
    throw new DuplicateConsumptionRecord(recordId);
  }
  assertInvariant(context.priceBooks.currency === null || context.priceBooks.currency === context.app.currency, 'the price books are of the app currency');
  const priceBook = priceBookInEffect(context.priceBooks, occurredAt.epochMilliseconds);
  if (priceBook === null) throw new NoPriceBookInEffect(context.app.currency, occurredAt.iso);
  if (!priceBook.meters.has(meter)) throw new MeterNotPriced(meter, priceBook.priceBookId);
  return { recordId, meter, quantityNanounits, occurredAt: occurredAt.iso, priceBookId: priceBook.priceBookId };
}

/** The event of up to `CONSUMPTION_RECORDS_PER_EVENT_MAXIMUM` decided records of one app. */
export function consumptionRecordedEvent(app: ConsumptionApp, records: ConsumptionRecord[]): ConsumptionRecorded {
  assertInvariant(records.length >= 1 && records.length <= CONSUMPTION_RECORDS_PER_EVENT_MAXIMUM, `1..${CONSUMPTION_RECORDS_PER_EVENT_MAXIMUM} records per event`);
  return { type: 'ConsumptionRecorded', data: { appId: app.appId, developerId: app.developerId, currency: app.currency, records } };
}

/** Applies an event to the state it is given (mutated and returned). */
export function evolveConsumption(state: ConsumptionState, event: ConsumptionRecorded): ConsumptionState {
  assertInvariant(state.appId === null || state.appId === event.data.appId, 'a consumption stream holds one app');
  state.appId = event.data.appId;
  for (const record of event.data.records) {
    assertInvariant(!state.records.has(record.recordId), `record ${record.recordId} appears twice in its stream`);
    state.records.set(record.recordId, { meter: record.meter, quantityNanounits: record.quantityNanounits, occurredAt: record.occurredAt });
  }
  return state;
}
