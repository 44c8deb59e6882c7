import { inTransaction } from '@rsi/database';
import * as os from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Pool } from 'pg';
import { assertInvariant } from '@rsi/domain';
import { compareGlobalPositions, type GlobalPosition } from '@rsi/event-store';
import { ProjectionFailureTable, quoteIdentifier, type ProjectionHandler, type TableMergeRule } from '@rsi/projections';
import { waitUntilVisible } from './global-event-reader';
import { copyIndexesOfLiveTable, createReplaySchema, type ReplayResult } from './replay-schema';

/**
 * The rebuild of the read models by several projectors at once (`rsi-ledger replay
 * --workers N`, and `verify --workers N`'s rebuild), each in a worker thread with its own
 * connections, on a PostgreSQL server with the PostgreSQL event store.
 *
 * Share k of N is every stream whose hash bucket (`mod(hashtext(stream_name) + 2^31, 4096)`)
 * is dealt to k (`planShares`: the buckets by their events, largest first, each to the
 * share with the fewest so far, so that a ledger of a few large streams is split evenly,
 * which verify's plain `mod(hashtext, N)` shares do not do: 10 developers fall 8 to 2 into
 * two shares), plus the events every share must apply because a projection reads them
 * across streams (`ProjectionHandler.sharedEventTypes`: the price books). A share's projector
 * applies those events in global order, up to one fixed position, into a schema of its own
 * (`<schema>_s<k>`, a copy of the skips included), exactly
 * as the one projector would (same handlers, same batches of at most 10,000 events). The
 * rows then merge into the target schema by each table's rule (`ProjectionHandler.mergeRules`,
 * declared beside the handler), in SQL, and the insert-only tables get their indexes after.
 * The result is, row for row, the one-projector rebuild's: see docs/architecture.md
 * "Parallel replay" for why, and for what stays sequential.
 */

/** More workers than this gain nothing on the database and cost connections each. */
export const REPLAY_WORKERS_MAXIMUM = 32;

/**
 * Stream names fall into this many buckets by `hashtext`; the buckets, not the streams, are
 * dealt to the shares. Enough buckets that a ledger's large streams land in buckets of their own.
 */
export const SHARE_BUCKETS = 4096;

/** The young generation of a share's worker thread (V8's default semi-spaces are 16 MiB). */
const SHARE_YOUNG_GENERATION_MEBIBYTES = 96;

/** `rsi-ledger replay`'s default: one worker per core, within 1..`REPLAY_WORKERS_MAXIMUM`. */
export function defaultReplayWorkers(): number {
  return Math.max(1, Math.min(os.availableParallelism(), REPLAY_WORKERS_MAXIMUM));
}

export type ShareWorkerSettings = {
  kind: 'rsi-ledger-replay-share-worker';
  /** Only what selects the database and the event store; never the whole environment. */
  environment: Record<string, string>;
  schema: string;
  shareIndex: number;
  shareCount: number;
  /** The share of each hash bucket of stream names (`SHARE_BUCKETS` entries, see `planShares`). */
  bucketShares: number[];
  untilCommit: string;
  untilPrepare: string;
  sharedEventTypes: string[];
};
export type ShareResult = {
  /** Events of the share's own streams applied (shared events are counted by the share that owns their stream). */
  ownEventsApplied: number;
  /** How long the worker took to open its ledger context, and then to project its share. */
  openedMilliseconds: number;
  projectedMilliseconds: number;
  /** The last event the share applied (own or shared), `commit/prepare`, or null. */
  lastPosition: { commit: string; prepare: string } | null;
};
type ShareReply = { ok: true; result: ShareResult } | { ok: false; message: string };

/** The compiled worker script beside this file (under ts-jest this file is TypeScript: then the build's, as the rebuild thread does). */
function workerScriptPath(): string {
  if (__filename.endsWith('.js')) return path.join(__dirname, 'parallel-replay-worker.js');
  const repositoryRoot = path.resolve(__dirname, '..', '..', '..', '..');
  return path.join(repositoryRoot, 'dist', 'libs', 'ledger', 'src', 'audit', 'parallel-replay-worker.js');
}

function runShareWorker(settings: ShareWorkerSettings): Promise<ShareResult> {
  return new Promise((resolve, reject) => {
    // A larger young generation than V8's default: a share allocates a batch's events and rows
    // and drops them, and with the default most of its time went to scavenges.
    const worker = new Worker(workerScriptPath(), { workerData: settings, resourceLimits: { maxYoungGenerationSizeMb: SHARE_YOUNG_GENERATION_MEBIBYTES } });
    let settled = false;
    worker.once('message', (reply: ShareReply) => {
      settled = true;
      if (reply.ok) resolve(reply.result);
      else reject(new Error(`replay share ${settings.shareIndex} of ${settings.shareCount}: ${reply.message}`));
      void worker.terminate();
    });
    worker.once('error', (error) => { if (!settled) { settled = true; reject(error); } });
    worker.once('exit', (code) => { if (!settled) { settled = true; reject(new Error(`the replay worker of share ${settings.shareIndex} exited (code ${code}) without a result`)); } });
  });
}

/** Whether every handler declares how its tables merge: only then can its rebuild be split by streams. */
export function handlersMergeable(handlers: readonly ProjectionHandler[]): boolean {
  return handlers.every((handler) => handler.mergeRules !== undefined && handler.tables.every((table) => handler.mergeRules![table] !== undefined));
}

function shareSchemaName(schema: string, shareIndex: number): string {
  return `${schema}_s${shareIndex}`;
}

/**
 * `replayIntoFreshSchema` with `workers` projectors (see above). The caller checked that the
 * database is a PostgreSQL server holding the PostgreSQL event store (`connectionString`).
 */
export async function replayInParallel(options: {
  pool: Pool;
  store: { readHeadPosition?: () => Promise<GlobalPosition | null> };
  handlers: readonly ProjectionHandler[];
  schema: string;
  nowMilliseconds: () => number;
  until?: GlobalPosition | null;
  skipsFromSchema?: string;
  workers: number;
  connectionString: string;
}): Promise<ReplayResult> {
  const startedAt = options.nowMilliseconds();
  const { pool, handlers, workers } = options;
  if (!Number.isSafeInteger(workers) || workers < 2 || workers > REPLAY_WORKERS_MAXIMUM) {
    throw new RangeError(`a parallel replay takes 2 to ${REPLAY_WORKERS_MAXIMUM} workers, got ${workers}`);
  }
  assertInvariant(handlersMergeable(handlers), 'every projection declares a merge rule for each of its tables');
  const rules = new Map<string, TableMergeRule>(handlers.flatMap((handler) => Object.entries(handler.mergeRules!)));
  const sharedEventTypes = [...new Set(handlers.flatMap((handler) => [...(handler.sharedEventTypes ?? [])]))];
  const skipsFrom = options.skipsFromSchema ?? 'public';

  // One fixed position for every share: `until`, or the head with every event up to it
  // visible (no transaction below it still running), as verify's stream workers read.
  // (With `until`, the wait returns at once when, as in verify, the head past it was waited for.)
  let until: GlobalPosition | null;
  if (options.until !== undefined) {
    until = options.until;
  } else {
    assertInvariant(options.store.readHeadPosition !== undefined, 'the PostgreSQL event store reads its head');
    until = await options.store.readHeadPosition();
  }
  if (until !== null) await waitUntilVisible(pool, until);

  const { tables, insertOnly } = await createReplaySchema(pool, options.schema, handlers, skipsFrom);
  const phases = { sharesMilliseconds: 0, mergeMilliseconds: 0, indexesMilliseconds: 0, shareOpenedMilliseconds: [] as number[], shareProjectedMilliseconds: [] as number[] };
  const shareSchemas = Array.from({ length: workers }, (_, shareIndex) => shareSchemaName(options.schema, shareIndex));
  try {
    let eventsApplied = 0;
    let last: GlobalPosition | null = null;
    if (until !== null) {
      for (const shareSchema of shareSchemas) await createReplaySchema(pool, shareSchema, handlers, skipsFrom);
      const bucketShares = await planShares(pool, workers);
      const sharesStartedAt = options.nowMilliseconds();
      const results = await Promise.allSettled(shareSchemas.map((shareSchema, shareIndex) => runShareWorker({
        kind: 'rsi-ledger-replay-share-worker',
        environment: { DATABASE_URL: options.connectionString, EVENT_STORE: 'postgres' },
        schema: shareSchema, shareIndex, shareCount: workers, bucketShares,
        untilCommit: until!.commit.toString(), untilPrepare: until!.prepare.toString(), sharedEventTypes,
      })));
      const failed = results.find((result) => result.status === 'rejected');
      if (failed !== undefined) throw (failed as PromiseRejectedResult).reason;
      for (const result of results as PromiseFulfilledResult<ShareResult>[]) {
        eventsApplied += result.value.ownEventsApplied;
        phases.shareOpenedMilliseconds.push(result.value.openedMilliseconds);
        phases.shareProjectedMilliseconds.push(result.value.projectedMilliseconds);
        const position = result.value.lastPosition;
        if (position === null) continue;
        const candidate = { commit: BigInt(position.commit), prepare: BigInt(position.prepare) };
        if (last === null || compareGlobalPositions(candidate, last) > 0) last = candidate;
      }
      const mergeStartedAt = options.nowMilliseconds();
      phases.sharesMilliseconds = mergeStartedAt - sharesStartedAt;
      await mergeShares(pool, options.schema, shareSchemas, tables, rules);
      phases.mergeMilliseconds = options.nowMilliseconds() - mergeStartedAt;
    }
    if (last !== null) {
      // As the one projector's: the last event applied, and every event up to it counted once.
      await pool.query(
        `INSERT INTO ${quoteIdentifier(options.schema)}.projection_checkpoints (projection_name, commit_position, prepare_position, events_applied)
         VALUES ('ledger', $1, $2, $3)`,
        [last.commit.toString(), last.prepare.toString(), eventsApplied],
      );
    }
    // Insert-only tables get their indexes now, several at a time (each one index build).
    const indexesStartedAt = options.nowMilliseconds();
    await Promise.all([...insertOnly].map((table) => copyIndexesOfLiveTable(pool, options.schema, table)));
    phases.indexesMilliseconds = options.nowMilliseconds() - indexesStartedAt;
  } finally {
    for (const shareSchema of shareSchemas) await pool.query(`DROP SCHEMA IF EXISTS ${quoteIdentifier(shareSchema)} CASCADE`);
  }
  const openFailures = await new ProjectionFailureTable(options.schema).readOpen(pool);
  const eventsApplied = Number((await pool.query<{ events: string | null }>(
    `SELECT events_applied::text AS events FROM ${quoteIdentifier(options.schema)}.projection_checkpoints WHERE projection_name = 'ledger'`,
  )).rows[0]?.events ?? 0);
  return { schema: options.schema, eventsApplied, elapsedMilliseconds: options.nowMilliseconds() - startedAt, tables, workers, phases, openFailures };
}

/**
 * Deals the hash buckets of stream names to the shares, balancing their events: largest
 * bucket first, each to the share with the fewest events so far (ties to the lowest share),
 * by the streams' current lengths (only the balance depends on them, never the result).
 */
export async function planShares(pool: Pool, shareCount: number): Promise<number[]> {
  const buckets = await pool.query<{ bucket: number; events: string }>(
    `SELECT mod(hashtext(stream_name)::bigint + 2147483648, ${SHARE_BUCKETS})::int AS bucket, sum(stream_version + 1)::text AS events
       FROM streams GROUP BY 1 ORDER BY sum(stream_version + 1) DESC, 1`,
  );
  const bucketShares = new Array<number>(SHARE_BUCKETS).fill(0);
  const loads = new Array<bigint>(shareCount).fill(0n);
  for (const row of buckets.rows) {
    let lightest = 0;
    for (let share = 1; share < shareCount; share += 1) if (loads[share]! < loads[lightest]!) lightest = share;
    bucketShares[row.bucket] = lightest;
    loads[lightest] = loads[lightest]! + BigInt(row.events);
  }
  return bucketShares;
}

/** The columns of `public.table` in order (the shares' and the target's tables are made LIKE it). */
async function columnsOf(pool: Pool, table: string): Promise<string[]> {
  const result = await pool.query<{ name: string }>(
    `SELECT attname AS name FROM pg_attribute WHERE attrelid = to_regclass($1) AND attnum > 0 AND NOT attisdropped ORDER BY attnum`,
    [`public.${quoteIdentifier(table)}`],
  );
  assertInvariant(result.rows.length > 0, `public.${table} has columns`);
  return result.rows.map((row) => row.name);
}

/**
 * Merges the shares' rows into the target schema, table by table (several at a time, each
 * one statement), by each table's rule; then the open failures, each once.
 */
async function mergeShares(pool: Pool, schema: string, shareSchemas: readonly string[], tables: readonly string[], rules: ReadonlyMap<string, TableMergeRule>): Promise<void> {
  const target = (table: string) => `${quoteIdentifier(schema)}.${quoteIdentifier(table)}`;
  const share = (shareSchema: string, table: string) => `${quoteIdentifier(shareSchema)}.${quoteIdentifier(table)}`;
  const unionOf = (table: string, columns: string) => shareSchemas.map((shareSchema) => `SELECT ${columns} FROM ${share(shareSchema, table)}`).join(' UNION ALL ');
  const mergeTable = async (table: string): Promise<void> => {
    const rule = rules.get(table);
    assertInvariant(rule !== undefined, `table ${table} has a merge rule`);
    const columns = await columnsOf(pool, table);
    const columnList = columns.map(quoteIdentifier).join(', ');
    if (rule.kind === 'append') {
      // The largest share's table moves in as it is (same definition: both are LIKE the live
      // table), the others' rows are copied into it: each row is written once less than by
      // copying every share's (docs/benchmarks.md "Parallel replay").
      const sizes = await pool.query<{ share: string }>(
        `SELECT share FROM unnest($1::text[]) AS share ORDER BY pg_relation_size(to_regclass(quote_ident(share) || '.' || quote_ident($2))) DESC, share LIMIT 1`,
        [shareSchemas, table],
      );
      const largest = sizes.rows[0]!.share;
      await inTransaction(pool, async (client) => {
        await client.query(`DROP TABLE ${target(table)}`);
        await client.query(`ALTER TABLE ${share(largest, table)} SET SCHEMA ${quoteIdentifier(schema)}`);
        const others = shareSchemas.filter((shareSchema) => shareSchema !== largest);
        if (others.length > 0) {
          await client.query(`INSERT INTO ${target(table)} (${columnList}) ${others.map((shareSchema) => `SELECT ${columnList} FROM ${share(shareSchema, table)}`).join(' UNION ALL ')}`);
        }
      });
      return;
    }
    if (rule.kind === 'identical') {
      for (const other of shareSchemas.slice(1)) {
        const first = `SELECT ${columnList} FROM ${share(shareSchemas[0]!, table)}`;
        const second = `SELECT ${columnList} FROM ${share(other, table)}`;
        const differing = await pool.query<{ count: number }>(`SELECT ((SELECT count(*) FROM (${first} EXCEPT ALL ${second}) a) + (SELECT count(*) FROM (${second} EXCEPT ALL ${first}) b))::int AS count`);
        assertInvariant(differing.rows[0]!.count === 0, `${table} is the same in every share of the replay (${differing.rows[0]!.count} rows differ)`);
      }
      await pool.query(`INSERT INTO ${target(table)} (${columnList}) SELECT ${columnList} FROM ${share(shareSchemas[0]!, table)}`);
      return;
    }
    const key = rule.key;
    const sum = rule.sum ?? [];
    const greatest = rule.greatest ?? [];
    const same = rule.same ?? [];
    const declared = [...key, ...sum, ...greatest, ...same];
    assertInvariant(declared.length === columns.length && columns.every((column) => declared.includes(column)), `the merge rule of ${table} names each of its columns once: ${columns.join(', ')}`);
    const keyList = key.map(quoteIdentifier).join(', ');
    if (same.length > 0) {
      const disagreeing = await pool.query<{ count: number }>(
        `SELECT count(*)::int AS count FROM (SELECT 1 FROM (${unionOf(table, columnList)}) u GROUP BY ${keyList}
          HAVING ${same.map((column) => `count(DISTINCT ${quoteIdentifier(column)}) > 1`).join(' OR ')}) d`,
      );
      assertInvariant(disagreeing.rows[0]!.count === 0, `${table}: ${same.join(', ')} agree between the shares of the replay (${disagreeing.rows[0]!.count} keys differ)`);
    }
    const expression = (column: string): string => {
      const quoted = quoteIdentifier(column);
      if (key.includes(column)) return quoted;
      if (sum.includes(column)) return `sum(${quoted})`;
      if (greatest.includes(column)) return `max(${quoted})`;
      return `min(${quoted})`;
    };
    await pool.query(
      `INSERT INTO ${target(table)} (${columnList}) SELECT ${columns.map(expression).join(', ')} FROM (${unionOf(table, columnList)}) u GROUP BY ${keyList}`,
    );
  };
  await Promise.all(tables.filter((table) => table !== 'projection_checkpoints').map(mergeTable));
  // A shared event that failed failed in every share: recorded once, as the one projector does.
  const failureColumns = (await columnsOf(pool, 'projection_failures')).filter((column) => column !== 'failure_id').map(quoteIdentifier).join(', ');
  await pool.query(
    `INSERT INTO ${target('projection_failures')} (${failureColumns})
     SELECT ${failureColumns} FROM (
       SELECT DISTINCT ON (projection_name, event_id) ${failureColumns} FROM (${unionOf('projection_failures', `${failureColumns}`)}) u
        WHERE resolution IS NULL ORDER BY projection_name, event_id, first_failed_at) f
     ORDER BY commit_position, prepare_position, projection_name`,
  );
}
