import type { JsonObject } from '@rsi/event-store';

/** The roles of the API's parties (docs/http-api.md, "Roles"). */
export const API_ROLES = ['operator', 'developer', 'auditor', 'finance'] as const;
export type ApiRole = (typeof API_ROLES)[number];

/** The stream of every key issued and revoked: who could act when. */
export const API_KEYS_STREAM_NAME = 'api-keys';
export const API_KEY_ISSUED_EVENT_TYPE = 'ApiKeyIssued';
export const API_KEY_REVOKED_EVENT_TYPE = 'ApiKeyRevoked';

/**
 * A key issued: its id, role and scope, its label and expiry, and the SHA-256 digest of its
 * secret (the secret itself is printed once and never stored). Who issued it and when are
 * the event's actor and booking time.
 */
export type ApiKeyIssued = {
  keyId: string; role: ApiRole; developerId: string | null; label: string | null; expiresAt: string | null; secretDigest: string;
};
export type ApiKeyRevoked = { keyId: string };

export function isApiRole(value: unknown): value is ApiRole {
  return typeof value === 'string' && (API_ROLES as readonly string[]).includes(value);
}

export function encodeApiKeyIssued(issued: ApiKeyIssued): JsonObject {
  return { ...issued };
}

function textOrNull(value: unknown, field: string): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value !== 'string') throw new Error(`ApiKeyIssued.${field}: not a string`);
  return value;
}

export function decodeApiKeyIssued(data: JsonObject): ApiKeyIssued {
  if (typeof data.keyId !== 'string' || !isApiRole(data.role) || typeof data.secretDigest !== 'string') throw new Error('ApiKeyIssued: malformed data');
  return {
    keyId: data.keyId, role: data.role, developerId: textOrNull(data.developerId, 'developerId'), label: textOrNull(data.label, 'label'),
    expiresAt: textOrNull(data.expiresAt, 'expiresAt'), secretDigest: data.secretDigest,
  };
}

export function decodeApiKeyRevoked(data: JsonObject): ApiKeyRevoked {
  if (typeof data.keyId !== 'string') throw new Error('ApiKeyRevoked: malformed data');
  return { keyId: data.keyId };
}
