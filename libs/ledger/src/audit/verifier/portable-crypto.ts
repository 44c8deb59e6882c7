import { ed25519 } from '@noble/curves/ed25519.js';
import { sha256 as nobleSha256 } from '@noble/hashes/sha2';

/**
 * The hashing and signature checks of the offline verifier, over `Uint8Array` only: SHA-256
 * from @noble/hashes and Ed25519 from @noble/curves, no `node:crypto`, no `Buffer`. The same
 * code runs in the CLI (`verify-statement`) and in the browser (the portal's Verify button),
 * so a statement cannot check as valid in one and not in the other.
 *
 * Building seals and tree heads (millions of leaves) stays on node:crypto for speed; these
 * functions give the same bytes (merkle-tree.spec.ts and the statement tests check both).
 */
const utf8Encoder = new TextEncoder();
const HEX_PATTERN = /^(?:[0-9a-f]{2})*$/;
/** SPKI DER of an Ed25519 public key: SEQUENCE { SEQUENCE { OID 1.3.101.112 }, BIT STRING (32 bytes) }. */
const ED25519_SPKI_PREFIX = Uint8Array.of(0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00);
const ED25519_PUBLIC_KEY_BYTES = 32;
const ED25519_SIGNATURE_BYTES = 64;
const PEM_LENGTH_MAXIMUM = 1_000;
const SIGNATURE_BASE64_LENGTH_MAXIMUM = 200;
const PEM_PATTERN = /^-----BEGIN PUBLIC KEY-----\s*([A-Za-z0-9+/=\s]+?)\s*-----END PUBLIC KEY-----\s*$/;

export function utf8Bytes(text: string): Uint8Array {
  return utf8Encoder.encode(text);
}

export function concatBytes(...parts: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const part of parts) length += part.length;
  const joined = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    joined.set(part, offset);
    offset += part.length;
  }
  return joined;
}

export function sha256Bytes(...parts: readonly Uint8Array[]): Uint8Array {
  if (parts.length === 1) return nobleSha256(parts[0]!);
  const hash = nobleSha256.create();
  for (const part of parts) hash.update(part);
  return hash.digest();
}

export function sha256HexOfText(text: string): string {
  return hexOfBytes(sha256Bytes(utf8Bytes(text)));
}

export function hexOfBytes(bytes: Uint8Array): string {
  let hex = '';
  for (const byte of bytes) hex += byte.toString(16).padStart(2, '0');
  return hex;
}

/** The bytes of lower-case hex, or null when it is not (odd length, other characters). */
export function bytesOfHex(hex: string): Uint8Array | null {
  if (typeof hex !== 'string' || !HEX_PATTERN.test(hex)) return null;
  const bytes = new Uint8Array(hex.length / 2);
  for (let index = 0; index < bytes.length; index += 1) bytes[index] = Number.parseInt(hex.slice(index * 2, index * 2 + 2), 16);
  return bytes;
}

export function bytesOfBase64(text: string): Uint8Array | null {
  try {
    const binary = atob(text.replace(/\s+/g, ''));
    const bytes = new Uint8Array(binary.length);
    for (let index = 0; index < binary.length; index += 1) bytes[index] = binary.charCodeAt(index);
    return bytes;
  } catch {
    return null;
  }
}

export function equalBytes(left: Uint8Array, right: Uint8Array): boolean {
  if (left.length !== right.length) return false;
  let difference = 0;
  for (let index = 0; index < left.length; index += 1) difference |= left[index]! ^ right[index]!;
  return difference === 0;
}

/** The SPKI DER of an Ed25519 public key in PEM, or null if the PEM holds anything else. */
export function ed25519SpkiOfPem(publicKeyPem: string): Uint8Array | null {
  if (typeof publicKeyPem !== 'string' || publicKeyPem.length > PEM_LENGTH_MAXIMUM) return null;
  const match = PEM_PATTERN.exec(publicKeyPem.trim());
  if (match === null) return null;
  const der = bytesOfBase64(match[1]!);
  if (der === null || der.length !== ED25519_SPKI_PREFIX.length + ED25519_PUBLIC_KEY_BYTES) return null;
  if (!equalBytes(der.subarray(0, ED25519_SPKI_PREFIX.length), ED25519_SPKI_PREFIX)) return null;
  return der;
}

/**
 * True if `signatureBase64` is an Ed25519 signature of the UTF-8 `message` under the PEM key.
 * Strict RFC 8032 verification (`zip215: false`), as OpenSSL does. Never throws.
 */
export function ed25519SignatureHolds(message: string, publicKeyPem: string, signatureBase64: string): boolean {
  try {
    const spki = ed25519SpkiOfPem(publicKeyPem);
    if (spki === null || typeof signatureBase64 !== 'string' || signatureBase64.length > SIGNATURE_BASE64_LENGTH_MAXIMUM) return false;
    const signature = bytesOfBase64(signatureBase64);
    if (signature === null || signature.length !== ED25519_SIGNATURE_BYTES) return false;
    return ed25519.verify(signature, utf8Bytes(message), spki.subarray(ED25519_SPKI_PREFIX.length), { zip215: false });
  } catch {
    return false;
  }
}
