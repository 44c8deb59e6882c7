import * as net from 'node:net';
import { startApiServer } from '../apps/api/src/api-server';
import { createFreshDatabase, type FreshDatabase } from './support/test-ledger';

describe('graceful shutdown is bounded (RSI_SHUTDOWN_TIMEOUT_SECONDS)', () => {
  let database: FreshDatabase;

  beforeAll(async () => {
    database = await createFreshDatabase({});
  });

  afterAll(async () => {
    await database?.drop();
  });

  it('gives up with an error naming the bound when a request in flight does not finish', async () => {
    const environment = { ...database.ledgerOptions.environment, RSI_API_LOG: 'quiet', RSI_SHUTDOWN_TIMEOUT_SECONDS: '1' };
    const server = await startApiServer({ port: 0, host: '127.0.0.1', environment, ledger: database.ledgerOptions });
    // A request whose body never ends: it stays in flight until the client goes away.
    const socket = net.connect(server.port, '127.0.0.1');
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    socket.write('POST /v1/developers HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"developerId":');
    await new Promise((resolve) => setTimeout(resolve, 100));
    const started = Date.now();
    await expect(server.close()).rejects.toThrow(/did not finish within 1000 ms \(RSI_SHUTDOWN_TIMEOUT_SECONDS\)/);
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(900);
    expect(elapsed).toBeLessThan(5_000);
    // Once the request is gone, the stop completes.
    socket.destroy();
    await server.close();
  });
});
