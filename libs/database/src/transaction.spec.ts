import pg from 'pg';
import { inTransaction } from './transaction';

const serverAvailable = Boolean(process.env.DATABASE_URL);
(serverAvailable ? describe : describe.skip)('inTransaction (PostgreSQL server)', () => {
  let pool: pg.Pool;
  const table = `transaction_spec_${process.pid}`;

  beforeAll(async () => {
    pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 2 });
    await pool.query(`CREATE TABLE ${table} (value int NOT NULL)`);
  });

  afterAll(async () => {
    await pool.query(`DROP TABLE IF EXISTS ${table}`);
    await pool.end();
  });

  it('commits what the work wrote and returns its result', async () => {
    const result = await inTransaction(pool, async (client) => {
      await client.query(`INSERT INTO ${table} VALUES (1)`);
      return 'done';
    });
    expect(result).toBe('done');
    expect((await pool.query(`SELECT count(*)::int AS count FROM ${table} WHERE value = 1`)).rows[0].count).toBe(1);
  });

  it('rolls back everything the work wrote when it throws, throws on, and releases the connection', async () => {
    await expect(inTransaction(pool, async (client) => {
      await client.query(`INSERT INTO ${table} VALUES (2)`);
      throw new Error('refused');
    })).rejects.toThrow('refused');
    expect((await pool.query(`SELECT count(*)::int AS count FROM ${table} WHERE value = 2`)).rows[0].count).toBe(0);
    expect(pool.idleCount).toBe(pool.totalCount);
    expect(pool.waitingCount).toBe(0);
  });
});
