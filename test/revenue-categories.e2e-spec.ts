import type { INestApplication } from '@nestjs/common';
import { generateKeyPairSync } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import request from 'supertest';
import { PersonalDataKeys } from '@rsi/database';
import {
  buildDeveloperStatement, publicKeyPemOf, sealPeriod, statementAsCsv, verifyLedger, verifyStatement, type DeveloperStatement, type LedgerCommand,
} from '@rsi/ledger';
import { CLI_PATH, runCli, type CliExit } from './support/cli-process';
import { openTestApi, openTestLedger, type TestApi, type TestLedger } from './support/test-ledger';

/**
 * Revenue categories (issue 16, docs/domain.md "Revenue categories") end to end: receipts of
 * each category over HTTP and through the JSONL import (built CLI: `npm run build` first),
 * split by the Google Play with subscriptions contract of docs/contracts; the split reads,
 * the splits, refunds and revenue-categories exports and a sealed statement carry the
 * category; the offline verifier and `verify` catch a tampered category; hostile categories
 * are refused and write nothing.
 */
const CONTRACT = JSON.parse(fs.readFileSync(path.resolve(__dirname, '..', 'docs', 'contracts', 'google-play-with-subscriptions.json'), 'utf8')) as Record<string, unknown>;
const PER_CATEGORY_CONTRACT = { ...CONTRACT, platformShare: { ...(CONTRACT.platformShare as object), counter: 'per_category' } };

type Row = Record<string, unknown>;
const jsonlRows = (text: string): Row[] => text.split('\n').filter(Boolean).map((line) => JSON.parse(line) as Row);

describe('revenue categories over HTTP', () => {
  let ledger: TestApi;
  let app: INestApplication;
  let server: ReturnType<INestApplication['getHttpServer']>;
  const post = (route: string, body: unknown) => request(server).post(route).send(body as object);
  const eventsCount = async () => Number((await ledger.runtime.connection.pool.query('SELECT count(*)::int AS n FROM events')).rows[0].n);

  beforeAll(async () => {
    ledger = await openTestApi({ environment: { RSI_API_LOG: 'quiet' } });
    app = ledger.app;
    server = app.getHttpServer();
    await post('/v1/developers', { developerId: 'dev-1', name: 'Ada Apps', country: 'NG' }).expect(201);
    await post('/v1/apps', { appId: 'app-1', developerId: 'dev-1', name: 'Story Writer', contract: CONTRACT }).expect(201);
    await post('/v1/apps', { appId: 'app-2', developerId: 'dev-1', name: 'Song Writer', contract: PER_CATEGORY_CONTRACT }).expect(201);
  });

  afterAll(async () => {
    await app?.close();
    await ledger?.cleanup();
  });

  it('splits each category by its terms and records it on the event (omitted for a purchase)', async () => {
    // The worked example of docs/contracts/README.md "Google Play with subscriptions".
    const subscription = await post('/v1/receipts', { receiptId: 's-1', appId: 'app-1', amount: '600000.00', currency: 'USD', occurredAt: '2026-02-01T00:00:00Z', category: 'subscription' }).expect(201);
    expect(subscription.body.events[0].data).toMatchObject({ category: 'subscription', lines: [{ party: 'platform', amountMinor: '9000000' }, { party: 'developer:dev-1', amountMinor: '51000000' }] });
    const purchase = await post('/v1/receipts', { receiptId: 'p-1', appId: 'app-1', amount: '500000.00', currency: 'USD', occurredAt: '2026-03-01T00:00:00Z', category: 'purchase' }).expect(201);
    expect(purchase.body.events[0].data.lines[0]).toEqual({ party: 'platform', amountMinor: '9000000' });
    expect(purchase.body.events[0].data).not.toHaveProperty('category');
    const unnamed = await post('/v1/receipts', { receiptId: 'p-2', appId: 'app-1', amount: '10000.00', currency: 'USD', occurredAt: '2026-05-01T00:00:00Z', category: null }).expect(201);
    expect(unnamed.body.events[0].data.lines[0]).toEqual({ party: 'platform', amountMinor: '300000' });
    await post('/v1/receipts', { receiptId: 'a-1', appId: 'app-1', amount: '100.00', currency: 'USD', occurredAt: '2026-05-02T00:00:00Z', category: 'advertising' }).expect(201);
    // app-2 counts per category: its purchase starts its own 1M (the subscriptions above are app-1's, the scope is the developer's).
    const perCategory = await post('/v1/receipts', { receiptId: 'p-3', appId: 'app-2', amount: '100.00', currency: 'USD', occurredAt: '2026-05-03T00:00:00Z' }).expect(201);
    expect(perCategory.body.events[0].data.lines[0]).toEqual({ party: 'platform', amountMinor: '1500' });
    await post('/v1/refunds', { refundId: 'f-1', receiptId: 's-1', amount: '100.00', occurredAt: '2026-02-02T00:00:00Z' }).expect(201);
  });

  it('shows the category in the split reads and the exports', async () => {
    expect((await request(server).get('/v1/receipts/s-1/split').expect(200)).body).toMatchObject({ receiptId: 's-1', category: 'subscription' });
    expect((await request(server).get('/v1/receipts/p-2/split').expect(200)).body).toMatchObject({ receiptId: 'p-2', category: 'purchase' });
    const page = await request(server).get('/v1/splits').expect(200);
    expect(page.body.items.map((item: Row) => [item.receiptId, item.category])).toEqual([
      ['s-1', 'subscription'], ['p-1', 'purchase'], ['p-2', 'purchase'], ['a-1', 'advertising'], ['p-3', 'purchase'],
    ]);
    const splits = jsonlRows((await request(server).get('/v1/exports/splits?format=jsonl').expect(200)).text);
    expect(splits.map((row) => [row.receiptId, row.category])).toEqual([
      ['s-1', 'subscription'], ['p-1', 'purchase'], ['p-2', 'purchase'], ['a-1', 'advertising'], ['p-3', 'purchase'],
    ]);
    const csv = (await request(server).get('/v1/exports/splits?format=csv').expect(200)).text.split(/\r?\n/);
    expect(csv[0]!.split(',').at(-1)).toBe('category');
    expect(csv.find((line) => line.startsWith('s-1,'))!.endsWith(',subscription')).toBe(true);
    const entries = jsonlRows((await request(server).get('/v1/exports/ledger-entries?format=jsonl').expect(200)).text);
    const categoryOfEvents = new Map(entries.map((row) => [`${String(row.eventType)}`, new Set<unknown>()]));
    for (const row of entries) categoryOfEvents.get(String(row.eventType))!.add(row.category);
    expect(categoryOfEvents.get('RevenueRecorded')).toEqual(new Set(['subscription', 'purchase', 'advertising']));
    expect(categoryOfEvents.get('RevenueRefunded')).toEqual(new Set(['subscription']));
    expect(entries.filter((row) => !String(row.eventType).startsWith('Revenue')).every((row) => row.category === null)).toBe(true);
    const refunds = jsonlRows((await request(server).get('/v1/exports/refunds?format=jsonl').expect(200)).text);
    expect(refunds.map((row) => [row.refundId, row.category])).toEqual([['f-1', 'subscription']]);
    const categories = jsonlRows((await request(server).get('/v1/exports/revenue-categories?format=jsonl').expect(200)).text);
    expect(categories.map((row) => [row.appId, row.month, row.category, row.grossRevenue, row.refunds, row.platformShare, row.developerShare])).toEqual([
      ['app-1', '2026-02', 'subscription', '600000.00', '100.00', '89985.00', '509915.00'],
      ['app-1', '2026-03', 'purchase', '500000.00', '0.00', '90000.00', '410000.00'],
      ['app-1', '2026-05', 'advertising', '100.00', '0.00', '30.00', '70.00'],
      ['app-1', '2026-05', 'purchase', '10000.00', '0.00', '3000.00', '7000.00'],
      ['app-2', '2026-05', 'purchase', '100.00', '0.00', '15.00', '85.00'],
    ]);
    // The unit economics of an app give the same figures per month, by category.
    const economics = await request(server).get('/v1/apps/app-1/unit-economics').expect(200);
    const may = economics.body.months.find((month: Row) => month.month === '2026-05');
    expect(may).toMatchObject({ grossRevenue: '10100.00', platformShare: '3030.00' });
    expect(may.categories).toEqual([
      { category: 'advertising', grossRevenue: '100.00', refunds: '0.00', platformShare: '30.00', carveOuts: '0.00', developerShare: '70.00' },
      { category: 'purchase', grossRevenue: '10000.00', refunds: '0.00', platformShare: '3000.00', carveOuts: '0.00', developerShare: '7000.00' },
    ]);
  });

  it.each([
    ['an unknown category', 'donation', /category: one of purchase, subscription, advertising/],
    ['a JSON number', 1, /category: one of purchase, subscription, advertising/],
    ['an object', { name: 'subscription' }, /category: one of purchase, subscription, advertising/],
    ['an oversized string', 'x'.repeat(1000), /category/],
  ])('refuses %s with 400 and writes nothing', async (_label, category, message) => {
    const before = await eventsCount();
    const refused = await post('/v1/receipts', { receiptId: 'bad-1', appId: 'app-1', amount: '1.00', currency: 'USD', occurredAt: '2026-05-04T00:00:00Z', category });
    expect(refused.status).toBe(400);
    expect(refused.body.message).toMatch(message);
    expect(await eventsCount()).toBe(before);
  });

  it('refuses a retry with another category as a conflict (409) and takes the same one as a retry', async () => {
    const before = await eventsCount();
    const conflict = await post('/v1/receipts', { receiptId: 's-1', appId: 'app-1', amount: '600000.00', currency: 'USD', occurredAt: '2026-02-01T00:00:00Z', category: 'advertising' });
    expect({ status: conflict.status, code: conflict.body.code }).toEqual({ status: 409, code: 'duplicate_receipt' });
    const withoutCategory = await post('/v1/receipts', { receiptId: 's-1', appId: 'app-1', amount: '600000.00', currency: 'USD', occurredAt: '2026-02-01T00:00:00Z' });
    expect(withoutCategory.status).toBe(409);
    const retry = await post('/v1/receipts', { receiptId: 's-1', appId: 'app-1', amount: '600000.00', currency: 'USD', occurredAt: '2026-02-01T00:00:00Z', category: 'subscription' });
    expect(retry.status).toBeLessThan(300);
    expect(await eventsCount()).toBe(before);
  });

  it('refuses contract category terms that are not a category, and a counter that is not one (400)', async () => {
    const platformShare = CONTRACT.platformShare as Record<string, unknown>;
    const badCategory = await post('/v1/apps', { appId: 'app-x', developerId: 'dev-1', name: 'X', contract: { ...CONTRACT, platformShare: { ...platformShare, categories: { music: { tiers: [{ rate: '1%' }], window: 'lifetime', scope: 'app' } } } } });
    expect({ status: badCategory.status, field: badCategory.body.field }).toEqual({ status: 400, field: 'contract.platformShare.categories.music' });
    const badCounter = await post('/v1/apps', { appId: 'app-x', developerId: 'dev-1', name: 'X', contract: { ...CONTRACT, platformShare: { ...platformShare, counter: 'each' } } });
    expect({ status: badCounter.status, field: badCounter.body.field }).toEqual({ status: 400, field: 'contract.platformShare.counter' });
  });
});

describe('revenue categories in a sealed statement and in verify', () => {
  let ledger: TestLedger;
  const privateKey = generateKeyPairSync('ed25519').privateKey;
  const publicKeyPem = publicKeyPemOf(privateKey);
  const book = async (recordedAt: string, commands: LedgerCommand[]) => {
    const outcomes = await ledger.runtime.bus.executeBatch(commands, { actor: 'test:categories', recordedAt });
    expect(outcomes.filter((outcome) => outcome.status === 'refused' || outcome.status === 'failed')).toEqual([]);
  };
  const statementOf = async (period: string): Promise<DeveloperStatement> =>
    JSON.parse(JSON.stringify(await buildDeveloperStatement(ledger.runtime.store, new PersonalDataKeys(ledger.runtime.connection.pool), { developerId: 'dev-1', period })));

  beforeAll(async () => {
    ledger = await openTestLedger();
    await book('2026-01-25T12:00:00.000Z', [
      { type: 'RegisterDeveloper', data: { developerId: 'dev-1', name: 'Ada Apps', country: 'NG' } },
      { type: 'RegisterApp', data: { appId: 'app-1', developerId: 'dev-1', name: 'Story Writer', contract: CONTRACT } },
      { type: 'RecordRevenue', data: { receiptId: 's-1', appId: 'app-1', amount: '100.00', currency: 'USD', occurredAt: '2026-01-10T00:00:00Z', category: 'subscription' } },
      { type: 'RecordRevenue', data: { receiptId: 'p-1', appId: 'app-1', amount: '50.00', currency: 'USD', occurredAt: '2026-01-11T00:00:00Z' } },
      { type: 'RefundRevenue', data: { refundId: 'f-1', receiptId: 's-1', amount: '10.00', occurredAt: '2026-01-12T00:00:00Z' } },
    ]);
    await ledger.runtime.projector.catchUp();
    await sealPeriod(ledger.runtime.store, { period: '2026-01', sealedAt: '2026-02-01T00:00:00.000Z', signingKey: () => privateKey, actor: 'test:seal' });
  });

  afterAll(async () => {
    await ledger?.cleanup();
  });

  it('names the category of each receipt and refund line, and verifies offline', async () => {
    const statement = await statementOf('2026-01');
    expect(statement.lines.map((line) => [line.kind, line.reference, line.category])).toEqual([
      ['receipt_credit', 's-1', 'subscription'], ['receipt_credit', 'p-1', 'purchase'], ['refund_debit', 'f-1', 'subscription'],
    ]);
    expect(verifyStatement(statement, { publicKeyPem })).toMatchObject({ ok: true });
    const csv = statementAsCsv(statement).split(/\r?\n/);
    // After merkleRoot; a payout in another currency's four columns follow it (docs/domain.md "Payouts in another currency").
    const header = csv[0]!.split(',');
    expect(header[header.indexOf('merkleRoot') + 1]).toBe('category');
    expect(csv.find((line) => line.startsWith('receipt_credit,') && line.includes(',s-1,'))!.split(',')[header.indexOf('category')]).toBe('subscription');
  });

  it('fails offline verification when a line\'s category or its event\'s category is altered', async () => {
    const statement = await statementOf('2026-01');
    const relabelled = JSON.parse(JSON.stringify(statement)) as DeveloperStatement;
    relabelled.lines[0]!.category = 'purchase';
    const relabelledReport = verifyStatement(relabelled, { publicKeyPem });
    expect(relabelledReport.ok).toBe(false);
    expect(relabelledReport.failures.join('\n')).toMatch(/category "purchase" does not follow from the event \("subscription"\)/);
    const dropped = JSON.parse(JSON.stringify(statement)) as DeveloperStatement;
    delete (dropped.lines[0] as Partial<DeveloperStatement['lines'][number]>).category;
    expect(verifyStatement(dropped, { publicKeyPem }).ok).toBe(false);
    const tamperedBody = JSON.parse(JSON.stringify(statement)) as DeveloperStatement;
    (tamperedBody.lines[0]!.eventBody.data as Row).category = 'advertising';
    tamperedBody.lines[0]!.category = 'advertising';
    expect(verifyStatement(tamperedBody, { publicKeyPem }).failures.join('\n')).toMatch(/does not hash to eventHash/);
    // A statement issued before categories (its lines without one) still verifies: its purchase lines say nothing.
    const older = JSON.parse(JSON.stringify(statement)) as DeveloperStatement;
    delete (older.lines[1] as Partial<DeveloperStatement['lines'][number]>).category;
    expect(verifyStatement(older, { publicKeyPem }).ok).toBe(true);
  });

  it('verify recomputes the splits with their categories, and fails when a stored category is changed', async () => {
    const clean = await verifyLedger(ledger.runtime, () => Date.now());
    expect(clean.checks.filter((check) => !check.ok && !check.name.startsWith('writer signatures')).map((check) => check.name)).toEqual([]);
    await ledger.runtime.connection.pool.query(`UPDATE events SET data = jsonb_set(data::jsonb, '{category}', '"advertising"')::json WHERE type = 'RevenueRecorded' AND data->>'receiptId' = 's-1'`);
    const tampered = await verifyLedger(ledger.runtime, () => Date.now());
    expect(tampered.ok).toBe(false);
    expect(tampered.checks.find((check) => check.name.startsWith('splits and reversals'))!.ok).toBe(false);
  });
});

const describeOnServer = process.env.DATABASE_URL?.trim() ? describe : describe.skip;

describeOnServer('revenue categories through the JSONL import (built CLI)', () => {
  let ledger: TestLedger;
  let directory: string;
  const cli = (cliArguments: string[]): Promise<CliExit> => runCli(cliArguments, { ...ledger.childEnvironment, USER: 'operator' }).finished;

  beforeAll(async () => {
    expect(fs.existsSync(CLI_PATH)).toBe(true);
    ledger = await openTestLedger();
    directory = fs.mkdtempSync(path.join(os.tmpdir(), 'rsi-categories-'));
  });

  afterAll(async () => {
    await ledger?.cleanup();
    if (directory) fs.rmSync(directory, { recursive: true, force: true });
  });

  it('imports categorised receipts, exports them with their category, verifies, and refuses a hostile category by its line', async () => {
    const lines = [
      { type: 'RegisterDeveloper', developerId: 'dev-1', name: 'Ada Apps', country: 'NG' },
      { type: 'RegisterApp', appId: 'app-1', developerId: 'dev-1', name: 'Story Writer', contract: CONTRACT },
      { type: 'RecordRevenue', receiptId: 's-1', appId: 'app-1', amount: '600000.00', currency: 'USD', occurredAt: '2026-02-01T00:00:00Z', category: 'subscription' },
      { type: 'RecordRevenue', receiptId: 'p-1', appId: 'app-1', amount: '500000.00', currency: 'USD', occurredAt: '2026-03-01T00:00:00Z' },
      { type: 'RecordRevenue', receiptId: 'bad-1', appId: 'app-1', amount: '1.00', currency: 'USD', occurredAt: '2026-03-02T00:00:00Z', category: 'donation' },
      { type: 'RecordRevenue', receiptId: 'bad-2', appId: 'app-1', amount: '1.00', currency: 'USD', occurredAt: '2026-03-02T00:00:00Z', category: 7 },
    ];
    const filePath = path.join(directory, 'categories.jsonl');
    fs.writeFileSync(filePath, lines.map((line) => JSON.stringify(line)).join('\n') + '\n');
    const imported = await cli(['import', filePath]);
    expect(imported.code).not.toBe(0);
    expect(imported.stderr).toMatch(/^line 5: field_invalid: category: one of purchase, subscription, advertising is required/m);
    expect(imported.stderr).toMatch(/^line 6: .*category: must be a string or null/m);
    const splits = jsonlRows((await cli(['export', 'splits', '--format', 'jsonl'])).stdout);
    expect(splits.map((row) => [row.receiptId, row.category, (row.lines as Row[])[0]!.amount])).toEqual([
      ['s-1', 'subscription', '90000.00'], ['p-1', 'purchase', '90000.00'],
    ]);
    const verified = await cli(['verify']);
    const report = JSON.parse(verified.stdout) as { checks: { name: string; ok: boolean }[] };
    expect(report.checks.filter((check) => !check.ok)).toEqual([]);
    expect(verified.code).toBe(0);
  });
});
