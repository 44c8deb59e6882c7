/**
 * Explicit codecs of the consumption and price-book events: field by field, quantities and
 * prices as canonical decimal strings ("1.5", "0.0000005"), times as normalised ISO
 * strings. Decoding validates every field and throws `EventMalformed` on the first bad one.
 */
import { DomainError, EventMalformed, InvariantViolation } from '../domain.errors';
import type { JsonObject } from '../codec/ledger-event.codec';
import { currencyExponent } from '../money/money';
import { parseInstant } from '../time/instant';
import { parseIdentifier } from '../identifier.parser';
import type { ConsumptionEvent, ConsumptionRecord, ConsumptionRecorded, PriceBookMeter, PriceBookPublished } from './consumption.events';
import { formatQuantity, formatUnitPrice, parseMeterName, parseQuantity, parseUnitPrice } from './consumption-units';
import { CONSUMPTION_RECORDS_PER_EVENT_MAXIMUM, PRICE_BOOK_METERS_MAXIMUM, PRICE_BOOK_VERSIONS_MAXIMUM } from '../limits/ledger-limits';

export const CONSUMPTION_EVENT_TYPES = ['PriceBookPublished', 'ConsumptionRecorded'] as const;

export function isConsumptionEventType(type: string): type is ConsumptionEvent['type'] {
  return (CONSUMPTION_EVENT_TYPES as readonly string[]).includes(type);
}

export function encodeConsumptionEvent(event: ConsumptionEvent): { type: string; data: JsonObject } {
  switch (event.type) {
    case 'PriceBookPublished': {
      const data = event.data;
      return {
        type: event.type,
        data: {
          priceBookId: data.priceBookId, currency: data.currency, version: data.version, effectiveFrom: data.effectiveFrom,
          meters: data.meters.map((meter) => ({ meter: meter.meter, listPrice: formatUnitPrice(meter.listPricePicounits), unitCost: formatUnitPrice(meter.unitCostPicounits) })),
        },
      };
    }
    case 'ConsumptionRecorded': {
      const data = event.data;
      return {
        type: event.type,
        data: {
          appId: data.appId, developerId: data.developerId, currency: data.currency,
          records: data.records.map((record) => ({
            recordId: record.recordId, meter: record.meter, quantity: formatQuantity(record.quantityNanounits),
            occurredAt: record.occurredAt, priceBookId: record.priceBookId,
          })),
        },
      };
    }
    default:
      throw new InvariantViolation(`encodeConsumptionEvent: unknown event type ${(event as { type?: unknown }).type}`);
  }
}

/** Runs a field parser of the domain, turning its refusal into `EventMalformed` of this event. */
function field<T>(type: string, name: string, parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (error instanceof DomainError) throw new EventMalformed(type, name, error.message);
    throw error;
  }
}

function objectOf(type: string, name: string, value: unknown): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new EventMalformed(type, name, 'an object is required');
  return value as Record<string, unknown>;
}

function normalisedInstant(type: string, name: string, value: unknown): string {
  const iso = field(type, name, () => parseInstant(value, name).iso);
  if (iso !== value) throw new EventMalformed(type, name, 'the instant is not normalised');
  return iso;
}

/** A decimal must be in the canonical form the encoder writes, so that an event has one spelling. */
function canonical<T>(type: string, name: string, value: unknown, parse: () => T, format: (parsed: T) => string): T {
  const parsed = field(type, name, parse);
  if (format(parsed) !== value) throw new EventMalformed(type, name, 'the decimal is not in canonical form');
  return parsed;
}

export function decodeConsumptionEvent(type: string, rawData: unknown): ConsumptionEvent {
  const data = objectOf(type, 'data', rawData);
  switch (type) {
    case 'PriceBookPublished': {
      const currency = field(type, 'currency', () => { currencyExponent(String(data.currency)); return String(data.currency); });
      const version = data.version;
      if (typeof version !== 'number' || !Number.isInteger(version) || version < 1 || version > PRICE_BOOK_VERSIONS_MAXIMUM) {
        throw new EventMalformed(type, 'version', `an integer 1..${PRICE_BOOK_VERSIONS_MAXIMUM} is required`);
      }
      if (!Array.isArray(data.meters) || data.meters.length < 1 || data.meters.length > PRICE_BOOK_METERS_MAXIMUM) {
        throw new EventMalformed(type, 'meters', `1..${PRICE_BOOK_METERS_MAXIMUM} meters are required`);
      }
      const meters: PriceBookMeter[] = data.meters.map((value, index) => {
        const meter = objectOf(type, `meters[${index}]`, value);
        return {
          meter: field(type, `meters[${index}].meter`, () => parseMeterName(meter.meter)),
          listPricePicounits: canonical(type, `meters[${index}].listPrice`, meter.listPrice, () => parseUnitPrice(meter.listPrice, 'listPrice'), formatUnitPrice),
          unitCostPicounits: canonical(type, `meters[${index}].unitCost`, meter.unitCost, () => parseUnitPrice(meter.unitCost, 'unitCost'), formatUnitPrice),
        };
      });
      for (let index = 1; index < meters.length; index += 1) {
        if (!(meters[index - 1]!.meter < meters[index]!.meter)) throw new EventMalformed(type, 'meters', 'meters are sorted by name, each once');
      }
      const event: PriceBookPublished = {
        type,
        data: {
          priceBookId: field(type, 'priceBookId', () => parseIdentifier(data.priceBookId, 'priceBookId')),
          currency, version, effectiveFrom: normalisedInstant(type, 'effectiveFrom', data.effectiveFrom), meters,
        },
      };
      return event;
    }
    case 'ConsumptionRecorded': {
      if (!Array.isArray(data.records) || data.records.length < 1 || data.records.length > CONSUMPTION_RECORDS_PER_EVENT_MAXIMUM) {
        throw new EventMalformed(type, 'records', `1..${CONSUMPTION_RECORDS_PER_EVENT_MAXIMUM} records are required`);
      }
      const records: ConsumptionRecord[] = data.records.map((value, index) => {
        const record = objectOf(type, `records[${index}]`, value);
        return {
          recordId: field(type, `records[${index}].recordId`, () => parseIdentifier(record.recordId, 'recordId')),
          meter: field(type, `records[${index}].meter`, () => parseMeterName(record.meter)),
          quantityNanounits: canonical(type, `records[${index}].quantity`, record.quantity, () => parseQuantity(record.quantity), formatQuantity),
          occurredAt: normalisedInstant(type, `records[${index}].occurredAt`, record.occurredAt),
          priceBookId: field(type, `records[${index}].priceBookId`, () => parseIdentifier(record.priceBookId, 'priceBookId')),
        };
      });
      const event: ConsumptionRecorded = {
        type,
        data: {
          appId: field(type, 'appId', () => parseIdentifier(data.appId, 'appId')),
          developerId: field(type, 'developerId', () => parseIdentifier(data.developerId, 'developerId')),
          currency: field(type, 'currency', () => { currencyExponent(String(data.currency)); return String(data.currency); }),
          records,
        },
      };
      return event;
    }
    default:
      throw new EventMalformed(type, 'type', 'unknown consumption event type');
  }
}
