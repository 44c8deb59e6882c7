import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import type { LedgerCommand, LedgerRuntime } from '@rsi/ledger';
import { formatPosition } from '@rsi/projections';
import { appendPoisonedReceipt, appendReceiptWithSql, repairPoisonedReceipt, type PoisonedEvent } from './support/poisoned-event';
import { openTestApi, type TestApi } from './support/test-ledger';

/**
 * Issue #10: one event no projection can decode (a receipt of 9999-12-31 whose availableAt
 * falls in year 10000), written with SQL between good events of other developers. It must
 * be named, held back in its own stream only, shown and resolved by an operator, and never
 * take down the other developers' reads or any write.
 */
const CONTRACT = {
  currency: 'USD', effectiveFrom: '2026-01-01T00:00:00Z',
  platformShare: { tiers: [{ rate: '20%' }], window: 'lifetime', scope: 'app' },
  holdDays: 14, minimumPayout: '10.00',
};
const QUIET = { RSI_API_LOG: 'quiet' };
const AS_OF = '2026-12-31T00:00:00Z';

function receipt(receiptId: string, appId: string, amount: string, occurredAt: string): LedgerCommand {
  return { type: 'RecordRevenue', data: { receiptId, appId, amount, currency: 'USD', occurredAt } };
}

async function book(runtime: LedgerRuntime, commands: LedgerCommand[], recordedAt = '2026-11-01T00:00:00.000Z'): Promise<void> {
  const outcomes = await runtime.bus.executeBatch(commands, { actor: 'test:poisoned-event', recordedAt });
  const refused = outcomes.flatMap((outcome) => (outcome.status === 'refused' ? [`${outcome.commandId}: ${outcome.error.message}`] : []));
  expect(refused).toEqual([]);
}

describe('a poisoned event: named, held back in its stream only, resolved by an operator', () => {
  let ledger: TestApi;
  let app: INestApplication;
  let server: ReturnType<INestApplication['getHttpServer']>;
  let poisoned: PoisonedEvent;

  const balanceOf = (developerId: string) => request(server).get(`/v1/developers/${developerId}/balances`).query({ asOf: AS_OF });

  beforeAll(async () => {
    ledger = await openTestApi({ environment: QUIET });
    app = ledger.app;
    server = app.getHttpServer();
    const { runtime } = ledger;
    await book(runtime, [
      ...['ada', 'bea', 'pat', 'qin'].map((developerId): LedgerCommand => ({ type: 'RegisterDeveloper', data: { developerId, name: developerId, country: 'NG' } })),
      ...['ada', 'bea', 'pat', 'qin'].map((developerId): LedgerCommand => ({ type: 'RegisterApp', data: { appId: `${developerId}-app`, developerId, name: 'App', contract: CONTRACT } })),
      receipt('ada-1', 'ada-app', '100.00', '2026-02-01T00:00:00Z'),
      receipt('pat-1', 'pat-app', '50.00', '2026-02-01T00:00:00Z'),
      receipt('qin-1', 'qin-app', '10.00', '2026-02-01T00:00:00Z'),
    ]);
    // Not caught up yet: the poisoned event lands in the middle of the projector's next batch.
    poisoned = await appendPoisonedReceipt(runtime.connection.pool, { developerId: 'pat', receiptId: 'pat-poisoned' });
    // The decider cannot fold pat's stream any more, so pat's next receipt is written with SQL too.
    await appendReceiptWithSql(runtime.connection.pool, { developerId: 'pat', receiptId: 'pat-2', occurredAt: '2026-03-01T00:00:00.000Z', availableAt: '2026-03-15T00:00:00.000Z' });
    await book(runtime, [
      receipt('bea-1', 'bea-app', '200.00', '2026-03-01T00:00:00Z'),
      receipt('ada-2', 'ada-app', '25.00', '2026-03-01T00:00:00Z'),
    ], '2026-11-02T00:00:00.000Z');
  });

  afterAll(async () => {
    await app?.close();
    await ledger?.cleanup();
  });

  it('records the failure once per projection, naming the event, and goes on with every other stream', async () => {
    const { runtime } = ledger;
    const result = await runtime.projector.catchUp();
    const position = (await runtime.connection.pool.query(
      `SELECT transaction_id::text AS commit, position::text AS prepare FROM events WHERE event_id = $1`, [poisoned.eventId],
    )).rows[0];
    expect(result.openFailures.map((failure) => ({
      projection: failure.projectionName, position: formatPosition(failure.position), stream: failure.streamName,
      version: failure.streamVersion, eventId: failure.eventId, type: failure.eventType,
    }))).toEqual(['ledger', 'unit-economics'].map((projection) => ({
      projection, position: `${position.commit}/${position.prepare}`, stream: 'developer-pat', version: poisoned.streamVersion,
      eventId: poisoned.eventId, type: 'RevenueRecorded',
    })));
    for (const failure of result.openFailures) expect(failure.errorMessage).toContain('availableAt');
    // The checkpoint passed the poisoned event: everything committed is read.
    const head = await runtime.store.readHeadPosition!();
    expect(result.checkpoint).toEqual(head);
    // A second catch-up records nothing more and applies nothing again.
    const again = await runtime.projector.catchUp();
    expect(again.eventsApplied).toBe(0);
    expect((await runtime.connection.pool.query('SELECT count(*)::int AS count FROM projection_failures')).rows[0].count).toBe(2);
    // Every receipt is there but the poisoned one and pat-2, held back behind it in its stream.
    const splits = await runtime.connection.pool.query('SELECT receipt_id FROM splits ORDER BY receipt_id');
    expect(splits.rows.map((row) => row.receipt_id)).toEqual(['ada-1', 'ada-2', 'bea-1', 'pat-1', 'qin-1']);
  });

  it('serves every other developer complete and correct balances; the held developer gets 503 projection_halted naming the event', async () => {
    const ada = await balanceOf('ada').expect(200);
    // 80% of 100.00 + 25.00.
    expect(ada.body.balances).toEqual([expect.objectContaining({ currency: 'USD', credited: '100.00' })]);
    expect(ada.headers['rsi-projection-stale']).toBeUndefined();
    const bea = await balanceOf('bea').expect(200);
    expect(bea.body.balances).toEqual([expect.objectContaining({ currency: 'USD', credited: '160.00' })]);

    const pat = await balanceOf('pat').expect(503);
    expect(pat.body.code).toBe('projection_halted');
    expect(pat.body.message).toContain(poisoned.eventId);
    expect(pat.body.message).toContain('developer-pat');

    // A read across developers answers with the data as it stands and says what it lacks.
    const splits = await request(server).get('/v1/splits').expect(200);
    expect(splits.headers['rsi-projection-stale']).toContain('ledger');
    expect(splits.headers['rsi-projection-stale']).toContain('developer-pat');
    expect(splits.body.items.map((item: { receiptId: string }) => item.receiptId).sort()).toEqual(['ada-1', 'ada-2', 'bea-1', 'pat-1', 'qin-1']);
    await request(server).get('/v1/splits').query({ developerId: 'pat' }).expect(503);
    // Not in the read model, but perhaps held back: "unknown receipt" could be false.
    await request(server).get('/v1/receipts/pat-poisoned/split').expect(503);
    await request(server).get('/v1/receipts/ada-2/split').expect(200);
    await request(server).get('/v1/apps/ada-app/unit-economics').expect(200);
    await request(server).get('/v1/apps/pat-app/unit-economics').expect(503);
    await request(server).get('/v1/exports/splits').expect(503);
  });

  it('keeps every write working, those routed by the read models included', async () => {
    await request(server).post('/v1/receipts').send({ receiptId: 'ada-3', appId: 'ada-app', amount: '10.00', currency: 'USD', occurredAt: '2026-04-01T00:00:00Z' }).expect(201);
    await request(server).post('/v1/refunds').send({ refundId: 'ada-3-refund', receiptId: 'ada-3', amount: '5.00', occurredAt: '2026-04-02T00:00:00Z' }).expect(201);
    const ada = await balanceOf('ada').expect(200);
    expect(ada.body.balances).toEqual([expect.objectContaining({ credited: '108.00', refunded: '4.00' })]);
  });

  it('skip, with a reason, resolves it: the stream is applied past the event and the skip is recorded', async () => {
    const { runtime } = ledger;
    const [failure] = await runtime.projector.readOpenFailures();
    await expect(runtime.projector.skip({ position: failure!.position, reason: '   ', actor: 'cli:operator' })).rejects.toThrow(/reason/);
    const outcomes = await runtime.projector.skip({ position: failure!.position, reason: 'occurredAt 9999-12-31 was a typo; re-recorded as pat-4', actor: 'cli:operator' });
    expect(outcomes.map((outcome) => [outcome.failure.projectionName, outcome.action, outcome.eventsApplied, outcome.failedAgain])).toEqual([
      ['ledger', 'skipped', 1, null], ['unit-economics', 'skipped', 1, null],
    ]);
    expect(await runtime.projector.readOpenFailures()).toEqual([]);
    const pat = await balanceOf('pat').expect(200);
    // 80% of 50.00 + 50.00 (pat-2, applied now); the skipped receipt is not in it.
    expect(pat.body.balances).toEqual([expect.objectContaining({ credited: '80.00' })]);
    const history = await runtime.projector.readFailureHistory(10);
    expect(history.map((row) => [row.projectionName, row.resolution, row.resolvedBy, row.resolutionReason])).toEqual([
      ['ledger', 'skipped', 'cli:operator', 'occurredAt 9999-12-31 was a typo; re-recorded as pat-4'],
      ['unit-economics', 'skipped', 'cli:operator', 'occurredAt 9999-12-31 was a typo; re-recorded as pat-4'],
    ]);
    const splits = await request(server).get('/v1/splits').expect(200);
    expect(splits.headers['rsi-projection-stale']).toBeUndefined();
  });

  it('retry, after the event is repaired, applies it and the rest of its stream', async () => {
    const { runtime } = ledger;
    const second = await appendPoisonedReceipt(runtime.connection.pool, { developerId: 'qin', receiptId: 'qin-poisoned' });
    await runtime.projector.catchUp();
    const stillBroken = await runtime.projector.retry({ actor: 'cli:operator' });
    expect(stillBroken.map((outcome) => [outcome.failure.projectionName, outcome.failedAgain?.eventId])).toEqual([
      ['ledger', second.eventId], ['unit-economics', second.eventId],
    ]);
    expect((await runtime.projector.readOpenFailures()).map((failure) => failure.attempts)).toEqual([2, 2]);

    await repairPoisonedReceipt(runtime.connection.pool, second.eventId);
    const outcomes = await runtime.projector.retry({ projectionName: 'ledger', actor: 'cli:operator' });
    expect(outcomes.map((outcome) => [outcome.failure.projectionName, outcome.action, outcome.eventsApplied, outcome.failedAgain])).toEqual([
      ['ledger', 'retried', 1, null],
    ]);
    expect((await runtime.projector.readOpenFailures()).map((failure) => failure.projectionName)).toEqual(['unit-economics']);
    await runtime.projector.retry({ actor: 'cli:operator' });
    expect(await runtime.projector.readOpenFailures()).toEqual([]);
    // The repaired stream takes writes again.
    await book(runtime, [receipt('qin-2', 'qin-app', '20.00', '2026-05-01T00:00:00Z')], '2026-11-03T00:00:00.000Z');
    const qin = await balanceOf('qin').expect(200);
    // 80% of 10.00 + the repaired 10.00 + 20.00.
    expect(qin.body.balances).toEqual([expect.objectContaining({ credited: '32.00' })]);
  });
});
