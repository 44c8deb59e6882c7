import type { INestApplication } from '@nestjs/common';
import type { AddressInfo } from 'node:net';
import { SAMPLE_PRICE_BOOK } from '@rsi/test-support';
import { installPoisonTrigger } from './support/poisoned-events';
import { openTestApi, type TestApi } from './support/test-ledger';

const CONTRACT = {
  currency: 'USD',
  effectiveFrom: '2026-01-01T00:00:00Z',
  platformShare: { tiers: [{ upTo: '1000.00', rate: '0%' }, { rate: '15%' }], window: 'lifetime', scope: 'app' },
  holdDays: 14,
  minimumPayout: '50.00',
};
const QUIET = { RSI_API_LOG: 'quiet' };
const GOOD_RECEIPTS = 1_000;
/** Requests in flight at once: enough to fill group commits, few enough for a shared machine. */
const CLIENT_CONCURRENCY = 50;

type Answer = { status: number; body: Record<string, unknown>; replayed: boolean };

describe('over HTTP, one request the database refuses fails alone; its group commit is recorded', () => {
  let ledger: TestApi;
  let app: INestApplication;
  let baseUrl: string;

  const post = async (path: string, body: unknown, headers: Record<string, string> = {}): Promise<Answer> => {
    const response = await fetch(`${baseUrl}${path}`, {
      method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown>, replayed: response.headers.get('idempotent-replayed') === 'true' };
  };
  const receipt = (receiptId: string, index: number) => ({
    receiptId, appId: 'app-1', amount: `${5 + (index % 9)}.50`, currency: 'USD', occurredAt: new Date(Date.UTC(2026, 1, 1) + index * 1_000).toISOString(),
  });

  beforeAll(async () => {
    ledger = await openTestApi({ environment: QUIET });
    await installPoisonTrigger(ledger.runtime.connection.pool);
    app = ledger.app;
    await app.listen(0, '127.0.0.1');
    baseUrl = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
    expect((await post('/v1/developers', { developerId: 'dev-1', name: 'Ada Apps', country: 'NG', incomeGroup: 'lower-middle' })).status).toBe(201);
    expect((await post('/v1/apps', { appId: 'app-1', developerId: 'dev-1', name: 'Story Writer', contract: CONTRACT })).status).toBe(201);
    const { type: _type, ...priceBook } = SAMPLE_PRICE_BOOK;
    expect((await post('/v1/price-books', priceBook)).status).toBe(201);
  });

  afterAll(async () => {
    await app?.close();
    await ledger?.cleanup();
  });

  it(`answers ${GOOD_RECEIPTS} concurrent good receipts 201 and the poisoned one 422, each good receipt in the ledger exactly once`, async () => {
    const requests = Array.from({ length: GOOD_RECEIPTS }, (_, index) => receipt(`r-${index}`, index));
    requests.splice(GOOD_RECEIPTS / 2, 0, receipt('poison-http', GOOD_RECEIPTS));
    const answers: Answer[] = new Array(requests.length);
    let next = 0;
    const client = async () => {
      while (next < requests.length) {
        const index = next;
        next += 1;
        answers[index] = await post('/v1/receipts', requests[index]);
      }
    };
    await Promise.all(Array.from({ length: CLIENT_CONCURRENCY }, client));

    const poisoned = answers[GOOD_RECEIPTS / 2]!;
    expect(poisoned.status).toBe(422);
    expect(poisoned.body).toEqual({ statusCode: 422, code: 'command_not_storable', message: expect.any(String) });
    expect(JSON.stringify(poisoned.body)).not.toMatch(/poison|trigger|SQL|22023|events/i);
    const good = answers.filter((_, index) => index !== GOOD_RECEIPTS / 2);
    const statusCounts: Record<number, number> = {};
    for (const answer of good) statusCounts[answer.status] = (statusCounts[answer.status] ?? 0) + 1;
    // Every one `recorded` (201): none was failed with its neighbour, none was decided twice.
    expect(statusCounts).toEqual({ 201: GOOD_RECEIPTS });

    const stored = await ledger.runtime.connection.pool.query(
      `SELECT data->>'receiptId' AS receipt_id, count(*)::int AS count FROM events
        WHERE type = 'RevenueRecorded' GROUP BY 1 ORDER BY 1`,
    );
    expect(stored.rows.length).toBe(GOOD_RECEIPTS);
    expect(stored.rows.every((row) => row.count === 1 && String(row.receipt_id).startsWith('r-'))).toBe(true);
    const poisonedEvents = await ledger.runtime.connection.pool.query(`SELECT count(*)::int AS count FROM events WHERE data::text LIKE '%poison-%'`);
    expect(poisonedEvents.rows[0].count).toBe(0);
  });

  it('answers a command that fails for no data reason 500 internal_error, and does not store that answer under its Idempotency-Key', async () => {
    const headers = { 'idempotency-key': 'explode-once' };
    const first = await post('/v1/receipts', receipt('explode-http', 1), headers);
    expect(first.status).toBe(500);
    expect(first.body).toEqual({ statusCode: 500, code: 'internal_error', message: expect.any(String) });
    expect(JSON.stringify(first.body)).not.toMatch(/explode|trigger|SQL|P0001/i);
    const second = await post('/v1/receipts', receipt('explode-http', 1), headers);
    expect(second.status).toBe(500);
    expect(second.replayed).toBe(false);
  });

  it('stores a 422 of a command that cannot be stored under its Idempotency-Key, like a refusal', async () => {
    const headers = { 'idempotency-key': 'poison-once' };
    const first = await post('/v1/receipts', receipt('poison-keyed', 2), headers);
    expect(first.status).toBe(422);
    const second = await post('/v1/receipts', receipt('poison-keyed', 2), headers);
    expect(second).toEqual({ ...first, replayed: true });
  });

  it('answers a consumption batch with one outcome per record: the records the database refuses failed, the others recorded', async () => {
    const record = (recordId: string, index: number) => ({
      recordId, appId: 'app-1', meter: 'requests', quantity: '1', occurredAt: new Date(Date.UTC(2026, 1, 1) + index * 1_000).toISOString(),
    });
    const records = [record('c-0', 0), record('poison-c', 1), record('c-2', 2), record('explode-c', 3), record('c-4', 4)];
    const headers = { 'idempotency-key': 'consumption-with-failures' };
    const answer = await post('/v1/consumption/batch', { records }, headers);
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ recorded: 3, alreadyRecorded: 0, refused: 0, failed: 2 });
    const outcomes = answer.body.outcomes as { recordId: string; status: string; error?: { code: string } }[];
    expect(outcomes.map((outcome) => [outcome.recordId, outcome.status, outcome.error?.code])).toEqual([
      ['c-0', 'recorded', undefined],
      ['poison-c', 'failed', 'command_not_storable'],
      ['c-2', 'recorded', undefined],
      ['explode-c', 'failed', 'internal_error'],
      ['c-4', 'recorded', undefined],
    ]);
    expect(JSON.stringify(answer.body)).not.toMatch(/trigger|SQL|22023|P0001/i);
    // A batch with an internal error is not stored under its key: the retry runs again.
    const retry = await post('/v1/consumption/batch', { records }, headers);
    expect(retry.replayed).toBe(false);
    expect(retry.body).toMatchObject({ recorded: 0, alreadyRecorded: 3, failed: 2 });
  });
});
