import * as path from 'node:path';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import type { CommittedEventsJson, RecordedEvent } from '@rsi/event-store';
import type { CatchUpResult } from '@rsi/projections';
import type { LedgerRuntime } from '../core/ledger-core.module';

/**
 * The projector in a thread of its own, for the import on a PostgreSQL server.
 *
 * Why: an import keeps one JavaScript thread busy parsing, deciding, hashing and encoding
 * commands, and the projector's JavaScript (reading events back, decoding them, building
 * rows) took about a third of that thread's time. In a worker thread it runs on the other
 * core, with its own heap and garbage collector, while PostgreSQL does the rest.
 *
 * Nothing about correctness changes: the worker builds the same Nest application context
 * (LedgerContextModule: same modules, so the same projections and options) on its own connections, and its projector moves the checkpoint with the
 * rows in one transaction, locking and comparing the checkpoint row, exactly like any other
 * projector; a `catchUp` in the main thread at the same time is safe. The embedded database
 * serves one connection only, so there the import projects in its own thread as before.
 */

type WorkerSettings = {
  kind: 'rsi-ledger-projection-worker';
  /** Only what selects the database and the event store; never the whole environment. */
  environment: Record<string, string>;
};
type Request =
  | { requestId: number; kind: 'catch-up' | 'close' }
  | { requestId: number; kind: 'apply-committed'; eventsText: string };
export type AppliedStatus = 'applied' | 'already_applied' | 'not_next';
type Reply =
  | { requestId: number; ok: true; eventsApplied: number; status?: AppliedStatus }
  | { requestId: number; ok: false; message: string };

/** Catch-ups waiting for their reply; more would mean a caller that does not wait for them. */
const PENDING_REQUESTS_MAXIMUM = 64;
const CLOSE_WAIT_MILLISECONDS = 30_000;
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
const ENVIRONMENT_PASSED = ['DATABASE_URL', 'EVENT_STORE', 'EVENTSTORE_CONNECTION_STRING'] as const;

export type ProjectionWorker = {
  /** Applies every event committed before the call, in the worker; resolves with the count applied. */
  catchUp(): Promise<{ eventsApplied: number }>;
  /**
   * `Projector.applyCommitted` in the worker, the events given as one text (`committedEventsText`):
   * a string crosses to the worker as one copy, where the events themselves would be cloned
   * field by field on the importing thread (measured: 0.6 s of its CPU per 100k events).
   */
  applyCommitted(eventsText: string): Promise<{ status: AppliedStatus; eventsApplied: number }>;
  /** Finishes the running catch-up, closes the worker's ledger and ends the thread. */
  close(): Promise<void>;
};

/**
 * The compiled worker script. Under ts-jest this file is TypeScript, which a worker thread
 * cannot run, so it then points at the build (`npm test` builds first).
 */
function workerScriptPath(): string {
  if (__filename.endsWith('.js')) return __filename;
  const repositoryRoot = path.resolve(__dirname, '..', '..', '..', '..');
  return path.join(repositoryRoot, 'dist', 'libs', 'ledger', 'src', 'import', 'projection-worker.js');
}

export function startProjectionWorker(options: { environment: NodeJS.ProcessEnv }): ProjectionWorker {
  const environment: Record<string, string> = {};
  for (const name of ENVIRONMENT_PASSED) {
    const value = options.environment[name];
    if (value !== undefined) environment[name] = value;
  }
  if (!environment.DATABASE_URL) throw new Error('the projection worker needs DATABASE_URL: the embedded database serves one connection');
  const settings: WorkerSettings = { kind: 'rsi-ledger-projection-worker', environment };
  const worker = new Worker(workerScriptPath(), { workerData: settings });
  const pending = new Map<number, { resolve: (reply: Reply) => void; reject: (error: Error) => void }>();
  let nextRequestId = 1;
  let failure: Error | null = null;

  const failAll = (error: Error) => {
    failure ??= error;
    for (const waiter of pending.values()) waiter.reject(error);
    pending.clear();
  };
  worker.on('message', (reply: Reply) => {
    const waiter = pending.get(reply.requestId);
    if (waiter === undefined) return;
    pending.delete(reply.requestId);
    waiter.resolve(reply);
  });
  worker.on('error', (error) => failAll(error));
  worker.on('exit', (code) => failAll(new Error(`the projection worker exited (code ${code})`)));

  const request = (message: DistributiveOmit<Request, 'requestId'>): Promise<Reply> => {
    if (failure !== null) return Promise.reject(failure);
    if (pending.size >= PENDING_REQUESTS_MAXIMUM) return Promise.reject(new Error(`more than ${PENDING_REQUESTS_MAXIMUM} requests wait for the projection worker`));
    const requestId = nextRequestId;
    nextRequestId += 1;
    return new Promise<Reply>((resolve, reject) => {
      pending.set(requestId, { resolve, reject });
      worker.postMessage({ ...message, requestId } satisfies Request);
    });
  };

  return {
    async catchUp() {
      const reply = await request({ kind: 'catch-up' });
      if (!reply.ok) throw new Error(`projection worker: ${reply.message}`);
      return { eventsApplied: reply.eventsApplied };
    },
    async applyCommitted(eventsText) {
      const reply = await request({ kind: 'apply-committed', eventsText });
      if (!reply.ok) throw new Error(`projection worker: ${reply.message}`);
      return { status: reply.status ?? 'not_next', eventsApplied: reply.eventsApplied };
    },
    async close() {
      // A worker that failed already said why, to the catch-up that failed; it is only ended.
      const timer = setTimeout(() => { void worker.terminate(); }, CLOSE_WAIT_MILLISECONDS);
      try {
        if (failure === null) await request({ kind: 'close' });
      } finally {
        clearTimeout(timer);
        await worker.terminate();
      }
    },
  };
}

/**
 * Events of committed appends waiting to be handed to the projector, at most: an import that
 * runs ahead of its projection drops them (the catch-up reads them back instead), so the
 * queue never holds more than ten batches of the default size (two of the largest).
 */
const HANDED_EVENTS_MAXIMUM = 20_000;

/**
 * Runs an import's work with the read models projected where the import should project
 * them: by a worker thread on a server, by the runtime's own projector on the embedded
 * database. `rsi-ledger import` and the benchmark both go through here, so that the
 * benchmark measures what the command does.
 *
 * With `handOverCommittedEvents` the import writes what it decided: the events of every
 * append this process commits (observed on the store, after COMMIT, with their positions)
 * are handed to the worker's projector, which applies them without reading them back when the store proves
 * that reading them back would give exactly them (`Projector.applyCommitted`). The first
 * batch that cannot be proven (another writer's events between, an older transaction still
 * running, a queue that overflowed) makes that round a catch-up, which reads from the
 * checkpoint as before; every round ends with a catch-up, so each still projects every
 * event committed before it. The checkpoint protocol is the projector's either way.
 */
export async function withImportProjection<Result>(
  runtime: LedgerRuntime,
  options: {
    environment: NodeJS.ProcessEnv;
    /**
     * Hand the committed appends to the worker's projector instead of letting it read them
     * back. Off by default, measured (docs/benchmarks.md, "Import: decided events and
     * per-step CPU"): sending the events to the thread costs the importing thread, the
     * critical path, about 0.6 s per 100k events (and more garbage collection), and the
     * worker more than reading them back: median process CPU 18.4 s against 16.6 s on 100k
     * receipts. Correct either way. On the embedded database (no worker, no crossing) it
     * is on unless set to false (`projectInThisThread`).
     */
    handOverCommittedEvents?: boolean;
    /** Told what became of each handed-over append (the benchmark counts them; tests check the fallback). */
    onHandedOver?: (outcome: { status: AppliedStatus; eventsApplied: number }) => void;
  },
  work: (catchUpReadModels: (round?: { final: boolean }) => Promise<{ eventsApplied: number }>) => Promise<Result>,
): Promise<Result> {
  if (runtime.connection.embedded) return projectInThisThread(runtime, options, work);
  const worker = startProjectionWorker(options);
  const handed = handedEventsQueue<string>();
  const observe = options.handOverCommittedEvents === true ? runtime.store.observeCommittedAppends?.bind(runtime.store) : undefined;
  const stopObserving = observe?.((events, json) => handed.push(events.length, () => committedEventsText(events, json))) ?? (() => undefined);
  try {
    return await work(projectionRound(handed, (eventsText) => worker.applyCommitted(eventsText), () => worker.catchUp(), options.onHandedOver));
  } finally {
    stopObserving();
    await worker.close();
  }
}

/**
 * The embedded database: the projector runs in the importing thread, on the one connection.
 * There the hand-over costs no crossing between threads: the committed events are the very
 * objects the store wrote (`observeCommittedAppends`), applied by `Projector.applyCommitted`
 * under the same proof as on a server, instead of being read back through PGlite's wire
 * protocol and parsed again. On by default here (measured: docs/benchmarks.md, "Import:
 * decided events and per-step CPU"); `handOverCommittedEvents: false` reads them back.
 */
async function projectInThisThread<Result>(
  runtime: LedgerRuntime,
  options: { handOverCommittedEvents?: boolean; onHandedOver?: (outcome: { status: AppliedStatus; eventsApplied: number }) => void },
  work: (catchUpReadModels: (round?: { final: boolean }) => Promise<{ eventsApplied: number }>) => Promise<Result>,
): Promise<Result> {
  const observe = options.handOverCommittedEvents === false ? undefined : runtime.store.observeCommittedAppends?.bind(runtime.store);
  if (observe === undefined) return work(() => runtime.projector.catchUp());
  const handed = handedEventsQueue<readonly RecordedEvent[]>();
  const stopObserving = observe((events) => handed.push(events.length, () => events));
  try {
    return await work(projectionRound(handed, (events) => runtime.projector.applyCommitted(events), () => runtime.projector.catchUp(), options.onHandedOver));
  } finally {
    stopObserving();
  }
}

/**
 * One round of the import's projection, as `importJsonlFile` asks for it: the appends handed
 * over since the last round are applied in commit order while each is provably next; a
 * catch-up follows when something was not applied as handed over (dropped, or not provably
 * next), when nothing was handed over (another writer's events, say), and at the end. Not
 * otherwise: it would read back the batches appended while this round ran, which the next
 * round applies as handed over.
 */
function projectionRound<Append>(
  handed: ReturnType<typeof handedEventsQueue<Append>>,
  applyCommitted: (append: Append) => Promise<{ status: AppliedStatus; eventsApplied: number }>,
  catchUp: () => Promise<{ eventsApplied: number }>,
  onHandedOver: ((outcome: { status: AppliedStatus; eventsApplied: number }) => void) | undefined,
): (round?: { final: boolean }) => Promise<{ eventsApplied: number }> {
  return async (round) => {
    let eventsApplied = 0;
    const taken = handed.takeAll();
    let catchUpDue = taken.dropped || taken.appends.length === 0 || round?.final === true;
    for (const append of taken.appends) {
      const applied = await applyCommitted(append);
      onHandedOver?.(applied);
      eventsApplied += applied.eventsApplied;
      if (applied.status === 'not_next') {
        catchUpDue = true;
        break;
      }
    }
    if (catchUpDue) eventsApplied += (await catchUp()).eventsApplied;
    return { eventsApplied };
  };
}

/** Committed appends in commit order (as texts for a worker, as events in this thread), bounded by `HANDED_EVENTS_MAXIMUM` events (then emptied: the catch-up covers them). */
export function handedEventsQueue<Append>(): {
  /** Queues an append of `eventCount` events; `append` is called only if it is queued. */
  push(eventCount: number, append: () => Append): void;
  /** The appends queued, in commit order, and whether any was dropped since the last call. */
  takeAll(): { appends: Append[]; dropped: boolean };
} {
  let appends: Append[] = [];
  let eventCount = 0;
  let dropped = false;
  return {
    push(count, append) {
      if (eventCount + count > HANDED_EVENTS_MAXIMUM) {
        // Dropped with all queued before it: those lie before it, so it alone cannot be next.
        appends = [];
        eventCount = 0;
        dropped = true;
        return;
      }
      appends.push(append());
      eventCount += count;
    },
    takeAll() {
      const taken = { appends, dropped };
      appends = [];
      eventCount = 0;
      dropped = false;
      return taken;
    },
  };
}

/**
 * The events of one committed append as one JSON text: an array of
 * `[streamName, streamVersion, eventId, type, data, metadata, commit, prepare]`, bigints as
 * decimal strings. Data and metadata are the very texts the store stored where it gives them
 * (`json`), so that parsing them gives exactly what reading the events back gives; otherwise
 * they are stringified here as the store stringifies them.
 */
export function committedEventsText(events: readonly RecordedEvent[], json: CommittedEventsJson | null): string {
  const texts = json !== null && json.data.length === events.length && json.metadata.length === events.length ? json : null;
  let text = '[';
  for (let index = 0; index < events.length; index += 1) {
    const event = events[index]!;
    const data = texts === null ? JSON.stringify(event.data) : texts.data[index]!;
    const metadata = texts === null ? JSON.stringify(event.metadata) : texts.metadata[index]!;
    if (index > 0) text += ',';
    text += `[${JSON.stringify(event.streamName)},"${event.streamVersion}",${JSON.stringify(event.eventId)},${JSON.stringify(event.type)},${data},${metadata},"${event.globalPosition.commit}","${event.globalPosition.prepare}"]`;
  }
  return `${text}]`;
}

/** The inverse of `committedEventsText`. */
export function parseCommittedEventsText(text: string): RecordedEvent[] {
  const rows = JSON.parse(text) as [string, string, string, string, RecordedEvent['data'], RecordedEvent['metadata'], string, string][];
  return rows.map(([streamName, streamVersion, eventId, type, data, metadata, commit, prepare]) => ({
    eventId, type, data, metadata, streamName, streamVersion: BigInt(streamVersion), globalPosition: { commit: BigInt(commit), prepare: BigInt(prepare) },
  }));
}

/** The worker's side: open the ledger, answer catch-ups in order, close on request. */
async function runWorker(settings: WorkerSettings): Promise<void> {
  const port = parentPort;
  if (port === null) throw new Error('the projection worker runs in a worker thread');
  // Imported here, not at the top: the parent thread of an import has its context built already.
  const { openLedgerContext } = await import('../core/ledger-context');
  const ledger = await openLedgerContext({ environment: settings.environment });
  const runtime = ledger.runtime;
  // Requests are served one at a time, in arrival order: the projector serialises its runs anyway.
  let queue: Promise<void> = Promise.resolve();
  port.on('message', (message: Request) => {
    queue = queue.then(async () => {
      if (message.kind === 'close') {
        await ledger.close();
        port.postMessage({ requestId: message.requestId, ok: true, eventsApplied: 0 } satisfies Reply);
        port.close();
        return;
      }
      try {
        if (message.kind === 'apply-committed') {
          const applied = await runtime.projector.applyCommitted(parseCommittedEventsText(message.eventsText));
          port.postMessage({ requestId: message.requestId, ok: true, eventsApplied: applied.eventsApplied, status: applied.status } satisfies Reply);
          return;
        }
        const result: CatchUpResult = await runtime.projector.catchUp();
        port.postMessage({ requestId: message.requestId, ok: true, eventsApplied: result.eventsApplied } satisfies Reply);
      } catch (error) {
        const text = error instanceof Error ? error.stack ?? error.message : String(error);
        port.postMessage({ requestId: message.requestId, ok: false, message: text } satisfies Reply);
      }
    });
  });
}

if (!isMainThread && (workerData as Partial<WorkerSettings> | null)?.kind === 'rsi-ledger-projection-worker') {
  // Not caught on purpose: a rejection ends the thread with the error, and the parent's
  // 'error' handler fails every waiting catch-up with it.
  void runWorker(workerData as WorkerSettings);
}
