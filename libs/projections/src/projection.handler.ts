import type { PoolClient } from 'pg';
import type { RecordedEvent } from '@rsi/event-store';

/**
 * Where a projection writes: a transaction's client and the schema of its tables.
 * `copyFromStdin`: the server takes `COPY … FROM STDIN` (a PostgreSQL server does; the
 * embedded PGlite behind its socket does not), so inserted rows may be streamed by COPY.
 */
export type ProjectionContext = { client: PoolClient; schema: string; copyFromStdin?: boolean };

/**
 * One projection's part of the projector. The projector calls `applyBatch` inside the
 * transaction that also moves the checkpoint, with the batch's events in global order
 * (all of them: a handler ignores the types it does not know).
 */
export interface ProjectionHandler {
  readonly name: string;
  /** Tables this projection writes, in creation order, for replay into fresh tables. */
  readonly tables: readonly string[];
  /**
   * Of `tables`, those this projection only inserts into: never read, updated or upserted
   * while projecting. A rebuild loads them without indexes and builds the indexes after,
   * which is several times cheaper than maintaining them row by row; a constraint the rows
   * break (a duplicate key) then fails the rebuild when the index is built, instead of at
   * the row.
   */
  readonly insertOnlyTables?: readonly string[];
  /**
   * How the rows of each of `tables` built by several projectors, each applying the events
   * of its own share of the streams, merge into the rows one projector applying every event
   * would have built (a parallel rebuild; docs/architecture.md "Parallel replay"). A
   * projection without a rule for each of its tables is rebuilt by one projector.
   */
  readonly mergeRules?: Readonly<Record<string, TableMergeRule>>;
  /**
   * Event types this projection reads across streams: every share of a parallel rebuild
   * applies them (in global order, with its own streams' events), and their tables merge by
   * `identical`. E.g. consumption is priced by price books published in other streams.
   */
  readonly sharedEventTypes?: readonly string[];
  applyBatch(events: readonly RecordedEvent[], context: ProjectionContext): Promise<void>;
}

/**
 * How a table's rows from several shares of the streams merge (see `mergeRules`):
 * - `append`: each row is written (and updated) by the events of one stream only, so the
 *   rows of every share are simply put together;
 * - `identical`: written only by `sharedEventTypes`, which every share applies: every share
 *   holds the same rows, taken once (a difference between shares fails the merge);
 * - `combine`: one row per `key`, upserted by events of any stream: the `sum` columns add
 *   up, the `greatest` columns keep the greatest, the `same` columns (set by the first
 *   insert, never by the upsert) must agree between shares (a disagreement fails the merge).
 */
export type TableMergeRule =
  | { kind: 'append' }
  | { kind: 'identical' }
  | { kind: 'combine'; key: readonly string[]; sum?: readonly string[]; greatest?: readonly string[]; same?: readonly string[] };
