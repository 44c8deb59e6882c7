import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import pg from 'pg';
import { assertInvariant } from '@rsi/domain';
import type { GlobalPosition, RecordedEvent } from '@rsi/event-store';
import { Projector } from '@rsi/projections';
import { SHARE_BUCKETS, type ShareResult, type ShareWorkerSettings } from './parallel-replay';
import { REPLAY_BATCH_EVENTS } from './replay-schema';
import { toRecordedEvent, type EventRow } from './stream-verify-worker';

/**
 * One share of a parallel replay (`parallel-replay.ts`), in a worker thread: opens the
 * ledger context (the same projection handlers as the main thread), reads the share's
 * events in global order through one cursor in one read-only snapshot, and applies them
 * batch by batch with a projector of its own into the share's schema. Nothing imports this
 * file: the main thread starts it as a script.
 */

/** Event types are written into the cursor's statement (a cursor takes no parameters): plain names only. */
const EVENT_TYPE_PATTERN = /^[A-Za-z][A-Za-z0-9]{0,99}$/;

type ShareEventRow = EventRow & { own: boolean };

export async function projectShare(settings: ShareWorkerSettings): Promise<ShareResult> {
  const { shareIndex, shareCount } = settings;
  assertInvariant(Number.isSafeInteger(shareCount) && shareCount >= 1 && Number.isSafeInteger(shareIndex) && shareIndex >= 0 && shareIndex < shareCount, `share ${shareIndex} of ${shareCount}`);
  assertInvariant(settings.bucketShares.length === SHARE_BUCKETS && settings.bucketShares.every((share) => Number.isSafeInteger(share) && share >= 0 && share < shareCount), `the ${SHARE_BUCKETS} buckets are dealt to shares 0..${shareCount - 1}`);
  for (const type of settings.sharedEventTypes) assertInvariant(EVENT_TYPE_PATTERN.test(type), `shared event type ${JSON.stringify(type)} is a plain name`);
  const until = { commit: BigInt(settings.untilCommit), prepare: BigInt(settings.untilPrepare) };
  // Imported here, not at the top: only the worker opens a context of its own.
  const startedAt = Date.now();
  const { openLedgerContext } = await import('../core/ledger-context');
  const ledger = await openLedgerContext({ environment: settings.environment });
  const openedMilliseconds = Date.now() - startedAt;
  const reader = new pg.Client({ connectionString: settings.environment.DATABASE_URL, application_name: 'rsi-ledger replay' });
  await reader.connect();
  try {
    const runtime = ledger.runtime;
    const projector = new Projector(runtime.connection.pool, runtime.store, runtime.projectionHandlers, {
      projectionName: 'ledger', schema: settings.schema, batchSize: REPLAY_BATCH_EVENTS, copyFromStdin: true,
    });
    const sharedTypes = settings.sharedEventTypes.map((type) => `'${type}'`).join(', ');
    const ownShare = `('{${settings.bucketShares.join(',')}}'::int[])[mod(hashtext(stream_name)::bigint + 2147483648, ${SHARE_BUCKETS}) + 1] = ${shareIndex}`;
    await reader.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    // Every value written into the statement is a bigint, an integer checked above or a
    // plain name. The sort names the table's columns: the output columns are text.
    await reader.query(`DECLARE replay_share NO SCROLL CURSOR FOR
      SELECT stream_name, stream_version::text AS stream_version, position::text AS position,
             transaction_id::text AS transaction_id, event_id::text AS event_id, type, data, metadata, ${ownShare} AS own
        FROM events
       WHERE (transaction_id, position) <= ('${until.commit}'::xid8, ${until.prepare}::bigint)
         AND (${ownShare}${sharedTypes.length > 0 ? ` OR type IN (${sharedTypes})` : ''})
       ORDER BY events.transaction_id, events.position`);
    const fetchPage = () => reader.query<ShareEventRow>(`FETCH ${REPLAY_BATCH_EVENTS} FROM replay_share`);
    let ownEventsApplied = 0;
    let after: GlobalPosition | null = null;
    let page = await fetchPage();
    while (page.rows.length > 0) {
      const rows = page.rows;
      // The next page is read while this one is applied (the reader has its own connection).
      const next = rows.length === REPLAY_BATCH_EVENTS ? fetchPage() : null;
      next?.catch(() => undefined);
      const events: RecordedEvent[] = rows.map(toRecordedEvent);
      const applied = await projector.applyBatch(after, events);
      assertInvariant(applied === 'applied', 'no other projector writes the schema of a replay share');
      for (const row of rows) if (row.own) ownEventsApplied += 1;
      after = events[events.length - 1]!.globalPosition;
      if (next === null) break;
      page = await next;
    }
    await reader.query('COMMIT');
    return { ownEventsApplied, openedMilliseconds, projectedMilliseconds: Date.now() - startedAt - openedMilliseconds, lastPosition: after === null ? null : { commit: after.commit.toString(), prepare: after.prepare.toString() } };
  } finally {
    await reader.end().catch(() => undefined);
    await ledger.close();
  }
}

if (!isMainThread && (workerData as Partial<ShareWorkerSettings> | null)?.kind === 'rsi-ledger-replay-share-worker') {
  projectShare(workerData as ShareWorkerSettings).then(
    (result) => parentPort!.postMessage({ ok: true, result }),
    (error: unknown) => parentPort!.postMessage({ ok: false, message: error instanceof Error ? error.message : String(error) }),
  );
}
