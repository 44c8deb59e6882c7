/**
 * Canonical JSON: object keys sorted by UTF-16 code units (JavaScript's default sort), no
 * whitespace, `undefined` properties left out (as JSON.stringify does). Used for contract
 * hashes and event hashes, so the same value always gives the same bytes.
 */
import { sha256 } from '@noble/hashes/sha256';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils';
import { InvariantViolation } from '../domain.errors';

/** Nesting deeper than this is refused: nothing in the ledger needs it. */
const CANONICAL_JSON_DEPTH_MAXIMUM = 32;

export function canonicalJson(value: unknown): string {
  return canonicalJsonAt(value, 0);
}

function canonicalJsonAt(value: unknown, depth: number): string {
  if (depth > CANONICAL_JSON_DEPTH_MAXIMUM) throw new InvariantViolation('canonicalJson: nesting too deep');
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) throw new InvariantViolation('canonicalJson: non-finite number');
      return JSON.stringify(value);
    case 'object': {
      // Built by concatenation rather than arrays and joins: this runs once per event of
      // an import (the event hash), so its allocations matter.
      if (Array.isArray(value)) {
        let text = '[';
        for (let index = 0; index < value.length; index += 1) {
          const item: unknown = value[index];
          if (item === undefined) throw new InvariantViolation('canonicalJson: undefined in an array');
          if (index > 0) text += ',';
          text += canonicalJsonAt(item, depth + 1);
        }
        return `${text}]`;
      }
      const record = value as Record<string, unknown>;
      const keys = Object.keys(record);
      if (keys.length > 1) keys.sort();
      let text = '{';
      let first = true;
      for (let index = 0; index < keys.length; index += 1) {
        const key = keys[index]!;
        const member = record[key];
        if (member === undefined) continue;
        if (!first) text += ',';
        first = false;
        text += `${JSON.stringify(key)}:${canonicalJsonAt(member, depth + 1)}`;
      }
      return `${text}}`;
    }
    default:
      // bigint, function, symbol, undefined: a caller forgot to encode.
      throw new InvariantViolation(`canonicalJson: cannot encode a ${typeof value}`);
  }
}

/** SHA-256 of the UTF-8 bytes of a string, lower-case hex. */
export function sha256Hex(text: string): string {
  return bytesToHex(sha256(utf8ToBytes(text)));
}
