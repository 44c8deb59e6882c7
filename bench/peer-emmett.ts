import pg from 'pg';
import { getPostgreSQLEventStore } from '@event-driven-io/emmett-postgresql';
import type { ChildResult } from './bench-child.protocol';

/** Rows read from the source ledger per round trip; reading is not part of the peer's time. */
const SOURCE_PAGE_ROWS = 10_000;

type SourceRow = { transaction_id: string; position: string; stream_name: string; type: string; data: Record<string, unknown>; metadata: Record<string, unknown> };

/**
 * The peer: the events of an imported ledger appended again through Emmett's PostgreSQL
 * event store, `appendToStream(streamName, events)` as its documentation shows, one call
 * per stream batch — the events one of our import transactions wrote to one stream, in the
 * same order. Only the time spent inside `appendToStream` is counted, so the peer is not
 * charged for reading the source.
 */
export async function appendThroughEmmett(databaseUrl: string, sourceDatabaseUrl: string): Promise<ChildResult> {
  const eventStore = getPostgreSQLEventStore(databaseUrl);
  const source = new pg.Client({ connectionString: sourceDatabaseUrl });
  await source.connect();
  let appendNanoseconds = 0n;
  let eventsAppended = 0;
  let appendCalls = 0;
  try {
    // The schema is created before the clock starts (the first append would otherwise do it).
    await eventStore.schema.migrate();

    let pendingTransactionId: string | null = null;
    let pending = new Map<string, { type: string; data: Record<string, unknown>; metadata: Record<string, unknown> }[]>();
    const flush = async () => {
      for (const [streamName, events] of pending) {
        const startedAt = process.hrtime.bigint();
        await eventStore.appendToStream(streamName, events);
        appendNanoseconds += process.hrtime.bigint() - startedAt;
        eventsAppended += events.length;
        appendCalls += 1;
      }
      pending = new Map();
    };

    let after: { transactionId: string; position: string } | null = null;
    for (;;) {
      const page: pg.QueryResult<SourceRow> = after === null
        ? await source.query<SourceRow>(
          `SELECT transaction_id::text AS transaction_id, position::text AS position, stream_name, type, data, metadata
             FROM events ORDER BY transaction_id, position LIMIT $1`, [SOURCE_PAGE_ROWS])
        : await source.query<SourceRow>(
          `SELECT transaction_id::text AS transaction_id, position::text AS position, stream_name, type, data, metadata
             FROM events WHERE (transaction_id, position) > ($1::text::xid8, $2::bigint)
            ORDER BY transaction_id, position LIMIT $3`, [after.transactionId, after.position, SOURCE_PAGE_ROWS]);
      if (page.rows.length === 0) break;
      for (const row of page.rows) {
        if (row.transaction_id !== pendingTransactionId) {
          await flush();
          pendingTransactionId = row.transaction_id;
        }
        let streamEvents = pending.get(row.stream_name);
        if (!streamEvents) { streamEvents = []; pending.set(row.stream_name, streamEvents); }
        streamEvents.push({ type: row.type, data: row.data, metadata: row.metadata });
      }
      const last = page.rows[page.rows.length - 1];
      after = { transactionId: last.transaction_id, position: last.position };
    }
    await flush();
  } finally {
    await source.end();
    await eventStore.close();
  }
  return {
    elapsedSeconds: Number(appendNanoseconds) / 1e9,
    count: eventsAppended,
    peakRssMebibytes: Math.round((process.resourceUsage().maxRSS / 1024) * 10) / 10,
    detail: { appendCalls },
  };
}
