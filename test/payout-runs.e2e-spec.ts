import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CLI_PATH, runCli, type CliExit } from './support/cli-process';
import { openHttpTestLedger, type HttpTestLedger } from './support/http-test-ledger';
import { openTestLedger, type TestLedger } from './support/test-ledger';

/**
 * Payout runs (issue 16, docs/domain.md "Payout runs") end to end: `RunPayouts` in a JSONL
 * import and through `rsi-ledger payouts run` (built CLI, `npm run build` first), re-runs
 * that change nothing, the `payout-runs` export, `verify` recomputing every assessment, and
 * the operator's HTTP route.
 */
const serverUrl = process.env.DATABASE_URL?.trim();
const describeOnServer = serverUrl ? describe : describe.skip;

const CONTRACT = {
  currency: 'USD', effectiveFrom: '2026-01-01T00:00:00Z',
  platformShare: { tiers: [{ upTo: '1000.00', rate: '0%' }, { rate: '15%' }], window: 'lifetime', scope: 'app' },
  holdDays: 14, minimumPayout: '50.00',
};

function developerWithReceipt(developerId: string, amount: string, occurredAt: string): object[] {
  return [
    { type: 'RegisterDeveloper', developerId, name: `Developer ${developerId}`, country: 'NG' },
    { type: 'RegisterApp', appId: `${developerId}-app`, developerId, name: 'App', contract: CONTRACT },
    { type: 'RecordRevenue', receiptId: `${developerId}-r1`, appId: `${developerId}-app`, amount, currency: 'USD', occurredAt },
  ];
}

// dev-1: 1850.00 available from 2026-01-24; dev-2: 10.00, below the 50.00 minimum; dev-3: 1000.00, pending until 2026-03-06.
const COMMANDS = [
  ...developerWithReceipt('dev-1', '2000.00', '2026-01-10T00:00:00Z'),
  ...developerWithReceipt('dev-2', '10.00', '2026-01-10T00:00:00Z'),
  ...developerWithReceipt('dev-3', '1000.00', '2026-02-20T00:00:00Z'),
  { type: 'RunPayouts', runId: 'run-2026-03', currency: 'USD', asOf: '2026-03-01T00:00:00Z' },
];

type RunReport = { status: string; developersAssessed: number; payoutsRequested: number; developers: { developerId: string; available: string; payoutId: string | null }[] };

describeOnServer('payout runs through the JSONL import and rsi-ledger payouts run (built CLI)', () => {
  let ledger: TestLedger;
  let directory: string;
  const cli = (cliArguments: string[]): Promise<CliExit> => runCli(cliArguments, { ...ledger.childEnvironment, USER: 'operator' }).finished;

  beforeAll(async () => {
    expect(fs.existsSync(CLI_PATH)).toBe(true);
    ledger = await openTestLedger();
    directory = fs.mkdtempSync(path.join(os.tmpdir(), 'rsi-payout-runs-'));
  });

  afterAll(async () => {
    await ledger?.cleanup();
    if (directory) fs.rmSync(directory, { recursive: true, force: true });
  });

  it('runs the payouts of a RunPayouts line: the whole available balance of every developer at or above the minimum', async () => {
    const filePath = path.join(directory, 'run.jsonl');
    fs.writeFileSync(filePath, COMMANDS.map((command) => JSON.stringify(command)).join('\n') + '\n');
    const imported = await cli(['import', filePath]);
    expect(imported.stderr).toBe('');
    expect(imported.stdout).toContain(`${COMMANDS.length} recorded, 0 already recorded, 0 refused`);
    const payouts = await ledger.runtime.connection.pool.query(`SELECT payout_id, developer_id, amount_minor::text AS amount, requested_at FROM payouts ORDER BY payout_id`);
    expect(payouts.rows.map((row) => [row.payout_id, row.developer_id, row.amount])).toEqual([['run-2026-03:dev-1', 'dev-1', '185000']]);
    // The import again: the run is already recorded.
    const again = await cli(['import', filePath]);
    expect(again.stdout).toContain(`0 recorded, ${COMMANDS.length} already recorded, 0 refused`);
  });

  it('re-running a run id changes nothing even after balances changed; another asOf under the same id is refused', async () => {
    const more = path.join(directory, 'more.jsonl');
    fs.writeFileSync(more, JSON.stringify({ type: 'RecordRevenue', receiptId: 'dev-2-r2', appId: 'dev-2-app', amount: '500.00', currency: 'USD', occurredAt: '2026-01-11T00:00:00Z' }) + '\n');
    expect((await cli(['import', more])).code).toBe(0);
    const rerun = await cli(['payouts', 'run', '--run-id', 'run-2026-03', '--currency', 'USD', '--as-of', '2026-03-01T00:00:00Z']);
    expect(rerun.code).toBe(0);
    const report = JSON.parse(rerun.stdout) as RunReport;
    expect(report).toMatchObject({ status: 'already_recorded', developersAssessed: 3, payoutsRequested: 1 });
    expect(report.developers.map((developer) => [developer.developerId, developer.available, developer.payoutId])).toEqual([
      ['dev-1', '1850.00', 'run-2026-03:dev-1'], ['dev-2', '10.00', null], ['dev-3', '0.00', null],
    ]);
    const conflicting = await cli(['payouts', 'run', '--run-id', 'run-2026-03', '--currency', 'USD', '--as-of', '2026-03-02T00:00:00Z']);
    expect(conflicting.code).toBe(1);
    expect(conflicting.stderr).toContain('duplicate_payout_run');
  });

  it('a new run pays what became available since', async () => {
    const run = await cli(['payouts', 'run', '--run-id', 'run-2026-04', '--currency', 'USD', '--as-of', '2026-04-01T00:00:00Z']);
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as RunReport;
    expect(report).toMatchObject({ status: 'recorded', developersAssessed: 3, payoutsRequested: 2 });
    expect(report.developers.map((developer) => [developer.developerId, developer.available, developer.payoutId])).toEqual([
      ['dev-1', '0.00', null], ['dev-2', '510.00', 'run-2026-04:dev-2'], ['dev-3', '1000.00', 'run-2026-04:dev-3'],
    ]);
    const exported = (await cli(['export', 'payout-runs', '--format', 'jsonl'])).stdout.split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(exported).toHaveLength(6);
    expect(exported.find((row) => row.payoutId === 'run-2026-04:dev-3')).toMatchObject({ payoutAmount: '1000.00', payoutStatus: 'requested', minimumPayout: '50.00' });
  });

  it('verify recomputes every assessment from the events and rebuilds the payout runs (exit 0)', async () => {
    const verified = await cli(['verify']);
    const report = JSON.parse(verified.stdout) as { checks: { name: string; ok: boolean; checked: number }[] };
    expect(report.checks.filter((check) => !check.ok)).toEqual([]);
    expect(verified.code).toBe(0);
    // 4 receipts and 6 assessments.
    expect(report.checks.find((check) => check.name.startsWith('splits and reversals'))!.checked).toBe(10);
  });
});

describe('payout runs over HTTP', () => {
  let ledger: HttpTestLedger;
  const post = (route: string, body: unknown) => ledger.post(route, body);

  beforeAll(async () => {
    ledger = await openHttpTestLedger({ developerWithApp: { contract: CONTRACT, receipts: [{ receiptId: 'r-1', appId: 'app-1', amount: '2000.00', currency: 'USD', occurredAt: '2026-01-10T00:00:00Z' }] } });
  });

  afterAll(async () => {
    await ledger?.cleanup();
  });

  it('runs payouts (201 with the events), answers a re-run 200 with nothing written, refuses a bad run id (400)', async () => {
    const run = await post('/v1/payout-runs', { runId: 'run-1', currency: 'USD', asOf: '2026-02-01T00:00:00Z' }).expect(201);
    expect(run.body.events.map((event: { type: string }) => event.type)).toEqual(['PayoutRunAssessed', 'PayoutRequested']);
    expect(run.body.events[1].data).toMatchObject({ payoutId: 'run-1:dev-1', amountMinor: '185000' });
    const rerun = await post('/v1/payout-runs', { runId: 'run-1', currency: 'USD', asOf: '2026-02-01T00:00:00Z' }).expect(200);
    expect(rerun.body).toMatchObject({ status: 'already_recorded', events: [] });
    await post('/v1/payout-runs', { runId: 'run 1', currency: 'USD', asOf: '2026-02-01T00:00:00Z' }).expect(400);
    await post('/v1/payout-runs', { runId: 'r'.repeat(65), currency: 'USD', asOf: '2026-02-01T00:00:00Z' }).expect(400);
    const conflict = await post('/v1/payout-runs', { runId: 'run-1', currency: 'USD', asOf: '2026-02-02T00:00:00Z' }).expect(409);
    expect(conflict.body.code).toBe('duplicate_payout_run');
  });
});
