import pg from 'pg';
import type { ChildResult } from './bench-child.protocol';

/**
 * The online peers of issue 17, against which single receipts over HTTP are measured in the
 * same run: plain SQL from `connections` clients, each committing one row (or one transfer)
 * per transaction, as fast as it can, for `durationSeconds`.
 *
 * - `insert-loop`: one `INSERT` of a receipt-sized row per transaction: the cost of a
 *   durable commit and nothing else (no rules, no hash, no read model).
 * - `transfer`: a double-entry transfer in a plain-SQL function: the receipt row, two
 *   postings, and the two account balances updated, in one transaction. Every transfer
 *   credits the same platform account, so it shows the cost of a hot balance row, which
 *   our ledger avoids by deriving balances in the projections.
 */
export type SqlPeerMode = 'insert-loop' | 'transfer';

/** Accounts of the transfer peer: one per app, as the HTTP load spreads receipts over the apps. */
const TRANSFER_ACCOUNTS = 50;

const SCHEMA_BY_MODE: Record<SqlPeerMode, string[]> = {
  'insert-loop': [
    `CREATE TABLE peer_receipts (
       receipt_id text PRIMARY KEY, app_id text NOT NULL, amount_minor bigint NOT NULL, currency char(3) NOT NULL, occurred_at timestamptz NOT NULL)`,
  ],
  transfer: [
    'CREATE TABLE peer_accounts (account_id text PRIMARY KEY, balance_minor bigint NOT NULL)',
    `CREATE TABLE peer_transfers (
       receipt_id text PRIMARY KEY, app_id text NOT NULL, amount_minor bigint NOT NULL, currency char(3) NOT NULL, occurred_at timestamptz NOT NULL)`,
    `CREATE TABLE peer_postings (
       receipt_id text NOT NULL REFERENCES peer_transfers, account_id text NOT NULL REFERENCES peer_accounts, amount_minor bigint NOT NULL)`,
    `INSERT INTO peer_accounts SELECT 'app-' || i, 0 FROM generate_series(0, ${TRANSFER_ACCOUNTS - 1}) i`,
    `INSERT INTO peer_accounts VALUES ('platform', 0), ('clearing', 0)`,
    // 30% to the platform, the rest to the app's developer: a fixed split, no tiers or caps.
    `CREATE FUNCTION peer_transfer(p_receipt_id text, p_app_id text, p_amount_minor bigint, p_occurred_at timestamptz) RETURNS void
       LANGUAGE plpgsql AS $$
       DECLARE platform_minor bigint := (p_amount_minor * 30) / 100;
       BEGIN
         INSERT INTO peer_transfers VALUES (p_receipt_id, p_app_id, p_amount_minor, 'USD', p_occurred_at);
         INSERT INTO peer_postings VALUES (p_receipt_id, 'clearing', -p_amount_minor), (p_receipt_id, p_app_id, p_amount_minor - platform_minor),
                                          (p_receipt_id, 'platform', platform_minor);
         UPDATE peer_accounts SET balance_minor = balance_minor + p_amount_minor - platform_minor WHERE account_id = p_app_id;
         UPDATE peer_accounts SET balance_minor = balance_minor + platform_minor WHERE account_id = 'platform';
       END $$`,
  ],
};

async function runClient(databaseUrl: string, mode: SqlPeerMode, clientIndex: number, deadline: bigint): Promise<number> {
  const client = new pg.Client({ connectionString: databaseUrl, application_name: `rsi-bench ${mode}` });
  await client.connect();
  let committed = 0;
  try {
    const statement = mode === 'insert-loop'
      ? { name: 'peer_insert', text: 'INSERT INTO peer_receipts VALUES ($1, $2, $3, $4, $5)' }
      : { name: 'peer_transfer', text: 'SELECT peer_transfer($1, $2, $3, $4)' };
    while (process.hrtime.bigint() < deadline) {
      const index = committed * 1_000 + clientIndex;
      const values = [`peer-${clientIndex}-${committed}`, `app-${index % TRANSFER_ACCOUNTS}`, String(100 + (index % 99_701)), ...(mode === 'insert-loop' ? ['USD'] : []), '2026-06-01T00:00:00.000Z'];
      await client.query({ ...statement, values });
      committed += 1;
    }
  } finally {
    await client.end();
  }
  return committed;
}

export async function measureSqlPeer(options: { databaseUrl: string; mode: SqlPeerMode; connections: number; durationSeconds: number }): Promise<ChildResult> {
  const setup = new pg.Client({ connectionString: options.databaseUrl });
  await setup.connect();
  try {
    for (const statement of SCHEMA_BY_MODE[options.mode]) await setup.query(statement);
  } finally {
    await setup.end();
  }
  const startedAt = process.hrtime.bigint();
  const deadline = startedAt + BigInt(options.durationSeconds) * 1_000_000_000n;
  const counts = await Promise.all(Array.from({ length: options.connections }, (_, clientIndex) => runClient(options.databaseUrl, options.mode, clientIndex, deadline)));
  const elapsedSeconds = Number(process.hrtime.bigint() - startedAt) / 1e9;
  const count = counts.reduce((sum, value) => sum + value, 0);
  return { elapsedSeconds, count, peakRssMebibytes: Math.round((process.resourceUsage().maxRSS / 1024) * 10) / 10, detail: { connections: options.connections } };
}
