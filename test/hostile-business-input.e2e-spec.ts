import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import {
  contractVersionRecord, encodeDeveloperEvent, MONEY_MAXIMUM_MINOR, NAME_LENGTH_MAXIMUM, parseContractTerms,
} from '@rsi/domain';
import { verifyLedger, developerStreamName, eventHashOf } from '@rsi/ledger';
import { deriveEventId } from '@rsi/event-store';
import { openTestApi, type TestApi } from './support/test-ledger';

const CONTRACT = {
  currency: 'USD',
  effectiveFrom: '2026-01-01T00:00:00Z',
  platformShare: { tiers: [{ upTo: '1000.00', rate: '0%' }, { rate: '15%' }], window: 'lifetime', scope: 'app' },
  holdDays: 14,
  minimumPayout: '50.00',
};
const QUIET = { RSI_API_LOG: 'quiet' };
const DAY_MILLISECONDS = 86_400_000;

/**
 * The attacks of issue 10 on business times, reference data and the account namespace, over
 * HTTP on a real database: each is refused with a 4xx and writes nothing, and afterwards
 * the ledger still reads, exports, amends and verifies.
 */
describe('hostile business input over HTTP', () => {
  let ledger: TestApi;
  let app: INestApplication;
  let server: ReturnType<INestApplication['getHttpServer']>;
  const post = (path: string, body: unknown) => request(server).post(path).send(body as object);
  const eventsCount = async () => Number((await ledger.runtime.connection.pool.query('SELECT count(*)::text AS n FROM events')).rows[0].n);

  beforeAll(async () => {
    ledger = await openTestApi({ environment: QUIET });
    app = ledger.app;
    server = app.getHttpServer();
    await post('/v1/developers', { developerId: 'dev-1', name: 'Ada Apps', country: 'NG', incomeGroup: 'lower-middle' }).expect(201);
    await post('/v1/apps', { appId: 'app-1', developerId: 'dev-1', name: 'Story Writer', contract: CONTRACT }).expect(201);
    await post('/v1/receipts', { receiptId: 'r-1', appId: 'app-1', amount: '1200.00', currency: 'USD', occurredAt: '2026-02-01T10:00:00Z' }).expect(201);
  });

  afterAll(async () => {
    await app?.close();
    await ledger?.cleanup();
  });

  it('refuses a receipt dated 9999 (400, occurredAt) and writes nothing', async () => {
    const before = await eventsCount();
    const response = await post('/v1/receipts', { receiptId: 'r-9999', appId: 'app-1', amount: '10.00', currency: 'USD', occurredAt: '9999-12-31T12:00:00Z' }).expect(400);
    expect(response.body).toMatchObject({ code: 'business_time_after_booking', field: 'occurredAt' });
    expect(await eventsCount()).toBe(before);
  });

  it('refuses a payout requested in 2099 (400, requestedAt): held credits stay held', async () => {
    const response = await post('/v1/payouts', { payoutId: 'p-2099', developerId: 'dev-1', currency: 'USD', amount: '100.00', requestedAt: '2099-01-01T00:00:00Z' }).expect(400);
    expect(response.body).toMatchObject({ code: 'business_time_after_booking', field: 'requestedAt' });
  });

  it('refuses a settlement dated before its request', async () => {
    await post('/v1/payouts', { payoutId: 'p-1', developerId: 'dev-1', currency: 'USD', amount: '100.00', requestedAt: '2026-03-01T00:00:00Z' }).expect(201);
    const settled = await post('/v1/payouts/p-1/settlement', { settledAt: '2026-02-28T00:00:00Z', reference: 'wire-1' }).expect(400);
    expect(settled.body).toMatchObject({ code: 'payout_outcome_before_request', field: 'settledAt' });
    const failed = await post('/v1/payouts/p-1/failure', { failedAt: '2020-01-01T00:00:00Z', reason: 'closed' }).expect(400);
    expect(failed.body).toMatchObject({ code: 'payout_outcome_before_request', field: 'failedAt' });
    await post('/v1/payouts/p-1/settlement', { settledAt: '2026-03-01T00:00:00Z', reference: 'wire-1' }).expect(201);
  });

  it('refuses non-money currencies, unknown countries and income groups, and reserved carve-out parties', async () => {
    const before = await eventsCount();
    const noDecimals = { ...CONTRACT, platformShare: { ...CONTRACT.platformShare, tiers: [{ upTo: '1000', rate: '0%' }, { rate: '15%' }] }, minimumPayout: '50' };
    for (const [currency, terms] of [['XXX', noDecimals], ['XAU', noDecimals], ['BOV', CONTRACT]] as const) {
      const response = await post('/v1/apps', { appId: `app-${currency}`, developerId: 'dev-1', name: 'X', contract: { ...terms, currency } }).expect(400);
      expect(response.body).toMatchObject({ code: 'currency_not_money', field: 'contract.currency' });
    }
    expect((await post('/v1/developers', { developerId: 'dev-zz', name: 'Z', country: 'zz' }).expect(400)).body).toMatchObject({ code: 'unknown_country', field: 'country' });
    expect((await post('/v1/developers', { developerId: 'dev-zz', name: 'Z', country: 'NG', incomeGroup: 'billionaire' }).expect(400)).body)
      .toMatchObject({ code: 'unknown_income_group', field: 'incomeGroup' });
    for (const party of ['revenue:clearing', 'payouts:in-flight', 'payouts:settled']) {
      const contract = { ...CONTRACT, carveOuts: [{ party, rate: '1%', of: 'basis' }] };
      const response = await post('/v1/apps', { appId: 'app-carve', developerId: 'dev-1', name: 'X', contract }).expect(400);
      expect(response.body).toMatchObject({ code: 'party_reserved', field: 'contract.carveOuts[0].party' });
    }
    expect(await eventsCount()).toBe(before);
  });

  it('holds one name limit at the HTTP edge: NAME_LENGTH_MAXIMUM accepted, one more refused', async () => {
    await post('/v1/developers', { developerId: 'dev-long', name: 'n'.repeat(NAME_LENGTH_MAXIMUM), country: 'DE' }).expect(201);
    const response = await post('/v1/apps', { appId: 'app-long', developerId: 'dev-long', name: 'n'.repeat(NAME_LENGTH_MAXIMUM + 1), contract: CONTRACT }).expect(400);
    expect(response.body).toMatchObject({ field: 'name' });
  });

  it('records the maximum amount and reads it back exactly (numeric read-model columns)', async () => {
    const maximum = `${MONEY_MAXIMUM_MINOR / 100n}.00`;
    await post('/v1/receipts', { receiptId: 'r-max', appId: 'app-1', amount: maximum, currency: 'USD', occurredAt: '2026-02-02T10:00:00Z' }).expect(201);
    await post('/v1/receipts', { receiptId: 'r-max-2', appId: 'app-1', amount: maximum, currency: 'USD', occurredAt: '2026-02-02T11:00:00Z' }).expect(201);
    await ledger.runtime.projector.catchUp();
    const split = await request(server).get('/v1/receipts/r-max/split').expect(200);
    expect(split.body.amount).toBe(maximum);
    const columns = await ledger.runtime.connection.pool.query(
      `SELECT c.table_name, c.column_name, c.data_type, c.numeric_precision, c.numeric_scale
         FROM information_schema.columns c JOIN information_schema.tables t USING (table_schema, table_name)
        WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE' AND c.column_name LIKE '%\\_minor' AND c.data_type <> 'ARRAY'`,
    );
    expect(columns.rows.length).toBeGreaterThan(0);
    // numeric(38,0) holds 10^23 receipts of the maximum amount in one running total.
    for (const row of columns.rows) expect([row.table_name, row.column_name, row.data_type, row.numeric_scale, row.numeric_precision >= 38]).toEqual([row.table_name, row.column_name, 'numeric', 0, true]);
  });

  it('still amends, reads, exports and verifies after the refused attacks', async () => {
    const effectiveFrom = new Date(Date.now() + DAY_MILLISECONDS).toISOString();
    await post('/v1/apps/app-1/contract-amendments', { contract: { ...CONTRACT, effectiveFrom, holdDays: 7 } }).expect(201);
    const tooFar = new Date(Date.now() + 400 * DAY_MILLISECONDS).toISOString();
    const refused = await post('/v1/apps/app-1/contract-amendments', { contract: { ...CONTRACT, effectiveFrom: tooFar, holdDays: 3 } }).expect(400);
    expect(refused.body).toMatchObject({ code: 'effective_from_too_far_ahead', field: 'contract.effectiveFrom' });
    await ledger.runtime.projector.catchUp();
    const balances = await request(server).get('/v1/developers/dev-1/balances').expect(200);
    expect(JSON.stringify(balances.body)).toContain('USD');
    await request(server).get('/v1/receipts/r-1/split').expect(200);
    const exported = await request(server).get('/v1/exports/splits').query({ format: 'jsonl' }).buffer(true)
      .parse((response, callback) => {
        let text = '';
        response.on('data', (chunk: Buffer) => { text += chunk.toString('utf8'); });
        response.on('end', () => callback(null, text));
      }).expect(200);
    expect(String(exported.body).trim().split('\n')).toHaveLength(3);
    const report = await verifyLedger(ledger.runtime, () => Date.now());
    expect(report.checks.filter((check) => !check.ok)).toEqual([]);
    expect(report.ok).toBe(true);
  });

  it('verify reports a contract recorded before the rule with a carve-out to a system account', async () => {
    // A ledger written before the party namespace was enforced: the contract is in the store
    // (hash chain intact), so it decodes and replays, and verify names it as a finding.
    await post('/v1/developers', { developerId: 'dev-old', name: 'Old', country: 'KE' }).expect(201);
    const streamName = developerStreamName('dev-old');
    const stream = await ledger.runtime.store.readStream(streamName);
    const last = stream.events[stream.events.length - 1]!;
    const contract = contractVersionRecord(1, parseContractTerms({ ...CONTRACT, carveOuts: [{ party: 'payouts:settled', rate: '1%', of: 'basis' }] }));
    const encoded = encodeDeveloperEvent({ type: 'AppRegistered', data: { appId: 'app-old', developerId: 'dev-old', name: 'Old app', contract } });
    const eventHash = eventHashOf(encoded.type, encoded.data, last.metadata.eventHash);
    await ledger.runtime.store.appendToStream(streamName, [{
      eventId: deriveEventId('RegisterApp:app-old', 0), type: encoded.type, data: encoded.data,
      metadata: { commandId: 'RegisterApp:app-old', actor: 'test:before-the-rule', recordedAt: new Date().toISOString(), schemaVersion: 1, previousEventHash: last.metadata.eventHash, eventHash },
    }], { expectedStreamVersion: last.streamVersion });
    await ledger.runtime.projector.catchUp();
    await request(server).get('/v1/developers/dev-old/balances').expect(200);
    const report = await verifyLedger(ledger.runtime, () => Date.now());
    expect(report.ok).toBe(false);
    const failed = report.checks.filter((check) => !check.ok);
    expect(failed.map((check) => check.name)).toEqual(['contract parties: none in a reserved namespace (platform, developers, system accounts)']);
    expect(failed[0]!.examples[0]).toContain('"payouts:settled"');
  });
});
