import { canonicalJson } from '@rsi/domain';
import { ed25519SignatureHolds, ed25519SpkiOfPem, hexOfBytes, sha256Bytes } from './portable-crypto';

/**
 * A `SealKeyRotated` record as a verifier reads it, and the checks of its two signatures
 * (browser-safe; signing and the chain's audit are ../seal-key-chain.ts).
 */
export const SEAL_KEY_ROTATION_SCHEME = 'rsi-ledger/seal-key-rotation/v1';
export const PEM_LENGTH_MAXIMUM = 1_000;
const SIGNATURE_BASE64_LENGTH_MAXIMUM = 200;
const HASH_HEX_PATTERN = /^[0-9a-f]{64}$/;
export type SealKeyRotation = {
  signatureScheme: typeof SEAL_KEY_ROTATION_SCHEME;
  previousPublicKey: string;
  nextPublicKey: string;
  /** `sealHashOf` the last seal before the rotation; null when no seal precedes it. */
  previousSealHash: string | null;
  rotatedAt: string;
  /** Base64 Ed25519 signatures of `rotationSignedMessage`. */
  signatureByPrevious: string;
  signatureByNext: string;
};

/** Hex SHA-256 of the key's SPKI DER: one name for one key, whatever its PEM's line breaks; null if it is no Ed25519 public key. */
export function publicKeyFingerprint(publicKeyPem: string): string | null {
  const spki = ed25519SpkiOfPem(publicKeyPem);
  return spki === null ? null : hexOfBytes(sha256Bytes(spki));
}

export function rotationSignedMessage(rotation: Pick<SealKeyRotation, 'previousPublicKey' | 'nextPublicKey' | 'previousSealHash' | 'rotatedAt'>): string {
  return canonicalJson({
    scheme: SEAL_KEY_ROTATION_SCHEME,
    previousPublicKey: rotation.previousPublicKey,
    nextPublicKey: rotation.nextPublicKey,
    previousSealHash: rotation.previousSealHash,
    rotatedAt: rotation.rotatedAt,
  });
}

/** Both signatures hold: the outgoing key introduced the incoming one, and the incoming one accepted it. */
export function rotationSignaturesHold(rotation: SealKeyRotation): boolean {
  const message = rotationSignedMessage(rotation);
  return ed25519SignatureHolds(message, rotation.previousPublicKey, rotation.signatureByPrevious)
    && ed25519SignatureHolds(message, rotation.nextPublicKey, rotation.signatureByNext);
}

/** Reads a stored or received rotation, field by field. */
export function decodeSealKeyRotation(data: unknown): SealKeyRotation {
  if (data === null || typeof data !== 'object' || Array.isArray(data)) throw new Error('a seal key rotation must be an object');
  const record = data as Record<string, unknown>;
  const text = (name: string, lengthMaximum: number): string => {
    const value = record[name];
    if (typeof value !== 'string' || value.length > lengthMaximum) throw new Error(`SealKeyRotated.${name} must be a string of at most ${lengthMaximum} characters`);
    return value;
  };
  if (record.signatureScheme !== SEAL_KEY_ROTATION_SCHEME) throw new Error(`SealKeyRotated.signatureScheme must be ${SEAL_KEY_ROTATION_SCHEME}`);
  const previousSealHash = record.previousSealHash;
  if (previousSealHash !== null && (typeof previousSealHash !== 'string' || !HASH_HEX_PATTERN.test(previousSealHash))) {
    throw new Error('SealKeyRotated.previousSealHash must be 64 lower-case hex digits or null');
  }
  return {
    signatureScheme: SEAL_KEY_ROTATION_SCHEME,
    previousPublicKey: text('previousPublicKey', PEM_LENGTH_MAXIMUM), nextPublicKey: text('nextPublicKey', PEM_LENGTH_MAXIMUM),
    previousSealHash, rotatedAt: text('rotatedAt', 64),
    signatureByPrevious: text('signatureByPrevious', SIGNATURE_BASE64_LENGTH_MAXIMUM), signatureByNext: text('signatureByNext', SIGNATURE_BASE64_LENGTH_MAXIMUM),
  };
}

