import type { INestApplication } from '@nestjs/common';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import request from 'supertest';
import { publicKeyPemOf, sealPeriod, verifyStatement, type DeveloperStatement } from '@rsi/ledger';
import { CLI_PATH, runCli, type CliExit } from './support/cli-process';
import { openTestApi, openTestLedger, type TestApi, type TestLedger } from './support/test-ledger';

/**
 * Payouts in another currency (issue 16, docs/domain.md "Payouts in another currency") end to
 * end: a payout of 1234.56 USD paid in JPY at 151.237 (186711 JPY) over HTTP and through the
 * JSONL import (built CLI: `npm run build` first). Each path checks the USD debit, the recorded
 * JPY amount, the payouts export, the statement (JSON, CSV) and that a sealed statement with
 * the payout verifies offline while a tampered payoutAmount does not; `verify` recomputes the
 * conversion. Hostile inputs are refused with their field, and nothing is written.
 */
const CONTRACT = {
  currency: 'USD', effectiveFrom: '2026-01-01T00:00:00Z',
  platformShare: { tiers: [{ upTo: '1000.00', rate: '0%' }, { rate: '15%' }], window: 'lifetime', scope: 'app' },
  holdDays: 14, minimumPayout: '50.00',
};
const SOURCE = 'ECB reference rate 2026-01-30';
/**
 * Over HTTP and the CLI the ledger books at its clock: the statement is that of the current
 * UTC month, sealed once the test moves the ledger clock past its end (`clockOffsetMilliseconds`).
 */
const NOW = new Date();
const PERIOD = NOW.toISOString().slice(0, 7);
const PERIOD_END = new Date(Date.UTC(NOW.getUTCFullYear(), NOW.getUTCMonth() + 1, 1)).toISOString();
let clockOffsetMilliseconds = 0;
const ledgerClockOffsetMilliseconds = () => clockOffsetMilliseconds;
function movePastPeriodEnd(): void {
  clockOffsetMilliseconds = Date.parse(PERIOD_END) - Date.now() + 1000;
}
const FX_PAYOUT = {
  payoutId: 'p-jpy', developerId: 'dev-1', currency: 'USD', amount: '1234.56', requestedAt: '2026-02-01T00:00:00Z',
  payoutCurrency: 'JPY', fxRate: '151.237', fxSource: SOURCE,
};
const CONVERSION = { payoutCurrency: 'JPY', payoutAmountMinor: '186711', fxRate: '151.237', fxSource: SOURCE, fxRuleVersion: 1 };
// 2000.00 on 0% up to 1000.00, 15% above: developer 1850.00, available from 01-24.
const SETUP = [
  { type: 'RegisterDeveloper', developerId: 'dev-1', name: 'Ada Apps', country: 'NG' },
  { type: 'RegisterApp', appId: 'app-1', developerId: 'dev-1', name: 'Story Writer', contract: CONTRACT },
  { type: 'RecordRevenue', receiptId: 'r-1', appId: 'app-1', amount: '2000.00', currency: 'USD', occurredAt: '2026-01-10T00:00:00Z' },
];

/** Requests that must be refused (400) with the field named and nothing recorded. */
const HOSTILE: [string, Record<string, unknown>, string][] = [
  ['a rate without a source', { payoutCurrency: 'JPY', fxRate: '151.237' }, 'fxSource'],
  ['a currency without a rate', { payoutCurrency: 'JPY', fxSource: SOURCE }, 'fxRate'],
  ['a rate without a currency', { fxRate: '151.237', fxSource: SOURCE }, 'payoutCurrency'],
  ['the balance currency as payout currency', { payoutCurrency: 'USD', fxRate: '1', fxSource: SOURCE }, 'payoutCurrency'],
  ['an unknown payout currency', { payoutCurrency: 'ZZZ', fxRate: '1', fxSource: SOURCE }, 'payoutCurrency'],
  ['a precious metal as payout currency', { payoutCurrency: 'XAU', fxRate: '0.0004', fxSource: SOURCE }, 'payoutCurrency'],
  ['a zero rate', { payoutCurrency: 'JPY', fxRate: '0', fxSource: SOURCE }, 'fxRate'],
  ['a negative rate', { payoutCurrency: 'JPY', fxRate: '-151.237', fxSource: SOURCE }, 'fxRate'],
  ['a rate in exponent notation', { payoutCurrency: 'JPY', fxRate: '1.51237e2', fxSource: SOURCE }, 'fxRate'],
  ['a rate as a JSON number', { payoutCurrency: 'JPY', fxRate: 151.237, fxSource: SOURCE }, 'fxRate'],
  ['a rate with 16 significant digits', { payoutCurrency: 'JPY', fxRate: '151.2370000000001', fxSource: SOURCE }, 'fxRate'],
  ['a rate with 13 decimals', { payoutCurrency: 'EUR', fxRate: '0.9512000000001', fxSource: SOURCE }, 'fxRate'],
  ['a rate longer than its limit', { payoutCurrency: 'JPY', fxRate: '1'.repeat(40), fxSource: SOURCE }, 'fxRate'],
  ['a source longer than its limit', { payoutCurrency: 'JPY', fxRate: '151.237', fxSource: 's'.repeat(201) }, 'fxSource'],
  ['an empty source', { payoutCurrency: 'JPY', fxRate: '151.237', fxSource: '' }, 'fxSource'],
  ['a converted amount that rounds to nothing', { payoutCurrency: 'JPY', fxRate: '0.000000000001', fxSource: SOURCE }, 'amount'],
];

function statementLine(statement: DeveloperStatement, kind: string) {
  const line = statement.lines.find((candidate) => candidate.kind === kind);
  if (line === undefined) throw new Error(`no ${kind} line in ${JSON.stringify(statement.lines.map((candidate) => candidate.kind))}`);
  return line;
}

/** A statement with the payout request and its settlement verifies; changed payout figures do not. */
function expectStatementVerifies(statement: DeveloperStatement, publicKeyPem: string): void {
  expect(statementLine(statement, 'payout_requested')).toMatchObject({
    currency: 'USD', amount: '-1234.56', grossAmount: '1234.56', payoutCurrency: 'JPY', payoutAmount: '186711', fxRate: '151.237', fxSource: SOURCE,
  });
  expect(statementLine(statement, 'payout_settled')).toMatchObject({ amount: '0.00', payoutCurrency: 'JPY', payoutAmount: '186711' });
  expect(verifyStatement(statement, { publicKeyPem })).toMatchObject({ ok: true, failures: [] });
  const tampered = JSON.parse(JSON.stringify(statement)) as DeveloperStatement;
  statementLine(tampered, 'payout_requested').payoutAmount = '186712';
  const tamperedReport = verifyStatement(tampered, { publicKeyPem });
  expect(tamperedReport.ok).toBe(false);
  expect(tamperedReport.failures.join('\n')).toMatch(/payoutAmount "186712" does not follow from the event \("186711"\)/);
  const added = JSON.parse(JSON.stringify(statement)) as DeveloperStatement;
  const receipt = added.lines.find((line) => line.kind === 'receipt_credit' || line.kind === 'payout_failed');
  if (receipt !== undefined) {
    receipt.payoutAmount = '1';
    expect(verifyStatement(added, { publicKeyPem }).ok).toBe(false);
  }
}

describe('a payout in another currency over HTTP', () => {
  let ledger: TestApi;
  let app: INestApplication;
  let server: ReturnType<INestApplication['getHttpServer']>;
  let sealKey: KeyObject;
  const post = (route: string, body: unknown) => request(server).post(route).send(body as object);
  const eventCount = async () => Number((await ledger.runtime.connection.pool.query('SELECT count(*)::int AS count FROM events')).rows[0].count);

  beforeAll(async () => {
    clockOffsetMilliseconds = 0;
    ledger = await openTestApi({ environment: { RSI_API_LOG: 'quiet' }, ledgerClockOffsetMilliseconds });
    app = ledger.app;
    server = app.getHttpServer();
    sealKey = generateKeyPairSync('ed25519').privateKey;
    await post('/v1/developers', { developerId: 'dev-1', name: 'Ada Apps', country: 'NG' }).expect(201);
    await post('/v1/apps', { appId: 'app-1', developerId: 'dev-1', name: 'Story Writer', contract: CONTRACT }).expect(201);
    await post('/v1/receipts', { receiptId: 'r-1', appId: 'app-1', amount: '2000.00', currency: 'USD', occurredAt: '2026-01-10T00:00:00Z' }).expect(201);
  });

  afterAll(async () => {
    await app?.close();
    await ledger?.cleanup();
  });

  it.each(HOSTILE)('refuses %s (400, naming the field) and writes nothing', async (_name, fields, field) => {
    const before = await eventCount();
    const response = await post('/v1/payouts', { ...FX_PAYOUT, payoutId: 'p-hostile', ...{ payoutCurrency: undefined, fxRate: undefined, fxSource: undefined }, ...fields }).expect(400);
    expect(response.body.field ?? '').toBe(field);
    expect(String(response.body.message)).toContain(field);
    expect(await eventCount()).toBe(before);
  });

  it('debits 1234.56 USD and records 186711 JPY at 151.237 with its source; a re-sent request changes nothing', async () => {
    const response = await post('/v1/payouts', FX_PAYOUT).expect(201);
    expect(response.body.events[0].data).toEqual({
      payoutId: 'p-jpy', developerId: 'dev-1', currency: 'USD', amountMinor: '123456', requestedAt: '2026-02-01T00:00:00.000Z', conversion: CONVERSION,
    });
    const before = await eventCount();
    await post('/v1/payouts', { ...FX_PAYOUT, fxRate: '151.2370' }).expect((reply) => expect(reply.status).toBeLessThan(300));
    expect(await eventCount()).toBe(before);
    expect((await post('/v1/payouts', { ...FX_PAYOUT, fxRate: '151.238' }).expect(409)).body.code).toBe('duplicate_payout');
    const balances = await request(server).get('/v1/developers/dev-1/balances').query({ asOf: '2026-02-02T00:00:00Z' }).expect(200);
    expect(balances.body.balances).toHaveLength(1);
    expect(balances.body.balances[0]).toMatchObject({ currency: 'USD', available: '615.44', payoutsInFlight: '1234.56' });
  });

  it('settles it, and a failed one returns its USD amount to the balance', async () => {
    await post('/v1/payouts/p-jpy/settlement', { settledAt: '2026-02-03T00:00:00Z', reference: 'wire-jpy-1' }).expect(201);
    const failing = await post('/v1/payouts', { ...FX_PAYOUT, payoutId: 'p-kwd', amount: '100.00', payoutCurrency: 'KWD', fxRate: '0.30712' }).expect(201);
    expect(failing.body.events[0].data.conversion).toMatchObject({ payoutCurrency: 'KWD', payoutAmountMinor: '30712' });
    const failed = await post('/v1/payouts/p-kwd/failure', { failedAt: '2026-02-04T00:00:00Z', reason: 'account closed' }).expect(201);
    expect(failed.body.events[0].data).toMatchObject({ amountMinor: '10000', conversion: { payoutCurrency: 'KWD', payoutAmountMinor: '30712' } });
    const balances = await request(server).get('/v1/developers/dev-1/balances').query({ asOf: '2026-02-05T00:00:00Z' }).expect(200);
    expect(balances.body.balances[0]).toMatchObject({ currency: 'USD', available: '615.44', paid: '1234.56', payoutsInFlight: '0.00' });
  });

  it('exports both amounts, the rate and its source', async () => {
    await ledger.runtime.projector.catchUp();
    const exported = await request(server).get('/v1/exports/payouts').query({ format: 'jsonl' }).expect(200);
    const rows = exported.text.split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(rows).toEqual([
      {
        payoutId: 'p-jpy', developerId: 'dev-1', currency: 'USD', amount: '1234.56', status: 'settled', requestedAt: '2026-02-01T00:00:00.000Z',
        settledAt: '2026-02-03T00:00:00.000Z', failedAt: null, reference: 'wire-jpy-1', failureReason: null,
        payoutCurrency: 'JPY', payoutAmount: '186711', fxRate: '151.237', fxSource: SOURCE, fxRuleVersion: 1,
      },
      {
        payoutId: 'p-kwd', developerId: 'dev-1', currency: 'USD', amount: '100.00', status: 'failed', requestedAt: '2026-02-01T00:00:00.000Z',
        settledAt: null, failedAt: '2026-02-04T00:00:00.000Z', reference: null, failureReason: 'account closed',
        payoutCurrency: 'KWD', payoutAmount: '30.712', fxRate: '0.30712', fxSource: SOURCE, fxRuleVersion: 1,
      },
    ]);
    const csv = await request(server).get('/v1/exports/payouts').query({ format: 'csv' }).expect(200);
    expect(csv.text.split(/\r?\n/)[0]).toBe('payoutId,developerId,currency,amount,status,requestedAt,settledAt,failedAt,reference,failureReason,payoutCurrency,payoutAmount,fxRate,fxSource,fxRuleVersion');
  });

  it('reconciles with the provider in the currency and amount paid, not the USD debit', async () => {
    const reconcile = (report: string) => request(server).post('/v1/reconciliations/payouts').set('Content-Type', 'text/csv').send(report);
    const matched = await reconcile('reference,amount,currency,status,date\nwire-jpy-1,186711,JPY,paid,2026-02-03\np-kwd,30.712,KWD,failed,2026-02-04\n').expect(200);
    expect(matched.body).toMatchObject({ allMatched: true, summary: { matched: 2, amountMismatches: 0 } });
    const debitReported = await reconcile('reference,amount,currency,status,date\nwire-jpy-1,1234.56,USD,paid,2026-02-03\np-kwd,30.712,KWD,failed,2026-02-04\n').expect(200);
    expect(debitReported.body.amountMismatches).toEqual([expect.objectContaining({ payoutId: 'p-jpy', ledgerAmount: '186711', ledgerCurrency: 'JPY', reportAmount: '1234.56', reportCurrency: 'USD' })]);
  });

  it('shows both amounts on the statement (JSON, CSV, HTML); sealed, it verifies and a tampered payoutAmount does not', async () => {
    movePastPeriodEnd();
    await sealPeriod(ledger.runtime.store, { period: PERIOD, sealedAt: PERIOD_END, signingKey: () => sealKey, actor: 'test:seal' });
    const json = await request(server).get(`/v1/developers/dev-1/statements/${PERIOD}`).expect(200);
    const statement = json.body as DeveloperStatement;
    // Credits: the receipt's 1850.00 and the failed payout's 100.00 back; debits: both payouts.
    expect(statement.balances).toEqual([expect.objectContaining({ currency: 'USD', credits: '1950.00', debits: '1334.56', closing: '615.44' })]);
    expect(statementLine(statement, 'payout_failed')).toMatchObject({ amount: '100.00', payoutCurrency: 'KWD', payoutAmount: '30.712' });
    expectStatementVerifies(statement, publicKeyPemOf(sealKey));
    const csv = await request(server).get(`/v1/developers/dev-1/statements/${PERIOD}`).query({ format: 'csv' }).expect(200);
    const [header, ...rows] = csv.text.split(/\r?\n/);
    expect(header!.endsWith(',payoutCurrency,payoutAmount,fxRate,fxSource')).toBe(true);
    expect(rows.find((row) => row.startsWith('payout_requested,'))!.endsWith(`,JPY,186711,151.237,${SOURCE}`)).toBe(true);
    const html = await request(server).get(`/v1/developers/dev-1/statements/${PERIOD}`).query({ format: 'html' }).expect(200);
    expect(html.text).toContain(`paid as JPY 186,711 at 151.237 (${SOURCE})`);
  });
});

const serverUrl = process.env.DATABASE_URL?.trim();
const describeOnServer = serverUrl ? describe : describe.skip;

describeOnServer('a payout in another currency through the JSONL import (built CLI)', () => {
  let ledger: TestLedger;
  let directory: string;
  const cli = (cliArguments: string[]): Promise<CliExit> => runCli(cliArguments, { ...ledger.childEnvironment, USER: 'operator' }).finished;
  const writeFile = (name: string, commands: unknown[]) => {
    const filePath = path.join(directory, name);
    fs.writeFileSync(filePath, commands.map((command) => JSON.stringify(command)).join('\n') + '\n');
    return filePath;
  };
  const eventCount = async () => Number((await ledger.runtime.connection.pool.query('SELECT count(*)::int AS count FROM events')).rows[0].count);

  beforeAll(async () => {
    expect(fs.existsSync(CLI_PATH)).toBe(true);
    clockOffsetMilliseconds = 0;
    ledger = await openTestLedger({ ledgerClockOffsetMilliseconds });
    directory = fs.mkdtempSync(path.join(os.tmpdir(), 'rsi-fx-payout-'));
    const imported = await cli(['import', writeFile('setup.jsonl', SETUP)]);
    expect(imported.stderr).toBe('');
    expect(imported.code).toBe(0);
  });

  afterAll(async () => {
    await ledger?.cleanup();
    if (directory) fs.rmSync(directory, { recursive: true, force: true });
  });

  it('refuses a line with a partial conversion or a malformed rate, naming the line and the field, and records nothing of it', async () => {
    const before = await eventCount();
    for (const [name, fields, field] of [
      ['partial', { payoutCurrency: 'JPY', fxRate: '151.237', fxSource: undefined }, 'fxSource'],
      ['exponent', { fxRate: '1.5e2' }, 'fxRate'],
      ['number', { fxRate: 151.237 }, 'fxRate'],
      ['same-currency', { payoutCurrency: 'USD' }, 'payoutCurrency'],
    ] as const) {
      const refused = await cli(['import', writeFile(`${name}.jsonl`, [{ type: 'RequestPayout', ...FX_PAYOUT, payoutId: `p-${name}`, ...fields }])]);
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toMatch(/line 1/);
      expect(refused.stderr).toContain(field);
    }
    expect(await eventCount()).toBe(before);
  });

  it('imports the payout and its settlement: USD debited, JPY recorded, exported and on the statement; verify recomputes it', async () => {
    const imported = await cli(['import', writeFile('payout.jsonl', [
      { type: 'RequestPayout', ...FX_PAYOUT },
      { type: 'SettlePayout', payoutId: 'p-jpy', settledAt: '2026-02-03T00:00:00Z', reference: 'wire-jpy-1' },
    ])]);
    expect(imported.stderr).toBe('');
    expect(imported.code).toBe(0);
    const recorded = await ledger.runtime.connection.pool.query(`SELECT type, data FROM events WHERE data->>'payoutId' = 'p-jpy' ORDER BY position`);
    expect(recorded.rows.map((row: { type: string; data: Record<string, unknown> }) => [row.type, row.data.amountMinor, row.data.conversion])).toEqual([
      ['PayoutRequested', '123456', CONVERSION], ['PayoutSettled', '123456', CONVERSION],
    ]);
    const balances = (await cli(['export', 'balances', '--format', 'jsonl', '--as-of', '2026-02-05T00:00:00Z'])).stdout.split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, string>);
    expect(balances).toEqual([expect.objectContaining({ developerId: 'dev-1', currency: 'USD', available: '615.44', paid: '1234.56' })]);
    const payouts = (await cli(['export', 'payouts', '--format', 'jsonl'])).stdout.split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(payouts).toEqual([expect.objectContaining({ payoutId: 'p-jpy', amount: '1234.56', currency: 'USD', payoutCurrency: 'JPY', payoutAmount: '186711', fxRate: '151.237', fxSource: SOURCE })]);

    const sealKey = generateKeyPairSync('ed25519').privateKey;
    movePastPeriodEnd();
    await sealPeriod(ledger.runtime.store, { period: PERIOD, sealedAt: PERIOD_END, signingKey: () => sealKey, actor: 'test:seal' });
    const statement = await cli(['statement', '--developer', 'dev-1', '--period', PERIOD, '--format', 'json']);
    expect(statement.code).toBe(0);
    expectStatementVerifies(JSON.parse(statement.stdout) as DeveloperStatement, publicKeyPemOf(sealKey));

    const verified = await cli(['verify']);
    const report = JSON.parse(verified.stdout) as { checks: { name: string; ok: boolean; checked: number }[] };
    expect(report.checks.filter((check) => !check.ok)).toEqual([]);
    expect(report.checks.find((check) => check.name.startsWith('payouts in another currency'))).toMatchObject({ ok: true, checked: 2 });
    expect(verified.code).toBe(0);
  });

  it('verify fails when a stored converted amount no longer follows from its rate', async () => {
    await ledger.runtime.connection.pool.query(
      `UPDATE events SET data = jsonb_set(data::jsonb, '{conversion,payoutAmountMinor}', '"186712"')::json WHERE type = 'PayoutRequested' AND data->>'payoutId' = 'p-jpy'`,
    );
    const verified = await cli(['verify']);
    expect(verified.code).toBe(1);
    const report = JSON.parse(verified.stdout) as { checks: { name: string; ok: boolean; examples: string[] }[] };
    const conversions = report.checks.find((check) => check.name.startsWith('payouts in another currency'))!;
    expect(conversions.ok).toBe(false);
    expect(conversions.examples.join('\n')).toMatch(/payoutAmountMinor 186712 JPY does not follow from amountMinor 123456 USD at 151.237 \(rule 1 gives 186711\)/);
  });
});
