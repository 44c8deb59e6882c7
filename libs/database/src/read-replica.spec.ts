/**
 * The read replica's choice of pool, against a real PostgreSQL server. A true standby (lag
 * measured in recovery) is exercised by `npm run test:failover`; here the "replica" URL
 * reaches the shared server, a primary (no lag), or nothing at all (fallback to the primary).
 */
import * as net from 'node:net';
import { createTestDatabase, type TestDatabase } from '../../../test/support/test-database';
import { ReadReplica } from './read-replica';

const serverAvailable = Boolean(process.env.DATABASE_URL);
if (!serverAvailable) console.warn('skipped: the read replica spec needs DATABASE_URL (a PostgreSQL server)');

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

(serverAvailable ? describe : describe.skip)('ReadReplica', () => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createTestDatabase();
  });

  afterAll(async () => {
    await database.drop();
  });

  it('without DATABASE_READ_URL reads from the primary, with no lag to tell', async () => {
    const replica = new ReadReplica({ kind: 'server', databaseUrl: database.connectionString, poolSizeMaximum: 2, readReplicaUrl: null }, database.connection);
    const reader = await replica.reader();
    expect(reader).toEqual({ pool: database.connection.pool, source: 'primary', lagMilliseconds: null });
    expect(replica.configured).toBe(false);
    expect(await replica.lagMilliseconds()).toBeNull();
    await replica.onApplicationShutdown();
  });

  it('reads from the replica URL; a server not in recovery has lag 0', async () => {
    const replica = new ReadReplica({ kind: 'server', databaseUrl: database.connectionString, poolSizeMaximum: 2, readReplicaUrl: database.connectionString }, database.connection);
    try {
      const reader = await replica.reader();
      expect(reader.source).toBe('replica');
      expect(reader.pool).not.toBe(database.connection.pool);
      expect(reader.lagMilliseconds).toBe(0);
      expect((await reader.pool.query<{ one: number }>('SELECT 1 AS one')).rows[0].one).toBe(1);
      expect(await replica.lagMilliseconds()).toBe(0);
    } finally {
      await replica.onApplicationShutdown();
    }
  });

  it('falls back to the primary while the replica cannot be reached, and says so', async () => {
    const unreachableUrl = `postgres://postgres@127.0.0.1:${await freePort()}/none`;
    const replica = new ReadReplica({ kind: 'server', databaseUrl: database.connectionString, poolSizeMaximum: 2, readReplicaUrl: unreachableUrl }, database.connection);
    try {
      const reader = await replica.reader();
      expect(reader.source).toBe('primary');
      expect(reader.pool).toBe(database.connection.pool);
      expect(reader.lagMilliseconds).toBeNull();
      expect(await replica.lagMilliseconds()).toBeNull();
    } finally {
      await replica.onApplicationShutdown();
    }
  });
});
