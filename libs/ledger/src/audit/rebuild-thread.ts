import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { GlobalPosition } from '@rsi/event-store';
import type { ReplayResult } from './projection-replay';

/**
 * `verify`'s rebuild of the read models (`replayIntoFreshSchema` up to the live snapshot's
 * checkpoint) in a thread of its own, so that it runs on another core while the main thread
 * reads the events in global order and the stream workers recompute the streams.
 *
 * Nothing about the rebuild changes: the worker opens the same ledger context
 * (LedgerContextModule: same modules, so the same projection handlers and options, as the
 * import's projection worker does) on its own connections, and rebuilds into the scratch
 * schema it is given; the comparison with the snapshot stays in the main thread.
 * The thread's side is `rebuild-worker.ts`, which nothing imports (it opens a ledger context
 * of its own, which imports this room).
 */

export type RebuildWorkerSettings = {
  kind: 'rsi-ledger-rebuild-worker';
  /** Only what selects the database and the event store; never the whole environment. */
  environment: Record<string, string>;
  schema: string;
  /** The live snapshot's checkpoint (`commit/prepare`), or null: no event. */
  until: { commit: string; prepare: string } | null;
  skipsFromSchema: string;
};
export type RebuildWorkerReply = { ok: true; result: ReplayResult } | { ok: false; message: string };

/** The compiled worker script beside this file (under ts-jest this file is TypeScript: then the build's, as the projection worker does). */
function workerScriptPath(): string {
  if (__filename.endsWith('.js')) return path.join(__dirname, 'rebuild-worker.js');
  const repositoryRoot = path.resolve(__dirname, '..', '..', '..', '..');
  return path.join(repositoryRoot, 'dist', 'libs', 'ledger', 'src', 'audit', 'rebuild-worker.js');
}

/** Rebuilds on a PostgreSQL server (`connectionString`) in a worker thread; rejects with the rebuild's own error message. */
export function replayInWorker(options: { connectionString: string; schema: string; until: GlobalPosition | null; skipsFromSchema: string }): Promise<ReplayResult> {
  const settings: RebuildWorkerSettings = {
    kind: 'rsi-ledger-rebuild-worker',
    environment: { DATABASE_URL: options.connectionString, EVENT_STORE: 'postgres' },
    schema: options.schema,
    until: options.until === null ? null : { commit: options.until.commit.toString(), prepare: options.until.prepare.toString() },
    skipsFromSchema: options.skipsFromSchema,
  };
  return new Promise((resolve, reject) => {
    const worker = new Worker(workerScriptPath(), { workerData: settings });
    let settled = false;
    worker.once('message', (reply: RebuildWorkerReply) => {
      settled = true;
      if (reply.ok) resolve(reply.result);
      else reject(new Error(reply.message));
      void worker.terminate();
    });
    worker.once('error', (error) => { if (!settled) { settled = true; reject(error); } });
    worker.once('exit', (code) => { if (!settled) { settled = true; reject(new Error(`the rebuild worker exited (code ${code}) without a result`)); } });
  });
}

