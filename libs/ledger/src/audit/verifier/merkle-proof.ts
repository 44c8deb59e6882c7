import { bytesOfHex, hexOfBytes, sha256Bytes, utf8Bytes } from './portable-crypto';

/**
 * Checking an inclusion proof of the period-seal tree (scheme `rsi-ledger/merkle/v1`,
 * ../merkle-tree.ts builds it): browser-safe, the same bytes as the builder's.
 */
export const MERKLE_SCHEME = 'rsi-ledger/merkle/v1';
const LEAF_PREFIX = Uint8Array.of(0x00);
const NODE_PREFIX = Uint8Array.of(0x01);
const HASH_HEX_PATTERN = /^[0-9a-f]{64}$/;
/** recordedAt is an ISO-8601 string; anything longer is not one. */
export const RECORDED_AT_LENGTH_MAXIMUM = 64;

export type ProofStep = { side: 'left' | 'right'; hash: string };

function hashBytesOf(hex: string, field: string): Uint8Array {
  if (typeof hex !== 'string' || !HASH_HEX_PATTERN.test(hex)) throw new Error(`${field} must be 64 lower-case hex digits`);
  return bytesOfHex(hex)!;
}

/** SHA-256(0x00 ‖ eventHash (32 bytes) ‖ UTF-8 of recordedAt): the leaf of one event. */
export function merkleLeafBytesOf(eventHash: string, recordedAt: string): Uint8Array {
  if (typeof recordedAt !== 'string' || recordedAt.length === 0 || recordedAt.length > RECORDED_AT_LENGTH_MAXIMUM) {
    throw new Error('recordedAt must be a non-empty ISO-8601 string');
  }
  return sha256Bytes(LEAF_PREFIX, hashBytesOf(eventHash, 'eventHash'), utf8Bytes(recordedAt));
}

function nodeOf(left: Uint8Array, right: Uint8Array): Uint8Array {
  return sha256Bytes(NODE_PREFIX, left, right);
}

/**
 * The sides a proof of leaf `leafIndex` in a tree of `leafCount` leaves must have, so that a
 * proof cannot claim another position than the one it proves.
 */
export function expectedProofSides(leafIndex: number, leafCount: number): ('left' | 'right')[] {
  const sides: ('left' | 'right')[] = [];
  let index = leafIndex;
  let count = leafCount;
  while (count > 1) {
    const siblingIndex = index % 2 === 0 ? index + 1 : index - 1;
    if (siblingIndex < count) sides.push(index % 2 === 0 ? 'right' : 'left');
    index = Math.floor(index / 2);
    count = Math.ceil(count / 2);
  }
  return sides;
}

/** Folds a proof from a leaf up to a root (hex). Throws on a malformed step. */
export function merkleRootFromProof(leaf: Uint8Array, proof: readonly ProofStep[]): string {
  let hash = leaf;
  for (const step of proof) {
    const sibling = hashBytesOf(step.hash, 'proof hash');
    if (step.side === 'left') hash = nodeOf(sibling, hash);
    else if (step.side === 'right') hash = nodeOf(hash, sibling);
    else throw new Error('proof side must be "left" or "right"');
  }
  return hexOfBytes(hash);
}
