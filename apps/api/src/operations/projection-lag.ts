import type pg from 'pg';

/** Counting stops here: a lag this large is an alarm whatever its exact size, and the count stays cheap. */
export const LAG_EVENTS_COUNTED_MAXIMUM = 10_000_000;

export type CheckpointLag = {
  /** Events stored after the checkpoint (at most `LAG_EVENTS_COUNTED_MAXIMUM`). */
  lagEvents: number;
  /** Age of the oldest event not yet passed (0 when none). */
  lagSeconds: number;
};

/**
 * How far a checkpoint (a projector's or a webhook subscription's position in the global
 * order, `(transaction_id, position)`) trails the PostgreSQL event store. A checkpoint not
 * yet written (or at -1) trails every event. Read on the primary, in one statement.
 */
export async function checkpointLagOf(pool: pg.Pool, checkpoint: { commit: bigint; prepare: bigint } | null): Promise<CheckpointLag> {
  const commit = checkpoint === null || checkpoint.commit < 0n ? '0' : checkpoint.commit.toString();
  const prepare = checkpoint === null || checkpoint.commit < 0n ? '0' : checkpoint.prepare.toString();
  const result = await pool.query<{ lag_events: string; lag_seconds: string | null }>(
    `SELECT
       (SELECT count(*) FROM (SELECT 1 FROM events WHERE (transaction_id, position) > ($1::text::xid8, $2::bigint) LIMIT $3) AS pending)::text AS lag_events,
       (SELECT greatest(0, extract(epoch FROM clock_timestamp() - recorded_at))::text FROM events
         WHERE (transaction_id, position) > ($1::text::xid8, $2::bigint)
         ORDER BY transaction_id, position LIMIT 1) AS lag_seconds`,
    [commit, prepare, LAG_EVENTS_COUNTED_MAXIMUM],
  );
  const row = result.rows[0];
  return { lagEvents: Number(row?.lag_events ?? '0'), lagSeconds: row?.lag_seconds == null ? 0 : Number(row.lag_seconds) };
}

/** The stored checkpoint of the projector `projectionName` (null: none yet). */
export async function projectorCheckpointOf(pool: pg.Pool, projectionName: string): Promise<{ commit: bigint; prepare: bigint } | null> {
  const result = await pool.query<{ commit: string; prepare: string }>(
    'SELECT commit_position::text AS commit, prepare_position::text AS prepare FROM projection_checkpoints WHERE projection_name = $1',
    [projectionName],
  );
  const row = result.rows[0];
  return row === undefined ? null : { commit: BigInt(row.commit), prepare: BigInt(row.prepare) };
}
