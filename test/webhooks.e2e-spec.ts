import type { INestApplication } from '@nestjs/common';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { verifySignature } from '../apps/api/src/webhooks/webhook-signature';
import { createApiApplication } from '../apps/api/src/api-server';
import { openTestApi, type TestApi } from './support/test-ledger';
import { parsePrometheusText, sampleValue } from './support/prometheus-text';

const CONTRACT = {
  currency: 'USD', effectiveFrom: '2026-01-01T00:00:00Z',
  platformShare: { tiers: [{ rate: '10%' }], window: 'lifetime', scope: 'app' }, holdDays: 0, minimumPayout: '1.00',
};

type Received = { path: string; signature: string; body: string; parsed: { eventId: string; type: string; globalPosition: string; bookingTime: string; data: Record<string, unknown> } };

/** A real HTTP receiver on loopback: records every request; `statusOf` decides each answer. */
async function startReceiver(statusOf: (path: string, received: Received[]) => number) {
  const received: Received[] = [];
  const server = http.createServer((incoming, response) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const entry: Received = { path: incoming.url ?? '', signature: String(incoming.headers['rsi-signature'] ?? ''), body, parsed: JSON.parse(body) };
      received.push(entry);
      response.statusCode = statusOf(entry.path, received);
      if (response.statusCode >= 300 && response.statusCode < 400) response.setHeader('Location', '/redirect-target');
      response.end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return { received, url: (path: string) => `http://127.0.0.1:${port}${path}`, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMilliseconds = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMilliseconds;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

function positionKey(position: string): [bigint, bigint] {
  const [commit, prepare] = position.split('/');
  return [BigInt(commit!), BigInt(prepare!)];
}

describe('webhooks (a real local receiver, real database)', () => {
  let ledger: TestApi;
  let app: INestApplication;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let downPathAnswers = 503;
  let receiptNumber = 0;

  const post = (path: string, body: unknown) => request(app.getHttpServer()).post(path).send(body as object);
  const recordReceipt = async () => {
    receiptNumber += 1;
    await post('/v1/receipts', { receiptId: `rcpt-${receiptNumber}`, appId: 'app-hooks', amount: `${receiptNumber}0.25`, currency: 'USD', occurredAt: '2026-02-01T00:00:00Z' }).expect(201);
    return `rcpt-${receiptNumber}`;
  };

  beforeAll(async () => {
    ledger = await openTestApi({
      environment: {
        RSI_API_LOG: 'quiet', RSI_WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true', RSI_WEBHOOK_INTERVAL_MILLISECONDS: '30',
        RSI_WEBHOOK_RETRY_FIRST_MILLISECONDS: '40', RSI_WEBHOOK_FAILURES_BEFORE_PAUSE: '5',
      },
    });
    app = ledger.app;
    receiver = await startReceiver((path, received) => {
      if (path === '/flaky') return received.filter((entry) => entry.path === '/flaky').length <= 3 ? 500 : 200;
      if (path === '/down') return downPathAnswers;
      if (path === '/redirect') return 302;
      return 204;
    });
    await post('/v1/developers', { developerId: 'dev-hooks', name: 'Hook Smith', country: 'NG', incomeGroup: 'lower-middle' }).expect(201);
    await post('/v1/apps', { appId: 'app-hooks', developerId: 'dev-hooks', name: 'Hooked', contract: CONTRACT }).expect(201);
  });

  afterAll(async () => {
    await ledger?.cleanup();
    await receiver?.close();
  });

  it('refuses a target that is not http(s) or carries credentials', async () => {
    const refused = await post('/v1/webhooks', { url: 'ftp://127.0.0.1/x', eventTypes: ['RevenueRecorded'] }).expect(400);
    expect(refused.body.code).toBe('webhook_target_refused');
    await post('/v1/webhooks', { url: 'http://user:pass@127.0.0.1/x', eventTypes: ['RevenueRecorded'] }).expect(400);
    await post('/v1/webhooks', { url: receiver.url('/x'), eventTypes: ['not a type'] }).expect(400);
  });

  it('delivers signed events of the subscribed types, in global order, money as decimal strings', async () => {
    const created = await post('/v1/webhooks', { url: receiver.url('/ordered'), eventTypes: ['RevenueRecorded'], description: 'warehouse' }).expect(201);
    expect(Object.keys(created.body).sort()).toEqual(['eventTypes', 'id', 'secret', 'url']);
    const { id, secret } = created.body as { id: string; secret: string };
    // The secret is shown once: never in the list.
    const listed = await request(app.getHttpServer()).get('/v1/webhooks').expect(200);
    expect(JSON.stringify(listed.body)).not.toContain(secret);
    const receipts = [await recordReceipt(), await recordReceipt(), await recordReceipt()];
    await post('/v1/developers', { developerId: 'dev-other', name: 'Not Subscribed', country: 'NG', incomeGroup: 'lower-middle' }).expect(201);
    const ordered = () => receiver.received.filter((entry) => entry.path === '/ordered');
    await waitFor('three deliveries', () => ordered().length >= 3);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(ordered().map((entry) => entry.parsed.data.receiptId)).toEqual(receipts);
    expect(ordered().every((entry) => entry.parsed.type === 'RevenueRecorded')).toBe(true);
    const nowSeconds = Math.floor(Date.now() / 1000);
    for (const entry of ordered()) {
      expect(verifySignature({ secret, header: entry.signature, body: entry.body, nowSeconds })).toBe(true);
      expect(verifySignature({ secret: `${secret}x`, header: entry.signature, body: entry.body, nowSeconds })).toBe(false);
      expect(entry.parsed.bookingTime).toMatch(/^\d{4}-\d\d-\d\dT/);
      expect(entry.parsed.data.amountMinor).toBeUndefined();
    }
    expect(ordered()[0]!.parsed.data.amount).toBe('10.25');
    expect((ordered()[0]!.parsed.data.lines as { amount: string }[]).every((line) => /^\d+\.\d\d$/.test(line.amount))).toBe(true);
    const positions = ordered().map((entry) => positionKey(entry.parsed.globalPosition));
    for (let index = 1; index < positions.length; index += 1) {
      const [previous, next] = [positions[index - 1]!, positions[index]!];
      expect(previous[0] < next[0] || (previous[0] === next[0] && previous[1] < next[1])).toBe(true);
    }
    // Redelivery from the first delivered position: the three again, in order.
    await post(`/v1/webhooks/${id}/redelivery`, { fromPosition: ordered()[0]!.parsed.globalPosition }).expect(200);
    await waitFor('the redelivery', () => ordered().length >= 6);
    expect(ordered().slice(3).map((entry) => entry.parsed.data.receiptId)).toEqual(receipts);
    await request(app.getHttpServer()).delete(`/v1/webhooks/${id}`).expect(204);
    await request(app.getHttpServer()).get(`/v1/webhooks/${id}`).expect(404);
  });

  it('retries a receiver that fails three times, delivers once more, and logs the attempts', async () => {
    const created = await post('/v1/webhooks', { url: receiver.url('/flaky'), eventTypes: ['RevenueRecorded'] }).expect(201);
    const id = (created.body as { id: string }).id;
    const receiptId = await recordReceipt();
    const flaky = () => receiver.received.filter((entry) => entry.path === '/flaky');
    await waitFor('the fourth attempt', () => flaky().length >= 4);
    await new Promise((resolve) => setTimeout(resolve, 400));
    // Three failed attempts and one that succeeded: the event arrived exactly four times, never after its success.
    expect(flaky()).toHaveLength(4);
    expect(flaky().every((entry) => entry.parsed.data.receiptId === receiptId)).toBe(true);
    const log = await request(app.getHttpServer()).get(`/v1/webhooks/${id}/deliveries`).expect(200);
    const attempts = (log.body as { deliveries: { attempt: number; outcome: string; statusCode: number; latencyMilliseconds: number }[] }).deliveries;
    expect(attempts.map((attempt) => [attempt.attempt, attempt.outcome, attempt.statusCode])).toEqual([[1, 'failed', 500], [2, 'failed', 500], [3, 'failed', 500], [4, 'delivered', 200]]);
    expect(attempts.every((attempt) => attempt.latencyMilliseconds >= 0)).toBe(true);
    const state = await request(app.getHttpServer()).get(`/v1/webhooks/${id}`).expect(200);
    expect(state.body).toMatchObject({ status: 'active', consecutiveFailures: 0, pausedReason: null });
    await request(app.getHttpServer()).delete(`/v1/webhooks/${id}`).expect(204);
  });

  it('pauses a subscription that keeps failing, says why, and resumes it from its checkpoint', async () => {
    const created = await post('/v1/webhooks', { url: receiver.url('/down'), eventTypes: ['RevenueRecorded'] }).expect(201);
    const id = (created.body as { id: string }).id;
    const first = await recordReceipt();
    await waitFor('the pause', async () => (await request(app.getHttpServer()).get(`/v1/webhooks/${id}`)).body.status === 'paused');
    const paused = await request(app.getHttpServer()).get(`/v1/webhooks/${id}`).expect(200);
    expect(paused.body.pausedReason).toMatch(/^5 consecutive failed deliveries .*the last: HTTP 503$/);
    const down = () => receiver.received.filter((entry) => entry.path === '/down');
    expect(down()).toHaveLength(5);
    const second = await recordReceipt();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(down()).toHaveLength(5); // Paused: nothing more is sent.
    const metrics = parsePrometheusText((await request(app.getHttpServer()).get('/metrics').expect(200)).text);
    expect(sampleValue(metrics, 'rsi_webhook_subscriptions_paused')).toBe(1);
    expect(sampleValue(metrics, 'rsi_webhook_backlog_events', { subscription: id })).toBeGreaterThanOrEqual(2);
    expect(sampleValue(metrics, 'rsi_webhook_deliveries_total', { outcome: 'failed' })).toBeGreaterThanOrEqual(5);
    downPathAnswers = 200;
    await post(`/v1/webhooks/${id}/enable`, {}).expect(200);
    await waitFor('the resumed deliveries', () => down().length >= 7);
    expect(down().slice(5).map((entry) => entry.parsed.data.receiptId)).toEqual([first, second]);
    // The checkpoint moves once the worker has the receiver's answer.
    await waitFor('the checkpoint past the second receipt', async () => (await request(app.getHttpServer()).get(`/v1/webhooks/${id}`)).body.checkpoint === down()[6]!.parsed.globalPosition);
    const resumed = await request(app.getHttpServer()).get(`/v1/webhooks/${id}`).expect(200);
    expect(resumed.body).toMatchObject({ status: 'active', pausedReason: null, consecutiveFailures: 0 });
  });

  it('never follows a redirect: it is a failed delivery', async () => {
    const created = await post('/v1/webhooks', { url: receiver.url('/redirect'), eventTypes: ['RevenueRecorded'] }).expect(201);
    const id = (created.body as { id: string }).id;
    await recordReceipt();
    await waitFor('an attempt', async () => (await request(app.getHttpServer()).get(`/v1/webhooks/${id}/deliveries`)).body.deliveries.length >= 1);
    const log = await request(app.getHttpServer()).get(`/v1/webhooks/${id}/deliveries`).expect(200);
    expect(log.body.deliveries[0]).toMatchObject({ attempt: 1, outcome: 'failed', statusCode: 302, error: 'a redirect (never followed)' });
    expect(receiver.received.some((entry) => entry.path === '/redirect-target')).toBe(false);
    await request(app.getHttpServer()).delete(`/v1/webhooks/${id}`).expect(204);
  });

  it('rotates the secret: later deliveries are signed with the new one', async () => {
    const created = await post('/v1/webhooks', { url: receiver.url('/rotated'), eventTypes: ['*'] }).expect(201);
    const { id, secret: oldSecret } = created.body as { id: string; secret: string };
    const rotated = await post(`/v1/webhooks/${id}/secret-rotation`, {}).expect(200);
    const newSecret = (rotated.body as { secret: string }).secret;
    expect(newSecret).not.toBe(oldSecret);
    await recordReceipt();
    const rotatedDeliveries = () => receiver.received.filter((entry) => entry.path === '/rotated');
    await waitFor('a delivery', () => rotatedDeliveries().length >= 1);
    const entry = rotatedDeliveries()[0]!;
    const nowSeconds = Math.floor(Date.now() / 1000);
    expect(verifySignature({ secret: newSecret, header: entry.signature, body: entry.body, nowSeconds })).toBe(true);
    expect(verifySignature({ secret: oldSecret, header: entry.signature, body: entry.body, nowSeconds })).toBe(false);
    await post(`/v1/webhooks/${id}/disable`, {}).expect(200);
  });
});

describe('webhook worker: one active instance, a standby takes over', () => {
  it('delivers each event once with two instances, and goes on when the active one stops', async () => {
    const environment = { RSI_API_LOG: 'quiet', RSI_WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true', RSI_WEBHOOK_INTERVAL_MILLISECONDS: '20' };
    const first = await openTestApi({ environment });
    if (!first.databaseUrl) {
      await first.cleanup();
      return; // The embedded database serves one process: no standby.
    }
    const receiver = await startReceiver(() => 200);
    const locks = async () => Number((await first.runtime.connection.pool.query<{ n: string }>(
      `SELECT count(*)::text AS n FROM pg_locks WHERE locktype = 'advisory' AND granted AND objid::int = hashtext('webhook-delivery')
          AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
    )).rows[0]!.n);
    // The first instance takes the lock before the second exists: the second is the standby.
    await waitFor('one active worker', async () => (await locks()) === 1);
    const second = await createApiApplication({ environment, ledger: { environment: first.childEnvironment } });
    try {
      const post = (path: string, body: unknown) => request(first.app.getHttpServer()).post(path).send(body as object);
      await post('/v1/webhooks', { url: receiver.url('/pair'), eventTypes: ['DeveloperRegistered'] }).expect(201);
      for (let index = 0; index < 10; index += 1) {
        await post('/v1/developers', { developerId: `dev-pair-${index}`, name: 'Pair', country: 'NG', incomeGroup: 'lower-middle' }).expect(201);
      }
      await waitFor('ten deliveries', () => receiver.received.length >= 10);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(receiver.received.map((entry) => entry.parsed.data.developerId)).toEqual(Array.from({ length: 10 }, (_unused, index) => `dev-pair-${index}`));
      expect(await locks()).toBe(1);
      // The active instance stops; the standby takes over from the checkpoint.
      await first.app.close();
      await request(second.getHttpServer()).post('/v1/developers').send({ developerId: 'dev-pair-after', name: 'Pair', country: 'NG', incomeGroup: 'lower-middle' }).expect(201);
      await waitFor('the delivery after the takeover', () => receiver.received.length >= 11);
      expect(receiver.received.slice(10).map((entry) => entry.parsed.data.developerId)).toEqual(['dev-pair-after']);
    } finally {
      await second.close();
      await receiver.close();
      await first.cleanup();
    }
  }, 60_000);
});
