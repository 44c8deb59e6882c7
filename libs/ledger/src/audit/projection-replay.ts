import type { Pool } from 'pg';
import type { EventStore } from '../../../event-store/src/event-store.port';
import type { ProjectionHandler } from '../../../projections/src/projection.handler';
import { Projector } from '../../../projections/src/projector';
import { quoteIdentifier } from '../../../projections/src/sql-bulk';

/** Events per transaction when rebuilding: larger than live, since nothing waits on it. */
const REPLAY_BATCH_EVENTS = 10_000;

export type ReplayResult = { schema: string; eventsApplied: number; elapsedMilliseconds: number; tables: string[] };

/** Every table the handlers write, plus the checkpoint table, without duplicates. */
export function projectionTables(handlers: readonly ProjectionHandler[]): string[] {
  return [...new Set(['projection_checkpoints', ...handlers.flatMap((handler) => [...handler.tables])])];
}

/**
 * Rebuilds every projection from position 0 into fresh tables of a new schema, shaped
 * like the live ones (`CREATE TABLE … (LIKE public.… INCLUDING ALL)`), so that the live
 * read models keep serving while the rebuild runs and can be compared with it.
 */
export async function replayIntoFreshSchema(options: {
  pool: Pool;
  store: EventStore;
  handlers: readonly ProjectionHandler[];
  schema: string;
  nowMilliseconds: () => number;
  /** The server takes `COPY … FROM STDIN` (not the embedded PGlite); see `ProjectorOptions`. */
  copyFromStdin?: boolean;
}): Promise<ReplayResult> {
  const startedAt = options.nowMilliseconds();
  const schema = quoteIdentifier(options.schema);
  const tables = projectionTables(options.handlers);
  await options.pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await options.pool.query(`CREATE SCHEMA ${schema}`);
  for (const table of tables) {
    await options.pool.query(`CREATE TABLE ${schema}.${quoteIdentifier(table)} (LIKE public.${quoteIdentifier(table)} INCLUDING ALL)`);
  }
  const projector = new Projector(options.pool, options.store, options.handlers, {
    projectionName: 'ledger', schema: options.schema, batchSize: REPLAY_BATCH_EVENTS, copyFromStdin: options.copyFromStdin,
  });
  const { eventsApplied } = await projector.catchUp();
  return { schema: options.schema, eventsApplied, elapsedMilliseconds: options.nowMilliseconds() - startedAt, tables };
}

/**
 * Replaces the live read models with the rebuilt ones in one transaction (the live tables
 * keep their definitions and indexes; only their rows change), then drops the scratch schema.
 */
export async function promoteReplay(pool: Pool, replay: ReplayResult): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const live = replay.tables.map((table) => `public.${quoteIdentifier(table)}`).join(', ');
    await client.query(`LOCK TABLE ${live} IN ACCESS EXCLUSIVE MODE`);
    await client.query(`TRUNCATE ${live}`);
    for (const table of replay.tables) {
      await client.query(`INSERT INTO public.${quoteIdentifier(table)} SELECT * FROM ${quoteIdentifier(replay.schema)}.${quoteIdentifier(table)}`);
    }
    await client.query(`DROP SCHEMA ${quoteIdentifier(replay.schema)} CASCADE`);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

/**
 * Rows that differ between the live and the rebuilt table, counted both ways. The live
 * projector may have gone past the rebuild's checkpoint meanwhile, so callers compare
 * after catching the live projection up to the same head, with writes paused.
 */
export async function compareWithLive(pool: Pool, replay: ReplayResult): Promise<{ table: string; onlyLive: number; onlyRebuilt: number }[]> {
  const differences: { table: string; onlyLive: number; onlyRebuilt: number }[] = [];
  for (const table of replay.tables) {
    // The checkpoint's updated_at is wall-clock time, the only column that may differ honestly.
    const columns = table === 'projection_checkpoints' ? 'projection_name, commit_position, prepare_position, events_applied' : '*';
    const live = `SELECT ${columns} FROM public.${quoteIdentifier(table)}`;
    const rebuilt = `SELECT ${columns} FROM ${quoteIdentifier(replay.schema)}.${quoteIdentifier(table)}`;
    const result = await pool.query(
      `SELECT (SELECT count(*) FROM (${live} EXCEPT ALL ${rebuilt}) a)::int AS only_live,
              (SELECT count(*) FROM (${rebuilt} EXCEPT ALL ${live}) b)::int AS only_rebuilt`,
    );
    differences.push({ table, onlyLive: result.rows[0].only_live, onlyRebuilt: result.rows[0].only_rebuilt });
  }
  return differences;
}
