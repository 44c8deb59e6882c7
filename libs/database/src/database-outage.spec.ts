/**
 * What a database outage does to the pool, against real sockets and a real PostgreSQL
 * server (sessions are ended with pg_terminate_backend; the shared server is never
 * stopped). The full restart-under-load test is test/database-outage.e2e-spec.ts.
 */
import * as net from 'node:net';
import pg from 'pg';
import { createTestDatabase, type TestDatabase } from '../../../test/support/test-database';
import { DATABASE_CONNECT_TIMEOUT_MILLISECONDS, ListenedDatabaseClient, openDatabase } from './database-connection';
import { isDatabaseUnavailableError } from './database-unavailable';

const serverAvailable = Boolean(process.env.DATABASE_URL);
if (!serverAvailable) console.warn('skipped: ending sessions of a checked-out connection needs DATABASE_URL (a PostgreSQL server)');

/** A TCP server that accepts connections and never says a word (a host that does not answer). */
async function startSilentServer(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () => new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    }),
  };
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

describe('openDatabase against an unreachable server', () => {
  it('fails with an outage-shaped error when nothing listens (refused)', async () => {
    const port = await freePort();
    const error = await rejectionOf(openDatabase({ kind: 'server', databaseUrl: `postgres://postgres@127.0.0.1:${port}/none`, poolSizeMaximum: 2 }));
    expect(isDatabaseUnavailableError(error)).toBe(true);
  });

  it('gives up connecting after the connect timeout when the server does not answer, instead of the 120 s pool wait', async () => {
    const silent = await startSilentServer();
    try {
      const error = await rejectionOf(openDatabase({ kind: 'server', databaseUrl: `postgres://postgres@127.0.0.1:${silent.port}/none`, poolSizeMaximum: 2 }));
      expect(isDatabaseUnavailableError(error)).toBe(true);
    } finally {
      await silent.close();
    }
  }, DATABASE_CONNECT_TIMEOUT_MILLISECONDS * 4);
});

describe('ListenedDatabaseClient', () => {
  it('has an error listener from construction, so a lost connection is logged, not thrown', () => {
    const client = new ListenedDatabaseClient({ connectionString: 'postgres://postgres@127.0.0.1:1/none' });
    expect(client.listenerCount('error')).toBe(1);
    const logged = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      // What pg does when the socket of a connected client dies.
      client.emit('error', new Error('Connection terminated unexpectedly'));
      client.emit('error', new Error('Connection terminated unexpectedly'));
      expect(logged).toHaveBeenCalledTimes(1);
      expect(String(logged.mock.calls[0][0])).toContain('database connection lost: Connection terminated unexpectedly');
    } finally {
      logged.mockRestore();
    }
  });
});

(serverAvailable ? describe : describe.skip)('the pool when a session dies (PostgreSQL server)', () => {
  let database: TestDatabase;
  let administrator: pg.Client;

  beforeAll(async () => {
    database = await createTestDatabase({ poolSizeMaximum: 3 });
    administrator = new ListenedDatabaseClient({ connectionString: database.connectionString });
    await administrator.connect();
  });

  afterAll(async () => {
    await administrator?.end();
    await database?.drop();
  });

  it('survives the death of a checked-out connection in a transaction, and serves again with a new one', async () => {
    const logged = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      const client = await database.connection.pool.connect();
      await client.query('BEGIN');
      const processId = (client as unknown as { processID: number }).processID;
      await administrator.query('SELECT pg_terminate_backend($1)', [processId]);
      // The server's goodbye reaches the client as an 'error' event while it is checked out:
      // without a listener, that event would have been an uncaught exception.
      const deadline = Date.now() + 10_000;
      while (logged.mock.calls.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(logged.mock.calls.map((call) => String(call[0])).join('\n')).toContain('database connection lost');
      const error = await rejectionOf(client.query('SELECT 1'));
      expect(isDatabaseUnavailableError(error)).toBe(true);
      client.release();

      const after = await database.connection.pool.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      expect(after.rows[0].pid).not.toBe(processId);
    } finally {
      logged.mockRestore();
    }
  });

  it('survives the death of every connection of the pool (idle and busy), then serves again', async () => {
    const logged = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      const busy = await database.connection.pool.connect();
      await database.connection.pool.query('SELECT 1');
      await administrator.query(
        'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()',
      );
      const error = await rejectionOf(busy.query('SELECT pg_sleep(0)'));
      expect(isDatabaseUnavailableError(error)).toBe(true);
      busy.release();
      // The idle connection hears of its end on its own; wait for it rather than race it.
      const deadline = Date.now() + 10_000;
      while (logged.mock.calls.length < 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(logged.mock.calls.length).toBe(2);
      const result = await database.connection.pool.query<{ one: number }>('SELECT 1 AS one');
      expect(result.rows[0].one).toBe(1);
    } finally {
      logged.mockRestore();
    }
  });
});
