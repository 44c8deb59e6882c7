import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { compareProjectionSchemas, handlersMergeable, importJsonlFile, planShares, projectionTables, replayIntoFreshSchema, SHARE_BUCKETS, type LedgerRuntime } from '@rsi/ledger';
import { parsePosition } from '@rsi/projections';
import { appendPoisonedReceipt, appendReceiptWithSql } from './support/poisoned-event';
import { runCli } from './support/cli-process';
import { openTestLedger, type TestLedger } from './support/test-ledger';

/**
 * `replay --workers N` (issue 17): the read models rebuilt by N projectors, each on its share
 * of the streams, merged by each table's rule, must be the one-projector rebuild row for row,
 * and the live read models, on a ledger with every event kind that projects: registrations,
 * apps and amendments, receipts in two currencies, several months and categories, refunds,
 * payouts requested, settled and failed, disputes opened, won and lost, a payout run, an
 * erasure, price books (read across streams by the consumption) and consumption; plus a
 * stream held back at a poisoned event and a poisoned event an operator skipped.
 */

const contract = (currency: string, rate: string, carveOuts: object[] = []) => ({
  currency, effectiveFrom: '2026-01-01T00:00:00Z',
  platformShare: { tiers: [{ rate }], window: 'lifetime', scope: 'app' },
  carveOuts, holdDays: 14, minimumPayout: '10.00',
});

const DEVELOPERS = ['dev-1', 'dev-2', 'dev-3', 'dev-4', 'dev-5', 'dev-6', 'dev-7', 'dev-8', 'dev-9', 'dev-10'];

function commands(): object[] {
  const lines: object[] = [
    {
      type: 'PublishPriceBook', priceBookId: 'usd-1', effectiveFrom: '2026-01-01T00:00:00Z', currency: 'USD',
      meters: { 'tokens.input': { listPrice: '0.0000005', unitCost: '0.0000002' }, 'gpu.seconds': { listPrice: '0.002', unitCost: '0.0012' } },
    },
    {
      type: 'PublishPriceBook', priceBookId: 'eur-1', effectiveFrom: '2026-01-01T00:00:00Z', currency: 'EUR',
      meters: { 'tokens.input': { listPrice: '0.0000006', unitCost: '0.0000003' } },
    },
  ];
  DEVELOPERS.forEach((developerId, index) => {
    const currency = index % 2 === 0 ? 'USD' : 'EUR';
    const appId = `${developerId}-app`;
    lines.push(
      { type: 'RegisterDeveloper', developerId, name: `Developer ${index}`, country: index % 3 === 0 ? 'NG' : 'KE' },
      { type: 'RegisterApp', appId, developerId, name: 'App', contract: contract(currency, '20%', index % 2 === 0 ? [{ party: 'provider:acme', rate: '10%', of: 'platform' }] : []) },
    );
    for (let receipt = 0; receipt < 6; receipt += 1) {
      lines.push({
        type: 'RecordRevenue', receiptId: `${developerId}-r${receipt}`, appId, amount: `${100 + receipt * 10 + index}.00`, currency,
        occurredAt: `2026-0${1 + (receipt % 3)}-1${receipt}T10:00:00Z`, ...(receipt === 4 ? { category: 'subscription' } : receipt === 5 ? { category: 'advertising' } : {}),
      });
      lines.push({ type: 'RecordConsumption', recordId: `${developerId}-c${receipt}`, appId, meter: 'tokens.input', quantity: `${1000 * (receipt + 1)}`, occurredAt: `2026-0${1 + (receipt % 3)}-0${1 + receipt}T00:00:00Z` });
    }
    lines.push({ type: 'RefundRevenue', refundId: `${developerId}-f1`, receiptId: `${developerId}-r1`, amount: '5.00', occurredAt: '2026-02-20T00:00:00Z' });
    if (index === 1) lines.push({ type: 'AmendContract', appId, contract: { ...contract(currency, '15%'), effectiveFrom: '2026-04-01T00:00:00Z' } });
    if (index === 2) {
      lines.push(
        { type: 'RequestPayout', payoutId: `${developerId}-p1`, developerId, currency, amount: '30.00', requestedAt: '2026-03-20T00:00:00Z' },
        { type: 'SettlePayout', payoutId: `${developerId}-p1`, settledAt: '2026-03-21T00:00:00Z', reference: 'bank-1' },
        { type: 'RequestPayout', payoutId: `${developerId}-p2`, developerId, currency, amount: '20.00', requestedAt: '2026-03-22T00:00:00Z' },
        { type: 'FailPayout', payoutId: `${developerId}-p2`, failedAt: '2026-03-23T00:00:00Z', reason: 'account closed' },
        { type: 'RequestPayout', payoutId: `${developerId}-p3`, developerId, currency, amount: '10.00', requestedAt: '2026-03-24T00:00:00Z' },
      );
    }
    if (index === 5) {
      lines.push(
        { type: 'OpenDispute', disputeId: `${developerId}-d1`, receiptId: `${developerId}-r0`, amount: '50.00', fee: '15.00', openedAt: '2026-03-20T00:00:00Z' },
        { type: 'OpenDispute', disputeId: `${developerId}-d2`, receiptId: `${developerId}-r2`, amount: '40.00', fee: '0', openedAt: '2026-03-20T00:00:00Z' },
        { type: 'OpenDispute', disputeId: `${developerId}-d3`, receiptId: `${developerId}-r3`, amount: '30.00', fee: '5.00', openedAt: '2026-03-20T00:00:00Z' },
        { type: 'ResolveDispute', disputeId: `${developerId}-d1`, outcome: 'won', resolvedAt: '2026-03-25T00:00:00Z' },
        { type: 'ResolveDispute', disputeId: `${developerId}-d2`, outcome: 'lost', resolvedAt: '2026-03-26T00:00:00Z' },
      );
    }
  });
  lines.push({ type: 'RunPayouts', runId: 'run-2026-04', currency: 'USD', asOf: '2026-04-01T00:00:00Z' });
  return lines;
}

async function importCommands(runtime: LedgerRuntime, filePath: string, lines: object[]): Promise<void> {
  fs.writeFileSync(filePath, lines.map((line) => JSON.stringify(line)).join('\n') + '\n');
  const summary = await importJsonlFile({
    filePath, bus: runtime.bus, batchSize: 7,
    context: () => ({ actor: 'test:replay-workers', recordedAt: '2026-04-02T00:00:00.000Z' }),
    catchUpReadModels: () => runtime.projector.catchUp(),
    nowMilliseconds: () => 0,
  });
  expect(summary.refusals).toEqual([]);
  expect(summary.commandsRecorded).toBe(lines.length);
}

describe('replay with 1, 2 and 3 workers', () => {
  let ledger: TestLedger;
  let directory: string;

  beforeAll(async () => {
    ledger = await openTestLedger();
    directory = fs.mkdtempSync(path.join(os.tmpdir(), 'rsi-replay-workers-'));
    const { runtime } = ledger;
    const pool = runtime.connection.pool;
    await importCommands(runtime, path.join(directory, 'ledger.jsonl'), commands());
    const erased = await runtime.ledger.erasePersonalData({ developerId: 'dev-7', reason: 'erasure request 17' }, { actor: 'test:replay-workers', recordedAt: '2026-04-02T00:00:00.000Z' });
    expect(erased.status).toBe('recorded');
    // Two poisoned receipts, each followed by a good one of its stream: dev-3's stays held
    // back, dev-4's is skipped by an operator (then the rest of its stream applies).
    await appendPoisonedReceipt(pool, { developerId: 'dev-3', receiptId: 'dev-3-poisoned' });
    await appendReceiptWithSql(pool, { developerId: 'dev-3', receiptId: 'dev-3-after', occurredAt: '2026-03-28T00:00:00.000Z', availableAt: '2026-04-11T00:00:00.000Z' });
    await appendPoisonedReceipt(pool, { developerId: 'dev-4', receiptId: 'dev-4-poisoned' });
    await appendReceiptWithSql(pool, { developerId: 'dev-4', receiptId: 'dev-4-after', occurredAt: '2026-03-28T00:00:00.000Z', availableAt: '2026-04-11T00:00:00.000Z' });
    await runtime.projector.catchUp();
    const open = await runtime.projector.readOpenFailures();
    const dev4 = open.find((failure) => failure.streamName === 'developer-dev-4')!;
    await runtime.projector.skip({ position: dev4.position, reason: 'test: a receipt of year 9999', actor: 'test:operator' });
    // More receipts after the skip, in streams of every share.
    await importCommands(runtime, path.join(directory, 'more.jsonl'), [0, 1, 4, 5, 6, 7, 8, 9].map((index) => ({
      type: 'RecordRevenue', receiptId: `${DEVELOPERS[index]}-late`, appId: `${DEVELOPERS[index]}-app`, amount: '12.34', currency: index % 2 === 0 ? 'USD' : 'EUR', occurredAt: '2026-03-30T00:00:00Z',
    })));
    await runtime.projector.catchUp();
  });

  afterAll(async () => {
    await ledger?.cleanup();
    fs.rmSync(directory, { recursive: true, force: true });
  });

  it('has a ledger with every table filled, a held-back stream and a skip', async () => {
    const pool = ledger.runtime.connection.pool;
    expect(handlersMergeable(ledger.runtime.projectionHandlers)).toBe(true);
    // The developers' streams fall into every share of 2 and of 3 (else the test would prove little).
    for (const shares of [2, 3]) {
      const plan = await planShares(pool, shares);
      const buckets = await pool.query(`SELECT mod(hashtext(stream_name)::bigint + 2147483648, $1)::int AS bucket FROM streams WHERE stream_name LIKE 'developer-%'`, [SHARE_BUCKETS]);
      expect(new Set(buckets.rows.map((row) => plan[row.bucket])).size).toBe(shares);
    }
    for (const table of projectionTables(ledger.runtime.projectionHandlers)) {
      const count = (await pool.query(`SELECT count(*)::int AS count FROM public.${table}`)).rows[0].count;
      expect({ table, filled: count > 0 }).toEqual({ table, filled: true });
    }
    const failures = await pool.query(`SELECT stream_name, resolution FROM projection_failures ORDER BY stream_name, projection_name`);
    expect(failures.rows).toEqual([
      { stream_name: 'developer-dev-3', resolution: null }, { stream_name: 'developer-dev-3', resolution: null },
      { stream_name: 'developer-dev-4', resolution: 'skipped' }, { stream_name: 'developer-dev-4', resolution: 'skipped' },
    ]);
    const names = await pool.query(`SELECT name FROM developers WHERE developer_id = 'dev-7'`);
    expect(names.rows).toEqual([{ name: '[erased]' }]);
  });

  it('rebuilds the same rows as live, and as each other, with 1, 2 and 3 workers', async () => {
    const { runtime } = ledger;
    const pool = runtime.connection.pool;
    const tables = projectionTables(runtime.projectionHandlers);
    const results = [];
    for (const workers of [1, 2, 3]) {
      const replay = await replayIntoFreshSchema({
        pool, store: runtime.store, handlers: runtime.projectionHandlers, schema: `replay_workers_${workers}`, nowMilliseconds: () => Date.now(),
        copyFromStdin: true, parallel: { workers, connectionString: runtime.connection.connectionString },
      });
      results.push(replay);
      expect(replay.workers).toBe(workers);
      const withLive = await compareProjectionSchemas(pool, 'public', replay.schema, tables);
      expect(withLive.filter((difference) => difference.onlyLive + difference.onlyRebuilt > 0)).toEqual([]);
      // Every share's scratch schema is gone.
      const leftOver = await pool.query(`SELECT nspname FROM pg_namespace WHERE nspname LIKE $1`, [`${replay.schema}_s%`]);
      expect(leftOver.rows).toEqual([]);
    }
    const [single, ...parallel] = results;
    for (const replay of parallel) {
      expect(replay!.eventsApplied).toBe(single!.eventsApplied);
      expect(replay!.openFailures.map((failure) => [failure.projectionName, failure.eventId])).toEqual(single!.openFailures.map((failure) => [failure.projectionName, failure.eventId]));
      const differences = await compareProjectionSchemas(pool, single!.schema, replay!.schema, tables);
      expect(differences.filter((difference) => difference.onlyLive + difference.onlyRebuilt > 0)).toEqual([]);
      // The insert-only tables got every index of the live ones.
      const indexes = await pool.query(`SELECT count(*)::int AS count FROM pg_indexes WHERE schemaname = $1`, [replay!.schema]);
      const singleIndexes = await pool.query(`SELECT count(*)::int AS count FROM pg_indexes WHERE schemaname = $1`, [single!.schema]);
      expect(indexes.rows[0].count).toBe(singleIndexes.rows[0].count);
    }
    expect(single!.openFailures.map((failure) => failure.streamName)).toEqual(['developer-dev-3', 'developer-dev-3']);
  });

  it('rebuilds up to a fixed position (verify) the same with 1 and 3 workers', async () => {
    const { runtime } = ledger;
    const pool = runtime.connection.pool;
    const tables = projectionTables(runtime.projectionHandlers);
    // Half-way through the ledger, past the first poisoned event.
    const middle = await pool.query(`SELECT transaction_id::text || '/' || position::text AS position FROM events ORDER BY transaction_id, position OFFSET (SELECT count(*) / 2 FROM events) LIMIT 1`);
    const until = parsePosition(middle.rows[0].position);
    const rebuild = (workers: number) => replayIntoFreshSchema({
      pool, store: runtime.store, handlers: runtime.projectionHandlers, schema: `replay_until_${workers}`, nowMilliseconds: () => Date.now(),
      copyFromStdin: true, until, parallel: { workers, connectionString: runtime.connection.connectionString },
    });
    const single = await rebuild(1);
    const three = await rebuild(3);
    expect(three.eventsApplied).toBe(single.eventsApplied);
    expect(single.eventsApplied).toBeGreaterThan(0);
    const differences = await compareProjectionSchemas(pool, single.schema, three.schema, tables);
    expect(differences.filter((difference) => difference.onlyLive + difference.onlyRebuilt > 0)).toEqual([]);
  });

  it('rsi-ledger replay --workers 2 --keep-live rebuilds with 2 workers and finds no difference; --workers 33 is refused (built CLI)', async () => {
    const environment = { ...ledger.childEnvironment, USER: 'operator' };
    const replay = await runCli(['replay', '--workers', '2', '--keep-live'], environment).finished;
    expect(replay.stdout).toMatch(/^replayed \d+ events into \d+ fresh tables in [\d.]+ s \(\d+ events\/s\) with 2 workers$/m);
    const differences = JSON.parse(replay.stdout.slice(replay.stdout.indexOf('['))) as { onlyLive: number; onlyRebuilt: number }[];
    expect(differences.length).toBeGreaterThan(0);
    expect(differences.filter((difference) => difference.onlyLive + difference.onlyRebuilt > 0)).toEqual([]);
    expect(replay.code).toBe(0);
    const refused = await runCli(['replay', '--workers', '33'], environment).finished;
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('--workers must be from 1 to 32');
  });
});
