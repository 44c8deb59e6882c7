import { sign, type KeyObject } from 'node:crypto';
import { sealHashOf, type PeriodSeal } from './period-seal';
import { publicKeyFingerprint, rotationSignaturesHold, rotationSignedMessage, SEAL_KEY_ROTATION_SCHEME, type SealKeyRotation } from './verifier/key-rotation-record';

export { decodeSealKeyRotation, publicKeyFingerprint, rotationSignaturesHold, rotationSignedMessage, SEAL_KEY_ROTATION_SCHEME } from './verifier/key-rotation-record';
export type { SealKeyRotation } from './verifier/key-rotation-record';

/**
 * The chain of the platform's seal keys (pure: no I/O, no clock).
 *
 * A key is retired by a `SealKeyRotated` event in the `seals` stream, signed by BOTH the
 * outgoing and the incoming key over `{scheme, previousPublicKey, nextPublicKey,
 * previousSealHash, rotatedAt}`: the outgoing key's signature introduces the incoming key
 * (an auditor who pinned the old key trusts the new one), the incoming key's signature names
 * its predecessor (an auditor who pinned the current key trusts the seals of the older
 * ones). `previousSealHash` places the rotation after one seal, so it cannot be moved.
 *
 * Trust: with pinned keys, a seal holds only if its key is pinned or joined to a pinned key
 * by valid rotations. A seal under a key no rotation introduced starts a new chain of keys:
 * that is what a lost key looks like, and what a forgery looks like; only a key pinned out
 * of band tells them apart (docs/audit.md, "A lost key").
 */
export const SEAL_KEY_ROTATED_EVENT_TYPE = 'SealKeyRotated';
/** Pinned keys one file may hold: a handful of chains over the life of a platform. */
export const PINNED_KEYS_MAXIMUM = 64;

export type SealStreamEntry =
  | { kind: 'seal'; seal: PeriodSeal }
  | { kind: 'rotation'; rotation: SealKeyRotation };

function shortName(fingerprint: string | null): string {
  return fingerprint === null ? 'an invalid key' : `key ${fingerprint.slice(0, 16)}`;
}

export function signRotation(
  unsigned: Pick<SealKeyRotation, 'previousPublicKey' | 'nextPublicKey' | 'previousSealHash' | 'rotatedAt'>,
  keys: { previous: KeyObject; next: KeyObject },
): SealKeyRotation {
  const message = Buffer.from(rotationSignedMessage(unsigned), 'utf8');
  return {
    signatureScheme: SEAL_KEY_ROTATION_SCHEME, ...unsigned,
    signatureByPrevious: sign(null, message, keys.previous).toString('base64'),
    signatureByNext: sign(null, message, keys.next).toString('base64'),
  };
}

export function encodeSealKeyRotation(rotation: SealKeyRotation): { [key: string]: string | null } {
  return {
    signatureScheme: rotation.signatureScheme, previousPublicKey: rotation.previousPublicKey, nextPublicKey: rotation.nextPublicKey,
    previousSealHash: rotation.previousSealHash, rotatedAt: rotation.rotatedAt,
    signatureByPrevious: rotation.signatureByPrevious, signatureByNext: rotation.signatureByNext,
  };
}

/** Where the seals stream stands: what the next seal or rotation must name and be signed by. */
export type SealChainHead = {
  lastSealHash: string | null;
  /** The key the next seal must be signed by; null before the first seal or rotation. */
  currentPublicKey: string | null;
  /** Fingerprints of keys a rotation or a new chain retired: never valid again. */
  retiredFingerprints: ReadonlySet<string>;
};

export function sealChainHead(entries: readonly SealStreamEntry[]): SealChainHead {
  let lastSealHash: string | null = null;
  let currentPublicKey: string | null = null;
  const retiredFingerprints = new Set<string>();
  const moveTo = (publicKey: string) => {
    const currentFingerprint = currentPublicKey === null ? null : publicKeyFingerprint(currentPublicKey);
    if (currentFingerprint !== null && currentFingerprint !== publicKeyFingerprint(publicKey)) retiredFingerprints.add(currentFingerprint);
    currentPublicKey = publicKey;
  };
  for (const entry of entries) {
    if (entry.kind === 'seal') {
      moveTo(entry.seal.publicKey);
      lastSealHash = sealHashOf(entry.seal);
    } else if (rotationSignaturesHold(entry.rotation)) {
      moveTo(entry.rotation.previousPublicKey);
      moveTo(entry.rotation.nextPublicKey);
    }
  }
  return { lastSealHash, currentPublicKey, retiredFingerprints };
}

/** Keys joined by valid rotations form one chain; trust flows along it both ways (union-find). */
class KeyChains {
  private readonly parent = new Map<string, string>();
  root(fingerprint: string): string {
    let current = fingerprint;
    for (let next = this.parent.get(current); next !== undefined && next !== current; next = this.parent.get(current)) current = next;
    return current;
  }
  join(left: string, right: string): void {
    const leftRoot = this.root(left);
    const rightRoot = this.root(right);
    if (leftRoot !== rightRoot) this.parent.set(rightRoot, leftRoot);
  }
}

export type SealKeyChainAudit = {
  /** Per entry index: what is wrong with that seal or rotation. */
  failuresByEntry: Map<number, string[]>;
  /** True when the seals were checked against pinned keys. */
  pinned: boolean;
  warnings: string[];
  keysSeen: number;
  rotations: number;
  /**
   * Whether a seal key anchors what it signs (a writer key introduction): pinned, a key on a
   * chain holding a pinned key; not pinned, a key that signed a seal or a rotation of this ledger.
   */
  anchors(fingerprint: string): boolean;
};

/**
 * Follows the seals stream in order: each v2 seal must name the hash of the seal before it
 * (a v1 seal names none and may only come before the first v2 seal), each seal must be
 * signed by the current key (a rotation moves it; a key never introduced starts a new chain,
 * reported; a retired key is refused), and with pinned keys every seal's key must be on a
 * chain that holds a pinned key. Signatures of the seals themselves are checked by the caller.
 */
export function auditSealKeyChain(entries: readonly SealStreamEntry[], pinnedPublicKeys: readonly string[] | null): SealKeyChainAudit {
  const failuresByEntry = new Map<number, string[]>();
  const failAt = (index: number, message: string) => failuresByEntry.set(index, [...(failuresByEntry.get(index) ?? []), message]);
  const warnings: string[] = [];
  const chains = new KeyChains();
  const retired = new Set<string>();
  const keysSeen = new Set<string>();
  const sealKeys: { index: number; fingerprint: string; period: string }[] = [];
  let current: string | null = null;
  let lastSealHash: string | null = null;
  let linkedChainBegan = false;
  let rotations = 0;

  entries.forEach((entry, index) => {
    if (entry.kind === 'rotation') {
      rotations += 1;
      const rotation = entry.rotation;
      const previous = publicKeyFingerprint(rotation.previousPublicKey);
      const next = publicKeyFingerprint(rotation.nextPublicKey);
      if (rotation.previousSealHash !== lastSealHash) failAt(index, `names previous seal ${rotation.previousSealHash ?? 'none'}, but the seal before it is ${lastSealHash ?? 'none'}`);
      if (previous === null || next === null || !rotationSignaturesHold(rotation)) {
        failAt(index, 'the signatures by the outgoing and the incoming key do not both hold: the rotation introduces nothing');
        return;
      }
      if (current !== null && previous !== current) failAt(index, `rotates away from ${shortName(previous)}, but the ledger's key is ${shortName(current)}`);
      if (next === previous) failAt(index, `rotates ${shortName(next)} to itself`);
      else if (retired.has(next)) failAt(index, `rotates to ${shortName(next)}, a key already retired`);
      keysSeen.add(previous).add(next);
      chains.join(previous, next);
      if (current !== null && current !== previous) retired.add(current);
      retired.add(previous);
      current = next;
      return;
    }
    const seal = entry.seal;
    if (seal.signatureScheme === 'rsi-ledger/period-seal/v1') {
      if (linkedChainBegan) failAt(index, 'a v1 seal (it names no previous seal) after the seals began to chain: a downgrade');
    } else {
      linkedChainBegan = true;
      if (seal.previousSealHash !== lastSealHash) {
        failAt(index, `names previous seal ${seal.previousSealHash ?? 'none'}, but the seal before it is ${lastSealHash ?? 'none'}: a seal was removed or replaced before it`);
      }
    }
    lastSealHash = sealHashOf(seal);
    const fingerprint = publicKeyFingerprint(seal.publicKey);
    if (fingerprint === null) {
      failAt(index, 'names no Ed25519 public key');
      return;
    }
    keysSeen.add(fingerprint);
    if (current !== null && fingerprint !== current) {
      if (retired.has(fingerprint)) failAt(index, `signed by ${shortName(fingerprint)}, which a rotation or a later key retired`);
      else {
        warnings.push(`seal ${seal.period}: signed by ${shortName(fingerprint)} where the ledger's key was ${shortName(current)}, with no rotation: ` +
          'a new chain of keys starts here (a lost key, or a forgery; only a key pinned out of band tells which)');
        retired.add(current);
      }
    }
    current = fingerprint;
    sealKeys.push({ index, fingerprint, period: seal.period });
  });

  const trustedRoots = new Set<string>();
  for (const pem of pinnedPublicKeys ?? []) {
    const fingerprint = publicKeyFingerprint(pem);
    if (fingerprint !== null) trustedRoots.add(chains.root(fingerprint));
  }
  const anchors = (fingerprint: string): boolean => (pinnedPublicKeys === null ? keysSeen.has(fingerprint) : trustedRoots.has(chains.root(fingerprint)));
  if (pinnedPublicKeys === null) {
    if (sealKeys.length > 0) {
      warnings.push('seal keys: not pinned, so the seals were checked only against the keys they name themselves: this proves they were not changed ' +
        'since they were signed, not who signed them (pass --public-key FILE or set RSI_SEAL_PUBLIC_KEY_FILE)');
    }
  } else {
    for (const { index, fingerprint } of sealKeys) {
      if (!trustedRoots.has(chains.root(fingerprint))) {
        failAt(index, `signed by ${shortName(fingerprint)}, which is neither a pinned key nor joined to one by a rotation`);
      }
    }
  }
  return { failuresByEntry, pinned: pinnedPublicKeys !== null, warnings, keysSeen: keysSeen.size, rotations, anchors };
}

/** Splits a PEM file into its public keys (one or more `BEGIN PUBLIC KEY` blocks); refuses a file with none or an invalid one. */
export function parsePinnedPublicKeys(text: string, source: string): string[] {
  const blocks = text.match(/-----BEGIN PUBLIC KEY-----[\s\S]*?-----END PUBLIC KEY-----/g) ?? [];
  if (blocks.length === 0) throw new Error(`${source}: no PEM public key (-----BEGIN PUBLIC KEY-----)`);
  if (blocks.length > PINNED_KEYS_MAXIMUM) throw new Error(`${source}: at most ${PINNED_KEYS_MAXIMUM} pinned keys`);
  blocks.forEach((block, index) => {
    if (publicKeyFingerprint(block) === null) throw new Error(`${source}: key ${index + 1} is not an Ed25519 public key`);
  });
  return blocks.map((block) => `${block}\n`);
}
