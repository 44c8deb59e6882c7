import { createHash, randomBytes } from 'node:crypto';
import type { Pool } from 'pg';
import { parseIdentifier, parseInstant, parseText } from '@rsi/domain';
import {
  deriveEventId, DuplicateEventIdError, StreamVersionConflictError, type EventMetadata, type EventStore, type ExpectedStreamVersion, type JsonObject, type NewEvent, type RecordedEvent,
} from '@rsi/event-store';
import { EVENT_HASH_SCHEME_CURRENT, eventHashBodyV2Of, GENESIS_EVENT_HASH, hashOfEventBody } from '../core/event-hash';
import { EVENT_SCHEMA_VERSION } from '../write-pipeline/command-write.pipeline';
import {
  API_KEY_ISSUED_EVENT_TYPE, API_KEY_REVOKED_EVENT_TYPE, API_KEYS_STREAM_NAME, decodeApiKeyIssued, decodeApiKeyRevoked, encodeApiKeyIssued, isApiRole,
  type ApiKeyIssued, type ApiRole,
} from './api-key.events';

/** 32 random bytes: 256 bits of secret. */
const SECRET_BYTES = 32;
export const API_KEY_SECRET_PREFIX = 'rsik_';
/** A label is a note for people, not a document. */
const LABEL_LENGTH_MAXIMUM = 200;
/** Far more keys than any platform issues; a read of the stream stays bounded. */
const API_KEYS_READ_MAXIMUM = 100_000;
const CONFLICT_ATTEMPTS_MAXIMUM = 5;

export class ApiKeyRefusedError extends Error {
  constructor(readonly code: 'role_invalid' | 'developer_scope_invalid' | 'developer_not_registered' | 'expiry_in_past' | 'unknown_key', message: string, readonly field?: string) {
    super(message);
    this.name = 'ApiKeyRefusedError';
  }
}

/** A key as `keys list` and `GET /v1/keys` show it: never its secret nor its digest. */
export type ApiKeyView = {
  keyId: string; role: ApiRole; developerId: string | null; label: string | null; expiresAt: string | null;
  issuedAt: string; issuedBy: string; revokedAt: string | null; revokedBy: string | null; status: 'active' | 'revoked' | 'expired';
};

/** Who a presented secret belongs to, when it is an active key. */
export type ApiKeyIdentity = { keyId: string; role: ApiRole; developerId: string | null };

export type IssuedApiKey = { keyId: string; secret: string; role: ApiRole; developerId: string | null; expiresAt: string | null; label: string | null };

export function secretDigestOf(secret: string): Buffer {
  return createHash('sha256').update(secret, 'utf8').digest();
}

type ApiKeyRow = {
  key_id: string; role: string; developer_id: string | null; label: string | null; expires_at: Date | null; issued_at: Date; issued_by: string;
  revoked_at: Date | null; revoked_by: string | null;
};

function viewOf(row: ApiKeyRow, now: Date): ApiKeyView {
  const status = row.revoked_at !== null ? 'revoked' : row.expires_at !== null && row.expires_at <= now ? 'expired' : 'active';
  return {
    keyId: row.key_id, role: row.role as ApiRole, developerId: row.developer_id, label: row.label, expiresAt: row.expires_at?.toISOString() ?? null,
    issuedAt: row.issued_at.toISOString(), issuedBy: row.issued_by, revokedAt: row.revoked_at?.toISOString() ?? null, revokedBy: row.revoked_by, status,
  };
}

/**
 * The API keys as ledger facts. Issuing and revoking append `ApiKeyIssued` and
 * `ApiKeyRevoked` to the `api-keys` stream (hash-chained like every stream, so verify covers
 * them, and sealed with the rest); the `api_keys` table (migration 0010) is the lookup
 * index written after each event and rebuilt from the stream by `synchronise`.
 */
export class ApiKeyRegistry {
  constructor(private readonly pool: Pool, private readonly store: EventStore) {}

  /**
   * Issues a key: a random secret of 256 bits, returned once; the ledger keeps its digest.
   * `developerExists` answers whether a developer id is registered (a developer key is bound to one).
   */
  async issue(options: {
    role: string; developerId?: string | null; label?: string | null; expiresAt?: string | null; actor: string;
    developerExists(developerId: string): Promise<boolean>; now: Date;
  }): Promise<IssuedApiKey> {
    if (!isApiRole(options.role)) throw new ApiKeyRefusedError('role_invalid', `role: one of operator, developer, auditor, finance, not ${JSON.stringify(String(options.role).slice(0, 32))}`, 'role');
    const role = options.role;
    const developerId = options.developerId === undefined || options.developerId === null ? null : parseIdentifier(options.developerId, 'developerId');
    if ((role === 'developer') !== (developerId !== null)) {
      throw new ApiKeyRefusedError('developer_scope_invalid', role === 'developer' ? 'developerId: a developer key is bound to one developer' : `developerId: only a developer key names a developer, not an ${role} key`, 'developerId');
    }
    if (developerId !== null && !(await options.developerExists(developerId))) {
      throw new ApiKeyRefusedError('developer_not_registered', `developerId: no developer ${JSON.stringify(developerId)} is registered`, 'developerId');
    }
    const label = options.label === undefined || options.label === null ? null : parseText(options.label, 'label', LABEL_LENGTH_MAXIMUM);
    const expiresAt = options.expiresAt === undefined || options.expiresAt === null ? null : parseInstant(options.expiresAt, 'expiresAt').iso;
    if (expiresAt !== null && expiresAt <= options.now.toISOString()) throw new ApiKeyRefusedError('expiry_in_past', 'expiresAt: an instant in the future', 'expiresAt');
    const keyId = `key_${randomBytes(8).toString('hex')}`;
    const secret = `${API_KEY_SECRET_PREFIX}${randomBytes(SECRET_BYTES).toString('base64url')}`;
    const issued: ApiKeyIssued = { keyId, role, developerId, label, expiresAt, secretDigest: secretDigestOf(secret).toString('hex') };
    await this.append({ type: API_KEY_ISSUED_EVENT_TYPE, commandId: `IssueApiKey:${keyId}`, data: encodeApiKeyIssued(issued), actor: options.actor });
    await this.synchronise();
    return { keyId, secret, role, developerId, expiresAt, label };
  }

  /** Revokes a key; a key already revoked stays as it was (`already_revoked`). */
  async revoke(keyId: string, actor: string): Promise<{ status: 'revoked' | 'already_revoked'; key: ApiKeyView }> {
    await this.synchronise();
    const found = await this.find(keyId);
    if (found === null) throw new ApiKeyRefusedError('unknown_key', `keyId: no key ${JSON.stringify(keyId.slice(0, 64))} was issued`, 'keyId');
    if (found.revokedAt !== null) return { status: 'already_revoked', key: found };
    await this.append({ type: API_KEY_REVOKED_EVENT_TYPE, commandId: `RevokeApiKey:${keyId}`, data: { keyId }, actor });
    await this.synchronise();
    return { status: 'revoked', key: (await this.find(keyId))! };
  }

  async list(now: Date): Promise<ApiKeyView[]> {
    await this.synchronise();
    const result = await this.pool.query<ApiKeyRow>('SELECT * FROM api_keys ORDER BY issued_at, key_id');
    return result.rows.map((row) => viewOf(row, now));
  }

  async find(keyId: string): Promise<ApiKeyView | null> {
    const result = await this.pool.query<ApiKeyRow>('SELECT * FROM api_keys WHERE key_id = $1', [keyId]);
    return result.rows.length === 0 ? null : viewOf(result.rows[0]!, new Date());
  }

  /** The active (not revoked, not expired) key whose secret is `presented`, or null. */
  async authenticate(presented: string, now: Date): Promise<ApiKeyIdentity | null> {
    const result = await this.pool.query<{ key_id: string; role: string; developer_id: string | null }>(
      `SELECT key_id, role, developer_id FROM api_keys
        WHERE secret_digest = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $2)`,
      [secretDigestOf(presented), now],
    );
    const row = result.rows[0];
    return row === undefined ? null : { keyId: row.key_id, role: row.role as ApiRole, developerId: row.developer_id };
  }

  /** Whether any issued key is active: a ledger with keys is never served anonymously. */
  async hasActiveKeys(now: Date): Promise<boolean> {
    const result = await this.pool.query<{ active: boolean }>(
      'SELECT EXISTS (SELECT 1 FROM api_keys WHERE revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $1)) AS active', [now],
    );
    return result.rows[0]!.active;
  }

  /** Brings the `api_keys` table up to the `api-keys` stream (idempotent; the stream is small). */
  async synchronise(): Promise<void> {
    const indexed = await this.pool.query<{ version: string | null }>('SELECT max(stream_version)::text AS version FROM api_keys');
    const read = await this.readStream();
    const indexedVersion = indexed.rows[0]?.version === null || indexed.rows[0] === undefined ? -1n : BigInt(indexed.rows[0].version);
    for (const recorded of read.events) {
      if (recorded.streamVersion <= indexedVersion) continue;
      await this.apply(recorded);
    }
  }

  private async apply(recorded: RecordedEvent): Promise<void> {
    if (recorded.type === API_KEY_ISSUED_EVENT_TYPE) {
      const issued = decodeApiKeyIssued(recorded.data);
      await this.pool.query(
        `INSERT INTO api_keys (key_id, secret_digest, role, developer_id, label, expires_at, issued_at, issued_by, stream_version)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         ON CONFLICT (key_id) DO NOTHING`,
        [issued.keyId, Buffer.from(issued.secretDigest, 'hex'), issued.role, issued.developerId, issued.label, issued.expiresAt,
          recorded.metadata.recordedAt, recorded.metadata.actor, recorded.streamVersion.toString()],
      );
    } else if (recorded.type === API_KEY_REVOKED_EVENT_TYPE) {
      const revoked = decodeApiKeyRevoked(recorded.data);
      await this.pool.query(
        `UPDATE api_keys SET revoked_at = coalesce(revoked_at, $2), revoked_by = coalesce(revoked_by, $3), stream_version = greatest(stream_version, $4)
          WHERE key_id = $1`,
        [revoked.keyId, recorded.metadata.recordedAt, recorded.metadata.actor, recorded.streamVersion.toString()],
      );
    }
  }

  private async readStream(): Promise<{ events: RecordedEvent[]; version: ExpectedStreamVersion; lastEventHash: string }> {
    const read = await this.store.readStream(API_KEYS_STREAM_NAME, { maxCount: API_KEYS_READ_MAXIMUM });
    if (read.events.length >= API_KEYS_READ_MAXIMUM) throw new Error(`more than ${API_KEYS_READ_MAXIMUM} key events: revoke less, or raise the bound`);
    const last = read.events[read.events.length - 1];
    return { events: read.events, version: read.currentStreamVersion, lastEventHash: last ? String(last.metadata.eventHash) : GENESIS_EVENT_HASH };
  }

  /** Appends one event to the `api-keys` stream, hash-chained, booked at commit on the store's ledger clock. */
  private async append(entry: { type: string; commandId: string; data: JsonObject; actor: string }): Promise<void> {
    const eventId = deriveEventId(entry.commandId, 0);
    for (let attempt = 1; ; attempt += 1) {
      const { version, lastEventHash } = await this.readStream();
      const streamVersion = version === 'no_stream' ? 0n : version + 1n;
      const eventAt = (bookedAt: string): NewEvent => {
        const metadata: EventMetadata = {
          commandId: entry.commandId, actor: entry.actor, recordedAt: bookedAt, schemaVersion: EVENT_SCHEMA_VERSION,
          hashScheme: EVENT_HASH_SCHEME_CURRENT, previousEventHash: lastEventHash, eventHash: '',
        };
        metadata.eventHash = hashOfEventBody(eventHashBodyV2Of({ streamName: API_KEYS_STREAM_NAME, streamVersion, eventId, type: entry.type, data: entry.data, metadata }, lastEventHash));
        return { eventId, type: entry.type, data: entry.data, metadata };
      };
      try {
        await this.store.appendToStream(API_KEYS_STREAM_NAME, [eventAt(new Date().toISOString())], {
          expectedStreamVersion: version,
          complete: (bookedAt) => [{ streamName: API_KEYS_STREAM_NAME, expectedStreamVersion: version, events: [eventAt(bookedAt)] }],
        });
        return;
      } catch (error) {
        const concurrent = error instanceof StreamVersionConflictError || error instanceof DuplicateEventIdError;
        if (!concurrent || attempt >= CONFLICT_ATTEMPTS_MAXIMUM) throw error;
      }
    }
  }
}
