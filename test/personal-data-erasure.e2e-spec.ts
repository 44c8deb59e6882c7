import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { newDataKey, revealPersonalText, PersonalDataKeys } from '@rsi/database';
import { ERASED_MARKER, type ProtectedText } from '@rsi/domain';
import {
  buildDeveloperStatement, type DeveloperStatement, verifyLedger, sealPeriod, publicKeyPemOf, verifyStatement, statementLogProofsOf, checkTreeHeadConsistency, type TreeHead, TransparencyLog,
} from '@rsi/ledger';
import { BOOKED_LEDGER, bookThreeMonths } from './support/booked-ledger';
import { runCli } from './support/cli-process';
import { openTestApi, openTestLedger, type TestLedger } from './support/test-ledger';

const ADA_NAME = 'Ada <Labs> & "Co"';
const BEA_NAME = 'Bea';

/** Everything money: balances, splits, refunds, postings, payouts, platform share, as exact text. */
async function moneyTables(ledger: TestLedger): Promise<string> {
  const pool = ledger.runtime.connection.pool;
  const tables = ['developer_balances', 'splits', 'refunds', 'ledger_postings', 'payouts', 'platform_share_monthly'];
  const parts: string[] = [];
  for (const table of tables) {
    const rows = await pool.query(`SELECT to_jsonb(t)::text AS row FROM ${table} t ORDER BY 1`);
    parts.push(`${table}: ${rows.rows.map((row) => row.row).join('\n')}`);
  }
  return parts.join('\n');
}

async function allEventRows(ledger: TestLedger): Promise<{ event_id: string; type: string; data: string; metadata: string }[]> {
  const result = await ledger.runtime.connection.pool.query('SELECT event_id, type, data::text AS data, metadata::text AS metadata FROM events ORDER BY transaction_id, position');
  return result.rows;
}

async function developerName(ledger: TestLedger, developerId: string): Promise<string> {
  const result = await ledger.runtime.connection.pool.query('SELECT name FROM developers WHERE developer_id = $1', [developerId]);
  return result.rows[0].name;
}

async function exportText(ledger: TestLedger, name: string): Promise<string> {
  const chunks: string[] = [];
  const { Writable } = await import('node:stream');
  const output = new Writable({ write(chunk, _encoding, done) { chunks.push(String(chunk)); done(); } });
  await ledger.runtime.exportProjection({ name, format: 'jsonl', output, asOf: '2026-04-01T00:00:00.000Z' });
  return chunks.join('');
}

describe('personal data: the developer name is encrypted and erasable, every proof still verifies (real database)', () => {
  let ledger: TestLedger;
  let app: INestApplication;
  let privateKey: KeyObject;
  let publicKeyPem: string;
  let log: TransparencyLog;
  let keys: PersonalDataKeys;
  let headBefore: TreeHead;
  let statementBefore: DeveloperStatement;
  let moneyBefore: string;
  let eventsBefore: Awaited<ReturnType<typeof allEventRows>>;
  const exportsBefore = new Map<string, string>();

  const statementOf = async (developerId: string): Promise<DeveloperStatement> => {
    const statement = await buildDeveloperStatement(ledger.runtime.store, keys, { developerId, period: '2026-01' });
    statement.transparencyLog = await statementLogProofsOf({ store: ledger.runtime.store, log }, statement);
    return JSON.parse(JSON.stringify(statement));
  };

  beforeAll(async () => {
    const api = await openTestApi({ environment: { RSI_API_LOG: 'quiet' } });
    ledger = api;
    app = api.app;
    privateKey = generateKeyPairSync('ed25519').privateKey;
    publicKeyPem = publicKeyPemOf(privateKey);
    keys = new PersonalDataKeys(ledger.runtime.connection.pool);
    log = new TransparencyLog(ledger.runtime.connection.pool, ledger.runtime.store);
    await bookThreeMonths(ledger.runtime);
    for (const period of ['2026-01', '2026-02']) {
      await sealPeriod(ledger.runtime.store, { period, sealedAt: `${period === '2026-01' ? '2026-02' : '2026-03'}-01T00:00:00.000Z`, signingKey: () => privateKey, actor: 'test:seal' });
    }
    headBefore = (await log.issueTreeHead(() => privateKey)).head;
    await ledger.runtime.projector.catchUp();
  });

  afterAll(async () => {
    await app?.close();
    await ledger?.cleanup();
  });

  it('records the name only as ciphertext under a key kept outside the events, and shows it decrypted', async () => {
    const events = await allEventRows(ledger);
    const registered = events.find((event) => event.type === 'DeveloperRegistered' && JSON.parse(event.data).developerId === 'ada')!;
    const name = JSON.parse(registered.data).name as ProtectedText;
    expect(name).toEqual({ scheme: 'aes-256-gcm-v1', ciphertext: expect.stringMatching(/^[A-Za-z0-9_-]+$/), commitment: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(events.map((event) => event.data + event.metadata).join('\n')).not.toContain('Ada <Labs>');
    const key = await keys.stateOf('ada');
    expect(key.kind).toBe('active');
    expect(key.kind === 'active' && revealPersonalText(key.dataKey, name)).toBe(ADA_NAME);
    expect(() => revealPersonalText(newDataKey(), name)).toThrow();
    expect(await developerName(ledger, 'ada')).toBe(ADA_NAME);

    statementBefore = await statementOf('ada');
    expect(statementBefore.developerName).toBe(ADA_NAME);
    expect(verifyStatement(statementBefore, { publicKeyPem })).toMatchObject({ ok: true, failures: [] });
    moneyBefore = await moneyTables(ledger);
    eventsBefore = events;
    for (const name of ['balances', 'splits', 'refunds', 'ledger-entries', 'platform-share']) exportsBefore.set(name, await exportText(ledger, name));
    expect(exportsBefore.get('splits')!.split('\n').filter(Boolean).length).toBeGreaterThan(3);
  });

  it('takes a re-sent registration as already recorded though encryption is randomised; refuses another name', async () => {
    const server = app.getHttpServer();
    const same = await request(server).post('/v1/developers').send({ developerId: 'ada', name: ADA_NAME, country: 'NG' }).expect(200);
    expect(same.body).toMatchObject({ status: 'already_recorded' });
    const other = await request(server).post('/v1/developers').send({ developerId: 'ada', name: 'Someone Else', country: 'NG' }).expect(409);
    expect(other.body).toMatchObject({ code: 'developer_already_registered' });
    // Only the ledger protects a name: a client cannot hand in a ciphertext or an erasure of its own.
    const forged = { developerId: 'cy', name: 'Cy', country: 'NG', nameProtection: { kind: 'erased' } };
    expect((await request(server).post('/v1/developers').send(forged).expect(400)).body).toMatchObject({ code: 'validation_failed' });
    expect(await ledger.runtime.connection.pool.query("SELECT 1 FROM personal_data_keys WHERE developer_id = 'cy'")).toMatchObject({ rowCount: 0 });
  });

  it('erases over HTTP: the event is recorded, the key destroyed; a repeat is already recorded; an unknown developer is 404', async () => {
    const server = app.getHttpServer();
    const erased = await request(server).post('/v1/developers/ada/erasure').send({ reason: 'erasure request 2026-118' }).expect(201);
    expect(erased.body).toMatchObject({ status: 'recorded', events: [{ type: 'PersonalDataErased', data: { developerId: 'ada', reason: 'erasure request 2026-118' } }] });
    expect((await request(server).post('/v1/developers/ada/erasure').send({}).expect(200)).body).toMatchObject({ status: 'already_recorded' });
    expect((await request(server).post('/v1/developers/nobody/erasure').send({}).expect(404)).body).toMatchObject({ code: 'developer_not_registered' });
    expect((await request(server).post('/v1/developers/ada/erasure').send({ reason: 'r'.repeat(501) }).expect(400)).body).toMatchObject({ code: 'validation_failed' });
    expect((await request(server).post('/v1/developers/ada/erasure').send({ reason: 7 }).expect(400)).body).toMatchObject({ code: 'validation_failed' });

    const row = await ledger.runtime.connection.pool.query('SELECT key, erased_at, erased_by, reason FROM personal_data_keys WHERE developer_id = $1', ['ada']);
    expect(row.rows).toEqual([{ key: null, erased_at: expect.any(Date), erased_by: expect.any(String), reason: 'erasure request 2026-118' }]);
    expect(await keys.stateOf('ada')).toEqual({ kind: 'erased' });
    await ledger.runtime.projector.catchUp();
  });

  it('leaves every recorded event as it was and adds one PersonalDataErased', async () => {
    const events = await allEventRows(ledger);
    expect(events.slice(0, eventsBefore.length)).toEqual(eventsBefore);
    expect(events.slice(eventsBefore.length).map((event) => event.type)).toEqual(['PersonalDataErased']);
  });

  it('shows the name as erased in the read model and the statement; balances, splits and exports are byte-identical', async () => {
    expect(await developerName(ledger, 'ada')).toBe(ERASED_MARKER);
    expect(await developerName(ledger, 'bea')).toBe(BEA_NAME);
    expect(await moneyTables(ledger)).toBe(moneyBefore);
    for (const [name, text] of exportsBefore) expect(await exportText(ledger, name)).toBe(text);
    const statement = await statementOf('ada');
    expect(statement.developerName).toBe(ERASED_MARKER);
    expect(JSON.stringify(statement)).not.toContain('Ada <Labs>');
    expect({ ...statement, developerName: null, transparencyLog: null }).toEqual({ ...statementBefore, developerName: null, transparencyLog: null });
  });

  it('keeps every seal, tree head and statement proof valid: the new head extends the old one, verify passes', async () => {
    const headAfter = (await log.issueTreeHead(() => privateKey)).head;
    const proof = await log.consistencyProof(headBefore.treeSize, headAfter.treeSize);
    expect(checkTreeHeadConsistency({ oldHead: headBefore, newHead: headAfter, proof, publicKeyPem }).ok).toBe(true);
    // The statement drawn before the erasure still verifies, and so does today's.
    expect(verifyStatement(statementBefore, { publicKeyPem })).toMatchObject({ ok: true, failures: [] });
    expect(verifyStatement(await statementOf('ada'), { publicKeyPem })).toMatchObject({ ok: true, failures: [] });

    const report = await verifyLedger(ledger.runtime, () => Date.now());
    expect(report.checks.filter((check) => !check.ok)).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.personalData).toEqual({ namesProtected: 2, namesInPlaintext: 0, erasures: 1, erasuresWithKeyPresent: 0, warnings: [] });
  });

  it('re-running the bookings after the erasure records nothing and refuses nothing; another country is refused', async () => {
    const count = (await allEventRows(ledger)).length;
    await bookThreeMonths(ledger.runtime);
    expect((await allEventRows(ledger)).length).toBe(count);
    expect(await ledger.runtime.connection.pool.query('SELECT key FROM personal_data_keys WHERE developer_id = $1', ['ada'])).toMatchObject({ rows: [{ key: null }] });
    const moved = await ledger.runtime.bus.execute({ type: 'RegisterDeveloper', data: { developerId: 'ada', name: ADA_NAME, country: 'KE' } }, { actor: 'test', recordedAt: '2026-03-07T00:00:00.000Z' });
    expect(moved).toMatchObject({ status: 'refused', error: { code: 'developer_already_registered' } });
  });

  it('warns in verify when an erasure left its key behind', async () => {
    const pool = ledger.runtime.connection.pool;
    await pool.query("UPDATE personal_data_keys SET key = $1, erased_at = NULL WHERE developer_id = 'ada'", [newDataKey()]);
    try {
      const report = await verifyLedger(ledger.runtime, () => Date.now());
      expect(report.personalData).toMatchObject({ erasuresWithKeyPresent: 1, warnings: [expect.stringContaining('developer ada: erasure recorded, but the data key still exists')] });
      expect(report.ok).toBe(true);
    } finally {
      await keys.destroy({ developerId: 'ada', erasedAt: '2026-03-07T00:00:00.000Z', erasedBy: 'test', reason: 'restore' });
    }
  });
});

describe('rsi-ledger developers erase (built CLI, real database)', () => {
  let ledger: TestLedger;
  let directory: string;

  beforeAll(async () => {
    // With the CLI's modules, so that the read models the CLI's verify compares are all projected.
    ledger = await openTestLedger();
    await bookThreeMonths(ledger.runtime);
    directory = fs.mkdtempSync(path.join(os.tmpdir(), 'rsi-erasure-'));
  });

  afterAll(async () => {
    await ledger?.cleanup();
    fs.rmSync(directory, { recursive: true, force: true });
  });

  it('erases, then verify passes and the statement shows the name erased', async () => {
    const environment = ledger.childEnvironment;
    const erased = await runCli(['developers', 'erase', '--developer', BOOKED_LEDGER.otherDeveloperId, '--reason', 'request 9'], environment).finished;
    expect(erased).toMatchObject({ code: 0, stdout: expect.stringContaining('erased the personal data of developer bea') });
    const again = await runCli(['developers', 'erase', '--developer', BOOKED_LEDGER.otherDeveloperId], environment).finished;
    expect(again).toMatchObject({ code: 0, stdout: expect.stringContaining('already erased') });
    const unknown = await runCli(['developers', 'erase', '--developer', 'nobody'], environment).finished;
    expect(unknown).toMatchObject({ code: 1, stderr: expect.stringContaining('developer_not_registered') });
    const missing = await runCli(['developers', 'erase'], environment).finished;
    expect(missing).toMatchObject({ code: 2, stderr: expect.stringContaining('--developer ID is required') });

    const verify = await runCli(['verify'], environment).finished;
    expect(JSON.parse(verify.stdout).checks.filter((check: { ok: boolean }) => !check.ok)).toEqual([]);
    expect(verify.code).toBe(0);
    expect(JSON.parse(verify.stdout).personalData).toMatchObject({ erasures: 1, namesProtected: 2, namesInPlaintext: 0 });
    const statementFile = path.join(directory, 'bea.json');
    const statement = await runCli(['statement', '--developer', 'bea', '--period', '2026-02', '--out', statementFile], environment).finished;
    expect(statement.code).toBe(0);
    expect(JSON.parse(fs.readFileSync(statementFile, 'utf8')).developerName).toBe(ERASED_MARKER);
    expect(await developerName(ledger, 'bea')).toBe(ERASED_MARKER);
    expect(await developerName(ledger, 'ada')).toBe(ADA_NAME);
  });
});
