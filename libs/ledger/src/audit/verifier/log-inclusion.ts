import { canonicalJson } from '@rsi/domain';
import { bytesOfHex, equalBytes, sha256Bytes, utf8Bytes } from './portable-crypto';

/**
 * Checking an inclusion proof of the transparency log (RFC 9162 §2.1.3.2) and computing the
 * leaf of a statement line (scheme `rsi-ledger/log-leaf/v1`): browser-safe. Building the log
 * and its proofs is ../transparency-log/merkle-log.ts (on node:crypto, for speed).
 */

/**
 * 2^48 leaves: far beyond any ledger, and every size and index stays an exact JavaScript number.
 * The RFC's bit operations are done with arithmetic (`% 2`, `/ 2`) because JavaScript's bitwise
 * operators truncate to 32 bits.
 */
export const TREE_SIZE_MAXIMUM = 2 ** 48;
/** A tree of TREE_SIZE_MAXIMUM leaves is 48 levels high: an inclusion proof has at most 48
 * hashes, a consistency proof at most 48 + 1. Anything longer is refused before hashing. */
export const PROOF_LENGTH_MAXIMUM = 49;
export const LOG_LEAF_SCHEME = 'rsi-ledger/log-leaf/v1';

const LEAF_PREFIX = Uint8Array.of(0x00);
const NODE_PREFIX = Uint8Array.of(0x01);
const HEX_HASH_PATTERN = /^[0-9a-f]{64}$/;
const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** Stream names and booking times are short; longer ones are not this ledger's. */
const STREAM_NAME_LENGTH_MAXIMUM = 512;
const RECORDED_AT_LENGTH_MAXIMUM = 64;
const STREAM_VERSION_PATTERN = /^(0|[1-9][0-9]{0,18})$/;

export type ProofVerification = { valid: true } | { valid: false; reason: string };

export type InclusionClaim = {
  leafIndex: number;
  treeSize: number;
  /** Hex of SHA-256(0x00 ‖ entry). */
  leafHash: string;
  proof: readonly string[];
  root: string;
};

/**
 * The entry of the log for one event: the UTF-8 bytes of the canonical JSON of
 * `{eventHash, eventId, recordedAt, scheme, streamName, streamVersion}`, `streamVersion` a
 * decimal string (docs/audit.md "Tree heads and consistency proofs").
 */
export type LogLeafFields = {
  eventHash: string;
  eventId: string;
  recordedAt: string;
  streamName: string;
  /** Decimal string. */
  streamVersion: string;
};

/** The fields of an event's leaf, or a reason why they cannot be one (never throws). */
export function logLeafFieldsProblem(fields: LogLeafFields): string | null {
  if (typeof fields.eventHash !== 'string' || !HEX_HASH_PATTERN.test(fields.eventHash)) return 'eventHash must be 64 lower-case hex digits';
  if (typeof fields.eventId !== 'string' || !UUID_PATTERN.test(fields.eventId)) return 'eventId must be a lower-case UUID';
  if (typeof fields.recordedAt !== 'string' || fields.recordedAt.length === 0 || fields.recordedAt.length > RECORDED_AT_LENGTH_MAXIMUM) {
    return `recordedAt must be a string of 1 to ${RECORDED_AT_LENGTH_MAXIMUM} characters`;
  }
  if (typeof fields.streamName !== 'string' || fields.streamName.length === 0 || fields.streamName.length > STREAM_NAME_LENGTH_MAXIMUM) {
    return `streamName must be a string of 1 to ${STREAM_NAME_LENGTH_MAXIMUM} characters`;
  }
  if (typeof fields.streamVersion !== 'string' || !STREAM_VERSION_PATTERN.test(fields.streamVersion)) return 'streamVersion must be a decimal string';
  return null;
}

/** The log entry's bytes. Throws on fields that cannot be a leaf (a programming error or a forged event). */
export function logLeafBytesOf(fields: LogLeafFields): Uint8Array {
  const problem = logLeafFieldsProblem(fields);
  if (problem !== null) throw new Error(`log leaf: ${problem}`);
  return utf8Bytes(canonicalJson({
    eventHash: fields.eventHash, eventId: fields.eventId, recordedAt: fields.recordedAt, scheme: LOG_LEAF_SCHEME,
    streamName: fields.streamName, streamVersion: fields.streamVersion,
  }));
}

/** SHA-256(0x00 ‖ data): the hash of one entry of the log. */
export function logLeafHashBytesOf(data: Uint8Array): Uint8Array {
  return sha256Bytes(LEAF_PREFIX, data);
}

function nodeHashOf(left: Uint8Array, right: Uint8Array): Uint8Array {
  return sha256Bytes(NODE_PREFIX, left, right);
}

const VALID: ProofVerification = { valid: true };

function invalid(reason: string): ProofVerification {
  return { valid: false, reason };
}

function isTreeSize(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 && value <= TREE_SIZE_MAXIMUM;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/** The bytes of a lower-case hex SHA-256 hash, or null. One spelling per hash: no upper case. */
function hashOfHex(value: unknown): Uint8Array | null {
  if (typeof value !== 'string' || !HEX_HASH_PATTERN.test(value)) return null;
  return bytesOfHex(value);
}

/** The proof's hashes, or a reason; the length limit is checked before any element is read. */
function proofHashesOf(proof: unknown): Uint8Array[] | string {
  if (!Array.isArray(proof)) return 'the proof must be an array of hashes';
  if (proof.length > PROOF_LENGTH_MAXIMUM) return `the proof has ${proof.length} hashes, more than the ${PROOF_LENGTH_MAXIMUM} any tree needs`;
  const hashes: Uint8Array[] = [];
  for (let index = 0; index < proof.length; index += 1) {
    const hash = hashOfHex(proof[index]);
    if (hash === null) return `proof hash ${index} must be 64 lower-case hex digits`;
    hashes.push(hash);
  }
  return hashes;
}

/** Halves `first` and `second` together (the RFC's "right-shift both"). */
function halved(first: number, second: number): [number, number] {
  return [Math.floor(first / 2), Math.floor(second / 2)];
}

/**
 * Verifies an inclusion proof: the algorithm of RFC 9162 §2.1.3.2, step by step. Never throws.
 */
export function verifyInclusion(claim: InclusionClaim): ProofVerification {
  if (!isObject(claim)) return invalid('the claim must be an object');
  const { leafIndex, treeSize } = claim;
  if (!isTreeSize(treeSize)) return invalid(`the tree size must be an integer in [0, ${TREE_SIZE_MAXIMUM}]`);
  if (!isTreeSize(leafIndex)) return invalid(`the leaf index must be an integer in [0, ${TREE_SIZE_MAXIMUM}]`);
  const leafHash = hashOfHex(claim.leafHash);
  if (leafHash === null) return invalid('the leaf hash must be 64 lower-case hex digits');
  const root = hashOfHex(claim.root);
  if (root === null) return invalid('the root must be 64 lower-case hex digits');
  const path = proofHashesOf(claim.proof);
  if (typeof path === 'string') return invalid(path);
  // 1. If leaf_index >= tree_size, fail.
  if (leafIndex >= treeSize) return invalid(`leaf ${leafIndex} is not in a tree of ${treeSize} leaves`);
  // 2. fn = leaf_index, sn = tree_size - 1. 3. r = hash.
  let fn = leafIndex;
  let sn = treeSize - 1;
  let r = leafHash;
  // 4. For each p in the inclusion path:
  for (const p of path) {
    // a. If sn is 0, stop and fail.
    if (sn === 0) return invalid('the proof is longer than the path from this leaf to the root');
    // b. If LSB(fn) is set, or fn equals sn: r = HASH(0x01 ‖ p ‖ r), then, if LSB(fn) is not set,
    //    right-shift both until LSB(fn) is set or fn is 0. Otherwise r = HASH(0x01 ‖ r ‖ p).
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHashOf(p, r);
      while (fn % 2 === 0 && fn !== 0) [fn, sn] = halved(fn, sn);
    } else {
      r = nodeHashOf(r, p);
    }
    // c. Right-shift both once.
    [fn, sn] = halved(fn, sn);
  }
  // 5. Valid when sn is 0 and r equals the root.
  if (sn !== 0) return invalid('the proof is shorter than the path from this leaf to the root');
  if (!equalBytes(r, root)) return invalid('the proof leads to another root');
  return VALID;
}
