import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runAsAdministrator } from './test-database';
import { openLedger, type LedgerModule, type LedgerRuntime, type LedgerRuntimeOptions } from '../../libs/ledger/src/ledger-runtime';

export type TestLedger = {
  runtime: LedgerRuntime;
  /** `DATABASE_URL` of this ledger's own database (server mode), or undefined when embedded. */
  databaseUrl: string | undefined;
  /** The embedded data directory, when embedded. */
  dataDirectory: string | undefined;
  /** Environment for a child process (the CLI) that must open the same ledger. */
  childEnvironment: NodeJS.ProcessEnv;
  cleanup(): Promise<void>;
};

/**
 * A whole ledger on a fresh database of its own: a new database on the `DATABASE_URL`
 * server (so that parallel test files never share tables), or an embedded PGlite in a
 * fresh temporary directory when `DATABASE_URL` is not set.
 */
/**
 * `environmentOverrides` selects, for one, `EVENT_STORE=eventstoredb` for this ledger alone.
 * `runtimeOptions.bookingTime` is `requested` unless given: most tests book at chosen past
 * instants through the command context; the tests of booking at commit ask for
 * `ledger-clock` (what the CLI and the API run), with a clock offset where they need one.
 */
export async function openTestLedger(
  modules: LedgerModule[] = [],
  environmentOverrides: NodeJS.ProcessEnv = {},
  runtimeOptions: Pick<LedgerRuntimeOptions, 'bookingTime' | 'ledgerClockOffsetMilliseconds'> = {},
): Promise<TestLedger> {
  const bookingOptions = { bookingTime: runtimeOptions.bookingTime ?? 'requested', ledgerClockOffsetMilliseconds: runtimeOptions.ledgerClockOffsetMilliseconds } as const;
  const serverUrl = process.env.DATABASE_URL?.trim();
  if (!serverUrl) {
    const dataDirectory = fs.mkdtempSync(path.join(os.tmpdir(), 'rsi-ledger-test-'));
    const environment = { ...process.env, ...environmentOverrides };
    delete environment.DATABASE_URL;
    const runtime = await openLedger({ dataDirectory, environment, modules, ...bookingOptions });
    return {
      runtime, databaseUrl: undefined, dataDirectory,
      childEnvironment: environment,
      async cleanup() {
        await runtime.close();
        fs.rmSync(dataDirectory, { recursive: true, force: true });
      },
    };
  }
  const databaseName = `rsi_test_${process.pid}_${crypto.randomBytes(6).toString('hex')}`;
  await runAsAdministrator(serverUrl, `CREATE DATABASE ${databaseName}`);
  const url = new URL(serverUrl);
  url.pathname = `/${databaseName}`;
  const databaseUrl = url.toString();
  const environment = { ...process.env, ...environmentOverrides, DATABASE_URL: databaseUrl };
  const runtime = await openLedger({ environment, modules, ...bookingOptions });
  return {
    runtime, databaseUrl, dataDirectory: undefined,
    childEnvironment: environment,
    async cleanup() {
      await runtime.close();
      await runAsAdministrator(serverUrl, `DROP DATABASE IF EXISTS ${databaseName} WITH (FORCE)`);
    },
  };
}

