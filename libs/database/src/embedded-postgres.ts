import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';

/**
 * An embedded PostgreSQL: PGlite (PostgreSQL compiled to WebAssembly, in a worker thread
 * of this process) persisted in a data directory, served over the PostgreSQL wire protocol on 127.0.0.1 by
 * `@electric-sql/pglite-socket`, so that `pg` and TypeORM use it like any server.
 *
 * Constraint: PGlite is ONE PostgreSQL backend, so it runs one session and one
 * transaction at a time. `database-connection.ts` therefore gives the whole process a
 * single connection (pg pool of one, shared with TypeORM); see docs/event-store.md.
 */
export type EmbeddedPostgres = {
  connectionString: string;
  dataDirectory: string;
  stop(): Promise<void>;
};

export class EmbeddedDatabaseLockedError extends Error {
  readonly code = 'embedded_database_locked';
  constructor(readonly dataDirectory: string, readonly lockHolderProcessId: number) {
    super(
      `the embedded database in ${dataDirectory} is in use by process ${lockHolderProcessId}; ` +
        `stop that process or use another --data-dir (if no such process runs, delete ${path.join(dataDirectory, LOCK_FILE_NAME)})`,
    );
    this.name = 'EmbeddedDatabaseLockedError';
  }
}

const LOCK_FILE_NAME = 'rsi-ledger.lock';
const POSTGRES_DIRECTORY_NAME = 'postgres';
/** A stale lock is removed and the lock taken again; more attempts mean another process keeps racing us. */
const LOCK_ATTEMPTS_MAXIMUM = 3;
/**
 * The pool holds one connection; the second slot only absorbs the moment when a broken
 * socket is replaced before the server has noticed the old one closing.
 */
const SOCKET_CONNECTIONS_MAXIMUM = 2;

export async function startEmbeddedPostgres(options: { dataDirectory: string }): Promise<EmbeddedPostgres> {
  const dataDirectory = path.resolve(options.dataDirectory);
  fs.mkdirSync(dataDirectory, { recursive: true });
  const releaseLock = acquireDataDirectoryLock(dataDirectory);
  let worker: Worker | undefined;
  try {
    const postgresDirectory = path.join(dataDirectory, POSTGRES_DIRECTORY_NAME);
    if (!fs.existsSync(path.join(postgresDirectory, 'PG_VERSION'))) await initializeInChildProcess(postgresDirectory);
    worker = new Worker(EMBEDDED_POSTGRES_WORKER_SOURCE, {
      eval: true,
      workerData: {
        pgliteModulePath: require.resolve('@electric-sql/pglite'),
        pgliteSocketModulePath: require.resolve('@electric-sql/pglite-socket'),
        postgresDirectory,
        sharedBuffersMebibytes: EMBEDDED_SHARED_BUFFERS_MEBIBYTES,
        socketConnectionsMaximum: SOCKET_CONNECTIONS_MAXIMUM,
      } satisfies EmbeddedPostgresWorkerData,
    });
    // A worker 'error' with no listener would crash the whole process; the pool reports the lost database instead.
    worker.on('error', (error) => console.error(`rsi-ledger: embedded PostgreSQL failed: ${error.message}`));
    const started = await nextWorkerMessage(worker, START_TIMEOUT_MILLISECONDS);
    if (started.kind !== 'started') throw new Error(`embedded PostgreSQL did not start: ${started.kind === 'failed' ? started.message : started.kind}`);
    const startedWorker = worker;
    let stopping: Promise<void> | undefined;
    return {
      connectionString: `postgres://postgres@127.0.0.1:${started.port}/postgres`,
      dataDirectory,
      stop() {
        stopping ??= (async () => {
          try {
            startedWorker.postMessage({ kind: 'stop' });
            const stopped = await nextWorkerMessage(startedWorker, STOP_TIMEOUT_MILLISECONDS);
            if (stopped.kind !== 'stopped') throw new Error(`embedded PostgreSQL did not stop cleanly: ${stopped.kind === 'failed' ? stopped.message : stopped.kind}`);
          } finally {
            await startedWorker.terminate();
            releaseLock();
          }
        })();
        return stopping;
      },
    };
  } catch (error) {
    await worker?.terminate().catch(() => undefined);
    releaseLock();
    throw error;
  }
}

type EmbeddedPostgresWorkerData = {
  pgliteModulePath: string;
  pgliteSocketModulePath: string;
  postgresDirectory: string;
  sharedBuffersMebibytes: number;
  socketConnectionsMaximum: number;
};

/**
 * PostgreSQL's buffer cache inside the WebAssembly memory. PGlite's default is 128 MiB, and
 * a WebAssembly memory never shrinks: after one large import every page of it is resident
 * for the life of the process. The embedded database is one backend on local files, so the
 * operating system's page cache serves the rest; 32 MiB keeps a long-running process's
 * memory flat (docs/benchmarks.md, issue 17).
 */
const EMBEDDED_SHARED_BUFFERS_MEBIBYTES = 32;

/**
 * A new data directory is initialised (PGlite's initdb) in a child process that exits
 * when done. Why: initdb is a second WebAssembly program with a memory of its own, which
 * PGlite keeps for as long as the database stays open; run in this process it adds about
 * 270 MiB that the ledger never uses again (measured: an embedded 100k import peaks at 945 MiB
 * with initdb in the process, 673 MiB without).
 */
function initializeInChildProcess(postgresDirectory: string): Promise<void> {
  const source = `const { PGlite } = require(process.argv[1]);
PGlite.create({ dataDir: process.argv[2] }).then((database) => database.close()).then(
  () => process.exit(0),
  (error) => { process.stderr.write(String(error && error.stack || error)); process.exit(1); },
);`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', source, require.resolve('@electric-sql/pglite'), postgresDirectory], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => { stderr = (stderr + chunk.toString('utf8')).slice(-4_000); });
    const timer = setTimeout(() => child.kill('SIGKILL'), START_TIMEOUT_MILLISECONDS);
    child.once('error', (error) => { clearTimeout(timer); reject(error); });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`initialising the embedded database in ${postgresDirectory} failed (${signal ?? `exit ${code}`}): ${stderr.trim()}`));
    });
  });
}

type WorkerMessage = { kind: 'started'; port: number } | { kind: 'stopped' } | { kind: 'failed'; message: string } | { kind: 'exited'; exitCode: number };

/** First-time initdb of PGlite takes several seconds on a slow machine. */
const START_TIMEOUT_MILLISECONDS = 120_000;
const STOP_TIMEOUT_MILLISECONDS = 60_000;

function nextWorkerMessage(worker: Worker, timeoutMilliseconds: number): Promise<WorkerMessage> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => finish(() => reject(new Error(`embedded PostgreSQL did not answer within ${timeoutMilliseconds} ms`))), timeoutMilliseconds);
    const onMessage = (message: WorkerMessage) => finish(() => resolve(message));
    const onError = (error: Error) => finish(() => reject(error));
    const onExit = (exitCode: number) => finish(() => resolve({ kind: 'exited', exitCode }));
    function finish(settle: () => void) {
      clearTimeout(timer);
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
      settle();
    }
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onExit);
  });
}

/**
 * PGlite runs in a worker thread, not in the caller's thread, for two reasons:
 * - its WebAssembly work (every query) then never blocks the caller's event loop (HTTP
 *   requests, the pg client's parsing), and
 * - PGlite loads itself with dynamic `import()`, which fails inside jest's module sandbox;
 *   a worker thread loads modules with plain Node.
 * The source is inline (plain CommonJS) so that it runs the same from `ts` sources under
 * jest and from the compiled `dist`.
 */
const EMBEDDED_POSTGRES_WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { PGlite } = require(workerData.pgliteModulePath);
const { PGLiteSocketServer } = require(workerData.pgliteSocketModulePath);
let database;
let server;
async function start() {
  database = await PGlite.create({
    dataDir: workerData.postgresDirectory,
    startParams: [...PGlite.defaultStartParams, '-c', 'shared_buffers=' + workerData.sharedBuffersMebibytes + 'MB'],
  });
  // Port 0: the operating system picks a free port, so parallel processes (and jest workers) never collide.
  server = new PGLiteSocketServer({ db: database, host: '127.0.0.1', port: 0, maxConnections: workerData.socketConnectionsMaximum });
  await server.start();
  const port = Number(server.getServerConn().split(':').pop());
  parentPort.postMessage({ kind: 'started', port });
}
async function stop() {
  if (server) await server.stop();
  if (database) {
    // syncToFs first so that nothing stays in memory; close() shuts PostgreSQL down cleanly.
    await database.syncToFs();
    await database.close();
  }
}
parentPort.on('message', (message) => {
  if (message.kind !== 'stop') return;
  stop().then(
    () => { parentPort.postMessage({ kind: 'stopped' }); parentPort.close(); },
    (error) => { parentPort.postMessage({ kind: 'failed', message: String(error && error.stack || error) }); },
  );
});
start().catch(async (error) => {
  parentPort.postMessage({ kind: 'failed', message: String(error && error.stack || error) });
  await stop().catch(() => undefined);
});
`;

/**
 * Two processes writing one PGlite data directory would corrupt it (PGlite has no
 * postmaster.pid of its own), so the first one holds a lock file with its process id. A
 * lock left by a process that no longer runs is stale and taken over.
 */
function acquireDataDirectoryLock(dataDirectory: string): () => void {
  const lockPath = path.join(dataDirectory, LOCK_FILE_NAME);
  const lockContent = JSON.stringify({ processId: process.pid, hostname: os.hostname(), startedAt: new Date().toISOString() });
  for (let attempt = 1; attempt <= LOCK_ATTEMPTS_MAXIMUM; attempt += 1) {
    try {
      fs.writeFileSync(lockPath, lockContent, { flag: 'wx' });
      let released = false;
      return () => {
        if (released) return;
        released = true;
        try {
          fs.unlinkSync(lockPath);
        } catch {
          // Already gone: nothing to release.
        }
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = readLockHolder(lockPath);
    // Same process too: a second open in this process would run a second PGlite on the same files.
    if (holder !== undefined && holder.hostname === os.hostname() && isProcessRunning(holder.processId)) {
      throw new EmbeddedDatabaseLockedError(dataDirectory, holder.processId);
    }
    if (holder !== undefined && holder.hostname !== os.hostname()) {
      // A lock from another machine (shared folder): we cannot tell whether it runs, so refuse.
      throw new EmbeddedDatabaseLockedError(dataDirectory, holder.processId);
    }
    try {
      fs.unlinkSync(lockPath);
    } catch {
      // Another process removed it first; the next attempt decides.
    }
  }
  throw new Error(`could not lock ${lockPath} after ${LOCK_ATTEMPTS_MAXIMUM} attempts`);
}

function readLockHolder(lockPath: string): { processId: number; hostname: string } | undefined {
  try {
    const parsed = JSON.parse(fs.readFileSync(lockPath, 'utf8')) as { processId?: unknown; hostname?: unknown };
    if (typeof parsed.processId === 'number' && typeof parsed.hostname === 'string') {
      return { processId: parsed.processId, hostname: parsed.hostname };
    }
  } catch {
    // Unreadable or half-written: treated as stale.
  }
  return undefined;
}

function isProcessRunning(processId: number): boolean {
  try {
    process.kill(processId, 0);
    return true;
  } catch (error) {
    // EPERM: it runs, under another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
