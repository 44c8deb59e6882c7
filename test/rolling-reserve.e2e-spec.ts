import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import request from 'supertest';
import { CLI_PATH, runCli, type CliExit } from './support/cli-process';
import { openHttpTestLedger, type HttpTestLedger } from './support/http-test-ledger';
import { openTestLedger, type TestLedger } from './support/test-ledger';

/**
 * Rolling reserve (issue 16, docs/domain.md "Rolling reserve") end to end: a contract with
 * `reserve` imported through the built CLI (`npm run build` first), the balances export
 * telling pending, reserved and available apart as of several instants, a negative balance
 * covered from the reserve, `verify` recomputing the reserve on every split, and HTTP.
 */
const serverUrl = process.env.DATABASE_URL?.trim();
const describeOnServer = serverUrl ? describe : describe.skip;

const CONTRACT = {
  currency: 'USD', effectiveFrom: '2026-01-01T00:00:00Z',
  platformShare: { tiers: [{ upTo: '1000.00', rate: '0%' }, { rate: '15%' }], window: 'lifetime', scope: 'app' },
  holdDays: 14, minimumPayout: '50.00', reserve: { rate: '10%', holdDays: 90 },
};

// dev-1: 2000.00 on 01-10: developer 1850.00, 185.00 reserved until 04-10, 1665.00 available from 01-24.
// dev-2: the same, then a refund of 2000.00 after a payout of 1665.00: −1850.00 + 185.00 of reserve = −1665.00.
const COMMANDS = [
  { type: 'RegisterDeveloper', developerId: 'dev-1', name: 'Ada Apps', country: 'NG' },
  { type: 'RegisterApp', appId: 'app-1', developerId: 'dev-1', name: 'Story Writer', contract: CONTRACT },
  { type: 'RecordRevenue', receiptId: 'r-1', appId: 'app-1', amount: '2000.00', currency: 'USD', occurredAt: '2026-01-10T00:00:00Z' },
  { type: 'RegisterDeveloper', developerId: 'dev-2', name: 'Bea Apps', country: 'KE' },
  { type: 'RegisterApp', appId: 'app-2', developerId: 'dev-2', name: 'Song Writer', contract: CONTRACT },
  { type: 'RecordRevenue', receiptId: 'r-2', appId: 'app-2', amount: '2000.00', currency: 'USD', occurredAt: '2026-01-10T00:00:00Z' },
  { type: 'RequestPayout', payoutId: 'p-2', developerId: 'dev-2', currency: 'USD', amount: '1665.00', requestedAt: '2026-02-01T00:00:00Z' },
  { type: 'RefundRevenue', refundId: 'f-2', receiptId: 'r-2', amount: '2000.00', occurredAt: '2026-02-02T00:00:00Z' },
];

describeOnServer('rolling reserve through the JSONL import, the balances export and verify (built CLI)', () => {
  let ledger: TestLedger;
  let directory: string;
  const cli = (cliArguments: string[]): Promise<CliExit> => runCli(cliArguments, { ...ledger.childEnvironment, USER: 'operator' }).finished;
  const balancesAsOf = async (asOf: string) => (await cli(['export', 'balances', '--format', 'jsonl', '--as-of', asOf])).stdout
    .split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, string>);

  beforeAll(async () => {
    expect(fs.existsSync(CLI_PATH)).toBe(true);
    ledger = await openTestLedger();
    directory = fs.mkdtempSync(path.join(os.tmpdir(), 'rsi-reserve-'));
    const filePath = path.join(directory, 'reserve.jsonl');
    fs.writeFileSync(filePath, COMMANDS.map((command) => JSON.stringify(command)).join('\n') + '\n');
    const imported = await cli(['import', filePath]);
    expect(imported.stderr).toBe('');
    expect(imported.code).toBe(0);
  });

  afterAll(async () => {
    await ledger?.cleanup();
    if (directory) fs.rmSync(directory, { recursive: true, force: true });
  });

  it('exports reserved apart from pending and available, and releases it on its day', async () => {
    const figures = (rows: Record<string, string>[], developerId: string) => {
      const row = rows.find((candidate) => candidate.developerId === developerId)!;
      return [row.pending, row.reserved, row.available];
    };
    expect(figures(await balancesAsOf('2026-01-20T00:00:00Z'), 'dev-1')).toEqual(['1665.00', '185.00', '0.00']);
    expect(figures(await balancesAsOf('2026-02-01T00:00:00Z'), 'dev-1')).toEqual(['0.00', '185.00', '1665.00']);
    expect(figures(await balancesAsOf('2026-04-10T00:00:00Z'), 'dev-1')).toEqual(['0.00', '0.00', '1850.00']);
    // dev-2's negative balance is covered from its reserve first.
    expect(figures(await balancesAsOf('2026-02-03T00:00:00Z'), 'dev-2')).toEqual(['0.00', '0.00', '-1665.00']);
  });

  it('records the reserve on the split, and verify recomputes it (exit 0)', async () => {
    const split = await ledger.runtime.connection.pool.query(`SELECT reserve_minor::text AS reserve, reserve_released_at FROM splits WHERE receipt_id = 'r-1'`);
    expect(split.rows[0].reserve).toBe('18500');
    expect((split.rows[0].reserve_released_at as Date).toISOString()).toBe('2026-04-10T00:00:00.000Z');
    const verified = await cli(['verify']);
    const report = JSON.parse(verified.stdout) as { checks: { name: string; ok: boolean }[] };
    expect(report.checks.filter((check) => !check.ok)).toEqual([]);
    expect(verified.code).toBe(0);
  });

  it('verify fails when a stored reserve was altered', async () => {
    await ledger.runtime.connection.pool.query(`UPDATE events SET data = jsonb_set(data::jsonb, '{reserveMinor}', '"0"')::json WHERE type = 'RevenueRecorded' AND data->>'receiptId' = 'r-1'`);
    const verified = await cli(['verify']);
    expect(verified.code).toBe(1);
    const report = JSON.parse(verified.stdout) as { checks: { name: string; ok: boolean; examples: string[] }[] };
    expect(report.checks.find((check) => check.name.startsWith('splits and reversals'))!.ok).toBe(false);
  });
});

describe('rolling reserve over HTTP', () => {
  let ledger: HttpTestLedger;
  const post = (route: string, body: unknown) => ledger.post(route, body);

  beforeAll(async () => {
    ledger = await openHttpTestLedger();
  });

  afterAll(async () => {
    await ledger?.cleanup();
  });

  it('records a contract with a reserve, shows reserved in the balances and refuses a payout of the reserve (409)', async () => {
    await post('/v1/developers', { developerId: 'dev-1', name: 'Ada Apps', country: 'NG' }).expect(201);
    await post('/v1/apps', { appId: 'app-1', developerId: 'dev-1', name: 'Story Writer', contract: CONTRACT }).expect(201);
    const receipt = await post('/v1/receipts', { receiptId: 'r-1', appId: 'app-1', amount: '2000.00', currency: 'USD', occurredAt: '2026-01-10T00:00:00Z' }).expect(201);
    expect(receipt.body.events[0].data).toMatchObject({ reserveMinor: '18500', reserveReleasedAt: '2026-04-10T00:00:00.000Z' });
    const balances = await request(ledger.server).get('/v1/developers/dev-1/balances').query({ asOf: '2026-02-01T00:00:00Z' }).expect(200);
    expect(balances.body.balances[0]).toMatchObject({ pending: '0.00', reserved: '185.00', available: '1665.00' });
    const over = await post('/v1/payouts', { payoutId: 'p-1', developerId: 'dev-1', currency: 'USD', amount: '1665.01', requestedAt: '2026-02-01T00:00:00Z' }).expect(409);
    expect(over.body.code).toBe('payout_above_available');
    await post('/v1/apps', { appId: 'app-2', developerId: 'dev-1', name: 'Bad', contract: { ...CONTRACT, reserve: { rate: '10%' } } }).expect(400);
  });
});
