import { canonicalJson } from '@rsi/domain';
import type { EventHashBody } from '../../core/event-hash';
import { sha256HexOfText } from './portable-crypto';

/**
 * SHA-256 hex of a hash body's canonical JSON: the event hash as the offline verifier
 * recomputes it (browser-safe; the write path's `hashOfEventBody` in core/event-hash.ts
 * computes the same bytes on node:crypto, event-body-hash.spec.ts holds them equal).
 */
export function portableHashOfEventBody(body: EventHashBody): string {
  return sha256HexOfText(canonicalJson(body));
}
