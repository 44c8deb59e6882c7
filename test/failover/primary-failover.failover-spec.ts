/**
 * The primary database dies and no acknowledged receipt is lost (`npm run test:failover`;
 * not part of `npm test`: it builds a whole replicated topology and takes minutes).
 *
 * Built by failover-topology.ts in a temporary directory, on its own ports: a
 * pg_auto_failover monitor, a PostgreSQL primary with a synchronous standby, haproxy routing
 * to whichever node is the primary, and two `rsi-ledger serve` processes (the built CLI)
 * reaching the database only through haproxy. Then, under a bounded load of single receipts
 * spread over both API instances:
 *
 * 1. the primary's node is lost: its postmaster and its keeper are killed (SIGKILL, the
 *    whole process group). Only the postmaster would not do: a living keeper restarts it
 *    within a second, which is a restart (test/database-outage.e2e-spec.ts), not a failover;
 * 2. the monitor promotes the standby, haproxy's check finds the new primary;
 * 3. the API instances answer 503 `database_unavailable` meanwhile and recover by themselves;
 * 4. every receipt answered 2xx is in the ledger exactly once (checked before any retry:
 *    that is "lost"), a 503'd one retried is recorded once, nothing else is; the projector
 *    caught up; `rsi-ledger verify` passes;
 * 5. the API instance holding the projector (advisory lock) is killed and the other takes over;
 * 6. the lost node's keeper is started again: it rejoins as the standby and writes are
 *    synchronous again.
 *
 * Measured and printed: the outage window (first refused to first accepted request), the
 * requests refused, receipts lost and duplicated, and the throughput of single receipts on
 * the synchronous pair against a lone primary (same proxy, same load) in the same run.
 *
 * Skipped, visibly, when pg_autoctl, haproxy or the PostgreSQL server binaries are missing.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runCli, type CliExit } from '../support/cli-process';
import { FailoverTopology, freeLoopbackPort, missingTools, queryOnce, sleep, waitFor, type DataNode } from './failover-topology';

const missing = missingTools();
const SKIP_REASON = `skipped: the failover test needs ${missing.join(', ')} (apt-get install postgresql-15-auto-failover haproxy)`;
if (missing.length > 0) console.warn(SKIP_REASON);

/** Concurrent clients of the load, spread over the two API instances. */
const CONCURRENT_CLIENTS = 8;
/** Receipts of each throughput measurement (the lone primary, then the synchronous pair). */
const THROUGHPUT_RECEIPTS = 400;
/** Upper bound of the failover load, whatever the machine's speed. */
const FAILOVER_RECEIPTS_MAXIMUM = 4_000;
/** Receipts acknowledged before the primary is killed, and after the recovery. */
const ACKNOWLEDGED_AROUND_FAILOVER = 100;
/** Receipts sent to the surviving instance after the projector's holder is killed. */
const RECEIPTS_AFTER_PROJECTOR_HANDOVER = 20;
const REQUEST_TIMEOUT_MILLISECONDS = 30_000;
const RETRY_ATTEMPTS_MAXIMUM = 20;
/**
 * Developers the receipts are spread over. Two instances writing one developer's stream at
 * the same moment conflict (its expected version); with few developers every batch of one
 * instance meets every batch of the other, a contention a platform with many developers
 * does not have. A conflict that outlives the retries is a 503 write_contention (nothing
 * written), which the load's clients send again.
 */
const DEVELOPER_COUNT = 32;
/** Sends of one receipt answered 503 write_contention before the client gives up. */
const CONTENTION_RETRIES_MAXIMUM = 10;
const CONTRACT = {
  currency: 'USD',
  effectiveFrom: '2026-01-01T00:00:00Z',
  platformShare: { tiers: [{ upTo: '100.00', rate: '0%' }, { rate: '15%' }], window: 'lifetime', scope: 'app' },
  holdDays: 14,
  minimumPayout: '50.00',
};
/** Longer than haproxy's first check and its timeout (inter 1 s, timeout check 3 s). */
const PROXY_SETTLE_MILLISECONDS = 5_000;
const PROJECTOR_ACTIVE_LINE = 'projector ledger: active on this instance';

type Answer = {
  statusCode: number | 'transport_error' | 'timeout';
  code: string | null;
  retryAfter: string | null;
  startedAtMilliseconds: number;
  answeredAtMilliseconds: number;
};

const accepted = (answer: Answer) => answer.statusCode === 200 || answer.statusCode === 201;

async function postJson(baseUrl: string, route: string, body: unknown): Promise<Answer> {
  const startedAtMilliseconds = Date.now();
  try {
    const response = await fetch(`${baseUrl}${route}`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal: AbortSignal.timeout(REQUEST_TIMEOUT_MILLISECONDS),
    });
    const text = await response.text();
    let code: string | null = null;
    try {
      code = (JSON.parse(text) as { code?: string }).code ?? null;
    } catch {
      code = null;
    }
    return { statusCode: response.status, code, retryAfter: response.headers.get('retry-after'), startedAtMilliseconds, answeredAtMilliseconds: Date.now() };
  } catch (error) {
    const timedOut = error instanceof Error && error.name === 'TimeoutError';
    return { statusCode: timedOut ? 'timeout' : 'transport_error', code: null, retryAfter: null, startedAtMilliseconds, answeredAtMilliseconds: Date.now() };
  }
}

function receiptOf(prefix: string, receiptNumber: number): Record<string, string> {
  return {
    receiptId: `${prefix}-receipt-${receiptNumber}`,
    appId: `failover-app-${receiptNumber % DEVELOPER_COUNT}`,
    amount: '3.07',
    currency: 'USD',
    occurredAt: '2026-02-01T00:00:00Z',
  };
}

type ServeProcess = {
  name: string;
  child: ReturnType<typeof runCli>['child'];
  finished: Promise<CliExit>;
  baseUrl: string;
  /** When each "projector ledger: active on this instance" line arrived. */
  projectorActiveAt: number[];
  exit(): CliExit | null;
};

async function startServe(name: string, environment: NodeJS.ProcessEnv): Promise<ServeProcess> {
  const port = await freeLoopbackPort();
  const { child, finished } = runCli(['serve', '--port', String(port)], environment, { workingDirectory: environment.RSI_FAILOVER_DIRECTORY });
  let stderr = '';
  let exit: CliExit | null = null;
  const projectorActiveAt: number[] = [];
  child.stdout!.pipe(fs.createWriteStream(path.join(environment.RSI_FAILOVER_DIRECTORY!, `${name}.out.log`), { flags: 'a' }));
  child.stderr!.pipe(fs.createWriteStream(path.join(environment.RSI_FAILOVER_DIRECTORY!, `${name}.err.log`), { flags: 'a' }));
  let pendingLine = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    const lines = (pendingLine + chunk.toString('utf8')).split('\n');
    pendingLine = lines.pop()!;
    for (const line of lines) if (line.includes(PROJECTOR_ACTIVE_LINE)) projectorActiveAt.push(Date.now());
  });
  child.stderr!.on('data', (chunk) => { stderr += chunk; });
  void finished.then((result) => { exit = result; });
  await waitFor(`${name} to listen`, async () => exit !== null || stderr.includes('listening on http://'));
  if (exit !== null) throw new Error(`${name} exited at start: ${JSON.stringify(exit)}`);
  return { name, child, finished, baseUrl: `http://127.0.0.1:${port}`, projectorActiveAt, exit: () => exit };
}

async function stopServe(serve: ServeProcess): Promise<void> {
  if (serve.exit() !== null) return;
  serve.child.kill('SIGTERM');
  await Promise.race([serve.finished, sleep(15_000)]);
  if (serve.exit() === null) {
    serve.child.kill('SIGKILL');
    await serve.finished;
  }
}

async function registerDevelopersAndApps(baseUrl: string): Promise<void> {
  for (let index = 0; index < DEVELOPER_COUNT; index += 1) {
    expect((await postJson(baseUrl, '/v1/developers', { developerId: `failover-dev-${index}`, name: `Failover ${index}`, country: 'NG' })).statusCode).toBe(201);
    expect((await postJson(baseUrl, '/v1/apps', { appId: `failover-app-${index}`, developerId: `failover-dev-${index}`, name: `App ${index}`, contract: CONTRACT })).statusCode).toBe(201);
  }
}

/**
 * The load: `CONCURRENT_CLIENTS` clients, client i sending to instance i mod 2, each receipt
 * once (its number taken from a shared counter). A 503 is not retried here (a retry would
 * hide a lost receipt); the client waits a moment, as Retry-After asks, and sends the next.
 */
class ReceiptLoad {
  readonly answers = new Map<number, Answer>();
  acknowledged = 0;
  /** Answers 503 write_contention, each followed by a send of the same receipt. */
  contentionRetries = 0;
  private nextReceiptNumber = 0;
  private stopped = false;
  private readonly clients: Promise<void>[];

  constructor(readonly prefix: string, private readonly baseUrls: string[], private readonly receiptsMaximum: number) {
    this.clients = Array.from({ length: CONCURRENT_CLIENTS }, (_, clientNumber) => this.client(baseUrls[clientNumber % baseUrls.length]));
  }

  private async client(baseUrl: string): Promise<void> {
    while (!this.stopped && this.nextReceiptNumber < this.receiptsMaximum) {
      const receiptNumber = this.nextReceiptNumber;
      this.nextReceiptNumber += 1;
      let answer = await postJson(baseUrl, '/v1/receipts', receiptOf(this.prefix, receiptNumber));
      // Nothing was written: sending it again cannot hide a lost receipt (only 2xx count as acknowledged).
      for (let retry = 1; answer.code === 'write_contention' && retry <= CONTENTION_RETRIES_MAXIMUM; retry += 1) {
        this.contentionRetries += 1;
        await sleep(100);
        answer = await postJson(baseUrl, '/v1/receipts', receiptOf(this.prefix, receiptNumber));
      }
      this.answers.set(receiptNumber, answer);
      if (accepted(answer)) this.acknowledged += 1;
      else await sleep(100);
    }
  }

  get exhausted(): boolean {
    return this.nextReceiptNumber >= this.receiptsMaximum;
  }

  async finished(): Promise<void> {
    await Promise.all(this.clients);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.clients);
  }
}

/** Receipts per second of a complete load (every receipt answered 2xx: no outage during it). */
async function measureThroughput(prefix: string, baseUrls: string[]): Promise<{ receiptsPerSecond: number; elapsedMilliseconds: number; contentionRetries: number }> {
  const startedAtMilliseconds = Date.now();
  const load = new ReceiptLoad(prefix, baseUrls, THROUGHPUT_RECEIPTS);
  await load.finished();
  const elapsedMilliseconds = Date.now() - startedAtMilliseconds;
  expect([...load.answers.values()].filter((answer) => !accepted(answer))).toEqual([]);
  return { receiptsPerSecond: (THROUGHPUT_RECEIPTS * 1000) / elapsedMilliseconds, elapsedMilliseconds, contentionRetries: load.contentionRetries };
}

async function receiptCounts(databaseUrl: string, prefix: string): Promise<Map<string, number>> {
  const rows = await queryOnce<{ receipt_id: string; count: string }>(
    databaseUrl,
    `SELECT data->>'receiptId' AS receipt_id, count(*)::text AS count FROM events WHERE type = 'RevenueRecorded' AND data->>'receiptId' LIKE $1 GROUP BY 1`,
    [`${prefix}-receipt-%`],
  );
  return new Map(rows.map((row) => [row.receipt_id, Number(row.count)]));
}

async function projectorCaughtUp(databaseUrl: string): Promise<boolean> {
  const head = await queryOnce<{ commit: string; prepare: string }>(databaseUrl, 'SELECT transaction_id::text AS commit, position::text AS prepare FROM events ORDER BY transaction_id DESC, position DESC LIMIT 1');
  const checkpoint = await queryOnce<{ commit: string; prepare: string }>(databaseUrl, `SELECT commit_position::text AS commit, prepare_position::text AS prepare FROM projection_checkpoints WHERE projection_name = 'ledger'`);
  return checkpoint.length === 1 && checkpoint[0].commit === head[0].commit && checkpoint[0].prepare === head[0].prepare;
}

(missing.length === 0 ? describe : describe.skip)('failover of the primary PostgreSQL under load (pg_auto_failover, haproxy, two serve instances)', () => {
  let topology: FailoverTopology | undefined;
  const serves: ServeProcess[] = [];
  let load: ReceiptLoad | undefined;
  /** The data node killed by the failover step, and the one promoted. */
  let lostNode: DataNode | undefined;
  let promotedNode: DataNode | undefined;
  const report: string[] = [];

  afterAll(async () => {
    await load?.stop();
    await Promise.all(serves.map((serve) => stopServe(serve).catch(() => undefined)));
    await topology?.remove();
    console.log(`failover test report:\n${report.map((line) => `  ${line}`).join('\n')}`);
  });

  function serveEnvironment(databasePort: number, readReplicaPort: number | null): NodeJS.ProcessEnv {
    const environment: NodeJS.ProcessEnv = {
      ...process.env,
      DATABASE_URL: topology!.urlAt(databasePort),
      XDG_CONFIG_HOME: topology!.directory,
      RSI_FAILOVER_DIRECTORY: topology!.directory,
    };
    if (readReplicaPort === null) delete environment.DATABASE_READ_URL;
    else environment.DATABASE_READ_URL = topology!.urlAt(readReplicaPort);
    delete environment.RSI_API_KEYS;
    delete environment.RSI_API_LOG;
    return environment;
  }

  it('builds the topology: a primary with a synchronous standby under the monitor, haproxy in front', async () => {
    topology = await FailoverTopology.create();
    await topology.startMonitor();
    topology.startDataNode(0);
    await topology.waitForStates({ node1: ['single'] }, null);
    topology.startDataNode(1);
    await topology.waitForStates({ node1: ['primary'], node2: ['secondary'] }, topology.nodePorts[0]);
    await topology.startSinglePrimary();
    topology.startProxy();
    // haproxy counts every server up until its first check fails: wait for the checks to settle.
    await sleep(PROXY_SETTLE_MILLISECONDS);
    await waitFor('haproxy to route only to the primary and only to the standby', async () => {
      for (let connection = 0; connection < 6; connection += 1) {
        if ((await queryOnce<{ port: number }>(topology!.urlAt(topology!.primaryProxyPort), 'SELECT inet_server_port() AS port'))[0].port !== topology!.nodePorts[0]) return false;
        if ((await queryOnce<{ port: number }>(topology!.urlAt(topology!.standbyProxyPort), 'SELECT inet_server_port() AS port'))[0].port !== topology!.nodePorts[1]) return false;
      }
      return (await queryOnce(topology!.urlAt(topology!.singleProxyPort), 'SELECT 1')).length === 1;
    });

    // Writes are acknowledged only once the standby has them: the primary waits for one
    // standby (pg_auto_failover's quorum of number_sync_standbys + 1 = 1) to flush each commit.
    const settings = await queryOnce<{ names: string; commit: string }>(topology.urlAt(topology.nodePorts[0]), `SELECT current_setting('synchronous_standby_names') AS names, current_setting('synchronous_commit') AS commit`);
    expect(settings[0].names).toMatch(/^ANY 1 \(pgautofailover_standby_\d+\)$/);
    expect(settings[0].commit).toBe('on');
    const formation = await queryOnce<{ number_sync_standbys: number }>(topology.monitorUrl, `SELECT number_sync_standbys FROM pgautofailover.formation WHERE formationid = 'default'`);
    expect(Number(formation[0].number_sync_standbys)).toBe(0);
    const replication = await queryOnce<{ sync_state: string }>(topology.urlAt(topology.nodePorts[0], 'postgres'), 'SELECT sync_state FROM pg_stat_replication');
    expect(replication.map((row) => row.sync_state)).toEqual(['quorum']);
    report.push(`topology: monitor :${topology.monitorPort}, node1 :${topology.nodePorts[0]} (primary), node2 :${topology.nodePorts[1]} (synchronous standby, ${settings[0].names}), haproxy primary :${topology.primaryProxyPort} standby :${topology.standbyProxyPort}`);
  }, 10 * 60_000);

  it('measures single receipts per second on a lone primary, then on the synchronous pair (same proxy, same load)', async () => {
    const singleServes = [await startServe('serve-single-1', serveEnvironment(topology!.singleProxyPort, null))];
    singleServes.push(await startServe('serve-single-2', serveEnvironment(topology!.singleProxyPort, null)));
    serves.push(...singleServes);
    await registerDevelopersAndApps(singleServes[0].baseUrl);
    const single = await measureThroughput('single', singleServes.map((serve) => serve.baseUrl));
    for (const serve of singleServes) await stopServe(serve);
    await topology!.stopSinglePrimary();

    serves.push(await startServe('serve-1', serveEnvironment(topology!.primaryProxyPort, topology!.standbyProxyPort)));
    serves.push(await startServe('serve-2', serveEnvironment(topology!.primaryProxyPort, topology!.standbyProxyPort)));
    const [first, second] = serves.slice(-2);
    await registerDevelopersAndApps(first.baseUrl);
    const synchronous = await measureThroughput('synchronous', [first.baseUrl, second.baseUrl]);
    const costPercent = ((single.receiptsPerSecond - synchronous.receiptsPerSecond) / single.receiptsPerSecond) * 100;
    report.push(
      `throughput (${THROUGHPUT_RECEIPTS} single receipts, ${CONCURRENT_CLIENTS} clients over 2 instances): lone primary ${single.receiptsPerSecond.toFixed(1)}/s, ` +
      `synchronous pair ${synchronous.receiptsPerSecond.toFixed(1)}/s: synchronous replication costs ${costPercent.toFixed(1)}% ` +
      `(write_contention answers sent again: ${single.contentionRetries} and ${synchronous.contentionRetries})`,
    );
  }, 10 * 60_000);

  it('serves exports from the standby with its lag in the response; balances stay on the primary', async () => {
    const [first] = serves.slice(-2);
    const exported = await fetch(`${first.baseUrl}/v1/exports/splits?format=jsonl`, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MILLISECONDS) });
    const body = await exported.text();
    expect(exported.status).toBe(200);
    expect(exported.headers.get('rsi-read-source')).toBe('replica');
    expect(exported.headers.get('rsi-replica-lag-milliseconds')).toMatch(/^(\d+|unknown)$/);
    // Synchronous replication: the standby has every acknowledged receipt (it may not have replayed the last ones yet).
    expect(body.split('\n').filter((line) => line.includes('"synchronous-receipt-')).length).toBeGreaterThan(0);
    const balances = await fetch(`${first.baseUrl}/v1/developers/failover-dev-0/balances`, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MILLISECONDS) });
    expect(balances.status).toBe(200);
    expect(balances.headers.get('rsi-read-source')).toBeNull();
    report.push(`read replica: export answered by the ${exported.headers.get('rsi-read-source')} with lag ${exported.headers.get('rsi-replica-lag-milliseconds')} ms`);
  });

  it('loses the primary under load: 503 during the switch, recovery by itself, no acknowledged receipt lost, none twice', async () => {
    const [first, second] = serves.slice(-2);
    const primaryUrl = topology!.urlAt(topology!.primaryProxyPort);
    load = new ReceiptLoad('failover', [first.baseUrl, second.baseUrl], FAILOVER_RECEIPTS_MAXIMUM);
    await waitFor(`${ACKNOWLEDGED_AROUND_FAILOVER} receipts acknowledged before the failover`, async () => load!.acknowledged >= ACKNOWLEDGED_AROUND_FAILOVER);

    const states = await topology!.nodeStates();
    const primaryState = states.find((state) => state.reportedState === 'primary')!;
    const lost = topology!.dataNodes.find((node) => node.name === primaryState.name)!;
    const survivor = topology!.dataNodes.find((node) => node.name !== primaryState.name)!;
    lostNode = lost;
    promotedNode = survivor;
    const postmasterPid = topology!.postmasterPidOf(lost);
    expect(postmasterPid).not.toBeNull();
    const killedAtMilliseconds = Date.now();
    topology!.killGroup(lost.keeper!);
    await lost.keeper!.exited;
    await waitFor('the postmaster to be gone', async () => !processIsRunning(postmasterPid!), 10_000);

    await topology!.waitForStates({ [survivor.name]: ['wait_primary', 'primary'] }, null);
    const promotedAtMilliseconds = Date.now();
    const acknowledgedAtPromotion = load.acknowledged;
    await waitFor(`${ACKNOWLEDGED_AROUND_FAILOVER} receipts acknowledged after the promotion`, async () => load!.acknowledged >= acknowledgedAtPromotion + ACKNOWLEDGED_AROUND_FAILOVER || load!.exhausted);
    await load.stop();
    expect(first.exit()).toBeNull();
    expect(second.exit()).toBeNull();
    expect((await queryOnce<{ port: number }>(primaryUrl, 'SELECT inet_server_port() AS port'))[0].port).toBe(survivor.port);

    const answers = [...load.answers.values()];
    // Every refusal is a clean 503 database_unavailable with Retry-After: no 500, no cut connection, no hang.
    const refused = answers.filter((answer) => !accepted(answer));
    expect(refused.filter((answer) => answer.statusCode !== 503 || answer.code !== 'database_unavailable' || !/^[1-9]\d*$/.test(answer.retryAfter ?? ''))).toEqual([]);
    expect(refused.length).toBeGreaterThanOrEqual(1);
    const firstRefusedAtMilliseconds = Math.min(...refused.map((answer) => answer.answeredAtMilliseconds));
    const firstAcceptedAfter = answers.filter((answer) => accepted(answer) && answer.startedAtMilliseconds >= firstRefusedAtMilliseconds);
    expect(firstAcceptedAfter.length).toBeGreaterThan(0);
    const firstAcceptedAtMilliseconds = Math.min(...firstAcceptedAfter.map((answer) => answer.answeredAtMilliseconds));

    // Lost: answered 2xx, not in the ledger. Checked BEFORE any retry, which would record it again.
    const counts = await receiptCounts(primaryUrl, 'failover');
    const acknowledgedIds = [...load.answers].filter(([, answer]) => accepted(answer)).map(([receiptNumber]) => receiptOf('failover', receiptNumber).receiptId);
    const lostIds = acknowledgedIds.filter((receiptId) => !counts.has(receiptId));
    const duplicatedIds = [...counts].filter(([, count]) => count !== 1).map(([receiptId]) => receiptId);
    const sentIds = new Set([...load.answers.keys()].map((receiptNumber) => receiptOf('failover', receiptNumber).receiptId));
    const unsentRecorded = [...counts.keys()].filter((receiptId) => !sentIds.has(receiptId));
    const refusedButRecorded = [...load.answers].filter(([receiptNumber, answer]) => !accepted(answer) && counts.has(receiptOf('failover', receiptNumber).receiptId)).length;
    report.push(
      `failover: node ${lost.name} lost at +0 ms, ${survivor.name} promoted at +${promotedAtMilliseconds - killedAtMilliseconds} ms; ` +
      `outage window (first refused to first accepted request) ${firstAcceptedAtMilliseconds - firstRefusedAtMilliseconds} ms ` +
      `(first refusal at +${firstRefusedAtMilliseconds - killedAtMilliseconds} ms); ${load.answers.size} receipts sent, ${acknowledgedIds.length} acknowledged, ` +
      `${refused.length} refused (503 database_unavailable), ${lostIds.length} lost, ${duplicatedIds.length} duplicated, ` +
      `${refusedButRecorded} refused but recorded (committed before the answer was lost: a retry answers already_recorded)`,
    );
    expect(lostIds).toEqual([]);
    expect(duplicatedIds).toEqual([]);
    expect(unsentRecorded).toEqual([]);

    // The client's side of a 503: send it again. Recorded now (201) or found recorded (200).
    for (const [receiptNumber, answer] of load.answers) {
      if (accepted(answer)) continue;
      let retried: Answer | undefined;
      for (let attempt = 1; attempt <= RETRY_ATTEMPTS_MAXIMUM; attempt += 1) {
        retried = await postJson(serves.at(-1 - (receiptNumber % 2))!.baseUrl, '/v1/receipts', receiptOf('failover', receiptNumber));
        if (accepted(retried)) break;
        await sleep(500);
      }
      expect(accepted(retried!)).toBe(true);
    }
    const countsAfterRetries = await receiptCounts(primaryUrl, 'failover');
    expect([...countsAfterRetries.values()].filter((count) => count !== 1)).toEqual([]);
    expect(new Set(countsAfterRetries.keys())).toEqual(sentIds);

    // The background projector caught up by itself on the new primary, each receipt split once.
    await waitFor('the projector checkpoint to reach the head of the event log', () => projectorCaughtUp(primaryUrl));
    const splits = await queryOnce<{ count: string }>(primaryUrl, `SELECT count(*)::text AS count FROM splits WHERE receipt_id LIKE 'failover-receipt-%'`);
    expect(Number(splits[0].count)).toBe(sentIds.size);

    // After the failover no standby is left: an export falls back to the primary and says so.
    const exported = await fetch(`${first.baseUrl}/v1/exports/splits?format=jsonl`, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MILLISECONDS) });
    await exported.text();
    expect(exported.status).toBe(200);
    expect(exported.headers.get('rsi-read-source')).toBe('primary');

    const verify = await runCli(['verify'], serveEnvironment(topology!.primaryProxyPort, null)).finished;
    const verification = JSON.parse(verify.stdout) as { ok: boolean; checks: { name: string; ok: boolean }[] };
    expect(verification.checks.filter((check) => !check.ok)).toEqual([]);
    expect(verification.ok).toBe(true);
    expect(verify.code).toBe(0);
  }, 10 * 60_000);

  it('kills the API instance holding the projector: the other takes over and projects new receipts', async () => {
    const instances = serves.slice(-2);
    const primaryUrl = topology!.urlAt(topology!.primaryProxyPort);
    const holderIndex = await holderOf(instances, primaryUrl);
    const holder = instances[holderIndex];
    const other = instances[1 - holderIndex];
    const activeLinesBefore = other.projectorActiveAt.length;
    const killedAtMilliseconds = Date.now();
    holder.child.kill('SIGKILL');
    await holder.finished;

    for (let receiptNumber = 0; receiptNumber < RECEIPTS_AFTER_PROJECTOR_HANDOVER; receiptNumber += 1) {
      expect(accepted(await postJson(other.baseUrl, '/v1/receipts', receiptOf('handover', receiptNumber)))).toBe(true);
    }
    // Only the database is asked (no read route, which would catch the projector up itself).
    await waitFor('the other instance to take the projector over', async () => other.projectorActiveAt.length > activeLinesBefore);
    const tookOverAtMilliseconds = Date.now();
    await waitFor('the handover receipts to be projected', async () => {
      const splits = await queryOnce<{ count: string }>(primaryUrl, `SELECT count(*)::text AS count FROM splits WHERE receipt_id LIKE 'handover-receipt-%'`);
      return Number(splits[0].count) === RECEIPTS_AFTER_PROJECTOR_HANDOVER;
    });
    expect(await projectorCaughtUp(primaryUrl)).toBe(true);
    report.push(`projector handover: ${holder.name} (holder) killed, ${other.name} active after ${tookOverAtMilliseconds - killedAtMilliseconds} ms and projected the ${RECEIPTS_AFTER_PROJECTOR_HANDOVER} new receipts`);
  }, 5 * 60_000);

  it('the lost node rejoins as the synchronous standby', async () => {
    // The monitor still shows the lost node's last report (primary); its goal is demoted.
    const lost = lostNode!;
    const primary = promotedNode!;
    const startedAtMilliseconds = Date.now();
    topology!.restartKeeper(lost);
    await topology!.waitForStates({ [primary.name]: ['primary'], [lost.name]: ['secondary'] }, primary.port);
    const names = await queryOnce<{ names: string }>(topology!.urlAt(topology!.primaryProxyPort), `SELECT current_setting('synchronous_standby_names') AS names`);
    expect(names[0].names).toMatch(/^ANY 1 \(pgautofailover_standby_\d+\)$/);
    report.push(`rejoin: ${lost.name} back as the synchronous standby after ${Date.now() - startedAtMilliseconds} ms`);
  }, 5 * 60_000);
});

/** False for a process that is gone or a zombie (killed, not yet reaped by its new parent). */
function processIsRunning(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/**
 * Which instance holds the projector's advisory lock. The lock's session is the holder's, but
 * its client address is haproxy's; so the holder is told by its log: the instance whose line
 * "active on this instance" arrived last. Confirmed against the server: exactly one session
 * holds the projector's advisory lock.
 */
async function holderOf(instances: ServeProcess[], primaryUrl: string): Promise<number> {
  // The webhook worker and the tree-head issuer hold advisory locks of their own: count the projector's key only.
  const locks = await queryOnce<{ count: string }>(primaryUrl, `SELECT count(*)::text AS count FROM pg_locks
    WHERE locktype = 'advisory' AND granted AND objsubid = 1
      AND ((classid::bigint << 32) | objid::bigint) = hashtext('projector:ledger')::bigint`);
  expect(Number(locks[0].count)).toBe(1);
  const lastActiveAt = instances.map((serve) => serve.projectorActiveAt.at(-1) ?? -1);
  expect(Math.max(...lastActiveAt)).toBeGreaterThan(0);
  return lastActiveAt[0] >= lastActiveAt[1] ? 0 : 1;
}
