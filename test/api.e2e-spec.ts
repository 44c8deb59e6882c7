import type { INestApplication } from '@nestjs/common';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import request from 'supertest';
import { startApiServer } from '../apps/api/src/api-server';
import { publicKeyFingerprint, publicKeyPemOf, readOrCreateSealPrivateKey } from '@rsi/ledger';
import { createFreshDatabase, openTestApi, type FreshDatabase, type TestApi } from './support/test-ledger';

const CONTRACT = {
  currency: 'USD',
  effectiveFrom: '2026-01-01T00:00:00Z',
  platformShare: { tiers: [{ upTo: '1000.00', rate: '0%' }, { rate: '15%' }], window: 'lifetime', scope: 'app' },
  holdDays: 14,
  minimumPayout: '50.00',
};
const QUIET = { RSI_API_LOG: 'quiet' };

describe('HTTP API (supertest, real database)', () => {
  let ledger: TestApi;
  let app: INestApplication;
  let server: ReturnType<INestApplication['getHttpServer']>;

  const post = (path: string, body: unknown) => request(server).post(path).send(body as object);
  // The read model is caught up first: it may still lag behind the writes of the previous request.
  const splitsCount = async () => (await ledger.runtime.projector.catchUp(), Number((await ledger.runtime.connection.pool.query('SELECT count(*)::text AS n FROM splits')).rows[0].n));
  const eventsCount = async () => Number((await ledger.runtime.connection.pool.query('SELECT count(*)::text AS n FROM events')).rows[0].n);

  beforeAll(async () => {
    ledger = await openTestApi({ environment: QUIET });
    app = ledger.app;
    server = app.getHttpServer();
    await post('/v1/developers', { developerId: 'dev-1', name: 'Ada Apps', country: 'NG', incomeGroup: 'lower-middle' }).expect(201);
    await post('/v1/apps', { appId: 'app-1', developerId: 'dev-1', name: 'Story Writer', contract: CONTRACT }).expect(201);
  });

  afterAll(async () => {
    await app?.close();
    await ledger?.cleanup();
  });

  describe('health and OpenAPI', () => {
    it('answers /health after a SELECT 1', async () => {
      const response = await request(server).get('/health').expect(200);
      expect(response.body).toEqual({ status: 'ok' });
    });

    it('describes every endpoint and DTO at /docs-json and serves the UI at /docs', async () => {
      const response = await request(server).get('/docs-json').expect(200);
      const paths = Object.keys(response.body.paths);
      expect(paths).toEqual(expect.arrayContaining([
        '/health', '/v1/developers', '/v1/apps', '/v1/apps/{appId}/contract-amendments', '/v1/receipts', '/v1/refunds',
        '/v1/payouts', '/v1/payouts/{payoutId}/settlement', '/v1/payouts/{payoutId}/failure',
        '/v1/developers/{developerId}/balances', '/v1/receipts/{receiptId}/split', '/v1/splits', '/v1/exports/{name}',
      ]));
      const schemas = response.body.components.schemas;
      for (const name of ['RegisterDeveloperDto', 'RegisterAppDto', 'AmendContractDto', 'RecordRevenueDto', 'RefundRevenueDto',
        'RequestPayoutDto', 'SettlePayoutDto', 'FailPayoutDto', 'ErrorResponseDto', 'CommandResponseDto']) {
        expect(schemas[name]).toBeDefined();
      }
      expect(schemas.RecordRevenueDto.properties.amount.type).toBe('string');
      await request(server).get('/docs').expect(200);
    });
  });

  describe('developers and apps', () => {
    it('replays an identical registration as already_recorded (200) and refuses other content (409)', async () => {
      const again = await post('/v1/developers', { developerId: 'dev-1', name: 'Ada Apps', country: 'NG', incomeGroup: 'lower-middle' }).expect(200);
      expect(again.body).toEqual({ status: 'already_recorded', commandId: expect.any(String), events: [] });
      const other = await post('/v1/developers', { developerId: 'dev-1', name: 'Someone Else', country: 'NG' }).expect(409);
      expect(other.body).toMatchObject({ statusCode: 409, code: 'developer_already_registered', field: 'developerId' });
    });

    it('returns the encoded events of a registration', async () => {
      const response = await post('/v1/developers', { developerId: 'dev-2', name: 'Bo', country: 'KE' }).expect(201);
      expect(response.body).toEqual({
        status: 'recorded', commandId: expect.any(String),
        // The name is personal data: the event holds it encrypted (docs/audit.md "Personal data").
        events: [{
          type: 'DeveloperRegistered',
          data: { developerId: 'dev-2', name: { scheme: 'aes-256-gcm-v1', ciphertext: expect.stringMatching(/^[A-Za-z0-9_-]+$/), commitment: expect.stringMatching(/^[0-9a-f]{64}$/) }, country: 'KE', incomeGroup: null },
        }],
      });
      expect(JSON.stringify(response.body)).not.toContain('"Bo"');
    });

    it('refuses an app of an unknown developer (404) and an invalid contract (400)', async () => {
      const unknown = await post('/v1/apps', { appId: 'app-x', developerId: 'dev-nobody', name: 'X', contract: CONTRACT }).expect(404);
      expect(unknown.body).toMatchObject({ code: 'developer_not_registered', field: 'developerId' });
      const badContract = await post('/v1/apps', { appId: 'app-y', developerId: 'dev-1', name: 'Y', contract: { ...CONTRACT, holdDays: -1 } }).expect(400);
      expect(badContract.body).toMatchObject({ statusCode: 400, code: 'contract_invalid', field: 'contract.holdDays' });
      const notObject = await post('/v1/apps', { appId: 'app-y', developerId: 'dev-1', name: 'Y', contract: 'terms' }).expect(400);
      expect(notObject.body).toMatchObject({ code: 'validation_failed', field: 'contract' });
    });

    it('refuses an app id already used by another developer (409)', async () => {
      const response = await post('/v1/apps', { appId: 'app-1', developerId: 'dev-2', name: 'Copy', contract: CONTRACT }).expect(409);
      expect(response.body.statusCode).toBe(409);
    });
  });

  describe('receipts', () => {
    it('records a receipt and returns its exact split lines as decimal strings', async () => {
      const response = await post('/v1/receipts', { receiptId: 'rcpt-1', appId: 'app-1', amount: '1200.00', currency: 'USD', occurredAt: '2026-01-10T00:00:00Z' }).expect(201);
      expect(response.body.status).toBe('recorded');
      expect(response.body.commandId).toBe('RecordRevenue:rcpt-1');
      expect(response.body.lines).toEqual([{ party: 'platform', amount: '30.00' }, { party: 'developer:dev-1', amount: '1170.00' }]);
      const [event] = response.body.events;
      expect(event.type).toBe('RevenueRecorded');
      expect(event.data.amountMinor).toBe('120000');
      expect(event.data.lines).toEqual([{ party: 'platform', amountMinor: '3000' }, { party: 'developer:dev-1', amountMinor: '117000' }]);
      expect(JSON.stringify(response.body)).not.toMatch(/"amount(Minor)?":\d/);
    });

    it('answers a retry of the same receipt with 200 already_recorded and a different one with 409', async () => {
      const retry = await post('/v1/receipts', { receiptId: 'rcpt-1', appId: 'app-1', amount: '1200.00', currency: 'USD', occurredAt: '2026-01-10T00:00:00Z' }).expect(200);
      expect(retry.body.status).toBe('already_recorded');
      const before = await splitsCount();
      const other = await post('/v1/receipts', { receiptId: 'rcpt-1', appId: 'app-1', amount: '1300.00', currency: 'USD', occurredAt: '2026-01-10T00:00:00Z' }).expect(409);
      expect(other.body).toEqual({ statusCode: 409, code: 'duplicate_receipt', message: expect.any(String), field: 'receiptId' });
      expect(await splitsCount()).toBe(before);
    });

    const valid = { receiptId: 'rcpt-bad', appId: 'app-1', amount: '10.00', currency: 'USD', occurredAt: '2026-01-11T00:00:00Z' };
    const cases: [string, Record<string, unknown>, number, string, string | undefined, RegExp?][] = [
      ['a JSON number as amount', { ...valid, amount: 10 }, 400, 'validation_failed', 'amount', /JSON number/],
      ['too many decimals', { ...valid, amount: '10.001' }, 400, 'amount_too_many_decimals', 'amount'],
      ['a negative amount', { ...valid, amount: '-10.00' }, 400, 'validation_failed', 'amount', /negative/],
      ['a zero amount', { ...valid, amount: '0.00' }, 400, 'amount_zero', 'amount'],
      ['an exponent', { ...valid, amount: '1e3' }, 400, 'validation_failed', 'amount', /plain decimal/],
      ['an amount above the maximum', { ...valid, amount: '99999999999999999.00' }, 400, 'amount_above_maximum', 'amount'],
      ['a wrong type for an id', { ...valid, appId: 42 }, 400, 'validation_failed', 'appId', /must be an identifier string, not a JSON number/],
      ['an id with a bad character', { ...valid, receiptId: 'rcpt 1' }, 400, 'validation_failed', 'receiptId', /letters, digits/],
      ['an id too long', { ...valid, receiptId: 'r'.repeat(129) }, 400, 'validation_failed', 'receiptId', /at most 128/],
      ['a missing field', { receiptId: 'rcpt-bad', appId: 'app-1', amount: '10.00', currency: 'USD' }, 400, 'validation_failed', 'occurredAt', /required/],
      ['an unknown field', { ...valid, note: 'hi' }, 400, 'validation_failed', 'note', /unknown field/],
      ['a prototype key', JSON.parse('{"__proto__": {"x": 1}, "receiptId": "r"}') as Record<string, unknown>, 400, 'validation_failed', '__proto__'],
      ['a malformed date', { ...valid, occurredAt: '2026-02-30T00:00:00Z' }, 400, 'instant_malformed', 'occurredAt'],
      ['a date without time', { ...valid, occurredAt: '2026-01-11' }, 400, 'instant_malformed', 'occurredAt'],
      ['a lower-case currency', { ...valid, currency: 'usd' }, 400, 'validation_failed', 'currency'],
      ['another currency than the contract', { ...valid, currency: 'EUR' }, 400, 'currency_mismatch', 'currency'],
      ['a receipt before the contract', { ...valid, occurredAt: '2025-12-31T00:00:00Z' }, 400, 'receipt_before_first_contract_version', 'occurredAt'],
      ['an unknown app', { ...valid, appId: 'app-nobody' }, 404, 'unknown_app', 'appId'],
    ];
    // Objects, not spread tuples: jest would take a missing trailing argument for a `done` callback.
    const namedCases = cases.map(([name, body, status, code, field, message]) => ({ name, body, status, code, field, message }));
    it.each(namedCases)('refuses $name and writes nothing', async ({ body, status, code, field, message }) => {
      const splitsBefore = await splitsCount();
      const eventsBefore = await eventsCount();
      const response = await post('/v1/receipts', body).expect(status);
      expect(response.body.statusCode).toBe(status);
      expect(response.body.code).toBe(code);
      if (field !== undefined) expect(response.body.field).toBe(field);
      if (message !== undefined) expect(response.body.message).toMatch(message);
      expect(await splitsCount()).toBe(splitsBefore);
      expect(await eventsCount()).toBe(eventsBefore);
    });

    it('refuses a body that is not an object', async () => {
      const response = await post('/v1/receipts', [1, 2]).expect(400);
      expect(response.body).toMatchObject({ code: 'validation_failed' });
    });
  });

  describe('body parsing', () => {
    it('answers malformed JSON with 400 malformed_json', async () => {
      const response = await request(server).post('/v1/receipts').set('Content-Type', 'application/json').send('{"receiptId": "x",').expect(400);
      expect(response.body).toMatchObject({ statusCode: 400, code: 'malformed_json' });
    });

    it('refuses a top-level JSON scalar (strict parsing)', async () => {
      const response = await request(server).post('/v1/receipts').set('Content-Type', 'application/json').send('"text"').expect(400);
      expect(response.body.code).toBe('malformed_json');
    });

    it('answers a body over 64 KiB with 413 body_too_large and writes nothing', async () => {
      const eventsBefore = await eventsCount();
      const response = await post('/v1/developers', { developerId: 'dev-big', name: 'x'.repeat(70 * 1024), country: 'NG' }).expect(413);
      expect(response.body).toMatchObject({ statusCode: 413, code: 'body_too_large' });
      expect(await eventsCount()).toBe(eventsBefore);
    });

    it('answers a body of another media type with 415', async () => {
      const response = await request(server).post('/v1/receipts').set('Content-Type', 'text/plain').send('hello').expect(415);
      expect(response.body.code).toBe('unsupported_media_type');
    });

    it('answers an unknown route with 404 not_found in the error format', async () => {
      const response = await request(server).get('/v1/nothing-here').expect(404);
      expect(response.body).toEqual({ statusCode: 404, code: 'not_found', message: expect.any(String) });
    });
  });

  describe('refunds', () => {
    beforeAll(async () => {
      await post('/v1/receipts', { receiptId: 'rcpt-refund', appId: 'app-1', amount: '100.00', currency: 'USD', occurredAt: '2026-01-12T00:00:00Z' }).expect(201);
    });

    it('refunds part of a receipt and returns the reversal lines', async () => {
      const response = await post('/v1/refunds', { refundId: 'refund-1', receiptId: 'rcpt-refund', amount: '40.00', occurredAt: '2026-01-13T00:00:00Z' }).expect(201);
      expect(response.body.events[0].type).toBe('RevenueRefunded');
      const total = response.body.lines.reduce((sum: number, line: { amount: string }) => sum + Math.round(Number(line.amount) * 100), 0);
      expect(total).toBe(4000);
    });

    it('refuses an over-refund (409), an unknown receipt (404) and a refund before its receipt (400)', async () => {
      const over = await post('/v1/refunds', { refundId: 'refund-2', receiptId: 'rcpt-refund', amount: '60.01', occurredAt: '2026-01-13T00:00:00Z' }).expect(409);
      expect(over.body).toMatchObject({ code: 'refund_exceeds_remaining', field: 'amount' });
      const unknown = await post('/v1/refunds', { refundId: 'refund-3', receiptId: 'rcpt-nobody', amount: '1.00', occurredAt: '2026-01-13T00:00:00Z' }).expect(404);
      expect(unknown.body).toMatchObject({ code: 'unknown_receipt', field: 'receiptId' });
      const early = await post('/v1/refunds', { refundId: 'refund-4', receiptId: 'rcpt-refund', amount: '1.00', occurredAt: '2026-01-11T00:00:00Z' }).expect(400);
      expect(early.body.code).toBe('refund_before_receipt');
    });
  });

  describe('payouts', () => {
    beforeAll(async () => {
      await post('/v1/developers', { developerId: 'dev-pay', name: 'Payee', country: 'GH' }).expect(201);
      await post('/v1/apps', { appId: 'app-pay', developerId: 'dev-pay', name: 'Pay App', contract: CONTRACT }).expect(201);
      await post('/v1/receipts', { receiptId: 'rcpt-pay', appId: 'app-pay', amount: '500.00', currency: 'USD', occurredAt: '2026-01-05T00:00:00Z' }).expect(201);
    });

    it('refuses an over-payout (409), one below the minimum (400) and an unknown developer (404)', async () => {
      const over = await post('/v1/payouts', { payoutId: 'payout-over', developerId: 'dev-pay', currency: 'USD', amount: '500.01', requestedAt: '2026-02-01T00:00:00Z' }).expect(409);
      expect(over.body).toMatchObject({ code: 'payout_above_available', field: 'amount' });
      const held = await post('/v1/payouts', { payoutId: 'payout-held', developerId: 'dev-pay', currency: 'USD', amount: '100.00', requestedAt: '2026-01-06T00:00:00Z' }).expect(409);
      expect(held.body.code).toBe('payout_above_available');
      const small = await post('/v1/payouts', { payoutId: 'payout-small', developerId: 'dev-pay', currency: 'USD', amount: '49.99', requestedAt: '2026-02-01T00:00:00Z' }).expect(400);
      expect(small.body.code).toBe('payout_below_minimum');
      const unknown = await post('/v1/payouts', { payoutId: 'payout-x', developerId: 'dev-nobody', currency: 'USD', amount: '50.00', requestedAt: '2026-02-01T00:00:00Z' }).expect(404);
      expect(unknown.body.code).toBe('developer_not_registered');
    });

    it('requests, settles and fails payouts; refuses an unknown payout (404) and a second settlement (409)', async () => {
      await post('/v1/payouts', { payoutId: 'payout-1', developerId: 'dev-pay', currency: 'USD', amount: '200.00', requestedAt: '2026-02-01T00:00:00Z' }).expect(201);
      const settled = await post('/v1/payouts/payout-1/settlement', { settledAt: '2026-02-02T00:00:00Z', reference: 'wire-1' }).expect(201);
      expect(settled.body.events[0]).toMatchObject({ type: 'PayoutSettled', data: { payoutId: 'payout-1', amountMinor: '20000' } });
      const failAfterSettle = await post('/v1/payouts/payout-1/failure', { failedAt: '2026-02-03T00:00:00Z', reason: 'late' }).expect(409);
      expect(failAfterSettle.body.code).toBe('payout_not_pending');
      await post('/v1/payouts', { payoutId: 'payout-2', developerId: 'dev-pay', currency: 'USD', amount: '100.00', requestedAt: '2026-02-01T00:00:00Z' }).expect(201);
      await post('/v1/payouts/payout-2/failure', { failedAt: '2026-02-03T00:00:00Z', reason: 'account closed' }).expect(201);
      const unknown = await post('/v1/payouts/payout-nobody/settlement', { settledAt: '2026-02-02T00:00:00Z', reference: 'x' }).expect(404);
      expect(unknown.body).toMatchObject({ code: 'unknown_payout', field: 'payoutId' });
      const badPath = await post('/v1/payouts/bad%20id/settlement', { settledAt: '2026-02-02T00:00:00Z', reference: 'x' }).expect(400);
      expect(badPath.body).toMatchObject({ code: 'validation_failed', field: 'payoutId' });
      const extra = await post('/v1/payouts/payout-2/failure', { failedAt: '2026-02-03T00:00:00Z', reason: 'x', payoutId: 'payout-2' }).expect(400);
      expect(extra.body).toMatchObject({ code: 'validation_failed', field: 'payoutId' });
    });

    it('reports balances per currency as decimal strings, as of an instant', async () => {
      const response = await request(server).get('/v1/developers/dev-pay/balances').query({ asOf: '2026-03-01T00:00:00Z' }).expect(200);
      expect(response.body).toEqual({
        developerId: 'dev-pay', asOf: '2026-03-01T00:00:00.000Z',
        balances: [{ currency: 'USD', pending: '0.00', available: '300.00', refunded: '0.00', payoutsInFlight: '0.00', paid: '200.00', credited: '500.00',
          disputed: '0.00', disputeFees: '0.00', disputesLost: '0.00', reserved: '0.00' }],
      });
      const early = await request(server).get('/v1/developers/dev-pay/balances').query({ asOf: '2026-01-06T00:00:00Z' }).expect(200);
      expect(early.body.balances[0]).toMatchObject({ pending: '500.00' });
      const now = await request(server).get('/v1/developers/dev-2/balances').expect(200);
      expect(now.body.balances).toEqual([]);
      const unknown = await request(server).get('/v1/developers/dev-nobody/balances').expect(404);
      expect(unknown.body).toMatchObject({ code: 'unknown_developer', field: 'developerId' });
      const badAsOf = await request(server).get('/v1/developers/dev-pay/balances').query({ asOf: 'yesterday' }).expect(400);
      expect(badAsOf.body).toMatchObject({ code: 'instant_malformed', field: 'asOf' });
    });
  });

  describe('contract amendments', () => {
    it('amends a contract after the recorded receipts and refuses one before them (409)', async () => {
      const before = await post('/v1/apps/app-1/contract-amendments', { contract: { ...CONTRACT, effectiveFrom: '2026-01-05T00:00:00Z' } }).expect(409);
      expect(before.body.code).toBe('amendment_not_after_recorded_receipt');
      const amended = await post('/v1/apps/app-1/contract-amendments', { contract: { ...CONTRACT, effectiveFrom: '2026-06-01T00:00:00Z' } }).expect(201);
      expect(amended.body.events[0]).toMatchObject({ type: 'ContractAmended', data: { appId: 'app-1', contract: { version: 2 } } });
      const unknown = await post('/v1/apps/app-nobody/contract-amendments', { contract: CONTRACT }).expect(404);
      expect(unknown.body).toMatchObject({ code: 'unknown_app', field: 'appId' });
    });
  });

  describe('splits', () => {
    beforeAll(async () => {
      await post('/v1/developers', { developerId: 'dev-list', name: 'Lister', country: 'IN' }).expect(201);
      await post('/v1/apps', { appId: 'app-list', developerId: 'dev-list', name: 'List App', contract: CONTRACT }).expect(201);
      for (const [index, day] of ['10', '11', '12'].entries()) {
        await post('/v1/receipts', { receiptId: `rcpt-list-${index}`, appId: 'app-list', amount: '10.00', currency: 'USD', occurredAt: `2026-01-${day}T00:00:00Z` }).expect(201);
      }
    });

    it('returns the split of one receipt, 404 for an unknown one', async () => {
      const response = await request(server).get('/v1/receipts/rcpt-1/split').expect(200);
      expect(response.body).toMatchObject({
        receiptId: 'rcpt-1', appId: 'app-1', developerId: 'dev-1', currency: 'USD', amount: '1200.00', occurredAt: '2026-01-10T00:00:00.000Z',
        contractVersion: 1, lines: [{ party: 'platform', amount: '30.00' }, { party: 'developer:dev-1', amount: '1170.00' }],
      });
      expect(response.body.contractHash).toMatch(/^[0-9a-f]{64}$/);
      const unknown = await request(server).get('/v1/receipts/rcpt-nobody/split').expect(404);
      expect(unknown.body).toMatchObject({ code: 'unknown_receipt', field: 'receiptId' });
    });

    it('pages through splits with a cursor and filters', async () => {
      const first = await request(server).get('/v1/splits').query({ developerId: 'dev-list', limit: '2' }).expect(200);
      expect(first.body.items.map((item: { receiptId: string }) => item.receiptId)).toEqual(['rcpt-list-0', 'rcpt-list-1']);
      expect(first.body.nextCursor).toEqual(expect.any(String));
      const second = await request(server).get('/v1/splits').query({ developerId: 'dev-list', limit: '2', after: first.body.nextCursor }).expect(200);
      expect(second.body.items.map((item: { receiptId: string }) => item.receiptId)).toEqual(['rcpt-list-2']);
      expect(second.body.nextCursor).toBeNull();
      const window = await request(server).get('/v1/splits').query({ appId: 'app-list', from: '2026-01-11T00:00:00Z', to: '2026-01-12T00:00:00Z' }).expect(200);
      expect(window.body.items.map((item: { receiptId: string }) => item.receiptId)).toEqual(['rcpt-list-1']);
    });

    it('refuses a limit above 1000, a forged cursor, an unknown parameter and a malformed date', async () => {
      expect((await request(server).get('/v1/splits').query({ limit: '1001' }).expect(400)).body).toMatchObject({ code: 'validation_failed', field: 'limit' });
      expect((await request(server).get('/v1/splits').query({ limit: '0' }).expect(400)).body.field).toBe('limit');
      expect((await request(server).get('/v1/splits').query({ after: 'bm9wZQ' }).expect(400)).body).toMatchObject({ field: 'after' });
      expect((await request(server).get('/v1/splits').query({ offset: '3' }).expect(400)).body).toMatchObject({ field: 'offset' });
      expect((await request(server).get('/v1/splits').query({ from: '2026-13-01T00:00:00Z' }).expect(400)).body.code).toBe('instant_malformed');
    });
  });

  describe('exports', () => {
    it('streams splits as JSONL and balances as CSV with their content types', async () => {
      const jsonl = await request(server).get('/v1/exports/splits').query({ format: 'jsonl' }).buffer(true).parse((response, callback) => {
        let text = '';
        response.on('data', (chunk: Buffer) => { text += chunk.toString('utf8'); });
        response.on('end', () => callback(null, text));
      }).expect(200);
      expect(jsonl.headers['content-type']).toMatch(/^application\/x-ndjson/);
      const rows = (jsonl.body as string).trim().split('\n').map((line) => JSON.parse(line));
      expect(rows.find((row) => row.receiptId === 'rcpt-1')).toMatchObject({ amount: '1200.00', lines: [{ party: 'platform', amount: '30.00' }, { party: 'developer:dev-1', amount: '1170.00' }] });
      const csv = await request(server).get('/v1/exports/balances').query({ format: 'csv', asOf: '2026-03-01T00:00:00Z' }).expect(200);
      expect(csv.headers['content-type']).toMatch(/^text\/csv/);
      expect(csv.text.split('\n')[0]).toContain('developerId');
      expect(csv.text).toContain('dev-pay');
    });

    it('refuses an unknown export (404), a bad format and a bad date (400)', async () => {
      expect((await request(server).get('/v1/exports/nothing').expect(404)).body.code).toBe('unknown_export');
      expect((await request(server).get('/v1/exports/splits').query({ format: 'xml' }).expect(400)).body).toMatchObject({ field: 'format' });
      expect((await request(server).get('/v1/exports/splits').query({ from: 'soon' }).expect(400)).body).toMatchObject({ code: 'instant_malformed', field: 'from' });
    });
  });

  describe('Idempotency-Key', () => {
    it('replays the stored response exactly for the same request', async () => {
      const body = { receiptId: 'rcpt-idem', appId: 'app-1', amount: '5.00', currency: 'USD', occurredAt: '2026-01-20T00:00:00Z' };
      const first = await post('/v1/receipts', body).set('Idempotency-Key', 'key-1').expect(201);
      expect(first.headers['idempotent-replayed']).toBeUndefined();
      const eventsAfterFirst = await eventsCount();
      const replay = await post('/v1/receipts', body).set('Idempotency-Key', 'key-1').expect(201);
      expect(replay.headers['idempotent-replayed']).toBe('true');
      expect(replay.body).toEqual(first.body);
      expect(await eventsCount()).toBe(eventsAfterFirst);
      // Without the key, the natural key still makes the command idempotent.
      expect((await post('/v1/receipts', body).expect(200)).body.status).toBe('already_recorded');
    });

    it('answers 422 when a key is reused with another body or path', async () => {
      const body = { receiptId: 'rcpt-idem-2', appId: 'app-1', amount: '5.00', currency: 'USD', occurredAt: '2026-01-20T00:00:00Z' };
      await post('/v1/receipts', body).set('Idempotency-Key', 'key-2').expect(201);
      const splitsBefore = await splitsCount();
      const reused = await post('/v1/receipts', { ...body, receiptId: 'rcpt-idem-3' }).set('Idempotency-Key', 'key-2').expect(422);
      expect(reused.body).toMatchObject({ statusCode: 422, code: 'idempotency_key_reused' });
      expect(await splitsCount()).toBe(splitsBefore);
      expect((await post('/v1/developers', { developerId: 'dev-k', name: 'K', country: 'NG' }).set('Idempotency-Key', 'key-2').expect(422)).body.code).toBe('idempotency_key_reused');
    });

    it('stores and replays domain refusals', async () => {
      const body = { refundId: 'refund-idem', receiptId: 'rcpt-nobody', amount: '1.00', occurredAt: '2026-01-20T00:00:00Z' };
      const first = await post('/v1/refunds', body).set('Idempotency-Key', 'key-refusal').expect(404);
      const replay = await post('/v1/refunds', body).set('Idempotency-Key', 'key-refusal').expect(404);
      expect(replay.headers['idempotent-replayed']).toBe('true');
      expect(replay.body).toEqual(first.body);
    });

    it('refuses an empty key or one longer than 255 characters', async () => {
      const body = { developerId: 'dev-k2', name: 'K', country: 'NG' };
      expect((await post('/v1/developers', body).set('Idempotency-Key', 'k'.repeat(256)).expect(400)).body.code).toBe('idempotency_key_invalid');
      expect((await post('/v1/developers', body).set('Idempotency-Key', '').expect(400)).body.code).toBe('idempotency_key_invalid');
      await post('/v1/developers', body).set('Idempotency-Key', 'k'.repeat(255)).expect(201);
    });

    it('does not store a 500: the retry runs again', async () => {
      const bus = ledger.runtime.bus;
      const original = bus.execute.bind(bus);
      const spy = jest.spyOn(bus, 'execute').mockImplementationOnce(() => Promise.reject(new Error('connection reset: SELECT secret FROM internals')));
      const body = { developerId: 'dev-retry', name: 'Retry', country: 'NG' };
      const failed = await post('/v1/developers', body).set('Idempotency-Key', 'key-500').expect(500);
      expect(failed.body).toEqual({ statusCode: 500, code: 'internal_error', message: expect.any(String) });
      expect(failed.body.message).not.toMatch(/SELECT|secret|connection/);
      spy.mockImplementation(original);
      const retried = await post('/v1/developers', body).set('Idempotency-Key', 'key-500').expect(201);
      expect(retried.headers['idempotent-replayed']).toBeUndefined();
      spy.mockRestore();
    });
  });
});

describe('HTTP API with API keys', () => {
  let ledger: TestApi;
  let app: INestApplication;
  let keyDirectory: string;
  const sealPrivateKeyFile = () => path.join(keyDirectory, 'seal-private-key.pem');

  beforeAll(async () => {
    keyDirectory = fs.mkdtempSync(path.join(os.tmpdir(), 'rsi-api-seal-key-'));
    ledger = await openTestApi({
      environment: { ...QUIET, RSI_API_KEYS: 'ops:ops-secret-1,finance:finance-secret-2' }, sealPrivateKeyFile: sealPrivateKeyFile(),
    });
    app = ledger.app;
  });

  afterAll(async () => {
    await app?.close();
    await ledger?.cleanup();
    if (keyDirectory) fs.rmSync(keyDirectory, { recursive: true, force: true });
  });

  it('publishes the seal public key without an API key, while the other /v1 routes need one', async () => {
    const server = app.getHttpServer();
    const none = await request(server).get('/v1/seal-public-key').expect(404);
    expect(none.body).toEqual({ statusCode: 404, code: 'no_seal_key', message: 'no seal key exists yet: the first seal creates it' });
    const { privateKey } = readOrCreateSealPrivateKey(sealPrivateKeyFile());
    const published = await request(server).get('/v1/seal-public-key').expect(200);
    expect(published.body).toEqual({ algorithm: 'Ed25519', publicKey: publicKeyPemOf(privateKey), fingerprint: publicKeyFingerprint(publicKeyPemOf(privateKey)) });
    expect(published.body.publicKey).not.toContain('PRIVATE');
    await request(server).get('/v1/splits').expect(401);
    await request(server).get('/v1/developers/dev-a/balances').expect(401);
  });

  it('refuses /v1 requests without a valid X-Api-Key (401) and writes nothing', async () => {
    const body = { developerId: 'dev-a', name: 'A', country: 'NG' };
    const missing = await request(app.getHttpServer()).post('/v1/developers').send(body).expect(401);
    expect(missing.body).toEqual({ statusCode: 401, code: 'unauthenticated', message: expect.any(String) });
    await request(app.getHttpServer()).post('/v1/developers').set('X-Api-Key', 'wrong-secret').send(body).expect(401);
    await request(app.getHttpServer()).get('/v1/splits').expect(401);
    const events = await ledger.runtime.connection.pool.query('SELECT count(*)::text AS n FROM events');
    expect(events.rows[0].n).toBe('0');
    await request(app.getHttpServer()).get('/health').expect(200);
  });

  it('records the key id as the actor', async () => {
    await request(app.getHttpServer()).post('/v1/developers').set('X-Api-Key', 'finance-secret-2').send({ developerId: 'dev-a', name: 'A', country: 'NG' }).expect(201);
    const stream = await ledger.runtime.store.readStream('developer-dev-a');
    expect(stream.events[0]!.metadata.actor).toBe('api:finance');
    const recordedAt = Date.parse(String(stream.events[0]!.metadata.recordedAt));
    expect(Math.abs(Date.now() - recordedAt)).toBeLessThan(60_000);
  });

  it('scopes Idempotency-Keys by actor', async () => {
    const server = app.getHttpServer();
    await request(server).post('/v1/developers').set('X-Api-Key', 'ops-secret-1').set('Idempotency-Key', 'shared').send({ developerId: 'dev-b', name: 'B', country: 'NG' }).expect(201);
    // The same key from another actor is another key.
    await request(server).post('/v1/developers').set('X-Api-Key', 'finance-secret-2').set('Idempotency-Key', 'shared').send({ developerId: 'dev-c', name: 'C', country: 'NG' }).expect(201);
  });
});

describe('startApiServer', () => {
  let database: FreshDatabase;

  beforeAll(async () => {
    database = await createFreshDatabase({});
  });

  afterAll(async () => {
    await database?.drop();
  });

  it('listens on a free port, keeps the read models following the writes in the background, and closes', async () => {
    const server = await startApiServer({ port: 0, host: '127.0.0.1', environment: QUIET, projectorIntervalMilliseconds: 50, ledger: database.ledgerOptions });
    try {
      expect(server.port).toBeGreaterThan(0);
      const base = `http://127.0.0.1:${server.port}`;
      await request(base).get('/health').expect(200, { status: 'ok' });
      // Written through the bus directly: only the background projector can bring it to the read model.
      const bus = server.runtime.bus;
      await bus.execute(bus.parse({ type: 'RegisterDeveloper', developerId: 'dev-bg', name: 'Background', country: 'NG' }), { actor: 'test', recordedAt: new Date().toISOString() });
      const deadline = Date.now() + 10_000;
      let projected = false;
      while (!projected && Date.now() < deadline) {
        const result = await server.runtime.connection.pool.query('SELECT 1 FROM developers WHERE developer_id = $1', ['dev-bg']);
        projected = result.rows.length === 1;
        if (!projected) await new Promise((resolve) => setTimeout(resolve, 25));
      }
      expect(projected).toBe(true);
    } finally {
      await server.close();
    }
    await expect(request(`http://127.0.0.1:${server.port}`).get('/health')).rejects.toThrow();
  });
});
