import { createHash } from 'node:crypto';
import { canonicalJson } from '../../domain/src';
import type { JsonObject } from '../../event-store/src/event-store.port';

/** The previous-event hash of a stream's first event. */
export const GENESIS_EVENT_HASH = '0'.repeat(64);

/**
 * SHA-256 of an event's canonical body: its type, its encoded data and the hash of the
 * previous event of its stream. Changing, removing or reordering any event of a stream
 * changes every later hash, which `verify` recomputes.
 */
export function eventHashOf(type: string, data: JsonObject, previousEventHash: string): string {
  return createHash('sha256').update(canonicalJson({ type, data, previousEventHash })).digest('hex');
}
