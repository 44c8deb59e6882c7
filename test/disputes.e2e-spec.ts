import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import request from 'supertest';
import { PersonalDataKeys } from '@rsi/database';
import { buildDeveloperStatement, verifyStatement } from '@rsi/ledger';
import { CLI_PATH, runCli, type CliExit } from './support/cli-process';
import { openHttpTestLedger, type HttpTestLedger } from './support/http-test-ledger';
import { openTestLedger, type TestLedger } from './support/test-ledger';

/**
 * Disputes (issue 16, docs/domain.md "Disputes") end to end: a JSONL import through the
 * built CLI (`npm run build` first), the `balances`, `disputes` and `platform-share`
 * exports, `verify` recomputing every dispute from the events and rebuilding the new
 * projection, and the HTTP routes.
 */
const serverUrl = process.env.DATABASE_URL?.trim();
const describeOnServer = serverUrl ? describe : describe.skip;

const CONTRACT = {
  currency: 'USD', effectiveFrom: '2026-01-01T00:00:00Z',
  platformShare: { tiers: [{ upTo: '1000.00', rate: '0%' }, { rate: '15%' }], window: 'lifetime', scope: 'app' },
  holdDays: 14, minimumPayout: '50.00',
};

// r-1 2000.00: platform 150.00, dev-1 1850.00. d-1 1000.00 takes half of each line (75.00 / 925.00);
// d-3 400.00 of the 1000.00 left takes 30.00 / 370.00 and is lost; f-1 refunds the last 600.00 (45.00 / 555.00).
// r-2 1000.00 is all dev-2's (0% tier); d-2 takes it all and is won; dev-2's contract has the platform bear the fee.
const COMMANDS = [
  { type: 'RegisterDeveloper', developerId: 'dev-1', name: 'Ada Apps', country: 'NG' },
  { type: 'RegisterApp', appId: 'app-1', developerId: 'dev-1', name: 'Story Writer', contract: CONTRACT },
  { type: 'RegisterDeveloper', developerId: 'dev-2', name: 'Bea Apps', country: 'KE' },
  { type: 'RegisterApp', appId: 'app-2', developerId: 'dev-2', name: 'Song Writer', contract: { ...CONTRACT, disputeFeeBearer: 'platform' } },
  { type: 'RecordRevenue', receiptId: 'r-1', appId: 'app-1', amount: '2000.00', currency: 'USD', occurredAt: '2026-01-10T00:00:00Z' },
  { type: 'RecordRevenue', receiptId: 'r-2', appId: 'app-2', amount: '1000.00', currency: 'USD', occurredAt: '2026-01-10T00:00:00Z' },
  { type: 'OpenDispute', disputeId: 'd-1', receiptId: 'r-1', amount: '1000.00', fee: '15.00', openedAt: '2026-02-01T00:00:00Z' },
  { type: 'OpenDispute', disputeId: 'd-2', receiptId: 'r-2', amount: '1000.00', fee: '15.00', openedAt: '2026-02-01T00:00:00Z' },
  { type: 'OpenDispute', disputeId: 'd-3', receiptId: 'r-1', amount: '400.00', fee: '0', openedAt: '2026-02-02T00:00:00Z' },
  { type: 'ResolveDispute', disputeId: 'd-3', outcome: 'lost', resolvedAt: '2026-03-01T00:00:00Z' },
  { type: 'ResolveDispute', disputeId: 'd-2', outcome: 'won', resolvedAt: '2026-03-01T00:00:00Z' },
  { type: 'RefundRevenue', refundId: 'f-1', receiptId: 'r-1', amount: '600.00', occurredAt: '2026-03-02T00:00:00Z' },
];

function jsonLines(text: string): Record<string, unknown>[] {
  return text.split('\n').filter((line) => line.length > 0).map((line) => JSON.parse(line) as Record<string, unknown>);
}

describeOnServer('disputes through the JSONL import, the exports and verify (built CLI)', () => {
  let ledger: TestLedger;
  let directory: string;
  let filePath: string;
  const cli = (cliArguments: string[]): Promise<CliExit> => runCli(cliArguments, { ...ledger.childEnvironment, USER: 'operator' }).finished;

  beforeAll(async () => {
    expect(fs.existsSync(CLI_PATH)).toBe(true);
    ledger = await openTestLedger();
    directory = fs.mkdtempSync(path.join(os.tmpdir(), 'rsi-disputes-'));
    filePath = path.join(directory, 'disputes.jsonl');
    fs.writeFileSync(filePath, COMMANDS.map((command) => JSON.stringify(command)).join('\n') + '\n');
  });

  afterAll(async () => {
    await ledger?.cleanup();
    if (directory) fs.rmSync(directory, { recursive: true, force: true });
  });

  it('imports every dispute command, and a second import records nothing', async () => {
    const first = await cli(['import', filePath]);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toContain(`${COMMANDS.length} recorded, 0 already recorded, 0 refused`);
    const again = await cli(['import', filePath]);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain(`0 recorded, ${COMMANDS.length} already recorded, 0 refused`);
  });

  it('exports balances with disputed, disputeFees and disputesLost, and available excluding them', async () => {
    const exported = await cli(['export', 'balances', '--format', 'jsonl', '--as-of', '2026-06-01T00:00:00Z']);
    expect(exported.code).toBe(0);
    const balances = jsonLines(exported.stdout);
    expect(balances.find((row) => row.developerId === 'dev-1')).toMatchObject({
      credited: '1850.00', refunded: '555.00', disputed: '925.00', disputesLost: '370.00', disputeFees: '15.00', available: '-15.00',
    });
    // Won: given back; the platform bore the fee.
    expect(balances.find((row) => row.developerId === 'dev-2')).toMatchObject({
      credited: '1000.00', disputed: '0.00', disputesLost: '0.00', disputeFees: '0.00', available: '1000.00',
    });
  });

  it('exports the disputes and counts a lost dispute as reversed platform share', async () => {
    const disputes = jsonLines((await cli(['export', 'disputes', '--format', 'jsonl'])).stdout);
    expect(disputes.map((row) => [row.disputeId, row.status, row.amount, row.fee, row.feeBearer])).toEqual([
      ['d-1', 'open', '1000.00', '15.00', 'developer'], ['d-2', 'won', '1000.00', '15.00', 'platform'], ['d-3', 'lost', '400.00', '0.00', 'developer'],
    ]);
    expect(disputes[0]!.lines).toEqual([{ party: 'platform', amount: '75.00' }, { party: 'developer:dev-1', amount: '925.00' }]);
    const shares = jsonLines((await cli(['export', 'platform-share', '--format', 'jsonl'])).stdout);
    expect(shares.find((row) => row.month === '2026-03' && row.party === 'platform')).toMatchObject({ reversed: '75.00' });
  });

  it('posts every dispute double-entry: open disputes held, fees owed to the provider', async () => {
    const pool = ledger.runtime.connection.pool;
    await ledger.runtime.projector.catchUp();
    const accounts = await pool.query<{ account: string; total: string }>(
      `SELECT account, sum(amount_minor)::text AS total FROM ledger_entries GROUP BY account ORDER BY account`,
    );
    const total = Object.fromEntries(accounts.rows.map((row) => [row.account, row.total]));
    expect(total['system:disputes-held']).toBe('100000');
    expect(total['system:dispute-fees']).toBe('3000');
    expect(accounts.rows.reduce((sum, row) => sum + BigInt(row.total), 0n)).toBe(0n);
  });

  it('verify recomputes every dispute from the events and rebuilds the disputes and balances (exit 0)', async () => {
    const verified = await cli(['verify']);
    const report = JSON.parse(verified.stdout) as { ok: boolean; checks: { name: string; ok: boolean; checked: number }[] };
    expect(report.checks.filter((check) => !check.ok)).toEqual([]);
    expect(verified.code).toBe(0);
    // 2 receipts, 1 refund, 3 disputes opened, 2 resolved.
    expect(report.checks.find((check) => check.name.startsWith('splits and reversals'))!.checked).toBe(8);
  });

  it('verify fails when a stored dispute reversal was altered', async () => {
    const pool = ledger.runtime.connection.pool;
    await pool.query(
      `UPDATE events SET data = jsonb_set(jsonb_set(data::jsonb, '{lines,0,amountMinor}', to_jsonb(((data->'lines'->0->>'amountMinor')::numeric + 1)::text)),
         '{lines,-1,amountMinor}', to_jsonb(((data->'lines'->-1->>'amountMinor')::numeric - 1)::text))::json
        WHERE type = 'DisputeOpened' AND data->>'disputeId' = 'd-1'`,
    );
    const verified = await cli(['verify']);
    expect(verified.code).toBe(1);
    const report = JSON.parse(verified.stdout) as { checks: { name: string; ok: boolean; examples: string[] }[] };
    const recompute = report.checks.find((check) => check.name.startsWith('splits and reversals'))!;
    expect(recompute.ok).toBe(false);
    expect(recompute.examples.join('\n')).toContain('DisputeOpened');
  });
});

describe('disputes over HTTP', () => {
  let ledger: HttpTestLedger;
  const post = (route: string, body: unknown) => ledger.post(route, body);

  beforeAll(async () => {
    ledger = await openHttpTestLedger({ developerWithApp: { contract: CONTRACT, receipts: [{ receiptId: 'r-1', appId: 'app-1', amount: '2000.00', currency: 'USD', occurredAt: '2026-01-10T00:00:00Z' }] } });
  });

  afterAll(async () => {
    await ledger?.cleanup();
  });

  it('opens a dispute (201 with its reversal lines), replays it (200), refuses a refund beyond what is left (409)', async () => {
    const body = { disputeId: 'd-1', receiptId: 'r-1', amount: '1000.00', fee: '15.00', openedAt: '2026-02-01T00:00:00Z' };
    const opened = await post('/v1/disputes', body).expect(201);
    expect(opened.body.events[0].type).toBe('DisputeOpened');
    expect(opened.body.lines).toEqual([{ party: 'platform', amount: '75.00' }, { party: 'developer:dev-1', amount: '925.00' }]);
    await post('/v1/disputes', body).expect(200);
    const over = await post('/v1/refunds', { refundId: 'f-1', receiptId: 'r-1', amount: '1000.01', occurredAt: '2026-02-02T00:00:00Z' }).expect(409);
    expect(over.body).toMatchObject({ code: 'refund_exceeds_remaining', field: 'amount' });
    const overDispute = await post('/v1/disputes', { ...body, disputeId: 'd-2', amount: '1000.01' }).expect(409);
    expect(overDispute.body.code).toBe('dispute_exceeds_remaining');
    const balances = await request(ledger.server).get('/v1/developers/dev-1/balances').query({ asOf: '2026-06-01T00:00:00Z' }).expect(200);
    expect(balances.body.balances[0]).toMatchObject({ disputed: '925.00', disputeFees: '15.00', available: '910.00' });
  });

  it('resolves it as won (201, then 200 on a retry), refuses another outcome (409), an unknown dispute (404), an unknown outcome (400)', async () => {
    const won = await post('/v1/disputes/d-1/resolution', { outcome: 'won', resolvedAt: '2026-03-01T00:00:00Z' }).expect(201);
    expect(won.body.events[0].type).toBe('DisputeResolved');
    await post('/v1/disputes/d-1/resolution', { outcome: 'won', resolvedAt: '2026-03-01T00:00:00Z' }).expect(200);
    const again = await post('/v1/disputes/d-1/resolution', { outcome: 'lost', resolvedAt: '2026-03-01T00:00:00Z' }).expect(409);
    expect(again.body.code).toBe('dispute_not_open');
    const unknown = await post('/v1/disputes/d-9/resolution', { outcome: 'won', resolvedAt: '2026-03-01T00:00:00Z' }).expect(404);
    expect(unknown.body.code).toBe('unknown_dispute');
    await post('/v1/disputes/d-1/resolution', { outcome: 'draw', resolvedAt: '2026-03-01T00:00:00Z' }).expect(400);
    const balances = await request(ledger.server).get('/v1/developers/dev-1/balances').query({ asOf: '2026-06-01T00:00:00Z' }).expect(200);
    expect(balances.body.balances[0]).toMatchObject({ disputed: '0.00', disputeFees: '15.00', available: '1835.00' });
  });

  it('shows the dispute on the developer\'s statement, whose lines and balances the offline verifier recomputes', async () => {
    const period = new Date().toISOString().slice(0, 7);
    const statement = JSON.parse(JSON.stringify(await buildDeveloperStatement(
      ledger.runtime.store, new PersonalDataKeys(ledger.runtime.connection.pool), { developerId: 'dev-1', period },
    ))) as { lines: { kind: string; amount: string; reference: string }[] };
    const disputeLines = statement.lines.filter((line) => line.kind.startsWith('dispute_')).map((line) => [line.kind, line.reference, line.amount]);
    // Opened: the developer's 925.00 and the 15.00 fee; won: the 925.00 back.
    expect(disputeLines).toEqual([['dispute_debit', 'd-1', '-940.00'], ['dispute_won', 'd-1', '925.00']]);
    // Not sealed (no seal in this test), but every line's figures and the balances check out.
    const report = verifyStatement(statement as never);
    expect(report.failures).toEqual([`period ${period} is not sealed: there is no signed root to check the lines against`]);
    const tampered = JSON.parse(JSON.stringify(statement)) as typeof statement;
    tampered.lines.find((line) => line.kind === 'dispute_debit')!.amount = '-925.00';
    expect(verifyStatement(tampered as never).failures.length).toBeGreaterThan(1);
  });
});
