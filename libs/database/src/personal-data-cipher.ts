/**
 * The cipher of personal data (crypto-shredding, scheme `aes-256-gcm-v1`): each developer
 * has a 32-byte data key; a personal text is AES-256-GCM encrypted under it with a random
 * 12-byte nonce, and committed to by HMAC-SHA256 under the same key. The events hold the
 * ciphertext and the commitment; the key lives only in `personal_data_keys`, so destroying
 * the key erases the text while the events, and every hash over them, stay unchanged.
 */
import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import { PERSONAL_DATA_SCHEME, type ProtectedText } from '@rsi/domain';

export const DATA_KEY_BYTES = 32;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

export function newDataKey(): Buffer {
  return randomBytes(DATA_KEY_BYTES);
}

function assertDataKey(dataKey: Buffer): void {
  if (dataKey.length !== DATA_KEY_BYTES) throw new Error(`a data key has ${DATA_KEY_BYTES} bytes, not ${dataKey.length}`);
}

/** Keyed commitment: equal texts under one key give equal commitments; without the key a guess cannot be tested. */
export function personalTextCommitment(dataKey: Buffer, text: string): string {
  assertDataKey(dataKey);
  return createHmac('sha256', dataKey).update(text, 'utf8').digest('hex');
}

export function protectPersonalText(dataKey: Buffer, text: string): ProtectedText {
  assertDataKey(dataKey);
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', dataKey, nonce);
  const encrypted = Buffer.concat([cipher.update(text, 'utf8'), cipher.final()]);
  const ciphertext = Buffer.concat([nonce, encrypted, cipher.getAuthTag()]).toString('base64url');
  return { scheme: PERSONAL_DATA_SCHEME, ciphertext, commitment: personalTextCommitment(dataKey, text) };
}

/**
 * The plaintext of a protected text. Throws when the ciphertext was not made under this key
 * or was altered (GCM authentication), or when it does not match its commitment.
 */
export function revealPersonalText(dataKey: Buffer, protectedText: ProtectedText): string {
  assertDataKey(dataKey);
  const bytes = Buffer.from(protectedText.ciphertext, 'base64url');
  if (bytes.length < NONCE_BYTES + TAG_BYTES) throw new Error('a protected text is shorter than its nonce and tag');
  const decipher = createDecipheriv('aes-256-gcm', dataKey, bytes.subarray(0, NONCE_BYTES));
  decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
  const text = Buffer.concat([decipher.update(bytes.subarray(NONCE_BYTES, bytes.length - TAG_BYTES)), decipher.final()]).toString('utf8');
  if (personalTextCommitment(dataKey, text) !== protectedText.commitment) throw new Error('a protected text does not match its commitment');
  return text;
}
