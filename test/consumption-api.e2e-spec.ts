import request from 'supertest';
import { openHttpTestLedger, type HttpTestLedger } from './support/http-test-ledger';

const CONTRACT = {
  currency: 'USD', effectiveFrom: '2026-01-01T00:00:00Z',
  platformShare: { tiers: [{ rate: '15%' }], window: 'lifetime', scope: 'app' }, holdDays: 14, minimumPayout: '50.00',
};
const PRICE_BOOK = {
  priceBookId: 'usd-1', effectiveFrom: '2026-01-01T00:00:00Z', currency: 'USD',
  meters: { 'tokens.input': { listPrice: '0.0000005', unitCost: '0.0000002' }, 'gpu.seconds': { listPrice: '0.002', unitCost: '0.0012' } },
};

describe('consumption over HTTP', () => {
  let ledger: HttpTestLedger;
  const post = (route: string, body: unknown) => ledger.post(route, body);

  beforeAll(async () => {
    ledger = await openHttpTestLedger({ developerWithApp: { contract: CONTRACT } });
  });

  afterAll(async () => {
    await ledger?.cleanup();
  });

  it('publishes a price book once, records consumption once, and refuses bad records with the API error shape', async () => {
    expect((await post('/v1/price-books', PRICE_BOOK).expect(201)).body.status).toBe('recorded');
    expect((await post('/v1/price-books', PRICE_BOOK).expect(200)).body.status).toBe('already_recorded');
    const record = { recordId: 'r-1', appId: 'app-1', meter: 'tokens.input', quantity: '3000000000', occurredAt: '2026-02-01T00:00:00Z' };
    expect((await post('/v1/consumption', record).expect(201)).body).toMatchObject({ status: 'recorded', commandId: 'RecordConsumption:app-1:r-1' });
    expect((await post('/v1/consumption', record).expect(200)).body.status).toBe('already_recorded');
    expect((await post('/v1/consumption', { ...record, quantity: '1' }).expect(409)).body).toMatchObject({ code: 'duplicate_consumption_record', field: 'recordId' });
    expect((await post('/v1/consumption', { ...record, recordId: 'r-2', quantity: 12 }).expect(400)).body).toMatchObject({ statusCode: 400, code: 'validation_failed', field: 'quantity' });
    expect((await post('/v1/consumption', { ...record, recordId: 'r-2', appId: 'nope' }).expect(404)).body).toMatchObject({ code: 'unknown_app', field: 'appId' });
    expect((await post('/v1/consumption', { ...record, recordId: 'r-2', quantity: '0.0000000001' }).expect(400)).body.code).toBe('quantity_too_many_decimals');
  });

  it('records a batch with one outcome per record and replays it by Idempotency-Key', async () => {
    const records = [
      { recordId: 'b-1', appId: 'app-1', meter: 'gpu.seconds', quantity: '1000', occurredAt: '2026-02-02T00:00:00Z' },
      { recordId: 'b-2', appId: 'app-1', meter: 'GPU', quantity: '1', occurredAt: '2026-02-02T00:00:00Z' },
      { recordId: 'b-3', appId: 'app-1', meter: 'gpu.seconds', quantity: 5, occurredAt: '2026-02-02T00:00:00Z' },
      { recordId: 'r-1', appId: 'app-1', meter: 'tokens.input', quantity: '3000000000', occurredAt: '2026-02-01T00:00:00Z' },
    ];
    const first = await request(ledger.server).post('/v1/consumption/batch').set('Idempotency-Key', 'batch-1').send({ records }).expect(200);
    expect(first.body).toMatchObject({ recorded: 1, alreadyRecorded: 1, refused: 2 });
    expect(first.body.outcomes.map((outcome: { status: string; error?: { code: string } }) => outcome.error?.code ?? outcome.status))
      .toEqual(['recorded', 'meter_name_invalid', 'command_invalid', 'already_recorded']);
    const replay = await request(ledger.server).post('/v1/consumption/batch').set('Idempotency-Key', 'batch-1').send({ records }).expect(200);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.body).toEqual(first.body);
    await post('/v1/consumption/batch', { records: Array.from({ length: 501 }, () => records[0]) }).expect((response) => {
      expect([400, 413]).toContain(response.status);
    });
  });

  it('answers the unit economics of an app per month', async () => {
    const response = await request(ledger.server).get('/v1/apps/app-1/unit-economics').query({ from: '2026-01-01T00:00:00Z' }).expect(200);
    expect(response.body).toEqual({
      appId: 'app-1', developerId: 'dev-1',
      months: [{
        currency: 'USD', month: '2026-02', grossRevenue: '0.00', refunds: '0.00', platformShare: '0.00', carveOuts: '0.00',
        payPerUseEquivalent: '1502.00', infrastructureCost: '601.20', platformMargin: '-601.20', developerSaving: '1502.00',
        payPerUseEquivalentExact: '1502', infrastructureCostExact: '601.2', categories: [],
      }],
    });
    expect((await request(ledger.server).get('/v1/apps/nope/unit-economics').expect(404)).body.code).toBe('unknown_app');
  });
});
