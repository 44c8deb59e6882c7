import * as path from 'node:path';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import pg from 'pg';
import type { EventMetadata, GlobalPosition, JsonObject, RecordedEvent } from '@rsi/event-store';
import { StreamPass, messageOf, type StreamPassResult } from './stream-pass';

/**
 * `verify`'s per-stream checks (hash chains, the domain's recomputation, sums, contract
 * parties, personal data: `StreamPass`) in worker threads, each on its own share of the
 * streams and its own database connection.
 *
 * Why: those checks are most of verify's work, and each needs only its own stream's state,
 * in the stream's own (global) order. A worker reads its streams one after the other, so it
 * holds one stream's state at a time instead of every stream's for the whole ledger, and
 * the main thread neither decodes their data nor runs the domain. The shares are fixed by a
 * hash of the stream name (`hashtext`), and the findings carry their global positions, so
 * the merged result is the same for any number of workers (`mergeStreamPassResults`).
 */

type WorkerSettings = {
  kind: 'rsi-ledger-stream-verify-worker';
  connectionString: string;
  shareIndex: number;
  shareCount: number;
  /** The store's head at the start of verify, every event up to it visible: the worker reads exactly the events up to it. */
  headCommit: string;
  headPrepare: string;
};
type Reply = { ok: true; result: StreamPassResult } | { ok: false; message: string };

/** Rows per FETCH: bounds a worker's memory for rows (~1 KB of JSON each). */
const FETCH_ROWS = 2_000;
/** More workers than this gain nothing on the database and cost a connection each. */
export const VERIFY_WORKERS_MAXIMUM = 32;

/** The compiled worker script (under ts-jest this file is TypeScript, so it then points at the build, as the projection worker does). */
function workerScriptPath(): string {
  if (__filename.endsWith('.js')) return __filename;
  const repositoryRoot = path.resolve(__dirname, '..', '..', '..', '..');
  return path.join(repositoryRoot, 'dist', 'libs', 'ledger', 'src', 'audit', 'stream-verify-worker.js');
}

function runShare(settings: Omit<WorkerSettings, 'kind'>): Promise<StreamPassResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(workerScriptPath(), { workerData: { kind: 'rsi-ledger-stream-verify-worker', ...settings } satisfies WorkerSettings });
    let settled = false;
    worker.once('message', (reply: Reply) => {
      settled = true;
      if (reply.ok) resolve(reply.result);
      else reject(new Error(reply.message));
      void worker.terminate();
    });
    worker.once('error', (error) => { if (!settled) { settled = true; reject(error); } });
    worker.once('exit', (code) => { if (!settled) { settled = true; reject(new Error(`the verify worker exited (code ${code}) without a result`)); } });
  });
}

/**
 * Runs the per-stream checks over every event up to `head` in `shareCount` worker threads.
 * The caller has made sure that every event up to `head` is visible (no transaction below
 * it still running). Resolves with one result per share, in share order; a share whose
 * worker failed is an `Error` in its place.
 */
export function verifyStreamsInWorkers(options: { connectionString: string; head: GlobalPosition; shareCount: number }): Promise<(StreamPassResult | Error)[]> {
  const shares: Promise<StreamPassResult | Error>[] = [];
  for (let shareIndex = 0; shareIndex < options.shareCount; shareIndex += 1) {
    shares.push(runShare({
      connectionString: options.connectionString, shareIndex, shareCount: options.shareCount,
      headCommit: options.head.commit.toString(), headPrepare: options.head.prepare.toString(),
    }).catch((error: unknown) => (error instanceof Error ? error : new Error(messageOf(error)))));
  }
  return Promise.all(shares);
}

export type EventRow = {
  stream_name: string; stream_version: string; position: string; transaction_id: string; event_id: string; type: string; data: JsonObject; metadata: EventMetadata;
};

export function toRecordedEvent(row: EventRow): RecordedEvent {
  return {
    eventId: row.event_id, type: row.type, data: row.data, metadata: row.metadata, streamName: row.stream_name, streamVersion: BigInt(row.stream_version),
    globalPosition: { commit: BigInt(row.transaction_id), prepare: BigInt(row.position) },
  };
}

/**
 * The worker's share: its streams' events up to the head, stream after stream, each
 * stream's in global order, through one cursor in one read-only snapshot.
 */
export async function verifyShare(settings: Omit<WorkerSettings, 'kind'>): Promise<StreamPassResult> {
  const head = { commit: BigInt(settings.headCommit), prepare: BigInt(settings.headPrepare) };
  if (!Number.isSafeInteger(settings.shareCount) || settings.shareCount < 1 || !Number.isSafeInteger(settings.shareIndex) || settings.shareIndex < 0 || settings.shareIndex >= settings.shareCount) {
    throw new RangeError(`share ${settings.shareIndex} of ${settings.shareCount}`);
  }
  // Every value below is a bigint or an integer checked above, so written into the statement
  // (a cursor takes no parameters). The sort names the table's columns: the output columns
  // of the same names are text.
  const client = new pg.Client({ connectionString: settings.connectionString, application_name: 'rsi-ledger verify' });
  await client.connect();
  const pass = new StreamPass();
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    await client.query(`DECLARE verify_share NO SCROLL CURSOR FOR
      SELECT stream_name, stream_version::text AS stream_version, position::text AS position,
             transaction_id::text AS transaction_id, event_id::text AS event_id, type, data, metadata
        FROM events
       WHERE (transaction_id, position) <= ('${head.commit}'::xid8, ${head.prepare}::bigint)
         AND mod(hashtext(stream_name)::bigint + 2147483648, ${settings.shareCount}) = ${settings.shareIndex}
       ORDER BY events.stream_name, events.transaction_id, events.position`);
    let streamName: string | null = null;
    for (;;) {
      const page = await client.query<EventRow>(`FETCH ${FETCH_ROWS} FROM verify_share`);
      for (const row of page.rows) {
        if (streamName !== null && row.stream_name !== streamName) pass.endStream(streamName);
        streamName = row.stream_name;
        pass.observe(toRecordedEvent(row));
      }
      if (page.rows.length < FETCH_ROWS) break;
    }
    await client.query('COMMIT');
  } finally {
    await client.end();
  }
  return pass.result();
}

if (!isMainThread && (workerData as WorkerSettings | undefined)?.kind === 'rsi-ledger-stream-verify-worker') {
  const { kind: _kind, ...settings } = workerData as WorkerSettings;
  verifyShare(settings).then(
    (result) => parentPort!.postMessage({ ok: true, result } satisfies Reply),
    (error: unknown) => parentPort!.postMessage({ ok: false, message: messageOf(error) } satisfies Reply),
  );
}
