import { generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Pool } from 'pg';
import {
  expectedEventHashOf, introduceWriterKey, openLedgerContext, publicKeyPemOf, sealPeriod, type LedgerOptions, type LedgerRuntime, type VerifyReport,
} from '@rsi/ledger';
import { KeyWriterSigner } from '@rsi/event-store';
import { bookThreeMonths } from './support/booked-ledger';
import { runCli } from './support/cli-process';
import { runAsAdministrator } from './support/test-database';
import { createFreshDatabase, type FreshDatabase } from './support/test-ledger';

/**
 * The tamper catalogue (issue 12): every class the design says is detectable, each applied
 * directly in SQL (as the platform's database administrator could) to a copy of one sealed
 * ledger, whose writer key the seal key introduced. For each, `rsi-ledger verify`, given the
 * platform's published seal key, must exit non-zero with a finding naming the event or row.
 * The untouched copy must verify (exit 0). test/verify-tamper.e2e-spec.ts checks the
 * library's report in detail for the same classes (every check present, nothing written).
 */

type TamperClass = {
  name: string;
  /** Applies the tampering to a copy of the sealed ledger. */
  tamper(pool: Pool, copy: LedgerCopy): Promise<void>;
  /** What the report must say, naming the event or row. */
  finding: RegExp;
  /** The ledger to verify, when the class replaces the whole ledger (a rebuild). */
  rebuild?: () => Promise<LedgerCopy>;
};

type LedgerCopy = { options: LedgerOptions; childEnvironment: NodeJS.ProcessEnv; dataDirectory: string | undefined; drop(): Promise<void> };

const receiptEvent = (receiptId: string) => `type = 'RevenueRecorded' AND data->>'receiptId' = '${receiptId}'`;

/** Deletes one event and moves every later event of its stream down one version, the streams row with them. */
async function deleteEventFixingStream(pool: Pool, where: string): Promise<void> {
  const deleted = await pool.query<{ stream_name: string; stream_version: string }>(`DELETE FROM events WHERE ${where} RETURNING stream_name, stream_version::text AS stream_version`);
  expect(deleted.rows).toHaveLength(1);
  const { stream_name: streamName, stream_version: version } = deleted.rows[0]!;
  // In two steps, so that no row meets the primary key of another on the way.
  await pool.query('UPDATE events SET stream_version = stream_version + 1000000 WHERE stream_name = $1 AND stream_version > $2', [streamName, version]);
  await pool.query('UPDATE events SET stream_version = stream_version - 1000001 WHERE stream_name = $1 AND stream_version > 1000000', [streamName]);
  await pool.query('UPDATE streams SET stream_version = stream_version - 1 WHERE stream_name = $1', [streamName]);
}

/**
 * Appends a receipt the domain would accept, chained and hashed exactly as the ledger does, in
 * SQL: everything but the writer's signature.
 */
async function appendForgedReceipt(pool: Pool): Promise<{ transactionId: string; position: string; eventHash: string }> {
  const last = await pool.query<{ stream_version: string; metadata: { eventHash: string } }>(
    `SELECT stream_version::text AS stream_version, metadata FROM events WHERE stream_name = 'developer-ada' ORDER BY events.stream_version DESC LIMIT 1`,
  );
  const template = await pool.query<{ data: Record<string, unknown> }>(`SELECT data FROM events WHERE ${receiptEvent('r4')}`);
  const data = { ...template.rows[0]!.data, receiptId: 'r9' } as never;
  const streamVersion = BigInt(last.rows[0]!.stream_version) + 1n;
  const eventId = randomUUID();
  const metadata = {
    commandId: 'RecordRevenue:r9', actor: 'api-key:operator', recordedAt: '2026-03-20T10:00:00.000Z', schemaVersion: 1, hashScheme: 2,
    previousEventHash: last.rows[0]!.metadata.eventHash, eventHash: '',
  };
  metadata.eventHash = expectedEventHashOf({ streamName: 'developer-ada', streamVersion, eventId, type: 'RevenueRecorded', data, metadata }, metadata.previousEventHash);
  const inserted = await pool.query<{ transaction_id: string; position: string }>(
    `INSERT INTO events (stream_name, stream_version, event_id, type, data, metadata) VALUES ('developer-ada', $1, $2, 'RevenueRecorded', $3, $4)
     RETURNING transaction_id::text AS transaction_id, position::text AS position`,
    [streamVersion.toString(), eventId, JSON.stringify(data), JSON.stringify(metadata)],
  );
  await pool.query(`UPDATE streams SET stream_version = $1 WHERE stream_name = 'developer-ada'`, [streamVersion.toString()]);
  return { transactionId: inserted.rows[0]!.transaction_id, position: inserted.rows[0]!.position, eventHash: metadata.eventHash };
}

/** Seals January and February with `sealKey`, introduces the ledger's writer key with it, and projects everything. */
async function sealAndIntroduce(runtime: LedgerRuntime, sealKey: KeyObject): Promise<void> {
  await sealPeriod(runtime.store, { period: '2026-01', sealedAt: '2026-02-01T00:00:00.000Z', signingKey: () => sealKey, actor: 'test:seal' });
  await sealPeriod(runtime.store, { period: '2026-02', sealedAt: '2026-03-01T08:00:00.000Z', signingKey: () => sealKey, actor: 'test:seal' });
  await introduceWriterKey(runtime.store, { writerPublicKey: runtime.writerSigner!.publicKeyPem, previousWriterPublicKey: null, sealKey, actor: 'test:seal' });
  await runtime.projector.catchUp();
}

describe('the tamper catalogue: each class applied in SQL to a sealed ledger makes "rsi-ledger verify" exit non-zero, naming the event or row', () => {
  const keyDirectory = fs.mkdtempSync(path.join(os.tmpdir(), 'rsi-tamper-keys-'));
  const publishedKey = generateKeyPairSync('ed25519').privateKey;
  const publishedKeyFile = path.join(keyDirectory, 'published-seal-key.pem');
  // The writer key of this suite alone, outside the data directory and the user's configuration.
  const environment = { RSI_WRITER_PRIVATE_KEY_FILE: path.join(keyDirectory, 'writer-private-key.pem') };
  let base: FreshDatabase;
  const outcomes: { name: string; detected: boolean }[] = [];

  /** A ledger booked over three months, sealed with the published key, closed, ready to be copied. */
  beforeAll(async () => {
    fs.writeFileSync(publishedKeyFile, publicKeyPemOf(publishedKey));
    base = await createFreshDatabase(environment);
    const ledger = await openLedgerContext({ ...base.ledgerOptions, bookingTime: 'requested' });
    try {
      await bookThreeMonths(ledger.runtime);
      await sealAndIntroduce(ledger.runtime, publishedKey);
    } finally {
      await ledger.close();
    }
  }, 120_000);

  afterAll(async () => {
    // A test that timed out may not have reached its own drop: nothing is left behind.
    for (const copy of copiesNotDropped) await copy.drop().catch(() => undefined);
    await base?.drop();
    fs.rmSync(keyDirectory, { recursive: true, force: true });
    const detected = outcomes.filter((outcome) => outcome.detected).length;
    process.stdout.write(`tamper catalogue: ${outcomes.length} classes, ${detected} detected\n`);
  });

  const copiesNotDropped = new Set<LedgerCopy>();

  /** A copy of the sealed ledger, remembered until it is dropped. */
  async function copyOfBase(): Promise<LedgerCopy> {
    const copy = await newCopyOfBase();
    const drop = copy.drop;
    const tracked: LedgerCopy = { ...copy, drop: async () => { copiesNotDropped.delete(tracked); await drop(); } };
    copiesNotDropped.add(tracked);
    return tracked;
  }

  /** A copy of the sealed ledger: a database made from it as a template, or a copy of its data directory. */
  async function newCopyOfBase(): Promise<LedgerCopy> {
    if (base.databaseUrl !== undefined) {
      const baseUrl = new URL(base.databaseUrl);
      const copyName = `${baseUrl.pathname.slice(1)}_copy_${randomUUID().replace(/-/g, '').slice(0, 8)}`;
      await runAsAdministrator(process.env.DATABASE_URL!, `CREATE DATABASE ${copyName} TEMPLATE ${baseUrl.pathname.slice(1)}`);
      const url = new URL(base.databaseUrl);
      url.pathname = `/${copyName}`;
      const childEnvironment = { ...process.env, ...environment, DATABASE_URL: url.toString() };
      return {
        options: { environment: childEnvironment }, childEnvironment, dataDirectory: undefined,
        drop: () => runAsAdministrator(process.env.DATABASE_URL!, `DROP DATABASE IF EXISTS ${copyName} WITH (FORCE)`),
      };
    }
    const dataDirectory = fs.mkdtempSync(path.join(os.tmpdir(), 'rsi-tamper-copy-'));
    fs.cpSync(base.dataDirectory!, dataDirectory, { recursive: true });
    const childEnvironment = { ...base.ledgerOptions.environment, ...environment };
    return {
      options: { dataDirectory, environment: childEnvironment }, childEnvironment, dataDirectory,
      async drop() { fs.rmSync(dataDirectory, { recursive: true, force: true }); },
    };
  }

  async function withPool(copy: LedgerCopy, work: (pool: Pool) => Promise<void>): Promise<void> {
    const ledger = await openLedgerContext({ ...copy.options, bookingTime: 'requested' });
    try {
      await work(ledger.runtime.connection.pool);
    } finally {
      await ledger.close();
    }
  }

  async function verifyByCli(copy: LedgerCopy): Promise<{ code: number | null; report: VerifyReport; findings: string }> {
    const cliArguments = [...(copy.dataDirectory ? ['--data-dir', copy.dataDirectory] : []), 'verify', '--public-key', publishedKeyFile];
    const result = await runCli(cliArguments, copy.childEnvironment).finished;
    expect(result.stderr).toBe('');
    const report = JSON.parse(result.stdout) as VerifyReport;
    return { code: result.code, report, findings: report.checks.flatMap((check) => check.examples).join('\n') };
  }

  it('baseline: the untouched sealed ledger verifies against the published key (exit 0, no warning)', async () => {
    const copy = await copyOfBase();
    try {
      const { code, report, findings } = await verifyByCli(copy);
      expect(findings).toBe('');
      expect(code).toBe(0);
      expect(report.sealKeys.pinned).toBe(true);
      expect(report.warnings).toEqual([]);
      expect(report.checks.find((check) => check.name.startsWith('writer signatures'))!.checked).toBeGreaterThan(3);
    } finally {
      await copy.drop();
    }
  }, 60_000);

  const catalogue: TamperClass[] = [
    {
      name: 'an amount in an event',
      tamper: (pool) => pool.query(`UPDATE events SET data = jsonb_set(jsonb_set(data::jsonb, '{amountMinor}', '"6000"'), '{lines,1,amountMinor}', '"5000"')::json WHERE ${receiptEvent('r2')}`).then(() => undefined),
      finding: /developer-ada@3: event hash does not match its body/,
    },
    {
      name: 'an event deleted in the middle of a stream, the streams row fixed',
      tamper: (pool) => deleteEventFixingStream(pool, receiptEvent('r2')),
      finding: /developer-ada@3: previous hash does not match/,
    },
    {
      name: 'an event deleted at the end of a stream, the streams row fixed',
      tamper: (pool) => deleteEventFixingStream(pool, `stream_name = 'developer-ada' AND stream_version = (SELECT stream_version FROM streams WHERE stream_name = 'developer-ada')`),
      finding: /append of transaction \d+ .*(events were added to or removed from it|none of its events is in the store)/,
    },
    {
      name: "two events' data swapped",
      tamper: (pool) => pool.query(
        `WITH a AS (SELECT position, data FROM events WHERE ${receiptEvent('r1')}), b AS (SELECT position, data FROM events WHERE ${receiptEvent('r2')})
         UPDATE events SET data = CASE WHEN events.position = (SELECT position FROM a) THEN (SELECT data FROM b) ELSE (SELECT data FROM a) END
          WHERE events.position IN ((SELECT position FROM a), (SELECT position FROM b))`,
      ).then(() => undefined),
      finding: /developer-ada@2: event hash does not match its body[\s\S]*developer-ada@3: event hash does not match its body/,
    },
    {
      name: 'the actor of an event changed',
      tamper: (pool) => pool.query(`UPDATE events SET metadata = jsonb_set(metadata::jsonb, '{actor}', '"someone-else"')::json WHERE ${receiptEvent('r2')}`).then(() => undefined),
      finding: /developer-ada@3: event hash does not match its body/,
    },
    {
      name: 'the command id of an event changed',
      tamper: (pool) => pool.query(`UPDATE events SET metadata = jsonb_set(metadata::jsonb, '{commandId}', '"RecordRevenue:r9"')::json WHERE ${receiptEvent('r2')}`).then(() => undefined),
      finding: /developer-ada@3: event hash does not match its body/,
    },
    {
      name: 'the booking time of an event changed',
      tamper: (pool) => pool.query(`UPDATE events SET metadata = jsonb_set(metadata::jsonb, '{recordedAt}', '"2026-01-15T00:00:00.000Z"')::json WHERE ${receiptEvent('r2')}`).then(() => undefined),
      finding: /developer-ada@3: event hash does not match its body/,
    },
    {
      name: 'a read-model row changed (a balance)',
      tamper: (pool) => pool.query(`UPDATE developer_balances SET credited_minor = credited_minor + 100 WHERE developer_id = 'bea'`).then(() => undefined),
      finding: /developer_balances: 1 rows only live, 1 only rebuilt; live .*"developer_id\\?":\\?"bea/,
    },
    {
      name: 'a posting moved between accounts, still zero-sum',
      tamper: (pool) => pool.query(
        `UPDATE ledger_postings SET accounts = ARRAY['revenue:clearing', 'developer:ada', 'platform'] WHERE event_id = (SELECT event_id FROM events WHERE ${receiptEvent('r1')})`,
      ).then(() => undefined),
      finding: /ledger_postings: 1 rows only live, 1 only rebuilt; live .*"event_id/,
    },
    {
      name: "a split's contract version changed (in the event)",
      tamper: (pool) => pool.query(`UPDATE events SET data = jsonb_set(data::jsonb, '{contractVersion}', '2')::json WHERE ${receiptEvent('r2')}`).then(() => undefined),
      finding: /developer-ada@3 RevenueRecorded .*unknown contract version 2/,
    },
    {
      name: "a split's contract hash changed (in the event)",
      tamper: (pool) => pool.query(`UPDATE events SET data = jsonb_set(data::jsonb, '{contractHash}', to_jsonb(repeat('b', 64)))::json WHERE ${receiptEvent('r2')}`).then(() => undefined),
      finding: /developer-ada@3 RevenueRecorded .* differs from recorded/,
    },
    {
      name: "a split's contract version changed (in the splits read model)",
      tamper: (pool) => pool.query(`UPDATE splits SET contract_version = 2 WHERE receipt_id = 'r2'`).then(() => undefined),
      finding: /splits: 1 rows only live, 1 only rebuilt; live .*"receipt_id\\?":\\?"r2/,
    },
    {
      name: 'a forged event appended with a correct hash chain (caught by the writer signature)',
      tamper: async (pool) => { await appendForgedReceipt(pool); },
      finding: /developer-ada@\d+ RevenueRecorded \(event [0-9a-f-]{36}, position \d+\/\d+\): carries no writer signature/,
    },
    {
      name: "a forged event signed with an outsider's writer key (its public key and signature inserted too)",
      tamper: async (pool) => {
        const forged = await appendForgedReceipt(pool);
        const outsider = new KeyWriterSigner(generateKeyPairSync('ed25519').privateKey);
        await pool.query('INSERT INTO writer_public_keys (key_id, public_key) VALUES ($1, $2)', [outsider.keyId, outsider.publicKeyPem]);
        await pool.query(
          `INSERT INTO writer_signatures (transaction_id, first_position, last_position, event_count, key_id, signature) VALUES ($1::text::xid8, $2, $2, 1, $3, $4)`,
          [forged.transactionId, forged.position, outsider.keyId, outsider.sign([forged.eventHash])],
        );
      },
      finding: /writer key [0-9a-f]{16} \(1 append\(s\), 1 event\(s\), the last at \d+\/\d+\): no seal key you trust introduced it/,
    },
    {
      name: 'a seal removed (January), the seals stream and its streams row fixed',
      tamper: (pool) => deleteEventFixingStream(pool, `type = 'PeriodSealed' AND data->>'period' = '2026-01'`),
      finding: /seal 2026-02: names previous seal [0-9a-f]{64}, but the seal before it is none/,
    },
    {
      name: 'the whole ledger rebuilt from edited commands and sealed under a fresh key, verified against the published key',
      tamper: async () => undefined,
      rebuild: async () => {
        // A new database written from the same history with r2 worth ten times more, sealed under a key of the insider's.
        const fresh = await createFreshDatabase(environment);
        const copy: LedgerCopy = {
          options: fresh.ledgerOptions, childEnvironment: { ...(fresh.ledgerOptions.environment ?? process.env), ...environment }, dataDirectory: fresh.dataDirectory,
          drop: () => fresh.drop(),
        };
        const insiderKey = generateKeyPairSync('ed25519').privateKey;
        const ledger = await openLedgerContext({ ...copy.options, bookingTime: 'requested' });
        try {
          await ledger.runtime.bus.executeBatch([
            { type: 'RegisterDeveloper', data: { developerId: 'ada', name: 'Ada', country: 'NG' } },
            { type: 'RegisterApp', data: { appId: 'ada-chat', developerId: 'ada', name: 'Ada Chat', contract: {
              currency: 'USD', effectiveFrom: '2026-01-01T00:00:00Z', platformShare: { tiers: [{ rate: '20%' }], window: 'lifetime', scope: 'app' }, holdDays: 14, minimumPayout: '10.00',
            } } },
            { type: 'RecordRevenue', data: { receiptId: 'r2', appId: 'ada-chat', amount: '500.00', currency: 'USD', occurredAt: '2026-01-20T10:00:00Z' } },
          ], { actor: 'test:insider', recordedAt: '2026-01-25T12:00:00.000Z' });
          await sealAndIntroduce(ledger.runtime, insiderKey);
        } finally {
          await ledger.close();
        }
        return copy;
      },
      finding: /seal 2026-01: signed by key [0-9a-f]{16}, which is neither a pinned key nor joined to one by a rotation/,
    },
  ];

  it.each(catalogue.map((entry) => [entry.name, entry] as const))('%s', async (_name, entry) => {
    const copy = entry.rebuild ? await entry.rebuild() : await copyOfBase();
    try {
      await withPool(copy, (pool) => entry.tamper(pool, copy));
      const { code, findings } = await verifyByCli(copy);
      const detected = code !== 0 && entry.finding.test(findings);
      outcomes.push({ name: entry.name, detected });
      expect(findings).toMatch(entry.finding);
      expect(code).toBe(1);
    } finally {
      await copy.drop();
    }
  }, 90_000);
});
