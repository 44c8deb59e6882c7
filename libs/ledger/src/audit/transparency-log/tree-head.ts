import { createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { canonicalJson } from '@rsi/domain';
import { samePublicKey } from '../period-seal';
import { TREE_SIZE_MAXIMUM, verifyConsistency } from './merkle-log';

/**
 * A signed tree head of the transparency log (scheme `rsi-ledger/tree-head/v1`,
 * docs/audit.md). Pure apart from signing and hashing: no I/O, no clock (`issuedAt` comes
 * from the database's clock through the caller).
 *
 * The Ed25519 signature covers the UTF-8 bytes of the canonical JSON of
 * `{issuedAt, rootHash, scheme, treeSize}`, `treeSize` a decimal string, with the platform's
 * seal key. The public key travels with the head for convenience only: a checker that trusts
 * it trusts whoever wrote the head, so the offline checks take the published key.
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

export function signTreeHead(unsigned: UnsignedTreeHead, privateKey: KeyObject, publicKeyPem: string): TreeHead {
  if (decodeProblem(unsigned) !== null) throw new Error(`cannot sign a malformed tree head: ${decodeProblem(unsigned)}`);
  const signature = sign(null, Buffer.from(treeHeadSignedMessage(unsigned), 'utf8'), privateKey).toString('base64');
  return { scheme: TREE_HEAD_SCHEME, treeSize: unsigned.treeSize, rootHash: unsigned.rootHash, issuedAt: unsigned.issuedAt, publicKey: publicKeyPem, signature };
}

/** True if the head's signature holds under `publicKeyPem`. Never throws. */
export function treeHeadSignatureHolds(head: TreeHead, publicKeyPem: string): boolean {
  try {
    if (publicKeyPem.length > PUBLIC_KEY_LENGTH_MAXIMUM) return false;
    const key = createPublicKey({ key: publicKeyPem, format: 'pem' });
    if (key.asymmetricKeyType !== 'ed25519') return false;
    return verify(null, Buffer.from(treeHeadSignedMessage(head), 'utf8'), key, Buffer.from(head.signature, 'base64'));
  } catch {
    return false;
  }
}

function decodeProblem(record: Record<string, unknown>): string | null {
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
  const problem = decodeProblem(record);
  if (problem !== null) throw new Error(problem);
  const { publicKey, signature } = record;
  if (typeof publicKey !== 'string' || publicKey.length === 0 || publicKey.length > PUBLIC_KEY_LENGTH_MAXIMUM) throw new Error('publicKey must be a PEM string');
  if (typeof signature !== 'string' || signature.length === 0 || signature.length > SIGNATURE_LENGTH_MAXIMUM) throw new Error('signature must be a base64 string');
  return {
    scheme: TREE_HEAD_SCHEME, treeSize: record.treeSize as number, rootHash: record.rootHash as string, issuedAt: record.issuedAt as string,
    publicKey, signature,
  };
}

/** What `consistency` prints and `verify-consistency` reads: the proof from one head's size to another's. */
export type ConsistencyProofDocument = { oldSize: number; newSize: number; oldRoot: string; newRoot: string; proof: string[] };

export type TreeHeadConsistencyCheck = { ok: true; message: string } | { ok: false; message: string };

function failed(message: string): TreeHeadConsistencyCheck {
  return { ok: false, message };
}

/**
 * The offline check of two heads a holder kept: both are signed by the published key, and the
 * proof shows the newer log extends the older one unchanged (RFC 9162 §2.1.4.2). The proof's
 * sizes and roots must be the heads' own, so a proof between other trees proves nothing here.
 * No database, no network. Never throws.
 */
export function checkTreeHeadConsistency(input: { oldHead: unknown; newHead: unknown; proof: unknown; publicKeyPem: string }): TreeHeadConsistencyCheck {
  let oldHead: TreeHead;
  let newHead: TreeHead;
  try {
    oldHead = decodeTreeHead(input.oldHead);
  } catch (error) {
    return failed(`old head: ${(error as Error).message}`);
  }
  try {
    newHead = decodeTreeHead(input.newHead);
  } catch (error) {
    return failed(`new head: ${(error as Error).message}`);
  }
  for (const [name, head] of [['old', oldHead], ['new', newHead]] as const) {
    if (!samePublicKey(head.publicKey, input.publicKeyPem)) return failed(`${name} head: it names another key than the published one`);
    if (!treeHeadSignatureHolds(head, input.publicKeyPem)) return failed(`${name} head: the signature does not hold under the published key (forged or altered)`);
  }
  if (oldHead.treeSize > newHead.treeSize) return failed(`the old head (${oldHead.treeSize} events) is larger than the new one (${newHead.treeSize}): swap them`);
  const proof = input.proof;
  if (proof === null || typeof proof !== 'object' || Array.isArray(proof)) return failed('proof: must be a JSON object {oldSize, newSize, oldRoot, newRoot, proof}');
  const claim = proof as Record<string, unknown>;
  if (claim.oldSize !== oldHead.treeSize || claim.newSize !== newHead.treeSize || claim.oldRoot !== oldHead.rootHash || claim.newRoot !== newHead.rootHash) {
    return failed(`proof: it is between other trees (${String(claim.oldSize)} → ${String(claim.newSize)}) than the heads (${oldHead.treeSize} → ${newHead.treeSize})`);
  }
  const verification = verifyConsistency({
    oldSize: oldHead.treeSize, newSize: newHead.treeSize, oldRoot: oldHead.rootHash, newRoot: newHead.rootHash, proof: claim.proof as string[],
  });
  if (!verification.valid) {
    return failed(`the log of ${newHead.treeSize} events (issued ${newHead.issuedAt}) does not extend the log of ${oldHead.treeSize} events (issued ${oldHead.issuedAt}) unchanged: ${verification.reason}`);
  }
  return { ok: true, message: `consistent: the log of ${newHead.treeSize} events (issued ${newHead.issuedAt}) extends the log of ${oldHead.treeSize} events (issued ${oldHead.issuedAt}) unchanged; both heads signed by the published key` };
}
