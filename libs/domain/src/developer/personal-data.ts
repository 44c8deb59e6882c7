/**
 * Personal data of a developer, held so that it can be erased without touching an event
 * (crypto-shredding). The one personal field today is the developer's `name`: it can name a
 * natural person. `country` and `incomeGroup` stay plain: they are terms of the developer's
 * contract and accounting record, not identifying on their own. App names are names of
 * products, not of persons, and stay plain too (docs/audit.md "Personal data").
 *
 * The application layer encrypts the name under the developer's data key (held outside the
 * events, in `personal_data_keys`) before the domain decides, and hands the domain the
 * plaintext (for its limits and for events recorded before protection) together with the
 * protected form. The domain records only the protected form. Destroying the key erases the
 * name while every event, hash, seal and proof stays as it was.
 */
import { FieldInvalid } from '../domain.errors';

/** The one protection scheme: AES-256-GCM, 12-byte random nonce; commitment HMAC-SHA256(data key, name). */
export const PERSONAL_DATA_SCHEME = 'aes-256-gcm-v1';

/** What a statement, an export or a read model shows for personal data whose key was destroyed. */
export const ERASED_MARKER = '[erased]';

/**
 * A personal text as recorded: `ciphertext` is base64url of nonce ‖ ciphertext ‖ tag;
 * `commitment` is hex HMAC-SHA256 under the same data key, so that a re-sent registration
 * is recognised as the same without decrypting, and nobody without the key can test a guess.
 */
export type ProtectedText = { scheme: typeof PERSONAL_DATA_SCHEME; ciphertext: string; commitment: string };

/** A personal text in an event: protected, or plaintext in events recorded before protection existed. */
export type PersonalText = ProtectedText | string;

/** What the application layer found for the developer's data key when it protected a name. */
export type NameProtection =
  | { kind: 'protected'; name: ProtectedText }
  /** The key was destroyed by an erasure: the name can be neither recorded nor compared any more. */
  | { kind: 'erased' };

// Base64url of a 12-byte nonce, at most NAME_LENGTH_MAXIMUM × 4 UTF-8 bytes and a 16-byte tag.
const CIPHERTEXT_LENGTH_MAXIMUM = 1_100;
const CIPHERTEXT_PATTERN = /^[A-Za-z0-9_-]+$/;
const COMMITMENT_PATTERN = /^[0-9a-f]{64}$/;

export function isProtectedText(value: PersonalText): value is ProtectedText {
  return typeof value !== 'string';
}

/** Checks the shape of a protected text (never its content, which the domain cannot read). */
export function parseProtectedText(input: unknown, field: string): ProtectedText {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) throw new FieldInvalid(field, 'a protected text object is required');
  const { scheme, ciphertext, commitment } = input as Record<string, unknown>;
  if (Object.keys(input).length !== 3) throw new FieldInvalid(field, 'exactly scheme, ciphertext and commitment');
  if (scheme !== PERSONAL_DATA_SCHEME) throw new FieldInvalid(`${field}.scheme`, `must be ${JSON.stringify(PERSONAL_DATA_SCHEME)}`);
  if (typeof ciphertext !== 'string' || ciphertext.length === 0 || ciphertext.length > CIPHERTEXT_LENGTH_MAXIMUM || !CIPHERTEXT_PATTERN.test(ciphertext)) {
    throw new FieldInvalid(`${field}.ciphertext`, `base64url, 1 to ${CIPHERTEXT_LENGTH_MAXIMUM} characters`);
  }
  if (typeof commitment !== 'string' || !COMMITMENT_PATTERN.test(commitment)) throw new FieldInvalid(`${field}.commitment`, '64 lower-case hex digits');
  return { scheme, ciphertext, commitment };
}

export function parseNameProtection(input: unknown): NameProtection {
  if (input === null || typeof input !== 'object') throw new FieldInvalid('nameProtection', 'set by the ledger before deciding');
  const { kind, name } = input as Record<string, unknown>;
  if (kind === 'erased') return { kind };
  if (kind === 'protected') return { kind, name: parseProtectedText(name, 'nameProtection.name') };
  throw new FieldInvalid('nameProtection.kind', 'protected or erased');
}
