import { createHash } from 'node:crypto';
import { RECORDED_AT_LENGTH_MAXIMUM, type ProofStep } from './verifier/merkle-proof';

/** Checking a proof is browser-safe and lives with the verifier; building stays here, on node:crypto for speed. */
export { expectedProofSides, merkleRootFromProof, MERKLE_SCHEME, type ProofStep } from './verifier/merkle-proof';

/**
 * The Merkle tree of a period seal (scheme `rsi-ledger/merkle/v1`, docs/audit.md). Pure: no
 * I/O, no clock; node:crypto only hashes.
 *
 * - leaf  = SHA-256(0x00 ‖ eventHash (32 bytes) ‖ UTF-8 of the event's recordedAt)
 * - node  = SHA-256(0x01 ‖ left ‖ right)
 * - a level with an odd count promotes its last node unchanged to the next level (never
 *   duplicated: duplication lets two different leaf lists share a root);
 * - the root of no leaf is SHA-256(0x02).
 *
 * The prefixes keep a leaf from ever being read as a node (second-preimage attacks). The
 * booking time is in the leaf because `eventHash` covers type, data and previous hash only,
 * and statements and seals go by booking time: a platform must not be able to move a line
 * into another period without changing the root.
 */
const LEAF_PREFIX = 0x00;
const NODE_PREFIX = 0x01;
const EMPTY_TREE_PREFIX = 0x02;
const HASH_BYTES = 32;
const HEX_HASH_PATTERN = /^[0-9a-f]{64}$/;
/** Leaves one tree may hold: 10 million × 32 bytes, and as much again for the upper levels. */
export const MERKLE_LEAVES_MAXIMUM = 10_000_000;

function sha256(...parts: (Buffer | Uint8Array)[]): Buffer {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest();
}

function hashBytesOf(hex: string, field: string): Buffer {
  if (!HEX_HASH_PATTERN.test(hex)) throw new Error(`${field} must be 64 lower-case hex digits`);
  return Buffer.from(hex, 'hex');
}

/** The leaf of one event: its hash and its booking time. */
export function merkleLeafOf(eventHash: string, recordedAt: string): Buffer {
  if (typeof recordedAt !== 'string' || recordedAt.length === 0 || recordedAt.length > RECORDED_AT_LENGTH_MAXIMUM) {
    throw new Error('recordedAt must be a non-empty ISO-8601 string');
  }
  return sha256(Buffer.of(LEAF_PREFIX), hashBytesOf(eventHash, 'eventHash'), Buffer.from(recordedAt, 'utf8'));
}

export function merkleNodeOf(left: Buffer, right: Buffer): Buffer {
  return sha256(Buffer.of(NODE_PREFIX), left, right);
}

export function emptyMerkleRoot(): Buffer {
  return sha256(Buffer.of(EMPTY_TREE_PREFIX));
}

/**
 * The root computed while the leaves stream by, in O(log n) memory: complete subtrees of
 * equal height are merged as they fill (a binary counter), and at the end the remaining
 * subtrees are merged from the right, which is exactly what promoting odd nodes level by
 * level gives (proved against `MerkleTree` in merkle-tree.spec.ts).
 */
export class MerkleRootAccumulator {
  private readonly stack: { height: number; hash: Buffer }[] = [];
  private count = 0;

  get leafCount(): number {
    return this.count;
  }

  add(leaf: Buffer): void {
    if (this.count >= MERKLE_LEAVES_MAXIMUM) throw new Error(`a seal covers at most ${MERKLE_LEAVES_MAXIMUM} events`);
    this.count += 1;
    let node = { height: 0, hash: leaf };
    while (this.stack.length > 0 && this.stack[this.stack.length - 1]!.height === node.height) {
      const left = this.stack.pop()!;
      node = { height: node.height + 1, hash: merkleNodeOf(left.hash, node.hash) };
    }
    this.stack.push(node);
  }

  rootHex(): string {
    if (this.stack.length === 0) return emptyMerkleRoot().toString('hex');
    let hash = this.stack[this.stack.length - 1]!.hash;
    for (let index = this.stack.length - 2; index >= 0; index -= 1) hash = merkleNodeOf(this.stack[index]!.hash, hash);
    return hash.toString('hex');
  }
}

/**
 * The whole tree, level by level, each level one contiguous buffer of 32-byte hashes (a
 * million leaves take 64 MB, not millions of small objects). Used to draw inclusion proofs.
 */
export class MerkleTree {
  private readonly levels: Buffer[];

  private constructor(levels: Buffer[]) {
    this.levels = levels;
  }

  /** `leaves`: the concatenated 32-byte leaf hashes, in order. */
  static fromLeafBuffer(leaves: Buffer): MerkleTree {
    if (leaves.length % HASH_BYTES !== 0) throw new Error('leaf buffer length must be a multiple of 32');
    if (leaves.length / HASH_BYTES > MERKLE_LEAVES_MAXIMUM) throw new Error(`a tree holds at most ${MERKLE_LEAVES_MAXIMUM} leaves`);
    const levels = [leaves];
    while (levels[levels.length - 1]!.length > HASH_BYTES) {
      const below = levels[levels.length - 1]!;
      const count = below.length / HASH_BYTES;
      const above = Buffer.alloc(Math.ceil(count / 2) * HASH_BYTES);
      for (let index = 0; index + 1 < count; index += 2) {
        merkleNodeOf(below.subarray(index * HASH_BYTES, (index + 1) * HASH_BYTES), below.subarray((index + 1) * HASH_BYTES, (index + 2) * HASH_BYTES))
          .copy(above, (index / 2) * HASH_BYTES);
      }
      if (count % 2 === 1) below.copy(above, ((count - 1) / 2) * HASH_BYTES, (count - 1) * HASH_BYTES);
      levels.push(above);
    }
    return new MerkleTree(levels);
  }

  get leafCount(): number {
    return this.levels[0]!.length / HASH_BYTES;
  }

  rootHex(): string {
    if (this.leafCount === 0) return emptyMerkleRoot().toString('hex');
    return this.levels[this.levels.length - 1]!.toString('hex');
  }

  /** The sibling hashes from the leaf up to the root; `side` is where the sibling sits. */
  proofOf(leafIndex: number): ProofStep[] {
    if (!Number.isSafeInteger(leafIndex) || leafIndex < 0 || leafIndex >= this.leafCount) throw new Error(`leaf ${leafIndex} is not in the tree`);
    const proof: ProofStep[] = [];
    let index = leafIndex;
    for (let level = 0; level < this.levels.length - 1; level += 1) {
      const nodes = this.levels[level]!;
      const count = nodes.length / HASH_BYTES;
      const siblingIndex = index % 2 === 0 ? index + 1 : index - 1;
      if (siblingIndex < count) {
        proof.push({
          side: index % 2 === 0 ? 'right' : 'left',
          hash: nodes.subarray(siblingIndex * HASH_BYTES, (siblingIndex + 1) * HASH_BYTES).toString('hex'),
        });
      }
      index = Math.floor(index / 2);
    }
    return proof;
  }
}
