/**
 * The audit surface over HTTP, the access log and the abuse limits, through the real
 * application on a real database: a developer fetches its own statement and it verifies
 * offline with the published key; seals; the statement check; verify as a job for auditors;
 * what-if for finance; balances as booked by a past instant; every authenticated request
 * in the access log auditors export; 429 with Retry-After per key and per address.
 */
import type { INestApplication } from '@nestjs/common';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import request from 'supertest';
import { readOrCreateSealPrivateKey, sealPeriod, verifyStatement } from '@rsi/ledger';
import { BOOKED_LEDGER, bookThreeMonths } from './support/booked-ledger';
import { openTestApi, type TestApi } from './support/test-ledger';

jest.setTimeout(60_000);

const OPERATOR_SECRET = 'bootstrap-operator-secret';

describe('the audit surface over HTTP (real server, real database)', () => {
  let ledger: TestApi;
  let server: ReturnType<INestApplication['getHttpServer']>;
  let keyDirectory: string;
  const secrets: Record<'ada' | 'bea' | 'auditor' | 'finance', string> = { ada: '', bea: '', auditor: '', finance: '' };
  const keyIds: Record<string, string> = {};
  const get = (pathName: string, secret: string) => request(server).get(pathName).set('X-Api-Key', secret);
  const post = (pathName: string, secret: string, body: unknown) => request(server).post(pathName).set('X-Api-Key', secret).send(body as object);

  beforeAll(async () => {
    keyDirectory = fs.mkdtempSync(path.join(os.tmpdir(), 'rsi-audit-http-'));
    const sealPrivateKeyFile = path.join(keyDirectory, 'seal-key.pem');
    ledger = await openTestApi({ environment: { RSI_API_LOG: 'quiet', RSI_API_KEYS: `ops:${OPERATOR_SECRET}` }, sealPrivateKeyFile });
    server = ledger.app.getHttpServer();
    await bookThreeMonths(ledger.runtime);
    const { privateKey } = readOrCreateSealPrivateKey(sealPrivateKeyFile);
    for (const [period, sealedAt] of [['2026-01', '2026-02-01T00:00:00.000Z'], ['2026-02', '2026-03-01T08:00:00.000Z']] as const) {
      await sealPeriod(ledger.runtime.store, { period, sealedAt, signingKey: () => privateKey, actor: 'test:seal' });
    }
    for (const [name, body] of [
      ['ada', { role: 'developer', developerId: BOOKED_LEDGER.developerId }], ['bea', { role: 'developer', developerId: BOOKED_LEDGER.otherDeveloperId }],
      ['auditor', { role: 'auditor' }], ['finance', { role: 'finance' }],
    ] as const) {
      const issued = await post('/v1/keys', OPERATOR_SECRET, body).expect(201);
      secrets[name] = issued.body.secret as string;
      keyIds[name] = issued.body.keyId as string;
    }
  });

  afterAll(async () => {
    await ledger?.cleanup();
    fs.rmSync(keyDirectory, { recursive: true, force: true });
  });

  it('gives a developer its statement, which verifies offline with the published key (and by POST /v1/statements/verify)', async () => {
    const published = await request(server).get('/v1/seal-public-key').expect(200);
    const response = await get(`/v1/developers/${BOOKED_LEDGER.developerId}/statements/2026-01?format=json`, secrets.ada).expect(200);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    const statement = JSON.parse(response.text) as { lines: { amount: string; proof: unknown }[]; seal: { period: string } | null };
    expect(statement.seal?.period).toBe('2026-01');
    expect(statement.lines.every((line) => line.proof !== null)).toBe(true);
    // Offline, with nothing but the statement and the published key.
    const offline = verifyStatement(statement, { pinnedPublicKeys: [published.body.publicKey as string] });
    expect(offline.ok).toBe(true);
    const checked = await post('/v1/statements/verify', secrets.ada, statement);
    expect({ status: checked.status, body: checked.status === 200 ? null : checked.body as unknown }).toEqual({ status: 200, body: null });
    expect(checked.body.ok).toBe(true);
    // A statement altered after it was issued is caught by both.
    const altered = JSON.parse(response.text) as { lines: { amount: string }[] };
    altered.lines[0]!.amount = '1000000.00';
    expect(verifyStatement(altered, { pinnedPublicKeys: [published.body.publicKey as string] }).ok).toBe(false);
    expect((await post('/v1/statements/verify', secrets.auditor, altered).expect(200)).body.ok).toBe(false);
  });

  it('serves the statement as CSV and HTML, and another developer\'s statement as absent', async () => {
    const csv = await get(`/v1/developers/${BOOKED_LEDGER.developerId}/statements/2026-02?format=csv`, secrets.ada).expect(200);
    expect(csv.headers['content-type']).toMatch(/^text\/csv/);
    const html = await get(`/v1/developers/${BOOKED_LEDGER.developerId}/statements/2026-02?format=html`, secrets.auditor).expect(200);
    expect(html.headers['content-type']).toMatch(/^text\/html/);
    const other = await get(`/v1/developers/${BOOKED_LEDGER.developerId}/statements/2026-01`, secrets.bea).expect(404);
    const nobody = await get('/v1/developers/nobody/statements/2026-01', secrets.auditor).expect(404);
    expect(other.body.code).toBe('unknown_developer');
    expect(other.body.message).toBe(nobody.body.message.replace('nobody', BOOKED_LEDGER.developerId));
    expect((await get(`/v1/developers/${BOOKED_LEDGER.developerId}/statements/2026-13`, secrets.ada).expect(400)).body.field).toBe('period');
  });

  it('lists the seals and answers one period', async () => {
    const seals = await get('/v1/seals', secrets.bea).expect(200);
    expect(seals.body.seals.map((seal: { period: string }) => seal.period)).toEqual(['2026-01', '2026-02']);
    expect((await get('/v1/seals/2026-02', secrets.finance).expect(200)).body).toMatchObject({ period: '2026-02', merkleRoot: expect.stringMatching(/^[0-9a-f]{64}$/) as unknown });
    expect((await get('/v1/seals/2026-03', secrets.finance).expect(404)).body.code).toBe('unknown_seal');
  });

  it('runs verify as a job for auditors, polled until its report', async () => {
    const started = await post('/v1/verify-jobs', secrets.auditor, {}).expect(202);
    expect(started.body).toMatchObject({ status: 'running', requestedBy: `api:${keyIds.auditor}` });
    let job = started.body as { status: string; ok: boolean | null; report: { ok: boolean } | null };
    for (let attempt = 0; attempt < 200 && job.status === 'running'; attempt += 1) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      job = (await get(`/v1/verify-jobs/${started.body.jobId as string}`, secrets.auditor).expect(200)).body;
    }
    expect({ status: job.status, ok: job.ok, reportOk: job.report?.ok }).toEqual({ status: 'finished', ok: true, reportOk: true });
    expect((await post('/v1/verify-jobs', secrets.finance, {})).status).toBe(403);
    expect((await get('/v1/verify-jobs/nobody', secrets.auditor).expect(404)).body.code).toBe('unknown_verify_job');
  });

  it('answers what-if to finance', async () => {
    const contract = { currency: 'USD', effectiveFrom: '2026-01-01T00:00:00Z', platformShare: { tiers: [{ rate: '10%' }], window: 'lifetime', scope: 'app' }, holdDays: 14, minimumPayout: '10.00' };
    const report = await post('/v1/what-if', secrets.finance, { appId: 'ada-chat', contract }).expect(200);
    expect(report.body).toMatchObject({ appId: 'ada-chat', developerId: BOOKED_LEDGER.developerId });
    const platform = (report.body.parties as { party: string; recorded: string; whatIf: string }[]).find((party) => party.party === 'platform');
    expect(platform).toBeDefined();
    expect(platform!.whatIf).not.toBe(platform!.recorded);
    expect((await post('/v1/what-if', secrets.ada, { appId: 'ada-chat', contract })).status).toBe(403);
    expect((await post('/v1/what-if', secrets.finance, { appId: 'nobody', contract }).expect(404)).body.code).toBe('unknown_app');
  });

  it('reads balances as booked by a past instant: a late receipt booked later is not in them', async () => {
    const developer = BOOKED_LEDGER.developerId;
    const booked = await get(`/v1/developers/${developer}/balances?bookedAsOf=2026-02-01T00:00:00Z`, secrets.ada).expect(200);
    expect(booked.body).toEqual({
      developerId: developer, asOf: '2026-02-01T00:00:00.000Z',
      balances: [{ currency: 'USD', pending: '40.00', available: '80.00', refunded: '0.00', payoutsInFlight: '0.00', paid: '0.00', credited: '120.00' }],
    });
    // Today's reading as of the same instant holds the receipt r3 that occurred in January but was booked in February.
    const holdReading = await get(`/v1/developers/${developer}/balances?asOf=2026-02-01T00:00:00Z`, secrets.ada).expect(200);
    expect(holdReading.body.balances[0].credited).not.toBe('120.00');
    expect((await get(`/v1/developers/${developer}/balances?bookedAsOf=2026-02-01T00:00:00Z`, secrets.bea).expect(404)).body.code).toBe('unknown_developer');
    expect((await get(`/v1/developers/${developer}/balances?bookedAsOf=2026-02-01T00:00:00Z&asOf=2026-02-01T00:00:00Z`, secrets.ada).expect(400)).body.field).toBe('asOf');
  });

  it('logs every authenticated request, which auditors export and developers may not', async () => {
    await get(`/v1/developers/${BOOKED_LEDGER.developerId}/balances`, secrets.ada).expect(200);
    await get(`/v1/developers/${BOOKED_LEDGER.developerId}/balances`, secrets.bea).expect(404);
    expect((await get('/v1/access-log', secrets.ada)).status).toBe(403);
    const exported = await get('/v1/access-log?format=jsonl', secrets.auditor).expect(200);
    const entries = exported.text.trim().split('\n').map((line) => JSON.parse(line) as { keyId: string; role: string; route: string; statusCode: number; method: string; requestedAt: string });
    expect(entries).toEqual(expect.arrayContaining([
      expect.objectContaining({ keyId: keyIds.ada, role: 'developer', method: 'GET', route: 'GET /v1/developers/:developerId/balances', statusCode: 200 }),
      expect.objectContaining({ keyId: keyIds.bea, role: 'developer', route: 'GET /v1/developers/:developerId/balances', statusCode: 404 }),
      expect.objectContaining({ keyId: keyIds.ada, route: 'GET /v1/access-log', statusCode: 403 }),
      expect.objectContaining({ keyId: 'ops', role: 'operator', route: 'POST /v1/keys', statusCode: 201 }),
    ]));
    const csv = await get('/v1/access-log?format=csv', secrets.auditor).expect(200);
    expect(csv.text.split('\n')[0]).toBe('requestedAt,keyId,role,developerId,method,route,statusCode,address');
  });
});

describe('abuse limits (real server, real database)', () => {
  let ledger: TestApi;
  let server: ReturnType<INestApplication['getHttpServer']>;

  beforeAll(async () => {
    ledger = await openTestApi({
      environment: {
        RSI_API_LOG: 'quiet', RSI_API_KEYS: `ops:${OPERATOR_SECRET}`,
        RSI_API_RATE_PER_SECOND: '1', RSI_API_RATE_BURST: '3', RSI_API_FAILED_AUTHENTICATIONS_PER_MINUTE: '3',
      },
    });
    server = ledger.app.getHttpServer();
  });

  afterAll(async () => {
    await ledger?.cleanup();
  });

  it('answers a key over its rate 429 with Retry-After', async () => {
    const statuses: number[] = [];
    let retryAfter: string | undefined;
    for (let index = 0; index < 5; index += 1) {
      const response = await request(server).get('/v1/session').set('X-Api-Key', OPERATOR_SECRET);
      statuses.push(response.status);
      if (response.status === 429) retryAfter = response.headers['retry-after'] as string;
    }
    expect(statuses.slice(0, 3)).toEqual([200, 200, 200]);
    expect(statuses).toContain(429);
    expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
  });

  it('limits failed authentications per address, with Retry-After', async () => {
    const statuses: number[] = [];
    for (let index = 0; index < 5; index += 1) statuses.push((await request(server).get('/v1/splits').set('X-Api-Key', `wrong-${index}`)).status);
    expect(statuses).toEqual([401, 401, 401, 429, 429]);
    const blocked = await request(server).get('/v1/splits').set('X-Api-Key', 'wrong-again');
    expect(blocked.body.code).toBe('too_many_failed_authentications');
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThanOrEqual(1);
  });
});
