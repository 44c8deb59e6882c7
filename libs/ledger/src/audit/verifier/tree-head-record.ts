import { canonicalJson } from '@rsi/domain';
import { TREE_SIZE_MAXIMUM } from './log-inclusion';
import { ed25519SignatureHolds } from './portable-crypto';

/**
 * A signed tree head as a verifier reads it, and the check of its signature (browser-safe;
 * signing is ../transparency-log/tree-head.ts). The Ed25519 signature covers the UTF-8 bytes
 * of the canonical JSON of `{issuedAt, rootHash, scheme, treeSize}`, `treeSize` a decimal string.
 */
export const TREE_HEAD_SCHEME = 'rsi-ledger/tree-head/v1';
const HEX_HASH_PATTERN = /^[0-9a-f]{64}$/;
const ISSUED_AT_PATTERN = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const PUBLIC_KEY_LENGTH_MAXIMUM = 1_000;
/** Base64 of a 64-byte Ed25519 signature is 88 characters. */
const SIGNATURE_LENGTH_MAXIMUM = 200;
/** A JSON head, proof or key file larger than this is not one. */
export const TREE_HEAD_FILE_BYTES_MAXIMUM = 64 * 1024;

export type TreeHead = {
  scheme: typeof TREE_HEAD_SCHEME;
  treeSize: number;
  /** Hex of MTH(D[0:treeSize]), RFC 9162 §2.1.1. */
  rootHash: string;
  /** The database clock when the head was issued, ISO-8601 UTC with milliseconds. */
  issuedAt: string;
  /** SPKI PEM of the Ed25519 key that signed. */
  publicKey: string;
  /** Base64 Ed25519 signature of `treeHeadSignedMessage`. */
  signature: string;
};

/** One statement line's place in the transparency log, and the audit path to the head's root. */
export type StatementLogProof = {
  eventId: string;
  /** With the line's eventHash, eventId and bookedAt, the fields of the log leaf (docs/audit.md). */
  streamName: string;
  streamVersion: string;
  leafIndex: number;
  /** RFC 9162 §2.1.3 inclusion proof, hex, sibling first. */
  proof: string[];
};

/** The statement's companion: the latest signed tree head and each covered line's inclusion proof in it. */
export type StatementLogProofs = { treeHead: TreeHead; lines: StatementLogProof[] };

export type UnsignedTreeHead = Pick<TreeHead, 'treeSize' | 'rootHash' | 'issuedAt'>;

export function treeHeadSignedMessage(head: UnsignedTreeHead): string {
  return canonicalJson({ issuedAt: head.issuedAt, rootHash: head.rootHash, scheme: TREE_HEAD_SCHEME, treeSize: String(head.treeSize) });
}

/** True if the head's signature holds under `publicKeyPem`. Never throws. */
export function treeHeadSignatureHolds(head: TreeHead, publicKeyPem: string): boolean {
  if (typeof publicKeyPem !== 'string' || publicKeyPem.length > PUBLIC_KEY_LENGTH_MAXIMUM) return false;
  return ed25519SignatureHolds(treeHeadSignedMessage(head), publicKeyPem, head.signature);
}

export function treeHeadFieldsProblem(record: Record<string, unknown>): string | null {
  const { treeSize, rootHash, issuedAt } = record;
  if (typeof treeSize !== 'number' || !Number.isSafeInteger(treeSize) || treeSize < 1 || treeSize > TREE_SIZE_MAXIMUM) {
    return `treeSize must be an integer in [1, ${TREE_SIZE_MAXIMUM}]`;
  }
  if (typeof rootHash !== 'string' || !HEX_HASH_PATTERN.test(rootHash)) return 'rootHash must be 64 lower-case hex digits';
  if (typeof issuedAt !== 'string' || !ISSUED_AT_PATTERN.test(issuedAt) || Number.isNaN(Date.parse(issuedAt))) {
    return 'issuedAt must be an ISO-8601 UTC instant with milliseconds';
  }
  return null;
}

/** Reads a head that arrives from outside (a file, a response), field by field. */
export function decodeTreeHead(value: unknown): TreeHead {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error('a tree head must be a JSON object');
  const record = value as Record<string, unknown>;
  if (record.scheme !== TREE_HEAD_SCHEME) throw new Error(`scheme must be ${JSON.stringify(TREE_HEAD_SCHEME)}`);
  const problem = treeHeadFieldsProblem(record);
  if (problem !== null) throw new Error(problem);
  const { publicKey, signature } = record;
  if (typeof publicKey !== 'string' || publicKey.length === 0 || publicKey.length > PUBLIC_KEY_LENGTH_MAXIMUM) throw new Error('publicKey must be a PEM string');
  if (typeof signature !== 'string' || signature.length === 0 || signature.length > SIGNATURE_LENGTH_MAXIMUM) throw new Error('signature must be a base64 string');
  return {
    scheme: TREE_HEAD_SCHEME, treeSize: record.treeSize as number, rootHash: record.rootHash as string, issuedAt: record.issuedAt as string,
    publicKey, signature,
  };
}

