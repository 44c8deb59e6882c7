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
      if (Array.isArray(value)) {
        const items: string[] = [];
        for (const item of value) {
          if (item === undefined) throw new InvariantViolation('canonicalJson: undefined in an array');
          items.push(canonicalJsonAt(item, depth + 1));
        }
        return `[${items.join(',')}]`;
      }
      const record = value as Record<string, unknown>;
      const keys = Object.keys(record).sort();
      const members: string[] = [];
      for (const key of keys) {
        const member = record[key];
        if (member === undefined) continue;
        members.push(`${JSON.stringify(key)}:${canonicalJsonAt(member, depth + 1)}`);
      }
      return `{${members.join(',')}}`;
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
