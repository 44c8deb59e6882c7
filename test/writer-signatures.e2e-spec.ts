import { generateKeyPairSync, randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Pool } from 'pg';
import {
  TransparencyLog, TreeHeadRefusedError, expectedEventHashOf, introduceWriterKey, openLedgerContext, publicKeyPemOf, readOrCreateSealPrivateKey,
  readWriterKeyIntroductions, readWriterPrivateKey, verifyLedger, writerKeyIdOf, type LedgerRuntime, type VerifyReport,
} from '@rsi/ledger';
import { bookThreeMonths } from './support/booked-ledger';
import { runCli } from './support/cli-process';
import { openTestLedger, type TestLedger } from './support/test-ledger';

/**
 * "Database access alone cannot write an event": every append is signed with the writer key
 * (docs/audit.md, "Writer signatures"); the seal key introduces it; `writer-key rotate`
 * replaces it (and is idempotent after an interruption); ledgers written before writer
 * signatures are reported as such; the tree-head issuer refuses an unsigned event.
 */

const WRITER_CHECK = 'writer signatures: every append signed by a writer key that a trusted seal key introduced';

function findingsOf(report: VerifyReport): string {
  return report.checks.flatMap((check) => check.examples).join('\n');
}

async function recordReceipt(runtime: LedgerRuntime, receiptId: string): Promise<void> {
  const outcomes = await runtime.bus.executeBatch(
    [{ type: 'RecordRevenue', data: { receiptId, appId: 'ada-chat', amount: '10.00', currency: 'USD', occurredAt: '2026-03-07T10:00:00Z' } }],
    { actor: 'test:writer', recordedAt: '2026-03-08T12:00:00.000Z' },
  );
  expect(outcomes[0]!.status).toBe('recorded');
}

/** An event in a new stream, hashed exactly as the ledger hashes (scheme 2), inserted in SQL: no writer signature. */
async function insertForgedEvent(pool: Pool): Promise<void> {
  const eventId = randomUUID();
  const data = { note: 'forged' };
  const metadata = {
    commandId: 'Forged:1', actor: 'api-key:operator', recordedAt: '2026-03-20T10:00:00.000Z', schemaVersion: 1, hashScheme: 2, previousEventHash: '0'.repeat(64), eventHash: '',
  };
  metadata.eventHash = expectedEventHashOf({ streamName: 'forged-stream', streamVersion: 0n, eventId, type: 'Forged', data, metadata }, metadata.previousEventHash);
  await pool.query(`INSERT INTO events (stream_name, stream_version, event_id, type, data, metadata) VALUES ('forged-stream', 0, $1, 'Forged', $2, $3)`,
    [eventId, JSON.stringify(data), JSON.stringify(metadata)]);
  await pool.query(`INSERT INTO streams (stream_name, stream_version) VALUES ('forged-stream', 0)`);
}

/** The CLI opens the same ledger while this test's context is open: a PostgreSQL server only (the embedded database admits one process). */
const onServer = process.env.DATABASE_URL?.trim() ? it : it.skip;

describe('writer signatures', () => {
  let ledger: TestLedger | undefined;
  let keyDirectory: string;

  beforeEach(() => {
    keyDirectory = fs.mkdtempSync(path.join(os.tmpdir(), 'rsi-writer-keys-'));
  });

  afterEach(async () => {
    await ledger?.cleanup();
    ledger = undefined;
    fs.rmSync(keyDirectory, { recursive: true, force: true });
  });

  onServer('signs each append once; seal introduces the key; rotate replaces it (idempotent after an interruption); a retired key is refused', async () => {
    const writerKeyFile = path.join(keyDirectory, 'writer', 'writer-private-key.pem');
    const sealKeyFile = path.join(keyDirectory, 'seal-private-key.pem');
    const environment = { RSI_WRITER_PRIVATE_KEY_FILE: writerKeyFile, RSI_SEAL_PRIVATE_KEY_FILE: sealKeyFile };
    ledger = await openTestLedger({ environment });
    const { runtime } = ledger;
    const pool = runtime.connection.pool;
    await bookThreeMonths(runtime);
    expect(fs.statSync(writerKeyFile).mode & 0o777).toBe(0o600);

    // One signature per append: as many rows as transactions that wrote events, each naming its events exactly.
    const perAppend = await pool.query<{ transactions: number; signatures: number; mismatched: number }>(
      `SELECT (SELECT count(DISTINCT transaction_id)::int FROM events) AS transactions, (SELECT count(*)::int FROM writer_signatures) AS signatures,
              (SELECT count(*)::int FROM writer_signatures s WHERE s.event_count <> (SELECT count(*) FROM events e WHERE e.transaction_id = s.transaction_id)) AS mismatched`,
    );
    expect(perAppend.rows[0]!.mismatched).toBe(0);
    expect(perAppend.rows[0]!.signatures).toBe(perAppend.rows[0]!.transactions);
    expect(perAppend.rows[0]!.signatures).toBeGreaterThanOrEqual(4);

    // Not introduced yet: a warning, not a failure.
    const report = await verifyLedger(runtime, () => Date.now());
    expect(report.ok).toBe(true);
    expect(report.warnings.join('\n')).toMatch(/writer signatures: writer key [0-9a-f]{16} .* is not introduced by a seal key you trust yet/);

    const env = ledger.childEnvironment;
    const sealed = await runCli(['seal', '--period', '2026-01'], { ...env, ...environment }).finished;
    expect(sealed.code).toBe(0);
    expect(sealed.stderr).toMatch(/introduced the writer key [0-9a-f]{16} with the seal key/);
    const sealPublicKeyFile = path.join(keyDirectory, 'seal-public-key.pem');
    fs.writeFileSync(sealPublicKeyFile, publicKeyPemOf(readOrCreateSealPrivateKey(sealKeyFile).privateKey));
    const verifyByCli = async () => {
      const result = await runCli(['verify', '--public-key', sealPublicKeyFile], { ...env, ...environment }).finished;
      return { code: result.code, report: JSON.parse(result.stdout) as VerifyReport };
    };
    let cli = await verifyByCli();
    expect(findingsOf(cli.report)).toBe('');
    expect(cli.report.warnings.filter((warning) => warning.startsWith('writer signatures'))).toEqual([]);
    expect(cli.code).toBe(0);

    const firstKeyId = writerKeyIdOf(publicKeyPemOf(readWriterPrivateKey(writerKeyFile)));
    const rotated = await runCli(['writer-key', 'rotate'], { ...env, ...environment }).finished;
    expect(rotated.stderr).toMatch(/now [0-9a-f]{16}; restart every process that writes/);
    expect(rotated.code).toBe(0);
    expect(JSON.parse(rotated.stdout)).toMatchObject({ status: 'introduced', previousKeyId: firstKeyId });
    const secondKeyId = writerKeyIdOf(publicKeyPemOf(readWriterPrivateKey(writerKeyFile)));
    expect(secondKeyId).not.toBe(firstKeyId);
    expect(fs.existsSync(`${writerKeyFile}.next`)).toBe(false);

    // An interrupted rotation: the next key written and introduced, the rename not done. A rerun finishes it, introducing nothing twice.
    const nextKeyFile = `${writerKeyFile}.next`;
    fs.writeFileSync(nextKeyFile, generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    const nextPublicKey = publicKeyPemOf(readWriterPrivateKey(nextKeyFile));
    const interrupted = await openLedgerContext({ environment: { ...ledger.childEnvironment, ...environment }, writerPrivateKeyFile: nextKeyFile });
    try {
      await introduceWriterKey(interrupted.runtime.store, {
        writerPublicKey: nextPublicKey, previousWriterPublicKey: publicKeyPemOf(readWriterPrivateKey(writerKeyFile)),
        sealKey: readOrCreateSealPrivateKey(sealKeyFile).privateKey, actor: 'test:interrupted',
      });
    } finally {
      await interrupted.close();
    }
    const rerun = await runCli(['writer-key', 'rotate'], { ...env, ...environment }).finished;
    expect(rerun.code).toBe(0);
    expect(JSON.parse(rerun.stdout)).toMatchObject({ status: 'already_introduced', keyId: writerKeyIdOf(nextPublicKey), previousKeyId: secondKeyId });
    expect(writerKeyIdOf(publicKeyPemOf(readWriterPrivateKey(writerKeyFile)))).toBe(writerKeyIdOf(nextPublicKey));
    const introductions = (await readWriterKeyIntroductions(runtime.store)).introductions.map((entry) => writerKeyIdOf(entry.introduction.writerPublicKey));
    expect(introductions).toEqual([firstKeyId, secondKeyId, writerKeyIdOf(nextPublicKey)]);

    // A process opened now writes with the current key: the ledger verifies.
    const current = await openLedgerContext({ environment: { ...ledger.childEnvironment, ...environment }, bookingTime: 'requested' });
    try {
      await recordReceipt(current.runtime, 'r7');
    } finally {
      await current.close();
    }
    cli = await verifyByCli();
    expect(findingsOf(cli.report)).toBe('');
    expect(cli.code).toBe(0);

    // This test's own context still holds the first key, retired two rotations ago: what it signs now is refused.
    await recordReceipt(runtime, 'r8');
    cli = await verifyByCli();
    expect(cli.code).toBe(1);
    expect(cli.report.checks.find((check) => check.name === WRITER_CHECK)!.examples.join('\n'))
      .toMatch(new RegExp(`writer key ${firstKeyId!.slice(0, 16)} .*: signed appends after its successor was introduced at \\d+/\\d+`));
  }, 120_000);

  it('a ledger written before writer signatures: its unsigned events are reported, not refused; an unsigned event after them is', async () => {
    const environment = { RSI_WRITER_PRIVATE_KEY_FILE: path.join(keyDirectory, 'writer-private-key.pem') };
    ledger = await openTestLedger({ environment });
    const { runtime } = ledger;
    const pool = runtime.connection.pool;
    await bookThreeMonths(runtime);
    // As if migration 0011 ran now, over a ledger written without signatures.
    await pool.query('DELETE FROM writer_signatures');
    await pool.query('UPDATE writer_signature_start SET unsigned_events_before = (SELECT count(*) FROM events)');
    const legacyEvents = (await pool.query<{ count: number }>('SELECT count(*)::int AS count FROM events')).rows[0]!.count;
    await recordReceipt(runtime, 'r7');
    await runtime.projector.catchUp();

    let report = await verifyLedger(runtime, () => Date.now());
    expect(findingsOf(report)).toBe('');
    expect(report.ok).toBe(true);
    expect(report.warnings.join('\n')).toMatch(new RegExp(`writer signatures: the ${legacyEvents} event\\(s\\) up to position \\d+/\\d+ carry no writer signature \\(written before writer signatures, migration 0011\\)`));

    // The signature of the receipt after them removed: refused, naming the event.
    await pool.query('DELETE FROM writer_signatures');
    report = await verifyLedger(runtime, () => Date.now());
    expect(report.ok).toBe(false);
    expect(report.checks.find((check) => check.name === WRITER_CHECK)!.examples.join('\n'))
      .toMatch(/developer-ada@\d+ RevenueRecorded \(event [0-9a-f-]{36}, position \d+\/\d+\): carries no writer signature/);
  }, 60_000);

  it('the tree-head issuer refuses an event appended in SQL without a writer signature, naming it', async () => {
    ledger = await openTestLedger({ environment: { RSI_WRITER_PRIVATE_KEY_FILE: path.join(keyDirectory, 'writer-private-key.pem') } });
    const { runtime } = ledger;
    await bookThreeMonths(runtime);
    const log = new TransparencyLog(runtime.connection.pool, runtime.store);
    const sealKey = generateKeyPairSync('ed25519').privateKey;
    expect((await log.issueTreeHead(() => sealKey)).status).toBe('issued');
    await insertForgedEvent(runtime.connection.pool);
    const refusal = await log.issueTreeHead(() => sealKey).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(TreeHeadRefusedError);
    expect((refusal as TreeHeadRefusedError).code).toBe('writer_signature_missing');
    expect((refusal as Error).message).toMatch(/^forged-stream@0 Forged \(event [0-9a-f-]{36}\): carries no writer signature/);
  }, 60_000);
});
