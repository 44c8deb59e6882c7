import type { INestApplication } from '@nestjs/common';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import request from 'supertest';
import { PAYOUT_REPORT_BYTES_MAXIMUM } from '@rsi/domain';
import type { PayoutReconciliation } from '@rsi/ledger';
import { CLI_PATH, runCli, type CliExit } from './support/cli-process';
import { openTestApi, type TestApi } from './support/test-ledger';

/**
 * Reconciliation against the payment provider (issue 16, docs/cli.md "reconcile payouts"):
 * a ledger with payouts requested, settled and failed; a Stripe-style report generated with
 * known mismatches; `rsi-ledger reconcile payouts` (built CLI, `npm run build` first) and
 * `POST /v1/reconciliations/payouts` give the same report; hostile reports exit 2 with the
 * line; nothing is written to the ledger; a developer key is refused.
 */
jest.setTimeout(120_000);

const OPERATOR_SECRET = 'bootstrap-operator-secret';
const CONTRACT = {
  currency: 'USD', effectiveFrom: '2026-01-01T00:00:00Z',
  platformShare: { tiers: [{ upTo: '1000.00', rate: '0%' }, { rate: '15%' }], window: 'lifetime', scope: 'app' },
  holdDays: 14, minimumPayout: '10.00',
};

/** payoutId, developer, amount, what happens to it in the ledger, and the provider's reference if settled. */
const PAYOUTS = [
  { payoutId: 'p-1', developerId: 'dev-1', amount: '100.00', outcome: 'settled', reference: 'po_1' },
  { payoutId: 'p-2', developerId: 'dev-2', amount: '200.00', outcome: 'requested' },
  { payoutId: 'p-3', developerId: 'dev-3', amount: '50.00', outcome: 'failed' },
  { payoutId: 'p-4', developerId: 'dev-4', amount: '300.00', outcome: 'settled', reference: 'po_4' },
  { payoutId: 'p-5', developerId: 'dev-5', amount: '120.00', outcome: 'requested' },
  { payoutId: 'p-6', developerId: 'dev-6', amount: '75.50', outcome: 'requested' },
] as const;

function ledgerCommands(): object[] {
  return PAYOUTS.flatMap((payout) => [
    { type: 'RegisterDeveloper', developerId: payout.developerId, name: `Developer ${payout.developerId}`, country: 'NG' },
    { type: 'RegisterApp', appId: `${payout.developerId}-app`, developerId: payout.developerId, name: 'App', contract: CONTRACT },
    { type: 'RecordRevenue', receiptId: `${payout.developerId}-r1`, appId: `${payout.developerId}-app`, amount: '500.00', currency: 'USD', occurredAt: '2026-01-10T00:00:00Z' },
    { type: 'RequestPayout', payoutId: payout.payoutId, developerId: payout.developerId, currency: 'USD', amount: payout.amount, requestedAt: '2026-02-01T00:00:00Z' },
    ...(payout.outcome === 'settled' ? [{ type: 'SettlePayout', payoutId: payout.payoutId, settledAt: '2026-02-03T00:00:00Z', reference: payout.reference }] : []),
    ...(payout.outcome === 'failed' ? [{ type: 'FailPayout', payoutId: payout.payoutId, failedAt: '2026-02-03T00:00:00Z', reason: 'account closed' }] : []),
  ]);
}

const HEADER = 'id,amount,currency,status,arrival_date\n';
/**
 * The provider's report with known mismatches: p-1 matched by its settled reference, p-2 and
 * p-3 matched by payout id; po_4 (p-4) 300.01 instead of 300.00; p-5 paid while the ledger
 * has it requested; p-6 missing from the report; po_999 missing from the ledger.
 */
const REPORT_WITH_MISMATCHES = `${HEADER}po_1,100.00,usd,paid,2026-02-03
p-2,200.00,usd,in_transit,2026-02-04
p-3,50.00,usd,failed,2026-02-03
po_4,300.01,usd,paid,2026-02-03
p-5,120.00,usd,paid,2026-02-03
po_999,10.00,usd,paid,2026-02-03
`;
const REPORT_ALL_MATCHING = `${HEADER}po_1,100.00,usd,paid,2026-02-03
p-2,200.00,usd,in_transit,2026-02-04
p-3,50.00,usd,failed,2026-02-03
po_4,300.00,usd,paid,2026-02-03
p-5,120.00,usd,pending,2026-02-03
p-6,75.50,usd,pending,2026-02-03
`;

describe('reconcile payouts: the built CLI and POST /v1/reconciliations/payouts on one ledger', () => {
  let ledger: TestApi;
  let server: ReturnType<INestApplication['getHttpServer']>;
  let directory: string;
  const secrets: Record<'developer' | 'auditor' | 'finance', string> = { developer: '', auditor: '', finance: '' };
  const cli = (cliArguments: string[]): Promise<CliExit> => runCli(cliArguments, { ...ledger.childEnvironment, USER: 'finance' }).finished;
  const reportFile = (name: string, content: string | Buffer): string => {
    const filePath = path.join(directory, name);
    fs.writeFileSync(filePath, content);
    return filePath;
  };
  const postReport = (secret: string, body: string | Buffer, contentType = 'text/csv') =>
    request(server).post('/v1/reconciliations/payouts').set('X-Api-Key', secret).set('Content-Type', contentType).send(body);
  const eventCount = async (): Promise<string> => (await ledger.runtime.connection.pool.query<{ count: string }>('SELECT count(*)::text AS count FROM events')).rows[0]!.count;

  beforeAll(async () => {
    expect(fs.existsSync(CLI_PATH)).toBe(true);
    directory = fs.mkdtempSync(path.join(os.tmpdir(), 'rsi-reconcile-'));
    ledger = await openTestApi({ environment: { RSI_API_LOG: 'quiet', RSI_API_KEYS: `ops:${OPERATOR_SECRET}` } });
    server = ledger.app.getHttpServer();
    const commands = ledgerCommands();
    const imported = await cli(['import', reportFile('ledger.jsonl', commands.map((command) => JSON.stringify(command)).join('\n') + '\n')]);
    expect(imported.stdout).toContain(`${commands.length} recorded, 0 already recorded, 0 refused`);
    for (const [name, body] of [['developer', { role: 'developer', developerId: 'dev-1' }], ['auditor', { role: 'auditor' }], ['finance', { role: 'finance' }]] as const) {
      const issued = await request(server).post('/v1/keys').set('X-Api-Key', OPERATOR_SECRET).send(body).expect(201);
      secrets[name] = issued.body.secret as string;
    }
  });

  afterAll(async () => {
    await ledger?.cleanup();
    if (directory) fs.rmSync(directory, { recursive: true, force: true });
  });

  let cliReport: PayoutReconciliation;

  it('reports every category of a report with known mismatches (JSON, exit 1) and writes nothing to the ledger', async () => {
    const eventsBefore = await eventCount();
    const run = await cli(['reconcile', 'payouts', reportFile('report.csv', REPORT_WITH_MISMATCHES)]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(1);
    cliReport = JSON.parse(run.stdout) as PayoutReconciliation;
    expect(cliReport.allMatched).toBe(false);
    expect(cliReport.summary).toEqual({ ledgerPayouts: 6, reportRows: 6, matched: 3, missingFromReport: 1, missingFromLedger: 1, amountMismatches: 1, statusMismatches: 1 });
    expect(cliReport.matched.map((line) => [line.payoutId, line.reference, line.developerId, line.ledgerStatus, line.providerStatus])).toEqual([
      ['p-1', 'po_1', 'dev-1', 'settled', 'paid'], ['p-2', 'p-2', 'dev-2', 'requested', 'in_transit'], ['p-3', 'p-3', 'dev-3', 'failed', 'failed'],
    ]);
    expect(cliReport.amountMismatches.map((line) => [line.payoutId, line.ledgerAmount, line.reportAmount, line.reportLine])).toEqual([['p-4', '300.00', '300.01', 5]]);
    expect(cliReport.statusMismatches.map((line) => [line.payoutId, line.ledgerStatus, line.reportStatus, line.providerStatus])).toEqual([['p-5', 'requested', 'settled', 'paid']]);
    expect(cliReport.missingFromReport.map((line) => [line.payoutId, line.developerId, line.ledgerAmount, line.ledgerCurrency, line.requestedAt])).toEqual([
      ['p-6', 'dev-6', '75.50', 'USD', '2026-02-01T00:00:00.000Z'],
    ]);
    expect(cliReport.missingFromLedger.map((line) => [line.payoutId, line.reference, line.reportAmount, line.reportLine])).toEqual([[null, 'po_999', '10.00', 7]]);
    expect(await eventCount()).toBe(eventsBefore);
  });

  it('writes the same as CSV with --format csv, one line a payout under its category', async () => {
    const run = await cli(['reconcile', 'payouts', '--format', 'csv', path.join(directory, 'report.csv')]);
    expect(run.code).toBe(1);
    const lines = run.stdout.trimEnd().split('\r\n');
    expect(lines[0]!.startsWith('category,payoutId,reference,developerId,ledgerAmount')).toBe(true);
    expect(lines.slice(1).map((line) => line.split(',').slice(0, 2).join(','))).toEqual([
      'matched,p-1', 'matched,p-2', 'matched,p-3', 'missingFromReport,p-6', 'missingFromLedger,', 'amountMismatches,p-4', 'statusMismatches,p-5',
    ]);
  });

  it('exits 0 when every payout matches', async () => {
    const run = await cli(['reconcile', 'payouts', reportFile('matching.csv', REPORT_ALL_MATCHING)]);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ allMatched: true, summary: { matched: 6, missingFromReport: 0, missingFromLedger: 0, amountMismatches: 0, statusMismatches: 0 } });
  });

  it.each([
    ['bad UTF-8', Buffer.concat([Buffer.from(`${HEADER}po_1,100.00,usd,paid,2026-02-03\np-`), Buffer.from([0xff, 0xfe]), Buffer.from(',1.00,usd,paid,2026-02-03\n')]), /line 3: the report is not valid UTF-8/],
    ['a missing column', 'id,amount,currency,arrival_date\npo_1,100.00,usd,2026-02-03\n', /line 1: missing column status/],
    ['a bad amount', `${HEADER}po_1,100.00,usd,paid,2026-02-03\np-2,1.5e2,usd,paid,2026-02-03\n`, /line 3: .*amount/],
    ['too many decimals for the currency', `${HEADER}po_1,100.001,usd,paid,2026-02-03\n`, /line 2: .*amount/],
  ])('refuses %s with the line and exit 2', async (_name, content, message) => {
    const run = await cli(['reconcile', 'payouts', reportFile('hostile.csv', content)]);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(message);
  });

  it('expects only the payouts requested in the report\'s period (--from/--to, ?from=&to=), and refuses a bad period', async () => {
    // Every ledger payout here is requested at 2026-02-01T00:00:00Z: a period ending there expects none.
    const before = await cli(['reconcile', 'payouts', '--to', '2026-02-01T00:00:00Z', path.join(directory, 'report.csv')]);
    const beforeReport = JSON.parse(before.stdout) as PayoutReconciliation;
    expect(beforeReport.period).toEqual({ from: null, to: '2026-02-01T00:00:00.000Z' });
    expect(beforeReport.summary.ledgerPayouts).toBe(0);
    expect(beforeReport.missingFromReport).toEqual([]);
    // The report's rows still match the payouts they name, wherever the payouts fall.
    expect(beforeReport.summary.matched).toBe(3);
    const within = await request(server).post('/v1/reconciliations/payouts?from=2026-02-01T00:00:00Z&to=2026-03-01T00:00:00Z')
      .set('X-Api-Key', secrets.finance).set('Content-Type', 'text/csv').send(REPORT_WITH_MISMATCHES).expect(200);
    expect({ ...within.body, period: null }).toEqual({ ...cliReport, period: null });
    const backwards = await cli(['reconcile', 'payouts', '--from', '2026-03-01T00:00:00Z', '--to', '2026-02-01T00:00:00Z', path.join(directory, 'report.csv')]);
    expect(backwards.code).toBe(2);
    expect(backwards.stderr).toContain('--from must be before --to');
    const malformed = await request(server).post('/v1/reconciliations/payouts?from=yesterday')
      .set('X-Api-Key', secrets.finance).set('Content-Type', 'text/csv').send(REPORT_WITH_MISMATCHES).expect(400);
    expect(malformed.body).toMatchObject({ field: 'from' });
  });

  it('refuses a report above the byte limit (exit 2)', async () => {
    const run = await cli(['reconcile', 'payouts', reportFile('huge.csv', Buffer.alloc(PAYOUT_REPORT_BYTES_MAXIMUM + 1, 0x41))]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`at most ${PAYOUT_REPORT_BYTES_MAXIMUM} bytes`);
  });

  it('answers the same report over HTTP to finance, operators and auditors; refuses a developer key (403)', async () => {
    for (const secret of [secrets.finance, OPERATOR_SECRET, secrets.auditor]) {
      const answer = await postReport(secret, REPORT_WITH_MISMATCHES).expect(200);
      expect(answer.body).toEqual(cliReport);
    }
    const refused = await postReport(secrets.developer, REPORT_WITH_MISMATCHES).expect(403);
    expect(refused.body.code).toBeDefined();
    await request(server).post('/v1/reconciliations/payouts').set('Content-Type', 'text/csv').send(REPORT_WITH_MISMATCHES).expect(401);
  });

  it('refuses a hostile body over HTTP: bad report 400 with the line, another media type 415, too large 413', async () => {
    const bad = await postReport(secrets.finance, `${HEADER}po_1,100.00,usd,lost,2026-02-03\n`).expect(400);
    expect(bad.body).toMatchObject({ code: 'payout_report_refused' });
    expect(bad.body.message).toMatch(/line 2: status/);
    const other = await postReport(secrets.finance, JSON.stringify({ report: 'x' }), 'application/json');
    expect({ status: other.status, body: other.body }).toMatchObject({ status: 415, body: { code: 'unsupported_media_type' } });
    await postReport(secrets.finance, Buffer.alloc(PAYOUT_REPORT_BYTES_MAXIMUM + 1, 0x41)).expect(413);
    const matching = await postReport(secrets.finance, REPORT_ALL_MATCHING).expect(200);
    expect(matching.body.allMatched).toBe(true);
  });
});
