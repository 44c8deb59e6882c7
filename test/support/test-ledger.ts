import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { runAsAdministrator } from './test-database';
import { createApiApplication } from '../../apps/api/src/api-server';
import type { ApiOptions } from '../../apps/api/src/api-settings';
import { LedgerRuntime, openLedgerContext, type LedgerOptions } from '@rsi/ledger';

export type TestLedger = {
  /** The typed view of the Nest application context (or of the API application) over this ledger. */
  runtime: LedgerRuntime;
  /** `DATABASE_URL` of this ledger's own database (server mode), or undefined when embedded. */
  databaseUrl: string | undefined;
  /** The embedded data directory, when embedded. */
  dataDirectory: string | undefined;
  /** Environment for a child process (the CLI) that must open the same ledger. */
  childEnvironment: NodeJS.ProcessEnv;
  cleanup(): Promise<void>;
};

export type TestApi = TestLedger & { app: INestApplication };

/** A fresh database of its own, and how to open it: what `openTestLedger` and `openTestApi` share. */
export type FreshDatabase = { ledgerOptions: LedgerOptions; databaseUrl: string | undefined; dataDirectory: string | undefined; drop(): Promise<void> };

/**
 * A new database on the `DATABASE_URL` server (so that parallel test files never share
 * tables), or a fresh temporary directory for an embedded PGlite when `DATABASE_URL` is not set.
 * `environmentOverrides` selects, for one, `EVENT_STORE=eventstoredb` for this ledger alone.
 */
export async function createFreshDatabase(environmentOverrides: NodeJS.ProcessEnv): Promise<FreshDatabase> {
  const serverUrl = process.env.DATABASE_URL?.trim();
  if (!serverUrl) {
    const dataDirectory = fs.mkdtempSync(path.join(os.tmpdir(), 'rsi-ledger-test-'));
    const environment = { ...process.env, ...environmentOverrides };
    delete environment.DATABASE_URL;
    return {
      ledgerOptions: { dataDirectory, environment }, databaseUrl: undefined, dataDirectory,
      async drop() { fs.rmSync(dataDirectory, { recursive: true, force: true }); },
    };
  }
  const databaseName = `rsi_test_${process.pid}_${crypto.randomBytes(6).toString('hex')}`;
  await runAsAdministrator(serverUrl, `CREATE DATABASE ${databaseName}`);
  const url = new URL(serverUrl);
  url.pathname = `/${databaseName}`;
  const databaseUrl = url.toString();
  return {
    ledgerOptions: { environment: { ...process.env, ...environmentOverrides, DATABASE_URL: databaseUrl } },
    databaseUrl, dataDirectory: undefined,
    async drop() { await runAsAdministrator(serverUrl, `DROP DATABASE IF EXISTS ${databaseName} WITH (FORCE)`); },
  };
}

/**
 * How a test ledger books: `bookingTime` is `requested` unless given, since most tests book at
 * chosen past instants through the command context; the tests of booking at commit ask for
 * `ledger-clock` (what the CLI and the API run), with a clock offset where they need one.
 */
export type TestBookingOptions = Pick<LedgerOptions, 'bookingTime' | 'ledgerClockOffsetMilliseconds'>;

function bookingOptionsOf(options: TestBookingOptions): TestBookingOptions {
  return { bookingTime: options.bookingTime ?? 'requested', ledgerClockOffsetMilliseconds: options.ledgerClockOffsetMilliseconds };
}

/** A whole ledger (the Nest application context the CLI builds) on a fresh database of its own. */
export async function openTestLedger(options: { environment?: NodeJS.ProcessEnv } & TestBookingOptions = {}): Promise<TestLedger> {
  const database = await createFreshDatabase(options.environment ?? {});
  const ledger = await openLedgerContext({ ...database.ledgerOptions, ...bookingOptionsOf(options) }).catch(async (error: unknown) => {
    await database.drop();
    throw error;
  });
  return {
    runtime: ledger.runtime, databaseUrl: database.databaseUrl, dataDirectory: database.dataDirectory,
    childEnvironment: database.ledgerOptions.environment ?? process.env,
    async cleanup() {
      try {
        await ledger.close();
      } finally {
        await database.drop();
      }
    },
  };
}

/**
 * The HTTP API application (initialised, not listening: supertest takes its HTTP server) on
 * a fresh database of its own; `runtime` is the view of the same application's container.
 */
export async function openTestApi(apiOptions: ApiOptions & TestBookingOptions = {}): Promise<TestApi> {
  const { bookingTime, ledgerClockOffsetMilliseconds, ...rest } = apiOptions;
  const database = await createFreshDatabase({});
  const ledger = { ...database.ledgerOptions, ...bookingOptionsOf({ bookingTime, ledgerClockOffsetMilliseconds }) };
  const app = await createApiApplication({ ...rest, ledger }).catch(async (error: unknown) => {
    await database.drop();
    throw error;
  });
  return {
    app, runtime: app.get(LedgerRuntime), databaseUrl: database.databaseUrl, dataDirectory: database.dataDirectory,
    childEnvironment: database.ledgerOptions.environment ?? process.env,
    async cleanup() {
      try {
        // Closing twice is safe (a test may close the app first): the shutdown hooks close once.
        await app.close();
      } finally {
        await database.drop();
      }
    },
  };
}
