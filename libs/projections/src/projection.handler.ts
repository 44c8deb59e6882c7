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
  applyBatch(events: readonly RecordedEvent[], context: ProjectionContext): Promise<void>;
}
