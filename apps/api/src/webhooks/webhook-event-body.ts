import { formatMoney } from '@rsi/domain';
import type { RecordedEvent } from '@rsi/event-store';
import { formatPosition } from '@rsi/projections';

/** Object depth walked when money fields are rewritten; stored events are far shallower. */
const PUBLIC_SHAPE_DEPTH_MAXIMUM = 16;

/**
 * The event in its public shape, as the HTTP API shows amounts: every `<name>Minor` amount
 * of minor units becomes `<name>`, a decimal string in the currency of its object (or an
 * enclosing one): `amountMinor: "1050"` with `currency: "USD"` is `amount: "10.50"`.
 * Personal data (a developer's name, kept encrypted) is never sent.
 */
export function publicEventData(type: string, data: unknown): unknown {
  const copy = publicValue(data, null, 0);
  if (type === 'DeveloperRegistered' && copy !== null && typeof copy === 'object' && !Array.isArray(copy)) delete (copy as Record<string, unknown>).name;
  return copy;
}

function publicValue(value: unknown, currency: string | null, depth: number): unknown {
  if (depth > PUBLIC_SHAPE_DEPTH_MAXIMUM || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((item) => publicValue(item, currency, depth + 1));
  const record = value as Record<string, unknown>;
  const ownCurrency = typeof record.currency === 'string' ? record.currency : currency;
  const result: Record<string, unknown> = {};
  for (const [key, member] of Object.entries(record)) {
    const decimal = key.endsWith('Minor') && key.length > 'Minor'.length && typeof member === 'string' && /^-?\d+$/.test(member) && ownCurrency !== null
      ? decimalOf(member, ownCurrency) : null;
    if (decimal !== null) {
      result[key.slice(0, -'Minor'.length)] = decimal;
    } else {
      result[key] = publicValue(member, ownCurrency, depth + 1);
    }
  }
  return result;
}

/** Null when the currency is not one the money rules know: the amount then stays in minor units, as stored. */
function decimalOf(minorUnits: string, currency: string): string | null {
  try {
    return formatMoney(BigInt(minorUnits), currency);
  } catch {
    return null;
  }
}

/** The JSON body of one delivery (docs/operations.md#webhooks). */
export function deliveryBodyOf(subscriptionId: string, event: RecordedEvent): string {
  const metadata = (event.metadata ?? {}) as { recordedAt?: unknown };
  return JSON.stringify({
    subscriptionId,
    eventId: event.eventId,
    type: event.type,
    stream: event.streamName,
    streamVersion: event.streamVersion.toString(),
    globalPosition: formatPosition(event.globalPosition),
    bookingTime: typeof metadata.recordedAt === 'string' ? metadata.recordedAt : null,
    data: publicEventData(event.type, event.data),
  });
}
