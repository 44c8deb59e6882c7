import { sign, type KeyObject } from 'node:crypto';
import { samePublicKey } from '../period-seal';
import {
  decodeTreeHead, TREE_HEAD_SCHEME, treeHeadFieldsProblem, treeHeadSignatureHolds, treeHeadSignedMessage, type TreeHead, type UnsignedTreeHead,
} from '../verifier/tree-head-record';
import { verifyConsistency } from './merkle-log';

export { decodeTreeHead, TREE_HEAD_FILE_BYTES_MAXIMUM, TREE_HEAD_SCHEME, treeHeadSignatureHolds, treeHeadSignedMessage } from '../verifier/tree-head-record';
export type { StatementLogProof, StatementLogProofs, TreeHead, UnsignedTreeHead } from '../verifier/tree-head-record';

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
export function signTreeHead(unsigned: UnsignedTreeHead, privateKey: KeyObject, publicKeyPem: string): TreeHead {
  if (treeHeadFieldsProblem(unsigned) !== null) throw new Error(`cannot sign a malformed tree head: ${treeHeadFieldsProblem(unsigned)}`);
  const signature = sign(null, Buffer.from(treeHeadSignedMessage(unsigned), 'utf8'), privateKey).toString('base64');
  return { scheme: TREE_HEAD_SCHEME, treeSize: unsigned.treeSize, rootHash: unsigned.rootHash, issuedAt: unsigned.issuedAt, publicKey: publicKeyPem, signature };
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
