import type { Pool } from 'pg';
import type { ProjectionFailure, ProjectionHandler } from '@rsi/projections';
import { quoteIdentifier } from '@rsi/projections';
import { assertInvariant } from '@rsi/domain';

/**
 * What the one-projector rebuild (`projection-replay.ts`) and the parallel rebuild
 * (`parallel-replay.ts`) share: the result, the tables, and the indexes built after the load.
 */

/** Events per transaction when rebuilding: larger than live, since nothing waits on it. */
export const REPLAY_BATCH_EVENTS = 10_000;

export type ReplayResult = {
  schema: string;
  eventsApplied: number;
  elapsedMilliseconds: number;
  tables: string[];
  /** Projectors that rebuilt it: 1, or the workers of a parallel replay. */
  workers: number;
  /** A parallel replay's phases (milliseconds): the shares' projection, the merge, the indexes built after. */
  phases?: {
    sharesMilliseconds: number; mergeMilliseconds: number; indexesMilliseconds: number;
    /** Per share: opening its worker's ledger context, then projecting. */
    shareOpenedMilliseconds: number[]; shareProjectedMilliseconds: number[];
  };
  /** Events the rebuild could not apply (their streams held back, as live); skips decided live are skipped, not listed. */
  openFailures: ProjectionFailure[];
};

/** Every table the handlers write, plus the checkpoint table, without duplicates. */
export function projectionTables(handlers: readonly ProjectionHandler[]): string[] {
  return [...new Set(['projection_checkpoints', ...handlers.flatMap((handler) => [...handler.tables])])];
}

/**
 * Builds on `schema.table` every index of `public.table`: primary key and unique
 * constraints as constraints (with their names), other indexes from their definitions.
 * The count is compared afterwards, so that a table never ends up with fewer indexes than
 * the live one.
 */
export async function copyIndexesOfLiveTable(pool: Pool, schema: string, table: string): Promise<void> {
  const liveIndexes = await pool.query<{ constraint_name: string | null; constraint_definition: string | null; index_definition: string }>(
    `SELECT c.conname AS constraint_name, pg_get_constraintdef(c.oid) AS constraint_definition, pg_get_indexdef(i.indexrelid) AS index_definition
       FROM pg_index i
       LEFT JOIN pg_constraint c ON c.conindid = i.indexrelid AND c.contype IN ('p', 'u')
      WHERE i.indrelid = to_regclass($1)
      ORDER BY i.indexrelid`,
    [`public.${quoteIdentifier(table)}`],
  );
  const target = `${quoteIdentifier(schema)}.${quoteIdentifier(table)}`;
  for (const index of liveIndexes.rows) {
    if (index.constraint_name !== null && index.constraint_definition !== null) {
      await pool.query(`ALTER TABLE ${target} ADD CONSTRAINT ${quoteIdentifier(index.constraint_name)} ${index.constraint_definition}`);
    } else {
      // quoteIdentifier admits only [a-z_][a-z0-9_]* names, which pg_get_indexdef writes unquoted.
      const definition = index.index_definition.replace(` ON public.${table} `, ` ON ${target} `);
      assertInvariant(definition !== index.index_definition, `index definition of ${table} names public.${table}: ${index.index_definition}`);
      await pool.query(definition);
    }
  }
  const built = await pool.query<{ count: number }>('SELECT count(*)::int AS count FROM pg_index WHERE indrelid = to_regclass($1)', [target]);
  assertInvariant(built.rows[0]!.count === liveIndexes.rows.length, `${target} has ${built.rows[0]!.count} indexes, the live table ${liveIndexes.rows.length}`);
}


/**
 * Creates `schema` afresh with every projection table shaped like the live one, and
 * `projection_failures` holding a copy of the skips in `skipsFromSchema`. Returns the tables
 * and the insert-only ones, which get their columns, defaults and checks now and their
 * indexes after the load (`copyIndexesOfLiveTable`).
 */
export async function createReplaySchema(
  pool: Pool, schema: string, handlers: readonly ProjectionHandler[], skipsFromSchema: string,
): Promise<{ tables: string[]; insertOnly: Set<string> }> {
  const quoted = quoteIdentifier(schema);
  const tables = projectionTables(handlers);
  const insertOnly = new Set(handlers.flatMap((handler) => [...(handler.insertOnlyTables ?? [])]));
  for (const table of insertOnly) assertInvariant(tables.includes(table), `insert-only table ${table} is one of the projection's tables`);
  await pool.query(`DROP SCHEMA IF EXISTS ${quoted} CASCADE`);
  await pool.query(`CREATE SCHEMA ${quoted}`);
  for (const table of tables) {
    const like = insertOnly.has(table) ? 'INCLUDING DEFAULTS INCLUDING CONSTRAINTS' : 'INCLUDING ALL';
    await pool.query(`CREATE TABLE ${quoted}.${quoteIdentifier(table)} (LIKE public.${quoteIdentifier(table)} ${like})`);
  }
  // The rebuild meets the events the live projections could not apply, and applies the
  // operators' decisions on them the same way: it skips what was skipped (a copy of the
  // live skips), and holds back a stream at an event it cannot apply, in its own table.
  await pool.query(`CREATE TABLE ${quoted}.projection_failures (LIKE public.projection_failures INCLUDING ALL)`);
  await pool.query(`INSERT INTO ${quoted}.projection_failures SELECT * FROM ${quoteIdentifier(skipsFromSchema)}.projection_failures WHERE resolution = 'skipped'`);
  return { tables, insertOnly };
}
