import type pg from 'pg';

/**
 * The ledger clock of the PostgreSQL store: the ONE clock booking times come from (the
 * database server's `clock_timestamp()`), read inside the append transaction under a
 * transaction-level advisory lock, and kept strictly increasing by the one-row table
 * `ledger_clock` (migration 0009):
 *
 *   booked = greatest(date_trunc('milliseconds', clock_timestamp() + offset), last_booked_at + 1 ms)
 *
 * Precision is the millisecond, the precision of the ISO strings events carry. The lock is
 * taken as the transaction's first statement, before it writes anything (so before it has a
 * transaction id): appends of every process and connection run one at a time from there to
 * commit, so transaction ids, hence the global order (transaction id, position), follow the
 * booking times. A seal advances the clock under the same lock (`advanceLedgerClock`), so no
 * append can be booked before the instant a seal read.
 */

/** The advisory lock key of the ledger clock (any fixed bigint; "RSI-LEDG" in ASCII). */
export const LEDGER_CLOCK_LOCK_KEY = '5931034353624110663';

/**
 * Options of the clock. `offsetMilliseconds` shifts the database's clock: for tests that
 * race appends against a seal across a period boundary; production leaves it at 0.
 */
export type LedgerClockOptions = { offsetMilliseconds?: () => number };

const OFFSET_MILLISECONDS_MAXIMUM = 100 * 365 * 24 * 60 * 60 * 1000;

/** Takes the ledger clock's lock for the rest of the transaction. Call it first in the transaction. */
export async function lockLedgerClock(client: pg.PoolClient): Promise<void> {
  await client.query('SELECT pg_advisory_xact_lock($1::bigint)', [LEDGER_CLOCK_LOCK_KEY]);
}

/**
 * Books the next instant (ISO-8601 UTC, milliseconds) and records it as the last booking
 * time. The caller holds the lock (`lockLedgerClock`) in the same transaction.
 */
export async function bookNextInstant(client: pg.PoolClient, options: LedgerClockOptions): Promise<string> {
  const offsetMilliseconds = options.offsetMilliseconds?.() ?? 0;
  if (!Number.isSafeInteger(offsetMilliseconds) || Math.abs(offsetMilliseconds) > OFFSET_MILLISECONDS_MAXIMUM) {
    throw new RangeError(`the ledger clock offset must be an integer of at most ${OFFSET_MILLISECONDS_MAXIMUM} ms, got ${offsetMilliseconds}`);
  }
  const result = await client.query<{ booked_at: string }>(
    `UPDATE ledger_clock
        SET last_booked_at = greatest(date_trunc('milliseconds', clock_timestamp() + $1::bigint * interval '1 millisecond'),
                                      last_booked_at + interval '1 millisecond')
      WHERE singleton
      RETURNING to_char(last_booked_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS booked_at`,
    [offsetMilliseconds],
  );
  if (result.rows.length !== 1) throw new Error('invariant broken: the ledger_clock table must hold exactly one row (migration 0009)');
  const bookedAt = result.rows[0]!.booked_at;
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/.test(bookedAt)) throw new Error(`invariant broken: the ledger clock gave ${bookedAt}`);
  return bookedAt;
}
