import { createHash, timingSafeEqual } from 'node:crypto';

/** More keys than this in one environment variable is a configuration mistake. */
const API_KEYS_MAXIMUM = 1_000;
const API_KEY_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const API_KEY_SECRET_LENGTH_MINIMUM = 8;
const API_KEY_SECRET_LENGTH_MAXIMUM = 512;

export type ApiKey = { keyId: string; secretDigest: Buffer };

function secretDigest(secret: string): Buffer {
  return createHash('sha256').update(secret, 'utf8').digest();
}

/**
 * Parses `RSI_API_KEYS` (`keyId:secret,keyId2:secret2`): the bootstrap keys, every one an
 * operator's (keys of the other roles are issued by `rsi-ledger keys create`). A malformed value stops the start
 * rather than silently leaving the API open or some key unusable.
 */
export function parseApiKeys(value: string | undefined): ApiKey[] | null {
  if (value === undefined || value.trim() === '') return null;
  const entries = value.split(',').map((entry) => entry.trim()).filter((entry) => entry !== '');
  if (entries.length > API_KEYS_MAXIMUM) throw new Error(`RSI_API_KEYS holds more than ${API_KEYS_MAXIMUM} keys`);
  const keys: ApiKey[] = [];
  const seen = new Set<string>();
  for (const [index, entry] of entries.entries()) {
    const separator = entry.indexOf(':');
    const keyId = separator < 0 ? '' : entry.slice(0, separator);
    const secret = separator < 0 ? '' : entry.slice(separator + 1);
    if (!API_KEY_ID_PATTERN.test(keyId)) {
      throw new Error(`RSI_API_KEYS entry ${index + 1}: expected keyId:secret with a key id of letters, digits, _ . - (at most 64)`);
    }
    if (secret.length < API_KEY_SECRET_LENGTH_MINIMUM || secret.length > API_KEY_SECRET_LENGTH_MAXIMUM) {
      throw new Error(`RSI_API_KEYS entry ${index + 1} (${keyId}): the secret must have ${API_KEY_SECRET_LENGTH_MINIMUM} to ${API_KEY_SECRET_LENGTH_MAXIMUM} characters`);
    }
    if (seen.has(keyId)) throw new Error(`RSI_API_KEYS: key id ${keyId} appears twice`);
    seen.add(keyId);
    keys.push({ keyId, secretDigest: secretDigest(secret) });
  }
  return keys;
}

/**
 * The key id whose secret is `presented`, or null. Every key is compared, in constant
 * time over fixed-length digests, so that timing tells nothing about which key was close.
 */
export function keyIdOfSecret(keys: readonly ApiKey[], presented: string): string | null {
  const presentedDigest = secretDigest(presented);
  let match: string | null = null;
  for (const key of keys) {
    if (timingSafeEqual(key.secretDigest, presentedDigest) && match === null) match = key.keyId;
  }
  return match;
}

