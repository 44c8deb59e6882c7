/**
 * The table of personal data keys (`personal_data_keys`, migration 0008): one data key per
 * developer, made on first use, destroyed by an erasure. See personal-data-cipher.ts.
 */
import type { Pool, PoolClient } from 'pg';
import { ERASED_MARKER, isProtectedText, type NameProtection, type PersonalText } from '@rsi/domain';
import { newDataKey, protectPersonalText, revealPersonalText } from './personal-data-cipher';

type Queryable = Pick<Pool | PoolClient, 'query'>;

/** A developer's data key as read: the key, destroyed by an erasure, or never made. */
export type DataKeyState = { kind: 'active'; dataKey: Buffer } | { kind: 'erased' } | { kind: 'absent' };

/** Developers whose keys one read may ask for (a projection batch holds at most this many registrations). */
export const KEYS_PER_READ_MAXIMUM = 10_000;

export type PersonalDataErasure = { developerId: string; erasedAt: string; erasedBy: string; reason: string | null };

export class PersonalDataKeys {
  constructor(private readonly pool: Pool) {}

  /**
   * The developer's name protected under its data key, made (and committed) on first use,
   * before the event that holds the ciphertext is appended: an event never names a key that
   * does not exist. A key made for a registration that is then refused stays unused.
   */
  async protectName(developerId: string, name: string): Promise<NameProtection> {
    await this.pool.query(
      `INSERT INTO personal_data_keys (developer_id, key) VALUES ($1, $2) ON CONFLICT (developer_id) DO NOTHING`,
      [developerId, newDataKey()],
    );
    const state = (await readDataKeys(this.pool, [developerId])).get(developerId);
    if (state === undefined || state.kind === 'absent') throw new Error(`the data key of developer ${developerId} was not stored`);
    if (state.kind === 'erased') return { kind: 'erased' };
    return { kind: 'protected', name: protectPersonalText(state.dataKey, name) };
  }

  async stateOf(developerId: string): Promise<DataKeyState> {
    return (await readDataKeys(this.pool, [developerId])).get(developerId)!;
  }

  /** Destroys the developer's data key (a row is kept, with the key NULL). Idempotent: a second erasure keeps the first one's record. */
  async destroy(erasure: PersonalDataErasure): Promise<void> {
    await this.pool.query(
      `INSERT INTO personal_data_keys (developer_id, key, erased_at, erased_by, reason) VALUES ($1, NULL, $2, $3, $4)
       ON CONFLICT (developer_id) DO UPDATE SET key = NULL,
         erased_at = COALESCE(personal_data_keys.erased_at, EXCLUDED.erased_at),
         erased_by = COALESCE(personal_data_keys.erased_by, EXCLUDED.erased_by),
         reason = CASE WHEN personal_data_keys.erased_at IS NULL THEN EXCLUDED.reason ELSE personal_data_keys.reason END`,
      [erasure.developerId, erasure.erasedAt, erasure.erasedBy, erasure.reason],
    );
  }
}

/** The data keys of the given developers, read with `queryable` (a projection's transaction, say). */
export async function readDataKeys(queryable: Queryable, developerIds: readonly string[]): Promise<Map<string, DataKeyState>> {
  if (developerIds.length > KEYS_PER_READ_MAXIMUM) throw new Error(`at most ${KEYS_PER_READ_MAXIMUM} data keys per read`);
  const states = new Map<string, DataKeyState>();
  for (const developerId of developerIds) states.set(developerId, { kind: 'absent' });
  if (developerIds.length === 0) return states;
  // Qualified: a replay writes into another schema but reads the live keys.
  const result = await queryable.query<{ developer_id: string; key: Buffer | null }>(
    'SELECT developer_id, key FROM public.personal_data_keys WHERE developer_id = ANY($1::text[])',
    [developerIds],
  );
  for (const row of result.rows) states.set(row.developer_id, row.key === null ? { kind: 'erased' } : { kind: 'active', dataKey: row.key });
  return states;
}

/**
 * The name to show for a registration: the plaintext when its key exists (or when it was
 * recorded before protection and not erased), else `[erased]`. A ciphertext that its key
 * cannot open is a broken invariant and throws.
 */
export function displayedName(name: PersonalText, key: DataKeyState | undefined, erased: boolean): string {
  if (erased) return ERASED_MARKER;
  if (!isProtectedText(name)) return name;
  if (key === undefined || key.kind !== 'active') return ERASED_MARKER;
  return revealPersonalText(key.dataKey, name);
}
