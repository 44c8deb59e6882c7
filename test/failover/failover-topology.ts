/**
 * The production topology of docs/scaling.md, built on one machine for the failover test:
 * a pg_auto_failover monitor, two PostgreSQL 15 data nodes (a primary and a synchronous
 * standby) that it manages, haproxy in front (one listener that always reaches the current
 * primary, one that reaches a standby), and, for the comparison, a lone PostgreSQL primary
 * without a standby behind a third listener of the same haproxy.
 *
 * Everything lives in one temporary directory, on free loopback ports; the shared server
 * on 5432 is never touched. PostgreSQL and pg_autoctl refuse to run as root: as root they
 * run as the `postgres` user (runuser). Every process is started in a process group of its
 * own and remembered, so that `remove()` ends exactly what this file started.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import pg from 'pg';

const POSTGRES_BIN_DIRECTORY = process.env.POSTGRES_BIN_DIRECTORY ?? '/usr/lib/postgresql/15/bin';
const RUNUSER_PATH = '/usr/sbin/runuser';
const ENV_PATH = '/usr/bin/env';
const runningAsRoot = process.getuid?.() === 0;
/** The database every data node serves (created by `pg_autoctl create postgres --dbname`). */
export const LEDGER_DATABASE_NAME = 'rsi';
const WAIT_MAXIMUM_MILLISECONDS = 180_000;

/**
 * The monitor's failure detection, tightened from its defaults (5 s checks, 20 s before a
 * node is unhealthy, 30 s demote timeout) so that the test's failover takes seconds. The
 * demote timeout stays above the check period: the standby is promoted only after the old
 * primary had time to notice that it lost the monitor and stop (no two primaries).
 */
const MONITOR_SETTINGS: Record<string, string> = {
  'pgautofailover.health_check_period': '1000',
  'pgautofailover.health_check_timeout': '1000',
  'pgautofailover.health_check_retry_delay': '500',
  'pgautofailover.health_check_max_retries': '1',
  'pgautofailover.node_considered_unhealthy_timeout': '3000',
  'pgautofailover.primary_demote_timeout': '3000',
};

function findExecutable(name: string, directories: string[]): string | null {
  for (const directory of directories) {
    const candidate = path.join(directory, name);
    if (fs.existsSync(candidate)) return candidate;
  }
  return null;
}

const SEARCH_PATH = ['/usr/bin', '/usr/sbin', '/usr/local/bin', '/usr/local/sbin', POSTGRES_BIN_DIRECTORY];
export const TOOLS = {
  pgAutoctl: findExecutable('pg_autoctl', SEARCH_PATH),
  haproxy: findExecutable('haproxy', SEARCH_PATH),
  initdb: findExecutable('initdb', [POSTGRES_BIN_DIRECTORY]),
  pgCtl: findExecutable('pg_ctl', [POSTGRES_BIN_DIRECTORY]),
  runuser: runningAsRoot ? findExecutable('runuser', ['/usr/sbin', '/sbin', '/usr/bin']) : RUNUSER_PATH,
};

/** What the machine lacks for this test (empty: it can run). */
export function missingTools(): string[] {
  const missing: string[] = [];
  if (TOOLS.pgAutoctl === null) missing.push('pg_autoctl (Debian package postgresql-15-auto-failover)');
  if (TOOLS.haproxy === null) missing.push('haproxy (Debian package haproxy)');
  if (TOOLS.initdb === null || TOOLS.pgCtl === null) missing.push(`initdb and pg_ctl in ${POSTGRES_BIN_DIRECTORY}`);
  if (runningAsRoot && TOOLS.runuser === null) missing.push('runuser');
  return missing;
}

export function sleep(milliseconds: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, milliseconds));
}

export async function waitFor(what: string, condition: () => Promise<boolean>, maximumMilliseconds = WAIT_MAXIMUM_MILLISECONDS): Promise<void> {
  const deadline = Date.now() + maximumMilliseconds;
  while (!(await condition().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out after ${maximumMilliseconds} ms waiting for ${what}`);
    await sleep(250);
  }
}

export async function freeLoopbackPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A long-running process in its own process group: killing the group ends it and every child. */
export type GroupProcess = { name: string; pid: number; exited: Promise<number | null>; output(): string; hasExited(): boolean };

/** One query on its own connection, which is closed after (a dead server rejects quickly). */
export async function queryOnce<Row extends pg.QueryResultRow>(connectionString: string, sql: string, parameters: unknown[] = []): Promise<Row[]> {
  const client = new pg.Client({ connectionString, connectionTimeoutMillis: 3_000 });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return (await client.query<Row>(sql, parameters)).rows;
  } finally {
    await client.end().catch(() => undefined);
  }
}

export type DataNode = { name: string; port: number; dataDirectory: string; keeper: GroupProcess | null };
export type NodeState = { name: string; port: number; reportedState: string; goalState: string };

export class FailoverTopology {
  private readonly groups: GroupProcess[] = [];
  readonly dataNodes: DataNode[] = [];
  private readonly runtimeEnvironment: Record<string, string>;

  private constructor(
    readonly directory: string,
    readonly monitorPort: number,
    readonly nodePorts: [number, number],
    /** haproxy: the current primary, a standby, and the lone primary of the comparison. */
    readonly primaryProxyPort: number,
    readonly standbyProxyPort: number,
    readonly singleProxyPort: number,
    readonly singlePrimaryPort: number,
  ) {
    this.runtimeEnvironment = {
      // pg_autoctl keeps its configuration, state and pid files under the XDG directories:
      // inside the temporary directory, never in the postgres user's home.
      XDG_CONFIG_HOME: path.join(directory, 'xdg-config'),
      XDG_DATA_HOME: path.join(directory, 'xdg-data'),
      XDG_RUNTIME_DIR: path.join(directory, 'xdg-runtime'),
      PATH: `${POSTGRES_BIN_DIRECTORY}:/usr/bin:/bin:/usr/sbin:/sbin`,
      HOME: directory,
      PGCONNECT_TIMEOUT: '3',
    };
  }

  static async create(): Promise<FailoverTopology> {
    const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'rsi-ledger-failover-'));
    const ports = [];
    for (let index = 0; index < 7; index += 1) ports.push(await freeLoopbackPort());
    const topology = new FailoverTopology(directory, ports[0], [ports[1], ports[2]], ports[3], ports[4], ports[5], ports[6]);
    for (const name of ['xdg-config', 'xdg-data', 'xdg-runtime']) fs.mkdirSync(path.join(directory, name), { mode: 0o700 });
    if (runningAsRoot) {
      const [uid, gid] = [Number(await commandOutput('id', ['-u', 'postgres'])), Number(await commandOutput('id', ['-g', 'postgres']))];
      for (const entry of [directory, ...['xdg-config', 'xdg-data', 'xdg-runtime'].map((name) => path.join(directory, name))]) fs.chownSync(entry, uid, gid);
    }
    return topology;
  }

  /** The URL of the ledger database through a proxy listener (or any port). */
  urlAt(port: number, databaseName = LEDGER_DATABASE_NAME): string {
    return `postgres://postgres@127.0.0.1:${port}/${databaseName}`;
  }

  get monitorUrl(): string {
    return `postgres://autoctl_node@127.0.0.1:${this.monitorPort}/pg_auto_failover?sslmode=disable`;
  }

  /** `pg_autoctl` and the PostgreSQL binaries, as `postgres` when this process is root, with the topology's XDG directories. */
  private commandOf(binary: string, binaryArguments: string[]): [string, string[]] {
    const environmentArguments = Object.entries(this.runtimeEnvironment).map(([name, value]) => `${name}=${value}`);
    return runningAsRoot
      ? [TOOLS.runuser!, ['-u', 'postgres', '--', ENV_PATH, ...environmentArguments, binary, ...binaryArguments]]
      : [ENV_PATH, [...environmentArguments, binary, ...binaryArguments]];
  }

  private async runToCompletion(binary: string, binaryArguments: string[]): Promise<string> {
    const [command, commandArguments] = this.commandOf(binary, binaryArguments);
    const { code, output } = await runCommand(command, commandArguments, this.directory);
    if (code !== 0) throw new Error(`${path.basename(binary)} ${binaryArguments.join(' ')} exited ${code}:\n${output}`);
    return output;
  }

  /** Starts a long-running process in a group of its own, remembered for `remove()`. */
  startGroup(name: string, command: string, commandArguments: string[], environment: NodeJS.ProcessEnv = process.env): GroupProcess {
    const child = spawn(command, commandArguments, { cwd: this.directory, env: environment, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    let exited = false;
    const log = fs.createWriteStream(path.join(this.directory, `${name}.log`), { flags: 'a' });
    child.stdout!.pipe(log, { end: false });
    child.stderr!.pipe(log, { end: false });
    child.stdout!.on('data', (chunk: Buffer) => { output += chunk.toString('utf8'); });
    child.stderr!.on('data', (chunk: Buffer) => { output += chunk.toString('utf8'); });
    child.on('close', () => log.end());
    const exitedPromise = new Promise<number | null>((resolve) => {
      child.on('exit', (code) => {
        exited = true;
        resolve(code);
      });
      child.on('error', () => {
        exited = true;
        resolve(null);
      });
    });
    const group: GroupProcess = { name, pid: child.pid!, exited: exitedPromise, output: () => output, hasExited: () => exited };
    this.groups.push(group);
    return group;
  }

  private startAsPostgres(name: string, binary: string, binaryArguments: string[]): GroupProcess {
    const [command, commandArguments] = this.commandOf(binary, binaryArguments);
    return this.startGroup(name, command, commandArguments);
  }

  /** SIGKILL to a whole group: the process and everything it started (a keeper and its postmaster). */
  killGroup(group: GroupProcess): void {
    try {
      process.kill(-group.pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }

  /** The monitor: created, started, its failure detection tightened. */
  async startMonitor(): Promise<void> {
    const monitorData = path.join(this.directory, 'monitor');
    await this.runToCompletion(TOOLS.pgAutoctl!, [
      'create', 'monitor', '--pgdata', monitorData, '--pgport', String(this.monitorPort), '--pgctl', TOOLS.pgCtl!,
      '--hostname', '127.0.0.1', '--auth', 'trust', '--no-ssl',
    ]);
    this.startAsPostgres('monitor', TOOLS.pgAutoctl!, ['run', '--pgdata', monitorData]);
    const administratorUrl = `postgres://postgres@127.0.0.1:${this.monitorPort}/pg_auto_failover`;
    await waitFor('the monitor to accept connections', async () => (await queryOnce(administratorUrl, 'SELECT 1')).length === 1);
    for (const [name, value] of Object.entries(MONITOR_SETTINGS)) await queryOnce(administratorUrl, `ALTER SYSTEM SET ${name} = '${value}'`);
    await queryOnce(administratorUrl, 'SELECT pg_reload_conf()');
  }

  /** Creates a data node and runs its keeper (`pg_autoctl create postgres --run`): the first is the primary, the next its standby. */
  startDataNode(index: 0 | 1): DataNode {
    const name = `node${index + 1}`;
    const dataDirectory = path.join(this.directory, name);
    const keeper = this.startAsPostgres(name, TOOLS.pgAutoctl!, [
      'create', 'postgres', '--pgdata', dataDirectory, '--pgport', String(this.nodePorts[index]), '--pgctl', TOOLS.pgCtl!,
      '--pghost', '127.0.0.1', '--listen', '127.0.0.1', '--hostname', '127.0.0.1', '--name', name,
      '--monitor', this.monitorUrl, '--auth', 'trust', '--no-ssl', '--dbname', LEDGER_DATABASE_NAME, '--run',
    ]);
    const node: DataNode = { name, port: this.nodePorts[index], dataDirectory, keeper };
    this.dataNodes[index] = node;
    return node;
  }

  /** Runs the keeper of a node that was lost again: it rejoins (pg_rewind) as a standby. */
  restartKeeper(node: DataNode): void {
    node.keeper = this.startAsPostgres(`${node.name}-rejoined`, TOOLS.pgAutoctl!, ['run', '--pgdata', node.dataDirectory]);
  }

  async nodeStates(): Promise<NodeState[]> {
    const rows = await queryOnce<{ nodename: string; nodeport: number; reportedstate: string; goalstate: string }>(
      this.monitorUrl,
      'SELECT nodename, nodeport, reportedstate::text AS reportedstate, goalstate::text AS goalstate FROM pgautofailover.node ORDER BY nodeid',
    );
    return rows.map((row) => ({ name: row.nodename, port: Number(row.nodeport), reportedState: row.reportedstate, goalState: row.goalstate }));
  }

  /**
   * Waits for the named nodes to reach these states (reported and assigned). A joining
   * standby copies the primary with pg_basebackup, which waits for a checkpoint spread over
   * minutes by default; an explicit CHECKPOINT on the primary finishes it at once.
   */
  async waitForStates(expected: Record<string, string[]>, checkpointOnPort: number | null): Promise<void> {
    await waitFor(`the nodes to reach ${JSON.stringify(expected)}`, async () => {
      if (checkpointOnPort !== null) await queryOnce(this.urlAt(checkpointOnPort, 'postgres'), 'CHECKPOINT').catch(() => undefined);
      const states = await this.nodeStates();
      return Object.entries(expected).every(([name, accepted]) => states.some((state) => state.name === name && accepted.includes(state.reportedState) && accepted.includes(state.goalState)));
    });
  }

  /** The pid in the node's postmaster.pid (its first line), or null. */
  postmasterPidOf(node: DataNode): number | null {
    const pidFile = path.join(node.dataDirectory, 'postmaster.pid');
    if (!fs.existsSync(pidFile)) return null;
    const pid = Number(fs.readFileSync(pidFile, 'utf8').split('\n')[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  }

  /** The comparison's lone primary: initdb, started with pg_ctl, with the ledger database. */
  async startSinglePrimary(): Promise<void> {
    const dataDirectory = path.join(this.directory, 'single');
    await this.runToCompletion(TOOLS.initdb!, ['-D', dataDirectory, '-U', 'postgres', '--auth=trust', '--encoding=UTF8', '--no-sync']);
    const serverOptions = `-p ${this.singlePrimaryPort} -k ${this.directory} -c listen_addresses=127.0.0.1 -c max_connections=100`;
    await this.runToCompletion(TOOLS.pgCtl!, ['start', '-D', dataDirectory, '-l', path.join(this.directory, 'single.log'), '-w', '-o', serverOptions]);
    await queryOnce(this.urlAt(this.singlePrimaryPort, 'postgres'), `CREATE DATABASE ${LEDGER_DATABASE_NAME}`);
  }

  async stopSinglePrimary(): Promise<void> {
    const dataDirectory = path.join(this.directory, 'single');
    if (fs.existsSync(path.join(dataDirectory, 'postmaster.pid'))) await this.runToCompletion(TOOLS.pgCtl!, ['stop', '-D', dataDirectory, '-m', 'fast', '-w']);
  }

  /**
   * haproxy with three listeners. Which data node is the primary is asked of the node itself
   * by haproxy's check: it speaks PostgreSQL's protocol (`tcp-check`), logs in, asks
   * `SELECT pg_is_in_recovery()` and expects the row `f` (primary) or `t` (standby). The
   * built-in `option pgsql-check` only proves that a server answers, not that it takes
   * writes; an external check script forks psql each time, too slow on a loaded machine. A
   * node that fails its check loses its sessions at once (`on-marked-down shutdown-sessions`),
   * so no client keeps writing to a demoted node.
   */
  startProxy(): GroupProcess {
    const servers = this.nodePorts.map((port, index) => `  server node${index + 1} 127.0.0.1:${port} check`).join('\n');
    const configuration = `global
  maxconn 400
defaults
  mode tcp
  timeout connect 2s
  timeout check 3s
  timeout client 1h
  timeout server 1h
  default-server inter 1s fall 1 rise 1 on-marked-down shutdown-sessions
listen postgres_primary
  bind 127.0.0.1:${this.primaryProxyPort}
${recoveryCheck(false)}
${servers}
listen postgres_standby
  bind 127.0.0.1:${this.standbyProxyPort}
${recoveryCheck(true)}
${servers}
listen postgres_single
  bind 127.0.0.1:${this.singleProxyPort}
  option pgsql-check user postgres
  server single 127.0.0.1:${this.singlePrimaryPort} check
`;
    const configurationFile = path.join(this.directory, 'haproxy.cfg');
    fs.writeFileSync(configurationFile, configuration);
    return this.startGroup('haproxy', TOOLS.haproxy!, ['-f', configurationFile, '-db']);
  }

  /** Ends every process this topology started (their whole groups), then removes the directory. */
  async remove(): Promise<void> {
    for (const group of [...this.groups].reverse()) {
      if (!group.hasExited()) this.killGroup(group);
    }
    await Promise.all(this.groups.map((group) => Promise.race([group.exited, sleep(5_000)])));
    // The lone primary was started by pg_ctl, outside any group of ours.
    const singlePid = this.postmasterPidOf({ name: 'single', port: this.singlePrimaryPort, dataDirectory: path.join(this.directory, 'single'), keeper: null });
    if (singlePid !== null) {
      try {
        process.kill(singlePid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    // A postmaster killed with its keeper leaves backends that notice within a moment.
    await sleep(500);
    // RSI_FAILOVER_KEEP_DIRECTORY=1 keeps the logs of every process for a post-mortem.
    if (process.env.RSI_FAILOVER_KEEP_DIRECTORY === '1') console.log(`failover topology kept in ${this.directory}`);
    else fs.rmSync(this.directory, { recursive: true, force: true });
  }
}

/** A PostgreSQL protocol message: type byte (none for the start-up message), int32 length, body. */
function protocolMessageHex(type: string, body: Buffer): string {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(body.length + 4);
  return Buffer.concat([Buffer.from(type, 'latin1'), length, body]).toString('hex');
}

/**
 * haproxy `tcp-check` lines that log in as postgres (trust), ask `pg_is_in_recovery()` and
 * expect its one-column row: DataRow 'D', length 11, 1 column, 1 byte, then 't' or 'f'.
 */
function recoveryCheck(inRecovery: boolean): string {
  const startup = protocolMessageHex('', Buffer.concat([
    Buffer.from([0, 3, 0, 0]), // protocol 3.0
    Buffer.from('user\0postgres\0database\0postgres\0application_name\0haproxy-check\0\0', 'latin1'),
  ]));
  const query = protocolMessageHex('Q', Buffer.from('SELECT pg_is_in_recovery()\0', 'latin1'));
  const readyForQueryIdle = protocolMessageHex('Z', Buffer.from('I', 'latin1'));
  const dataRow = protocolMessageHex('D', Buffer.concat([Buffer.from([0, 1, 0, 0, 0, 1]), Buffer.from(inRecovery ? 't' : 'f', 'latin1')]));
  const terminate = protocolMessageHex('X', Buffer.alloc(0));
  return [
    '  option tcp-check',
    '  tcp-check connect',
    `  tcp-check send-binary ${startup}`,
    `  tcp-check expect binary ${readyForQueryIdle}`,
    `  tcp-check send-binary ${query}`,
    `  tcp-check expect binary ${dataRow}`,
    `  tcp-check send-binary ${terminate}`,
  ].join('\n');
}

function runCommand(command: string, commandArguments: string[], workingDirectory: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, commandArguments, { cwd: workingDirectory, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => { output += chunk; });
    child.stderr.on('data', (chunk) => { output += chunk; });
    child.on('error', reject);
    // 'exit', not 'close': a server that pg_ctl starts outlives it and keeps the pipes open.
    child.on('exit', (code) => resolve({ code, output }));
  });
}

async function commandOutput(command: string, commandArguments: string[]): Promise<string> {
  const { code, output } = await runCommand(command, commandArguments, os.tmpdir());
  if (code !== 0) throw new Error(`${command} ${commandArguments.join(' ')} exited ${code}: ${output}`);
  return output.trim();
}
