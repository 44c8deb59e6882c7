import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import type { ReplayResult } from './projection-replay';
import type { RebuildWorkerReply, RebuildWorkerSettings } from './rebuild-thread';

/** The rebuild thread's side (`rebuild-thread.ts`): open the ledger, rebuild into the scratch schema, answer with the result. */
async function runWorker(settings: RebuildWorkerSettings): Promise<ReplayResult> {
  // Imported here, not at the top: only the worker opens a context of its own.
  const { openLedgerContext } = await import('../core/ledger-context');
  const { replayIntoFreshSchema } = await import('./projection-replay');
  const ledger = await openLedgerContext({ environment: settings.environment });
  try {
    const runtime = ledger.runtime;
    return await replayIntoFreshSchema({
      pool: runtime.connection.pool, store: runtime.store, handlers: runtime.projectionHandlers, schema: settings.schema, nowMilliseconds: () => Date.now(),
      copyFromStdin: true, until: settings.until === null ? null : { commit: BigInt(settings.until.commit), prepare: BigInt(settings.until.prepare) },
      skipsFromSchema: settings.skipsFromSchema,
    });
  } finally {
    await ledger.close();
  }
}

if (!isMainThread && (workerData as Partial<RebuildWorkerSettings> | null)?.kind === 'rsi-ledger-rebuild-worker') {
  runWorker(workerData as RebuildWorkerSettings).then(
    (result) => parentPort!.postMessage({ ok: true, result } satisfies RebuildWorkerReply),
    (error: unknown) => parentPort!.postMessage({ ok: false, message: error instanceof Error ? error.message : String(error) } satisfies RebuildWorkerReply),
  );
}
