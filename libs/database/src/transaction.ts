import type { Pool, PoolClient } from 'pg';

/**
 * Runs `work` in one transaction on a connection of `pool`: committed when it resolves,
 * rolled back when it throws (the error is thrown on), the connection released either way.
 */
export async function inTransaction<Result>(pool: Pool, work: (client: PoolClient) => Promise<Result>): Promise<Result> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}
