/**
 * A developer never learns about another developer (issue 13): with a developer key, every
 * read, list and export of another developer's resources answers as if they did not exist,
 * no write is allowed (the payout attack of the issue is refused and writes nothing), and no
 * error message carries another developer's ids. Real application, real database.
 */
import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { appendPoisonedReceipt } from './support/poisoned-event';
import { openTestApi, type TestApi } from './support/test-ledger';

const OPERATOR_SECRET = 'bootstrap-operator-secret';
const ENVIRONMENT = { RSI_API_LOG: 'quiet', RSI_API_KEYS: `ops:${OPERATOR_SECRET}` };
const CONTRACT = {
  currency: 'USD', effectiveFrom: '2026-01-01T00:00:00Z',
  platformShare: { tiers: [{ rate: '10%' }], window: 'lifetime', scope: 'app' }, holdDays: 0, minimumPayout: '1.00',
};
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/;

describe('developer isolation (real server, real database)', () => {
  let ledger: TestApi;
  let server: ReturnType<INestApplication['getHttpServer']>;
  let developerSecret: string;
  const operator = (path: string, body: object) => request(server).post(path).set('X-Api-Key', OPERATOR_SECRET).send(body);
  const asDeveloper = (path: string) => request(server).get(path).set('X-Api-Key', developerSecret);
  const postAsDeveloper = (path: string, body: object) => request(server).post(path).set('X-Api-Key', developerSecret).send(body);
  const eventsCount = async () => Number((await ledger.runtime.connection.pool.query('SELECT count(*)::text AS n FROM events')).rows[0].n);

  beforeAll(async () => {
    ledger = await openTestApi({ environment: ENVIRONMENT });
    server = ledger.app.getHttpServer();
    for (const developer of ['a', 'b']) {
      await operator('/v1/developers', { developerId: `dev-${developer}`, name: `Developer ${developer}`, country: 'NG', incomeGroup: 'lower-middle' }).expect(201);
      await operator('/v1/apps', { appId: `app-${developer}`, developerId: `dev-${developer}`, name: `App ${developer}`, contract: CONTRACT }).expect(201);
      await operator('/v1/receipts', { receiptId: `r-${developer}`, appId: `app-${developer}`, amount: '100.00', currency: 'USD', occurredAt: '2026-02-01T10:00:00Z' }).expect(201);
      await operator('/v1/refunds', { refundId: `rf-${developer}`, receiptId: `r-${developer}`, amount: '10.00', occurredAt: '2026-02-02T10:00:00Z' }).expect(201);
    }
    await operator('/v1/payouts', { payoutId: 'p-b', developerId: 'dev-b', currency: 'USD', amount: '5.00', requestedAt: new Date().toISOString() }).expect(201);
    const issued = await operator('/v1/keys', { role: 'developer', developerId: 'dev-a', label: 'Developer a' }).expect(201);
    developerSecret = issued.body.secret as string;
  });

  afterAll(async () => {
    await ledger?.cleanup();
  });

  it("answers another developer's balances exactly as a developer nobody registered", async () => {
    await asDeveloper('/v1/developers/dev-a/balances').expect(200);
    const other = await asDeveloper('/v1/developers/dev-b/balances').expect(404);
    const nobody = await asDeveloper('/v1/developers/dev-z/balances').expect(404);
    expect(other.body.code).toBe('unknown_developer');
    expect(other.body.message).toBe(nobody.body.message.replace('dev-z', 'dev-b'));
  });

  it("answers another developer's receipt as a receipt nobody recorded", async () => {
    await asDeveloper('/v1/receipts/r-a/split').expect(200);
    const other = await asDeveloper('/v1/receipts/r-b/split').expect(404);
    const nobody = await asDeveloper('/v1/receipts/r-z/split').expect(404);
    expect(other.body.message).toBe(nobody.body.message.replace('r-z', 'r-b'));
  });

  it("answers another developer's app as an app nobody registered (unit economics)", async () => {
    await asDeveloper('/v1/apps/app-a/unit-economics').expect(200);
    const other = await asDeveloper('/v1/apps/app-b/unit-economics').expect(404);
    const nobody = await asDeveloper('/v1/apps/app-z/unit-economics').expect(404);
    expect(other.body.message).toBe(nobody.body.message.replace('app-z', 'app-b'));
  });

  it('lists only its own splits, whatever the filters say', async () => {
    const all = await asDeveloper('/v1/splits').expect(200);
    expect(all.body.items.map((item: { receiptId: string }) => item.receiptId)).toEqual(['r-a']);
    expect((await asDeveloper('/v1/splits?developerId=dev-b').expect(200)).body.items).toEqual([]);
    expect((await asDeveloper('/v1/splits?appId=app-b').expect(200)).body.items).toEqual([]);
    // An operator still sees both.
    const operatorList = await request(server).get('/v1/splits').set('X-Api-Key', OPERATOR_SECRET).expect(200);
    expect(operatorList.body.items).toHaveLength(2);
  });

  it('exports only its own rows, and the exports without a developer are absent for it', async () => {
    for (const name of ['splits', 'refunds', 'balances', 'payouts', 'payout-runs', 'disputes', 'consumption', 'unit-economics', 'revenue-categories']) {
      const response = await asDeveloper(`/v1/exports/${name}?format=jsonl`).expect(200);
      const rows = response.text.split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as { developerId: string });
      expect({ name, others: rows.filter((row) => row.developerId !== 'dev-a') }).toEqual({ name, others: [] });
      if (['splits', 'refunds', 'balances', 'revenue-categories'].includes(name)) expect(rows.length).toBeGreaterThan(0);
      const csv = await asDeveloper(`/v1/exports/${name}?format=csv`).expect(200);
      expect(csv.text).not.toContain('dev-b');
    }
    for (const name of ['platform-share', 'ledger-entries', 'price-books']) {
      const response = await asDeveloper(`/v1/exports/${name}`).expect(404);
      expect(response.body.code).toBe('unknown_export');
      expect(response.body.message).toMatch(/known: splits, refunds, balances, payouts, payout-runs, disputes, consumption, unit-economics, revenue-categories$/);
    }
    const operatorExport = await request(server).get('/v1/exports/splits').set('X-Api-Key', OPERATOR_SECRET).expect(200);
    expect(operatorExport.text).toContain('dev-b');
  });

  it('refuses the payout attack of the issue (a payout for another developer, settled to "attacker-iban") and writes nothing', async () => {
    const before = await eventsCount();
    const requested = await postAsDeveloper('/v1/payouts', { payoutId: 'p-attack', developerId: 'dev-b', currency: 'USD', amount: '1000000.00', requestedAt: new Date().toISOString() });
    expect({ status: requested.status, code: requested.body.code }).toEqual({ status: 403, code: 'forbidden' });
    const settled = await postAsDeveloper('/v1/payouts/p-b/settlement', { settledAt: new Date().toISOString(), reference: 'attacker-iban' });
    expect({ status: settled.status, code: settled.body.code }).toEqual({ status: 403, code: 'forbidden' });
    // Nor any other write of the issue: a receipt on another's app, an amendment to 0 %, a new developer, a key.
    for (const [path, body] of [
      ['/v1/receipts', { receiptId: 'r-attack', appId: 'app-b', amount: '1.00', currency: 'USD', occurredAt: '2026-02-01T10:00:00Z' }],
      ['/v1/apps/app-b/contract-amendments', { contract: { ...CONTRACT, platformShare: { tiers: [{ rate: '0%' }], window: 'lifetime', scope: 'app' } } }],
      ['/v1/developers', { developerId: 'dev-attack', name: 'Mallory', country: 'NG', incomeGroup: 'lower-middle' }],
      ['/v1/keys', { role: 'operator' }],
    ] as const) {
      expect({ path, status: (await postAsDeveloper(path, body)).status }).toEqual({ path, status: 403 });
    }
    expect(await eventsCount()).toBe(before);
    const payouts = await ledger.runtime.connection.pool.query("SELECT count(*)::int AS n FROM events WHERE data->>'reference' = 'attacker-iban' OR data->>'payoutId' = 'p-attack'");
    expect(payouts.rows[0].n).toBe(0);
  });

  it("never names another developer's event in an error: a duplicate receipt id", async () => {
    const duplicate = await operator('/v1/receipts', { receiptId: 'r-a', appId: 'app-b', amount: '7.00', currency: 'USD', occurredAt: '2026-02-03T10:00:00Z' });
    expect(duplicate.status).toBe(409);
    expect(duplicate.body.code).toBe('duplicate_id');
    expect(JSON.stringify(duplicate.body)).not.toMatch(UUID);
    expect(JSON.stringify(duplicate.body)).not.toContain('dev-a');
  });

  it('says who the caller is (GET /v1/session)', async () => {
    const session = await asDeveloper('/v1/session').expect(200);
    expect(session.body).toEqual({ keyId: expect.stringMatching(/^key_[0-9a-f]{16}$/) as unknown, role: 'developer', developerId: 'dev-a', authenticated: true });
  });

  // Last: it leaves a projection holding back dev-b's stream.
  it("never names another developer's held-back event when a read waits on a projection", async () => {
    const poisoned = await appendPoisonedReceipt(ledger.runtime.connection.pool, { developerId: 'dev-b', receiptId: 'r-poisoned' });
    const absent = await asDeveloper('/v1/receipts/r-nobody/split');
    const exported = await asDeveloper('/v1/exports/splits');
    for (const response of [absent, exported]) {
      expect(response.status).toBe(503);
      expect(response.body.code).toBe('projection_halted');
      expect(JSON.stringify(response.body)).not.toContain('dev-b');
      expect(JSON.stringify(response.body)).not.toContain(poisoned.eventId);
    }
    // The operator is told which event holds it.
    const operatorAnswer = await request(server).get('/v1/receipts/r-nobody/split').set('X-Api-Key', OPERATOR_SECRET).expect(503);
    expect(operatorAnswer.body.message).toContain(poisoned.eventId);
  });
});

describe('developers requesting their own payouts (RSI_DEVELOPERS_REQUEST_PAYOUTS=own)', () => {
  let ledger: TestApi;
  let server: ReturnType<INestApplication['getHttpServer']>;
  let developerSecret: string;
  const operator = (path: string, body: object) => request(server).post(path).set('X-Api-Key', OPERATOR_SECRET).send(body);
  const payout = (payoutId: string, developerId: string) => request(server).post('/v1/payouts').set('X-Api-Key', developerSecret)
    .send({ payoutId, developerId, currency: 'USD', amount: '5.00', requestedAt: new Date().toISOString() });

  beforeAll(async () => {
    ledger = await openTestApi({ environment: { ...ENVIRONMENT, RSI_DEVELOPERS_REQUEST_PAYOUTS: 'own' } });
    server = ledger.app.getHttpServer();
    for (const developer of ['a', 'b']) {
      await operator('/v1/developers', { developerId: `dev-${developer}`, name: `Developer ${developer}`, country: 'NG', incomeGroup: 'lower-middle' }).expect(201);
      await operator('/v1/apps', { appId: `app-${developer}`, developerId: `dev-${developer}`, name: `App ${developer}`, contract: CONTRACT }).expect(201);
      await operator('/v1/receipts', { receiptId: `r-${developer}`, appId: `app-${developer}`, amount: '100.00', currency: 'USD', occurredAt: '2026-02-01T10:00:00Z' }).expect(201);
    }
    developerSecret = (await operator('/v1/keys', { role: 'developer', developerId: 'dev-a' }).expect(201)).body.secret as string;
  });

  afterAll(async () => {
    await ledger?.cleanup();
  });

  it("lets a developer request its own payout, answers another developer's as unregistered, and never lets it settle", async () => {
    await payout('p-own', 'dev-a').expect(201);
    const other = await payout('p-other', 'dev-b').expect(404);
    const nobody = await payout('p-nobody', 'dev-z').expect(404);
    expect(other.body).toEqual({ ...nobody.body, message: nobody.body.message.replace('dev-z', 'dev-b') });
    const settled = await request(server).post('/v1/payouts/p-own/settlement').set('X-Api-Key', developerSecret).send({ settledAt: new Date().toISOString(), reference: 'attacker-iban' });
    expect(settled.status).toBe(403);
    // The rate of a payout in another currency is the operator's: a developer key may not name one (403, nothing written).
    const converted = await request(server).post('/v1/payouts').set('X-Api-Key', developerSecret)
      .send({ payoutId: 'p-fx', developerId: 'dev-a', currency: 'USD', amount: '5.00', requestedAt: new Date().toISOString(), payoutCurrency: 'JPY', fxRate: '1000000', fxSource: 'mine' });
    expect(converted.status).toBe(403);
    expect(converted.body).toMatchObject({ code: 'forbidden', field: 'payoutCurrency' });
    const written = await ledger.runtime.connection.pool.query("SELECT data->>'payoutId' AS payout_id FROM events WHERE type LIKE 'Payout%' ORDER BY 1");
    expect(written.rows.map((row) => row.payout_id)).toEqual(['p-own']);
  });
});
