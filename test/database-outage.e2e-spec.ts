/**
 * A database outage never kills `rsi-ledger serve`, and never robs the ledger.
 *
 * The test starts a PostgreSQL instance of its OWN (initdb into a temporary directory, its
 * own loopback port; the shared server is never touched), runs the built CLI's `serve`
 * against it as a child process (a crash shows as the child's exit), drives a bounded load
 * of receipts from 20 concurrent clients, and restarts PostgreSQL under that load: three
 * times `pg_ctl restart -m fast`, once `-m immediate` (a crash, with recovery from WAL).
 *
 * What a 503 means for the client: the request may or may not have been written (the append
 * may have committed just before the connection died, or the answer may have been lost
 * after the commit). It is safe to send it again: a receipt id is recorded at most once, so
 * a retry answers 201 (it was not written) or 200 already_recorded (it was). The test retries
 * every 503'd receipt after the recovery, then asserts that every receipt id is in the
 * event log exactly once.
 *
 * Skipped, visibly, when the PostgreSQL server binaries are not installed
 * (POSTGRES_BIN_DIRECTORY, default /usr/lib/postgresql/15/bin).
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import pg from 'pg';
import { runCli, type CliExit } from './support/cli-process';

const POSTGRES_BIN_DIRECTORY = process.env.POSTGRES_BIN_DIRECTORY ?? '/usr/lib/postgresql/15/bin';
const RUNUSER_PATH = '/usr/sbin/runuser';
const runningAsRoot = process.getuid?.() === 0;
/** PostgreSQL refuses to run as root: as root, its binaries run as the `postgres` user. */
const missing = [
  ...['initdb', 'pg_ctl'].map((name) => path.join(POSTGRES_BIN_DIRECTORY, name)),
  ...(runningAsRoot ? [RUNUSER_PATH] : []),
].filter((file) => !fs.existsSync(file));
const SKIP_REASON = `skipped: the database outage test needs PostgreSQL server binaries it can start itself (missing: ${missing.join(', ')}; set POSTGRES_BIN_DIRECTORY)`;
if (missing.length > 0) console.warn(SKIP_REASON);

const CONCURRENT_CLIENTS = 20;
/** Clients reading balances (each read catches the projector up) meanwhile. */
const READERS = 2;
/** Receipts the load may send at most (bounds the test's work whatever the machine's speed). */
const RECEIPTS_MAXIMUM = 6_000;
/** Receipts acknowledged between two outages: proof that the service recovered each time. */
const ACKNOWLEDGED_BETWEEN_OUTAGES = 40;
const RESTART_MODES = ['fast', 'fast', 'immediate', 'fast'] as const;
const REQUEST_TIMEOUT_MILLISECONDS = 30_000;
const WAIT_MAXIMUM_MILLISECONDS = 60_000;
const RETRY_ATTEMPTS_MAXIMUM = 10;
const DEVELOPER_COUNT = 4;
const CONTRACT = {
  currency: 'USD',
  effectiveFrom: '2026-01-01T00:00:00Z',
  platformShare: { tiers: [{ upTo: '100.00', rate: '0%' }, { rate: '15%' }], window: 'lifetime', scope: 'app' },
  holdDays: 14,
  minimumPayout: '50.00',
};

function sleep(milliseconds: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, milliseconds));
}

async function freeLoopbackPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Runs a PostgreSQL binary (as `postgres` when this process is root) and waits for it to exit. */
function runPostgresBinary(name: string, binaryArguments: string[]): Promise<{ code: number | null; output: string }> {
  const binary = path.join(POSTGRES_BIN_DIRECTORY, name);
  const [command, commandArguments] = runningAsRoot ? [RUNUSER_PATH, ['-u', 'postgres', '--', binary, ...binaryArguments]] : [binary, binaryArguments];
  return new Promise((resolve, reject) => {
    const child = spawn(command, commandArguments, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => { output += chunk; });
    child.stderr.on('data', (chunk) => { output += chunk; });
    child.on('error', reject);
    // 'exit', not 'close': the server that pg_ctl starts outlives it.
    child.on('exit', (code) => resolve({ code, output }));
  });
}

async function mustRunPostgresBinary(name: string, binaryArguments: string[]): Promise<void> {
  const { code, output } = await runPostgresBinary(name, binaryArguments);
  if (code !== 0) throw new Error(`${name} ${binaryArguments.join(' ')} exited ${code}: ${output}`);
}

type OwnPostgres = { port: number; url(databaseName: string): string; restart(mode: 'fast' | 'immediate'): Promise<void>; remove(): Promise<void> };

async function startOwnPostgres(): Promise<OwnPostgres> {
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'rsi-ledger-outage-'));
  const dataDirectory = path.join(directory, 'data');
  const logFile = path.join(directory, 'postgres.log');
  if (runningAsRoot) fs.chownSync(directory, Number(await idOf('-u')), Number(await idOf('-g')));
  const port = await freeLoopbackPort();
  const remove = async (): Promise<void> => {
    if (fs.existsSync(path.join(dataDirectory, 'postmaster.pid'))) {
      await runPostgresBinary('pg_ctl', ['stop', '-D', dataDirectory, '-m', 'immediate', '-w']).catch(() => undefined);
    }
    fs.rmSync(directory, { recursive: true, force: true });
  };
  try {
    await mustRunPostgresBinary('initdb', ['-D', dataDirectory, '-U', 'postgres', '--auth=trust', '--encoding=UTF8', '--no-sync']);
    // Its own socket directory and loopback only. fsync off: this instance's processes are
    // killed, never the machine, so what a commit wrote stays in the OS's page cache.
    const serverOptions = `-p ${port} -k ${directory} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=50`;
    await mustRunPostgresBinary('pg_ctl', ['start', '-D', dataDirectory, '-l', logFile, '-w', '-o', serverOptions]);
    return {
      port,
      url: (databaseName) => `postgres://postgres@127.0.0.1:${port}/${databaseName}`,
      async restart(mode) {
        await mustRunPostgresBinary('pg_ctl', ['restart', '-D', dataDirectory, '-l', logFile, '-m', mode, '-w', '-o', serverOptions]);
      },
      remove,
    };
  } catch (error) {
    const log = fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8') : '';
    await remove();
    throw new Error(`${error instanceof Error ? error.message : String(error)}\n${log}`);
  }
}

async function idOf(flag: '-u' | '-g'): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('id', [flag, 'postgres'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    child.stdout.on('data', (chunk) => { output += chunk; });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(output.trim()) : reject(new Error(`id ${flag} postgres exited ${code}`))));
  });
}

type Answer = { statusCode: number; retryAfter: string | null; code: string | null } | { statusCode: 'transport_error' | 'timeout'; message: string };

function postJson(baseUrl: string, route: string, body: unknown): Promise<Answer> {
  return answerOf(`${baseUrl}${route}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

function getJson(baseUrl: string, route: string): Promise<Answer> {
  return answerOf(`${baseUrl}${route}`, { method: 'GET' });
}

async function answerOf(url: string, init: RequestInit): Promise<Answer> {
  try {
    const response = await fetch(url, { ...init, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MILLISECONDS) });
    const text = await response.text();
    let code: string | null = null;
    try {
      code = (JSON.parse(text) as { code?: string }).code ?? null;
    } catch {
      code = null;
    }
    return { statusCode: response.status, retryAfter: response.headers.get('retry-after'), code };
  } catch (error) {
    const name = error instanceof Error ? error.name : '';
    return { statusCode: name === 'TimeoutError' ? 'timeout' : 'transport_error', message: error instanceof Error ? error.message : String(error) };
  }
}

function receiptOf(receiptNumber: number): Record<string, string> {
  return {
    receiptId: `outage-receipt-${receiptNumber}`,
    appId: `outage-app-${receiptNumber % DEVELOPER_COUNT}`,
    amount: '3.07',
    currency: 'USD',
    occurredAt: '2026-02-01T00:00:00Z',
  };
}

async function waitFor(what: string, condition: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + WAIT_MAXIMUM_MILLISECONDS;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

(missing.length === 0 ? describe : describe.skip)('database outage under load (own PostgreSQL instance, serve as a child process)', () => {
  let postgres: OwnPostgres | undefined;
  let serve: { child: ReturnType<typeof runCli>['child']; finished: Promise<CliExit> } | undefined;
  let serveExit: CliExit | null = null;
  /** Stops the load clients (also when an assertion failed in the middle of the load). */
  let stopLoad: () => Promise<void> = async () => undefined;

  afterAll(async () => {
    await stopLoad();
    if (serve && serveExit === null) {
      serve.child.kill('SIGKILL');
      await serve.finished;
    }
    await postgres?.remove();
  });

  it('answers 503 with Retry-After during every restart, never 500, survives, recovers by itself, and records every receipt exactly once', async () => {
    postgres = await startOwnPostgres();
    const administrator = new pg.Client({ connectionString: postgres.url('postgres') });
    administrator.on('error', () => undefined);
    await administrator.connect();
    await administrator.query('CREATE DATABASE ledger');
    await administrator.end();
    const databaseUrl = postgres.url('ledger');
    // No API keys: every request is api:anonymous (the keys are not what is tested here).
    const environment: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: databaseUrl };
    delete environment.RSI_API_KEYS;

    serve = runCli(['serve', '--port', '0'], environment);
    void serve.finished.then((exit) => { serveExit = exit; });
    let stderr = '';
    serve.child.stderr!.on('data', (chunk) => { stderr += chunk; });
    let stdout = '';
    serve.child.stdout!.on('data', (chunk) => { stdout += chunk; });
    await waitFor('serve to listen', async () => serveExit !== null || /listening on http:\/\/127\.0\.0\.1:\d+/.test(stderr));
    if (serveExit !== null) throw new Error(`serve exited at start: ${JSON.stringify(serveExit)}`);
    const baseUrl = `http://127.0.0.1:${/listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(stderr)![1]}`;

    for (let index = 0; index < DEVELOPER_COUNT; index += 1) {
      expect((await postJson(baseUrl, '/v1/developers', { developerId: `outage-dev-${index}`, name: `Outage ${index}`, country: 'NG' })).statusCode).toBe(201);
      expect((await postJson(baseUrl, '/v1/apps', { appId: `outage-app-${index}`, developerId: `outage-dev-${index}`, name: `App ${index}`, contract: CONTRACT })).statusCode).toBe(201);
    }

    // The load: every receipt has its own id; each answer is kept by receipt number.
    const answers = new Map<number, Answer>();
    let nextReceiptNumber = 0;
    let acknowledged = 0;
    let loadStopped = false;
    const unavailableAnswers: { statusCode: number; retryAfter: string | null; code: string | null }[] = [];
    const client = async (): Promise<void> => {
      while (!loadStopped && nextReceiptNumber < RECEIPTS_MAXIMUM) {
        const receiptNumber = nextReceiptNumber;
        nextReceiptNumber += 1;
        const answer = await postJson(baseUrl, '/v1/receipts', receiptOf(receiptNumber));
        answers.set(receiptNumber, answer);
        if (answer.statusCode === 201 || answer.statusCode === 200) acknowledged += 1;
        if (answer.statusCode === 503) {
          unavailableAnswers.push(answer);
          // What a client does with Retry-After, shortened: do not hammer the server.
          await sleep(100);
        }
      }
    };
    // Readers too: a balance read first catches the projector up (a database round trip).
    const readAnswers: Answer[] = [];
    const reader = async (readerNumber: number): Promise<void> => {
      while (!loadStopped && readAnswers.length < RECEIPTS_MAXIMUM) {
        readAnswers.push(await getJson(baseUrl, `/v1/developers/outage-dev-${readerNumber}/balances`));
        await sleep(50);
      }
    };
    const clients = [
      ...Array.from({ length: CONCURRENT_CLIENTS }, () => client()),
      ...Array.from({ length: READERS }, (_, readerNumber) => reader(readerNumber)),
    ];
    stopLoad = async () => {
      loadStopped = true;
      await Promise.all(clients);
    };

    const outageWindows: { mode: string; startedAtMilliseconds: number; endedAtMilliseconds: number }[] = [];
    const loadStartedAtMilliseconds = Date.now();
    for (const mode of RESTART_MODES) {
      const acknowledgedBefore = acknowledged;
      await waitFor(`${ACKNOWLEDGED_BETWEEN_OUTAGES} receipts acknowledged before the ${mode} restart`, async () => acknowledged >= acknowledgedBefore + ACKNOWLEDGED_BETWEEN_OUTAGES || serveExit !== null);
      expect(serveExit).toBeNull();
      const startedAtMilliseconds = Date.now();
      await postgres.restart(mode);
      outageWindows.push({ mode, startedAtMilliseconds, endedAtMilliseconds: Date.now() });
      expect(serveExit).toBeNull();
    }
    // Recovery without a restart of serve: the health check and new receipts answer again.
    await waitFor('the health check to answer 200 after the last restart', async () => {
      const response = await fetch(`${baseUrl}/health`, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MILLISECONDS) }).catch(() => null);
      return response?.status === 200;
    });
    const acknowledgedAfterLastRestart = acknowledged;
    await waitFor('receipts acknowledged after the last restart', async () => acknowledged >= acknowledgedAfterLastRestart + ACKNOWLEDGED_BETWEEN_OUTAGES || nextReceiptNumber >= RECEIPTS_MAXIMUM);
    await stopLoad();
    expect(serveExit).toBeNull();

    const all = [...answers.values()];
    const countOf = (statusCode: Answer['statusCode']) => all.filter((answer) => answer.statusCode === statusCode).length;
    console.log(
      `database outage test: ${answers.size} receipts sent by ${CONCURRENT_CLIENTS} clients in ${Date.now() - loadStartedAtMilliseconds} ms; ` +
      `${countOf(201)} answered 201, ${countOf(200)} 200, ${countOf(503)} 503 database_unavailable; outage windows (ms from the load's start): ` +
      outageWindows.map((window) => `${window.mode} ${window.startedAtMilliseconds - loadStartedAtMilliseconds}–${window.endedAtMilliseconds - loadStartedAtMilliseconds}`).join(', '),
    );
    // Every answer is a 2xx or a clean 503: no 500, no other status, no hang, no cut connection.
    const unexpected = all.filter((answer) => answer.statusCode !== 201 && answer.statusCode !== 200 && answer.statusCode !== 503);
    expect(unexpected).toEqual([]);
    expect(unavailableAnswers.length).toBeGreaterThanOrEqual(1);
    for (const answer of unavailableAnswers) {
      expect(answer.code).toBe('database_unavailable');
      expect(answer.retryAfter).toMatch(/^[1-9]\d*$/);
    }
    const unavailableReads = readAnswers.filter((answer) => answer.statusCode === 503);
    console.log(`database outage test: ${readAnswers.length} balance reads, ${unavailableReads.length} answered 503`);
    expect(readAnswers.filter((answer) => answer.statusCode !== 200 && answer.statusCode !== 503)).toEqual([]);
    expect(unavailableReads.length).toBeGreaterThanOrEqual(1);
    for (const answer of unavailableReads) {
      expect(answer.statusCode === 503 && answer.code).toBe('database_unavailable');
      expect(answer.statusCode === 503 && answer.retryAfter).toMatch(/^[1-9]\d*$/);
    }

    // Every 503'd receipt sent again after the recovery: recorded now (201), or found
    // recorded by the request that failed after its commit (200 already_recorded).
    let retriedAlreadyRecorded = 0;
    for (const [receiptNumber, answer] of answers) {
      if (answer.statusCode !== 503) continue;
      let retried: Answer | undefined;
      for (let attempt = 1; attempt <= RETRY_ATTEMPTS_MAXIMUM; attempt += 1) {
        retried = await postJson(baseUrl, '/v1/receipts', receiptOf(receiptNumber));
        if (retried.statusCode !== 503) break;
        await sleep(500);
      }
      expect([200, 201]).toContain(retried!.statusCode);
      if (retried!.statusCode === 200) retriedAlreadyRecorded += 1;
    }
    console.log(`database outage test: ${unavailableAnswers.length} receipts retried after the recovery, ${retriedAlreadyRecorded} of them had been written before their 503`);

    // The ledger: every receipt sent is recorded exactly once, none more.
    const ledger = new pg.Client({ connectionString: databaseUrl });
    ledger.on('error', () => undefined);
    await ledger.connect();
    try {
      const recorded = await ledger.query<{ receipt_id: string; count: string }>(
        `SELECT data->>'receiptId' AS receipt_id, count(*)::text AS count FROM events WHERE type = 'RevenueRecorded' GROUP BY 1`,
      );
      const countByReceipt = new Map(recorded.rows.map((row) => [row.receipt_id, Number(row.count)]));
      expect([...countByReceipt.values()].filter((count) => count !== 1)).toEqual([]);
      const missingReceipts = [...answers.keys()].map((receiptNumber) => receiptOf(receiptNumber).receiptId).filter((receiptId) => countByReceipt.get(receiptId) !== 1);
      expect(missingReceipts).toEqual([]);
      expect(countByReceipt.size).toBe(answers.size);

      // The background projector caught up by itself: its checkpoint is the head of the log.
      await waitFor('the projector checkpoint to reach the head of the event log', async () => {
        const head = await ledger.query<{ commit: string; prepare: string }>(
          `SELECT transaction_id::text AS commit, position::text AS prepare FROM events ORDER BY transaction_id DESC, position DESC LIMIT 1`,
        );
        const checkpoint = await ledger.query<{ commit: string; prepare: string }>(
          `SELECT commit_position::text AS commit, prepare_position::text AS prepare FROM projection_checkpoints WHERE projection_name = 'ledger'`,
        );
        return checkpoint.rows.length === 1 && checkpoint.rows[0].commit === head.rows[0].commit && checkpoint.rows[0].prepare === head.rows[0].prepare;
      });
      const splits = await ledger.query<{ count: string }>(`SELECT count(*)::text AS count FROM splits WHERE receipt_id LIKE 'outage-receipt-%'`);
      expect(Number(splits.rows[0].count)).toBe(answers.size);
    } finally {
      await ledger.end();
    }

    // The projector logged each outage once at most, not once per attempt, and its resumption.
    const projectorOutageLines = stdout.split('\n').filter((line) => line.includes('projector ledger: the database is unavailable')).length;
    const projectorResumedLines = stdout.split('\n').filter((line) => line.includes('projector ledger: the database is available again')).length;
    console.log(`database outage test: the projector logged ${projectorOutageLines} outage(s) and ${projectorResumedLines} resumption(s) for ${RESTART_MODES.length} restarts`);
    expect(projectorOutageLines).toBeLessThanOrEqual(RESTART_MODES.length);
    expect(projectorResumedLines).toBe(projectorOutageLines);
    expect(stderr).not.toContain('Unhandled');

    // A clean stop after all that, then the auditor's verification of the whole ledger.
    serve.child.kill('SIGTERM');
    const exit = await serve.finished;
    expect(exit.code).toBe(0);
    const verify = await runCli(['verify'], environment).finished;
    const report = JSON.parse(verify.stdout) as { ok: boolean; checks: { name: string; ok: boolean }[] };
    expect(report.checks.filter((check) => !check.ok)).toEqual([]);
    expect(report.ok).toBe(true);
    expect(verify.code).toBe(0);
  }, 10 * 60_000);
});
