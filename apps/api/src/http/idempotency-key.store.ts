import { createHash } from 'node:crypto';
import type { Pool } from 'pg';
import { ApiError } from './api-error';

export const IDEMPOTENCY_KEY_HEADER = 'idempotency-key';
export const IDEMPOTENCY_KEY_LENGTH_MAXIMUM = 255;
/** Visible ASCII only: a key is an opaque token, and control characters would pollute logs. */
export const IDEMPOTENCY_KEY_PATTERN = /^[\x21-\x7e]+$/;

export type StoredResponse = { requestHash: string; statusCode: number; body: unknown };

/** The request's `Idempotency-Key`, undefined when absent; 400 when empty, too long or not visible ASCII. */
export function idempotencyKeyOf(headers: Record<string, string | string[] | undefined>): string | undefined {
  const value = headers[IDEMPOTENCY_KEY_HEADER];
  if (value === undefined) return undefined;
  if (Array.isArray(value)) throw new ApiError(400, 'idempotency_key_invalid', 'send one Idempotency-Key header, not several', 'Idempotency-Key');
  if (value.length === 0) throw new ApiError(400, 'idempotency_key_invalid', 'the Idempotency-Key header is empty', 'Idempotency-Key');
  if (value.length > IDEMPOTENCY_KEY_LENGTH_MAXIMUM) {
    throw new ApiError(400, 'idempotency_key_invalid', `the Idempotency-Key is longer than ${IDEMPOTENCY_KEY_LENGTH_MAXIMUM} characters`, 'Idempotency-Key');
  }
  if (!IDEMPOTENCY_KEY_PATTERN.test(value)) {
    throw new ApiError(400, 'idempotency_key_invalid', 'the Idempotency-Key must be visible ASCII characters without spaces', 'Idempotency-Key');
  }
  return value;
}

/** SHA-256 hex of the method, the path and the raw body bytes: what makes two requests "the same". */
export function requestHashOf(method: string, path: string, rawBody: Buffer | undefined): string {
  return createHash('sha256')
    .update(`${method}\n${path}\n`, 'utf8')
    .update(rawBody ?? Buffer.alloc(0))
    .digest('hex');
}

/**
 * Stored responses by (actor, key). Every call is one `pool.query`: no client is held
 * across awaits, because the embedded database has a pool of one connection that the
 * command being executed needs too.
 */
export class IdempotencyKeyStore {
  constructor(private readonly pool: Pool) {}

  async find(actor: string, idempotencyKey: string): Promise<StoredResponse | null> {
    const result = await this.pool.query(
      'SELECT request_hash, status_code, response_body FROM idempotency_keys WHERE actor = $1 AND idempotency_key = $2',
      [actor, idempotencyKey],
    );
    if (result.rows.length === 0) return null;
    const row = result.rows[0] as { request_hash: string; status_code: number; response_body: unknown };
    return { requestHash: row.request_hash, statusCode: row.status_code, body: row.response_body };
  }

  /**
   * Stores the response unless another request with the same key stored one first (two
   * retries racing); then that one is returned, so that both callers see one response.
   */
  async saveOrGetExisting(entry: {
    actor: string; idempotencyKey: string; method: string; path: string; requestHash: string; statusCode: number; body: unknown;
  }): Promise<StoredResponse | null> {
    const inserted = await this.pool.query(
      `INSERT INTO idempotency_keys (idempotency_key, actor, request_method, request_path, request_hash, status_code, response_body)
       VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb)
       ON CONFLICT (actor, idempotency_key) DO NOTHING`,
      [entry.idempotencyKey, entry.actor, entry.method, entry.path, entry.requestHash, entry.statusCode, JSON.stringify(entry.body)],
    );
    if (inserted.rowCount === 1) return null;
    return this.find(entry.actor, entry.idempotencyKey);
  }
}
