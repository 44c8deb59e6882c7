import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { openDatabase, type DatabaseConnection } from './database-connection';
import { readDatabaseSettings } from './database-settings';
import { EmbeddedDatabaseLockedError } from './embedded-postgres';
import { runMigrations } from './migration-runner';

// Always embedded: this is the mode with one connection, where a wrong arrangement deadlocks.
describe('openDatabase (embedded PGlite)', () => {
  let dataDirectory: string;
  let connection: DatabaseConnection;

  beforeAll(async () => {
    dataDirectory = fs.mkdtempSync(path.join(os.tmpdir(), 'rsi-ledger-connection-'));
    connection = await openDatabase(readDatabaseSettings({ environment: {}, dataDirectory }));
    await runMigrations(connection);
  });

  afterAll(async () => {
    await connection?.close();
    fs.rmSync(dataDirectory, { recursive: true, force: true });
  });

  it('is embedded, with a pool of one connection', () => {
    expect(connection.embedded).toBe(true);
    expect(connection.poolSizeMaximum).toBe(1);
  });

  it('is initialised, and runs with a bounded buffer cache (32 MB)', async () => {
    expect(fs.existsSync(path.join(dataDirectory, 'postgres', 'PG_VERSION'))).toBe(true);
    const result = await connection.pool.query<{ shared_buffers: string }>('SHOW shared_buffers');
    expect(result.rows[0]!.shared_buffers).toBe('32MB');
  });

  it('returns int8 and numeric as strings, never as numbers', async () => {
    const result = await connection.pool.query(
      `SELECT 9007199254740993::int8 AS big, 12345678901234567890.123::numeric AS exact, ARRAY[1::int8, 2::int8] AS bigs, ARRAY[1.5::numeric] AS exacts`,
    );
    expect(result.rows[0]).toEqual({ big: '9007199254740993', exact: '12345678901234567890.123', bigs: ['1', '2'], exacts: ['1.5'] });
    const viaTypeOrm = (await connection.dataSource.query(`SELECT 9007199254740993::int8 AS big, 0.1::numeric AS exact`)) as unknown[];
    expect(viaTypeOrm).toEqual([{ big: '9007199254740993', exact: '0.1' }]);
  });

  it('ran the migrations once (running them again is a no-op)', async () => {
    expect(await runMigrations(connection)).toEqual([]);
    const tables = await connection.pool.query(`SELECT count(*) AS count FROM pg_tables WHERE tablename IN ('events', 'streams')`);
    expect(tables.rows[0].count).toBe('2');
  });

  it('a pool query waits while TypeORM holds a transaction, then runs (no deadlock)', async () => {
    await connection.pool.query('CREATE TABLE IF NOT EXISTS connection_probe (value text)');
    const queryRunner = connection.dataSource.createQueryRunner();
    await queryRunner.connect();
    await queryRunner.startTransaction();
    await queryRunner.query(`INSERT INTO connection_probe VALUES ('from typeorm')`);
    let poolQueryDone = false;
    const poolQuery = connection.pool.query(`SELECT count(*) AS count FROM connection_probe`).then((result) => {
      poolQueryDone = true;
      return result.rows[0].count as string;
    });
    await sleep(200);
    // The pool's one connection is inside TypeORM's transaction: the other side queues.
    expect(poolQueryDone).toBe(false);
    await queryRunner.commitTransaction();
    await queryRunner.release();
    expect(await poolQuery).toBe('1');
  });

  it('a TypeORM query waits while a pool client holds a transaction, then runs (no deadlock)', async () => {
    const client = await connection.pool.connect();
    await client.query('BEGIN');
    await client.query(`INSERT INTO connection_probe VALUES ('from pg')`);
    let typeOrmQueryDone = false;
    const typeOrmQuery = connection.dataSource.query(`SELECT count(*) AS count FROM connection_probe`).then((rows: { count: string }[]) => {
      typeOrmQueryDone = true;
      return rows[0].count;
    });
    await sleep(200);
    expect(typeOrmQueryDone).toBe(false);
    await client.query('COMMIT');
    client.release();
    expect(await typeOrmQuery).toBe('2');
  });

  it('refuses a second open of the same data directory while the first is open', async () => {
    await expect(openDatabase({ kind: 'embedded', dataDirectory })).rejects.toBeInstanceOf(EmbeddedDatabaseLockedError);
  });

  it('persists across close and reopen, and takes over a stale lock', async () => {
    await connection.pool.query(`INSERT INTO connection_probe VALUES ('persisted')`);
    await connection.close();
    // A lock left by a process that no longer runs (a crash) must not block the next start.
    fs.writeFileSync(path.join(dataDirectory, 'rsi-ledger.lock'), JSON.stringify({ processId: 2 ** 22 + 12345, hostname: os.hostname() }));
    connection = await openDatabase({ kind: 'embedded', dataDirectory });
    const result = await connection.pool.query(`SELECT count(*) AS count FROM connection_probe WHERE value = 'persisted'`);
    expect(result.rows[0].count).toBe('1');
  });
});

describe('readDatabaseSettings', () => {
  it('uses DATABASE_URL when set', () => {
    expect(readDatabaseSettings({ environment: { DATABASE_URL: 'postgres://u@h/d' } })).toEqual({
      kind: 'server',
      databaseUrl: 'postgres://u@h/d',
      poolSizeMaximum: 10,
      readReplicaUrl: null,
    });
  });

  it('takes DATABASE_READ_URL as the read replica of a server primary', () => {
    expect(readDatabaseSettings({ environment: { DATABASE_URL: 'postgres://u@h/d', DATABASE_READ_URL: ' postgresql://u@standby:6432/d ' } })).toEqual({
      kind: 'server',
      databaseUrl: 'postgres://u@h/d',
      poolSizeMaximum: 10,
      readReplicaUrl: 'postgresql://u@standby:6432/d',
    });
    expect(readDatabaseSettings({ environment: { DATABASE_URL: 'postgres://u@h/d', DATABASE_READ_URL: '  ' } })).toMatchObject({ readReplicaUrl: null });
  });

  it('refuses a DATABASE_READ_URL that is not a postgres URL with a host, or that has no server primary', () => {
    expect(() => readDatabaseSettings({ environment: { DATABASE_URL: 'postgres://u@h/d', DATABASE_READ_URL: 'standby:5432' } })).toThrow(/DATABASE_READ_URL must be a postgres/);
    expect(() => readDatabaseSettings({ environment: { DATABASE_URL: 'postgres://u@h/d', DATABASE_READ_URL: 'not a url' } })).toThrow(/DATABASE_READ_URL is not a URL/);
    expect(() => readDatabaseSettings({ environment: { DATABASE_URL: 'postgres://u@h/d', DATABASE_READ_URL: 'mysql://u@h/d' } })).toThrow(/DATABASE_READ_URL must be a postgres/);
    expect(() => readDatabaseSettings({ environment: { DATABASE_READ_URL: 'postgres://u@h/d' } })).toThrow(/DATABASE_URL is not/);
  });

  it('defaults to ./.rsi-ledger of the working directory', () => {
    expect(readDatabaseSettings({ environment: {}, workingDirectory: '/srv/app' })).toEqual({ kind: 'embedded', dataDirectory: '/srv/app/.rsi-ledger' });
    expect(readDatabaseSettings({ environment: {}, workingDirectory: '/srv/app', dataDirectory: 'data' })).toEqual({
      kind: 'embedded',
      dataDirectory: '/srv/app/data',
    });
  });
});

function sleep(milliseconds: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, milliseconds));
}
