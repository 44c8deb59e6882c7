import { Logger, type INestApplication } from '@nestjs/common';
import * as net from 'node:net';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import request from 'supertest';
import { JSON_ARRAY_ITEMS_MAXIMUM, JSON_DEPTH_MAXIMUM, JSON_OBJECT_KEYS_MAXIMUM } from '@rsi/ledger';
import { openTestApi, type TestApi } from './support/test-ledger';

const CONTRACT = {
  currency: 'USD',
  effectiveFrom: '2026-01-01T00:00:00Z',
  platformShare: { tiers: [{ upTo: '1000.00', rate: '0%' }, { rate: '15%' }], window: 'lifetime', scope: 'app' },
  holdDays: 14,
  minimumPayout: '50.00',
};
const CONTRACT_JSON = JSON.stringify(CONTRACT);
const QUIET = { RSI_API_LOG: 'quiet' };
const JSON_TYPE = 'application/json';

const receiptBody = (receiptId: string, amount = '10.00') =>
  `{"receiptId":"${receiptId}","appId":"app-1","amount":"${amount}","currency":"USD","occurredAt":"2026-02-01T00:00:00Z"}`;
const bytesOf = (text: string) => Buffer.from(text, 'utf8');
/** superagent would serialise a Buffer as JSON (`{"type":"Buffer",…}`) under a JSON content type: the bytes go as they are. */
const asIs = (body: unknown) => body as string;

/** Each class of hostile body, as raw bytes over the wire, with the answer it must get. */
const HOSTILE_BODIES: { name: string; path: string; body: Buffer; code: string; field?: string }[] = [
  { name: 'a lone high surrogate in a name', path: '/v1/developers', body: bytesOf('{"developerId":"bad-1","name":"x\\ud800","country":"NG"}'), code: 'invalid_text', field: 'name' },
  { name: 'a lone low surrogate in a name', path: '/v1/developers', body: bytesOf('{"developerId":"bad-2","name":"\\udc00","country":"NG"}'), code: 'invalid_text', field: 'name' },
  { name: 'a lone surrogate in a settlement reference', path: '/v1/payouts/pay-1/settlement', body: bytesOf('{"settledAt":"2026-03-01T00:00:00Z","reference":"wire-\\udbff"}'), code: 'invalid_text', field: 'reference' },
  { name: 'NUL in a failure reason', path: '/v1/payouts/pay-1/failure', body: bytesOf('{"failedAt":"2026-03-01T00:00:00Z","reason":"bank\\u0000down"}'), code: 'invalid_text', field: 'reason' },
  { name: 'a newline in a failure reason', path: '/v1/payouts/pay-1/failure', body: bytesOf('{"failedAt":"2026-03-01T00:00:00Z","reason":"bank\\ndown"}'), code: 'invalid_text', field: 'reason' },
  { name: 'a C1 control in a name', path: '/v1/developers', body: bytesOf('{"developerId":"bad-3","name":"a\u009bb","country":"NG"}'), code: 'invalid_text', field: 'name' },
  { name: 'a lone surrogate in a carve-out party', path: '/v1/apps', body: bytesOf(`{"appId":"bad-app","developerId":"dev-1","name":"X","contract":${CONTRACT_JSON.slice(0, -1)},"carveOuts":[{"party":"referrer:\\ud800","rate":"1%","of":"basis"}]}}`), code: 'invalid_text', field: 'contract.carveOuts[0].party' },
  { name: 'a lone surrogate in a key', path: '/v1/receipts', body: bytesOf('{"receiptId":"bad-4","\\ud800":"1"}'), code: 'invalid_text', field: '["\\ud800"]' },
  { name: 'invalid UTF-8 (FF)', path: '/v1/developers', body: Buffer.concat([bytesOf('{"developerId":"bad-5","name":"x'), Buffer.from([0xff]), bytesOf('","country":"NG"}')]), code: 'invalid_utf8' },
  { name: 'overlong UTF-8 (C0 AF)', path: '/v1/developers', body: Buffer.concat([bytesOf('{"developerId":"bad-6","name":"'), Buffer.from([0xc0, 0xaf]), bytesOf('","country":"NG"}')]), code: 'invalid_utf8' },
  { name: 'an encoded surrogate (ED A0 80)', path: '/v1/developers', body: Buffer.concat([bytesOf('{"developerId":"bad-7","name":"'), Buffer.from([0xed, 0xa0, 0x80]), bytesOf('","country":"NG"}')]), code: 'invalid_utf8' },
  { name: 'a byte order mark', path: '/v1/receipts', body: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), bytesOf(receiptBody('bad-bom'))]), code: 'malformed_json' },
  { name: 'a duplicate key (amount twice)', path: '/v1/receipts', body: bytesOf('{"receiptId":"bad-dup","appId":"app-1","amount":"1.00","amount":"900.00","currency":"USD","occurredAt":"2026-02-01T00:00:00Z"}'), code: 'duplicate_key', field: 'amount' },
  { name: 'a duplicate key nested in a contract', path: '/v1/apps/app-1/contract-amendments', body: bytesOf(`{"contract":${CONTRACT_JSON.slice(0, -1)},"holdDays":0}}`), code: 'duplicate_key', field: 'contract.holdDays' },
  { name: '2,000 nested arrays', path: '/v1/receipts', body: bytesOf(`{"receiptId":${'['.repeat(2_000)}${']'.repeat(2_000)}}`), code: 'nesting_too_deep', field: `receiptId${'[0]'.repeat(JSON_DEPTH_MAXIMUM - 1)}` },
  { name: '12,000 nested objects, never closed', path: '/v1/apps', body: bytesOf(`{"contract":${'{"a":'.repeat(12_000)}`), code: 'nesting_too_deep', field: `contract${'.a'.repeat(JSON_DEPTH_MAXIMUM - 1)}` },
  { name: 'too many keys', path: '/v1/apps', body: bytesOf(`{"contract":{${Array.from({ length: JSON_OBJECT_KEYS_MAXIMUM + 1 }, (_, index) => `"k${index}":1`).join(',')}}}`), code: 'too_many_keys', field: 'contract' },
  { name: 'too many items', path: '/v1/receipts', body: bytesOf(`{"receiptId":[${Array.from({ length: JSON_ARRAY_ITEMS_MAXIMUM + 1 }, () => '0').join(',')}]}`), code: 'too_many_items', field: 'receiptId' },
  { name: 'a trailing comma', path: '/v1/receipts', body: bytesOf(`${receiptBody('bad-comma').slice(0, -1)},}`), code: 'malformed_json' },
  { name: 'NaN', path: '/v1/receipts', body: bytesOf('{"receiptId":"bad-nan","amount":NaN}'), code: 'malformed_json', field: 'amount' },
  { name: 'a comment', path: '/v1/receipts', body: bytesOf(`/* hi */${receiptBody('bad-comment')}`), code: 'malformed_json' },
];

describe('hostile request bodies (raw bytes over the wire, real database)', () => {
  let ledger: TestApi;
  let app: INestApplication;
  let server: Server;
  let loggedErrors: jest.SpyInstance;

  const postRaw = (path: string, body: Buffer, contentType: string | null = JSON_TYPE) => {
    const pending = request(server).post(path);
    if (contentType !== null) pending.set('Content-Type', contentType);
    return pending.serialize(asIs).send(body);
  };
  const eventsCount = async () => Number((await ledger.runtime.connection.pool.query('SELECT count(*)::text AS n FROM events')).rows[0].n);
  const balances = async () => (await request(server).get('/v1/developers/dev-1/balances').query({ asOf: '2027-01-01T00:00:00Z' }).expect(200)).body;

  beforeAll(async () => {
    ledger = await openTestApi({ environment: QUIET });
    app = ledger.app;
    await app.listen(0, '127.0.0.1');
    server = app.getHttpServer() as Server;
    await postRaw('/v1/developers', bytesOf('{"developerId":"dev-1","name":"Ada Apps","country":"NG"}')).expect(201);
    await postRaw('/v1/apps', bytesOf(`{"appId":"app-1","developerId":"dev-1","name":"Story Writer","contract":${CONTRACT_JSON}}`)).expect(201);
    await postRaw('/v1/receipts', bytesOf(receiptBody('r-0'))).expect(201);
    loggedErrors = jest.spyOn(Logger.prototype, 'error');
  });

  afterAll(async () => {
    loggedErrors?.mockRestore();
    await app?.close();
    await ledger?.cleanup();
  });

  afterEach(() => {
    // A refusal at the edge is a 4xx: nothing is logged as an error, no stack.
    expect(loggedErrors).not.toHaveBeenCalled();
  });

  it.each(HOSTILE_BODIES)('answers $name with 400 $code naming the field, and writes nothing', async ({ path, body, code, field }) => {
    const eventsBefore = await eventsCount();
    const balancesBefore = await balances();
    const response = await postRaw(path, body).expect(400);
    expect(response.body).toEqual(field === undefined
      ? { statusCode: 400, code, message: expect.any(String) }
      : { statusCode: 400, code, field, message: expect.stringMatching(/^.+: /) });
    expect(response.body.message.length).toBeLessThan(400);
    expect(await eventsCount()).toBe(eventsBefore);
    expect(await balances()).toEqual(balancesBefore);
  });

  it('accepts a surrogate pair (an emoji), raw or escaped, and stores it as written', async () => {
    await postRaw('/v1/developers', bytesOf('{"developerId":"dev-emoji","name":"Ada 😀 \\ud83d\\ude00","country":"NG"}')).expect(201);
    // The event holds the name encrypted (personal data); the read model shows it decrypted, every code point intact.
    const stored = await ledger.runtime.connection.pool.query(`SELECT data::text AS data FROM events WHERE stream_name = 'developer-dev-emoji'`);
    expect(stored.rows[0].data).not.toContain('Ada');
    await ledger.runtime.projector.catchUp();
    const projected = await ledger.runtime.connection.pool.query(`SELECT name FROM developers WHERE developer_id = 'dev-emoji'`);
    expect(projected.rows[0].name).toBe('Ada 😀 😀');
  });

  describe('media types', () => {
    it.each([
      'application/merge-patch+json', 'application/vnd.api+json', 'text/plain', 'text/json', 'application/x-www-form-urlencoded',
      'application/json; charset=iso-8859-1', 'application/json; charset=utf-16', 'application/json; charset=utf8', 'application/json; version=2',
    ])('refuses %s with 415 and writes nothing', async (contentType) => {
      const eventsBefore = await eventsCount();
      const response = await postRaw('/v1/receipts', bytesOf(receiptBody(`mt-${contentType.length}`)), contentType).expect(415);
      expect(response.body).toEqual({ statusCode: 415, code: 'unsupported_media_type', message: expect.any(String) });
      expect(await eventsCount()).toBe(eventsBefore);
    });

    it('refuses a body without Content-Type, and a compressed one, with 415', async () => {
      expect((await postRaw('/v1/receipts', bytesOf(receiptBody('mt-none')), null).expect(415)).body.code).toBe('unsupported_media_type');
      const compressed = await request(server).post('/v1/receipts').set('Content-Type', JSON_TYPE).set('Content-Encoding', 'gzip').serialize(asIs).send(bytesOf(receiptBody('mt-gzip'))).expect(415);
      expect(compressed.body.code).toBe('unsupported_media_type');
    });

    it.each(['application/json', 'Application/JSON', 'application/json; charset=utf-8', 'application/json;charset="UTF-8"'])('accepts %s', async (contentType) => {
      await postRaw('/v1/receipts', bytesOf(receiptBody(`ok-${Buffer.from(contentType).toString('hex').slice(-24)}`)), contentType).expect(201);
    });

    it('answers an empty body as a missing body (400 validation_failed), not as JSON', async () => {
      const response = await postRaw('/v1/receipts', Buffer.alloc(0)).expect(400);
      expect(response.body.code).toBe('validation_failed');
    });
  });

  it('answers a body that stops before its announced length with 400, writes nothing, and keeps serving', async () => {
    const eventsBefore = await eventsCount();
    const { port } = server.address() as AddressInfo;
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1', () => {
        const body = receiptBody('bad-truncated');
        socket.write(`POST /v1/receipts HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${body.length + 100}\r\n\r\n${body}`);
        // Half-close: the server sees the end of the request before its announced length.
        socket.end();
      });
      let received = '';
      socket.on('data', (chunk) => { received += chunk.toString('utf8'); });
      socket.on('close', () => resolve(received));
      socket.on('error', reject);
    });
    // Node's HTTP parser or our parser (body_incomplete) answers 400, if the client can still read.
    if (answer !== '') expect(answer).toMatch(/^HTTP\/1\.1 400 /);
    expect(await eventsCount()).toBe(eventsBefore);
    await request(server).get('/health').expect(200);
  });

  it('refuses one hostile request sent together with 20 valid receipts: 20 × 201 and 1 × 400', async () => {
    const eventsBefore = await eventsCount();
    const responses = await Promise.all([
      ...Array.from({ length: 10 }, (_, index) => postRaw('/v1/receipts', bytesOf(receiptBody(`burst-${index}`)))),
      postRaw('/v1/receipts', bytesOf('{"receiptId":"bad-burst\\ud800","appId":"app-1","amount":"1.00","currency":"USD","occurredAt":"2026-02-01T00:00:00Z"}')),
      ...Array.from({ length: 10 }, (_, index) => postRaw('/v1/receipts', bytesOf(receiptBody(`burst-${10 + index}`)))),
    ]);
    const statuses = responses.map((response) => response.status);
    expect(statuses.filter((status) => status === 201)).toHaveLength(20);
    expect(statuses.filter((status) => status === 400)).toHaveLength(1);
    expect(responses[10]!.body).toMatchObject({ code: 'invalid_text', field: 'receiptId' });
    expect(await eventsCount()).toBe(eventsBefore + 20);
    await ledger.runtime.projector.catchUp();
    const splits = await ledger.runtime.connection.pool.query(`SELECT count(*)::int AS n FROM splits WHERE receipt_id LIKE 'burst-%'`);
    expect(splits.rows[0].n).toBe(20);
  });

  it('still answers reads after every hostile body', async () => {
    const response = await request(server).get('/v1/receipts/r-0/split').expect(200);
    expect(response.body.receiptId).toBe('r-0');
  });
});
