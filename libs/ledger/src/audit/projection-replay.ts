import { inTransaction } from '@rsi/database';
import type { Pool, PoolClient } from 'pg';
import { compareGlobalPositions, PostgresEventStore, type EventStore, type GlobalPosition } from '@rsi/event-store';
import type { ProjectionHandler } from '@rsi/projections';
import { Projector, describeFailedEvent, ProjectionFailureTable, type ProjectionFailure, quoteIdentifier } from '@rsi/projections';
import { assertInvariant } from '@rsi/domain';
import { copyIndexesOfLiveTable, createReplaySchema, REPLAY_BATCH_EVENTS, type ReplayResult } from './replay-schema';
import { handlersMergeable, replayInParallel, REPLAY_WORKERS_MAXIMUM } from './parallel-replay';

export { projectionTables, type ReplayResult } from './replay-schema';

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
  /**
   * Rebuild up to exactly this position (inclusive; null: no event), instead of up to the
   * head: `verify` compares with live rows read as of the live checkpoint.
   */
  until?: GlobalPosition | null;
  /** Schema whose `projection_failures` holds the skips to apply again (default `public`; `verify` passes its snapshot). */
  skipsFromSchema?: string;
  /**
   * With more than one worker, on a PostgreSQL server with the PostgreSQL event store only:
   * that many worker threads each rebuild their share of the streams, merged exactly
   * (`replayInParallel`). Callers pass it only there; the embedded database and
   * EventStoreDB rebuild with one projector.
   */
  parallel?: { workers: number; connectionString: string };
}): Promise<ReplayResult> {
  const startedAt = options.nowMilliseconds();
  if (options.parallel !== undefined) {
    const workers = options.parallel.workers;
    if (!Number.isSafeInteger(workers) || workers < 1 || workers > REPLAY_WORKERS_MAXIMUM) {
      throw new RangeError(`replay workers must be an integer from 1 to ${REPLAY_WORKERS_MAXIMUM}, got ${workers}`);
    }
  }
  if (options.parallel !== undefined && options.parallel.workers > 1 && options.store instanceof PostgresEventStore && handlersMergeable(options.handlers)) {
    return replayInParallel({ ...options, workers: options.parallel.workers, connectionString: options.parallel.connectionString });
  }
  const { tables, insertOnly } = await createReplaySchema(options.pool, options.schema, options.handlers, options.skipsFromSchema ?? 'public');
  const projector = new Projector(options.pool, options.store, options.handlers, {
    projectionName: 'ledger', schema: options.schema, batchSize: REPLAY_BATCH_EVENTS, copyFromStdin: options.copyFromStdin,
  });
  const { eventsApplied, openFailures } = options.until === undefined
    ? await projector.catchUp()
    : await catchUpUntil(projector, options.store, options.until);
  for (const table of insertOnly) await copyIndexesOfLiveTable(options.pool, options.schema, table);
  return { schema: options.schema, eventsApplied, elapsedMilliseconds: options.nowMilliseconds() - startedAt, tables, workers: 1, openFailures };
}

/**
 * Applies the events up to `until` (inclusive) and none after, batch by batch. Every event
 * at or before a live checkpoint was committed before the checkpoint moved past it, so an
 * empty page before `until` means the events are gone (the store was tampered with): the
 * rebuild stops there and the comparison shows what is missing.
 */
async function catchUpUntil(projector: Projector, store: EventStore, until: GlobalPosition | null): Promise<{ eventsApplied: number; openFailures: ProjectionFailure[] }> {
  let eventsApplied = 0;
  let after: GlobalPosition | null = null;
  while (until !== null && (after === null || compareGlobalPositions(after, until) < 0)) {
    const page = await store.readAll({ after, maxCount: REPLAY_BATCH_EVENTS });
    const events = page.filter((event) => compareGlobalPositions(event.globalPosition, until) <= 0);
    if (events.length === 0) break;
    const applied = await projector.applyBatch(after, events);
    assertInvariant(applied === 'applied', 'no other projector writes the scratch schema of a rebuild');
    eventsApplied += events.length;
    after = events[events.length - 1]!.globalPosition;
  }
  return { eventsApplied, openFailures: await projector.readOpenFailures() };
}

/** `promoteReplay` refused: a projection holds back a stream (a refusal, not a crash: exit code 1). */
export class ReplayRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReplayRefusedError';
  }
}

/**
 * Replaces the live read models with the rebuilt ones in one transaction (the live tables
 * keep their definitions and indexes; only their rows change), then drops the scratch schema.
 */
export async function promoteReplay(pool: Pool, replay: ReplayResult): Promise<void> {
  const liveOpen = await new ProjectionFailureTable('public').readOpen(pool);
  if (replay.openFailures.length > 0 || liveOpen.length > 0) {
    // A stream held back live and applied in the rebuild (or the other way round) would be
    // applied twice, or never, once its failure is resolved: the operator resolves first.
    throw new ReplayRefusedError(`the rebuilt read models do not replace the live ones while a projection holds back a stream: ${
      [...replay.openFailures, ...liveOpen].slice(0, 5).map((failure) => `${describeFailedEvent(failure)}: ${failure.errorMessage}`).join('; ')
    }; resolve with rsi-ledger projections retry or skip first`);
  }
  await inTransaction(pool, async (client) => {
    const live = replay.tables.map((table) => `public.${quoteIdentifier(table)}`).join(', ');
    await client.query(`LOCK TABLE ${live} IN ACCESS EXCLUSIVE MODE`);
    await client.query(`TRUNCATE ${live}`);
    for (const table of replay.tables) {
      await client.query(`INSERT INTO public.${quoteIdentifier(table)} SELECT * FROM ${quoteIdentifier(replay.schema)}.${quoteIdentifier(table)}`);
    }
    await client.query(`DROP SCHEMA ${quoteIdentifier(replay.schema)} CASCADE`);
  });
}

/** Differing rows shown per table and side: enough to name the row, bounded. */
const DIFFERING_ROWS_SHOWN_MAXIMUM = 3;
/** Characters of one differing row shown (its JSON), so that a report stays readable. */
const DIFFERING_ROW_LENGTH_MAXIMUM = 600;

export type TableDifference = {
  table: string;
  onlyLive: number;
  onlyRebuilt: number;
  /** A few of the differing rows as JSON (truncated), live side first: they name the row. */
  onlyLiveRows: string[];
  onlyRebuiltRows: string[];
};

/**
 * Rows that differ between the live and the rebuilt table, counted both ways. The live
 * projector may have gone past the rebuild's checkpoint meanwhile, so callers compare
 * after catching the live projection up to the same head, with writes paused (`verify`
 * instead compares with a snapshot of the live tables: `snapshotLiveProjections`).
 */
export function compareWithLive(pool: Pool, replay: ReplayResult): Promise<TableDifference[]> {
  return compareProjectionSchemas(pool, 'public', replay.schema, replay.tables);
}

/** `compareWithLive` between any two schemas holding the projection tables. */
export async function compareProjectionSchemas(pool: Pool, liveSchema: string, rebuiltSchema: string, tables: readonly string[]): Promise<TableDifference[]> {
  const differences: TableDifference[] = [];
  for (const table of tables) {
    // The checkpoint's updated_at is wall-clock time, the only column that may differ honestly.
    const columns = table === 'projection_checkpoints' ? 'projection_name, commit_position, prepare_position, events_applied' : '*';
    const live = `SELECT ${columns} FROM ${quoteIdentifier(liveSchema)}.${quoteIdentifier(table)}`;
    const rebuilt = `SELECT ${columns} FROM ${quoteIdentifier(rebuiltSchema)}.${quoteIdentifier(table)}`;
    const result = await pool.query<{ only_live: number; only_rebuilt: number }>(
      `SELECT (SELECT count(*) FROM (${live} EXCEPT ALL ${rebuilt}) a)::int AS only_live,
              (SELECT count(*) FROM (${rebuilt} EXCEPT ALL ${live}) b)::int AS only_rebuilt`,
    );
    const onlyLive = result.rows[0].only_live;
    const onlyRebuilt = result.rows[0].only_rebuilt;
    const rowsOf = async (count: number, first: string, second: string): Promise<string[]> => {
      if (count === 0) return [];
      const rows = await pool.query<{ row: string }>(
        `SELECT left(row_to_json(d)::text, ${DIFFERING_ROW_LENGTH_MAXIMUM}) AS row FROM (${first} EXCEPT ALL ${second}) d ORDER BY 1 LIMIT ${DIFFERING_ROWS_SHOWN_MAXIMUM}`,
      );
      return rows.rows.map((row) => row.row);
    };
    differences.push({ table, onlyLive, onlyRebuilt, onlyLiveRows: await rowsOf(onlyLive, live, rebuilt), onlyRebuiltRows: await rowsOf(onlyRebuilt, rebuilt, live) });
  }
  return differences;
}

export type LiveSnapshot = {
  /** The schema holding the copy (same table names as live). */
  schema: string;
  /** The live projections' checkpoint in that snapshot: the rows copied are exactly the events up to it. */
  checkpoint: GlobalPosition | null;
};

/**
 * Copies every live projection table, the projection failures and the checkpoint into
 * `schema`, all read in ONE `REPEATABLE READ` snapshot: the rows and the checkpoint move
 * together in the projector's transactions, so the copy is the live read models exactly
 * as of the checkpoint, however far the live projector goes meanwhile. Reads only the live
 * tables; writes only `schema`. `during` runs inside the same snapshot (read-only queries
 * on the live tables, e.g. the postings check).
 */
export async function snapshotLiveProjections(
  pool: Pool, schema: string, tables: readonly string[], during: (client: PoolClient) => Promise<void> = async () => undefined,
): Promise<LiveSnapshot> {
  const target = quoteIdentifier(schema);
  const client = await pool.connect();
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
    const checkpointRow = await client.query<{ commit: string; prepare: string }>(
      `SELECT commit_position::text AS commit, prepare_position::text AS prepare FROM public.projection_checkpoints WHERE projection_name = 'ledger'`,
    );
    const commit = checkpointRow.rows.length === 0 ? -1n : BigInt(checkpointRow.rows[0]!.commit);
    const checkpoint = commit < 0n ? null : { commit, prepare: BigInt(checkpointRow.rows[0]!.prepare) };
    await client.query(`DROP SCHEMA IF EXISTS ${target} CASCADE`);
    await client.query(`CREATE SCHEMA ${target}`);
    for (const table of [...tables, 'projection_failures']) {
      await client.query(`CREATE TABLE ${target}.${quoteIdentifier(table)} AS SELECT * FROM public.${quoteIdentifier(table)}`);
    }
    await during(client);
    await client.query('COMMIT');
    return { schema, checkpoint };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}
