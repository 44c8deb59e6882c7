import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { PersonalDataKeys } from '@rsi/database';
import {
  buildDeveloperStatement, UnknownDeveloperError, type DeveloperStatement, verifyLedger, readSeals, sealPeriod, SealRefusedError, publicKeyPemOf, statementAsCsv, statementAsHtml, statementDocumentOf, verifyStatement, whatIfContract,
} from '@rsi/ledger';
import { BOOKED_LEDGER, bookThreeMonths } from './support/booked-ledger';
import { openTestLedger, type TestLedger } from './support/test-ledger';

const SEAL_CHECK = 'seals: Merkle roots recomputed, signatures (keys not pinned), chain of seals, key rotations, order, nothing booked into a sealed period after its seal';

describe('statements by booking time, period seals and inclusion proofs', () => {
  let ledger: TestLedger;
  let privateKey: KeyObject;
  let publicKeyPem: string;
  const seal = (period: string, sealedAt: string, key: KeyObject = privateKey) =>
    sealPeriod(ledger.runtime.store, { period, sealedAt, signingKey: () => key, actor: 'test:seal' });
  const statementOf = async (period: string, developerId: string = BOOKED_LEDGER.developerId): Promise<DeveloperStatement> =>
    // Through JSON, as a developer receives it.
    JSON.parse(JSON.stringify(await buildDeveloperStatement(ledger.runtime.store, new PersonalDataKeys(ledger.runtime.connection.pool), { developerId, period })));

  beforeAll(async () => {
    ledger = await openTestLedger();
    privateKey = generateKeyPairSync('ed25519').privateKey;
    publicKeyPem = publicKeyPemOf(privateKey);
    await bookThreeMonths(ledger.runtime);
  });

  afterAll(async () => {
    await ledger?.cleanup();
  });

  it('refuses to seal a period that has not ended', async () => {
    await expect(seal('2026-01', '2026-01-31T23:59:59.999Z')).rejects.toMatchObject({ code: 'period_not_ended' });
    expect((await readSeals(ledger.runtime.store)).seals).toHaveLength(0);
  });

  it('seals January over every event booked before February, and a second seal is idempotent', async () => {
    const first = await seal('2026-01', '2026-02-01T00:00:00.000Z');
    expect(first.status).toBe('sealed');
    // January: two registrations, two apps, two receipts.
    expect(first.seal).toMatchObject({ period: '2026-01', periodEnd: '2026-02-01T00:00:00.000Z', eventCount: 6, merkleScheme: 'rsi-ledger/merkle/v1' });
    expect(first.seal.merkleRoot).toMatch(/^[0-9a-f]{64}$/);
    const again = await seal('2026-01', '2026-02-03T00:00:00.000Z');
    expect(again).toEqual({ status: 'already_sealed', seal: first.seal, eventId: first.eventId });
    expect((await readSeals(ledger.runtime.store)).seals).toHaveLength(1);
  });

  it('seals periods in order only', async () => {
    const refusal = await seal('2026-03', '2026-04-02T00:00:00.000Z').catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(SealRefusedError);
    expect(refusal).toMatchObject({ code: 'period_out_of_order', message: expect.stringContaining('2026-02') });
    const february = await seal('2026-02', '2026-03-01T08:00:00.000Z');
    expect(february.status).toBe('sealed');
    // Cumulative: January's 6, February's 5 and January's seal itself (booked on 1 February).
    expect(february.seal.eventCount).toBe(6 + 5 + 1);
  });

  it("adds up: January's closing balance is February's opening, and the lines take it to the closing", async () => {
    const january = await statementOf('2026-01');
    const february = await statementOf('2026-02');
    const march = await statementOf('2026-03');
    expect(january.balances).toEqual([{ currency: 'USD', opening: '0.00', credits: '120.00', debits: '0.00', closing: '120.00', pending: '40.00', available: '80.00' }]);
    expect(february.balances).toEqual([{ currency: 'USD', opening: '120.00', credits: '24.00', debits: '38.00', closing: '106.00', pending: '0.00', available: '106.00' }]);
    expect(march.balances).toEqual([{ currency: 'USD', opening: '106.00', credits: '68.00', debits: '20.00', closing: '154.00', pending: '0.00', available: '154.00' }]);
    expect(february.lines.map((line) => [line.kind, line.reference, line.amount])).toEqual([
      ['refund_debit', 'f1', '-8.00'], ['receipt_credit', 'r3', '24.00'], ['payout_requested', 'p1', '-30.00'], ['payout_settled', 'p1', '0.00'],
    ]);
    expect(march.lines.map((line) => [line.kind, line.reference, line.amount])).toEqual([
      ['receipt_credit', 'r4', '48.00'], ['payout_requested', 'p2', '-20.00'], ['payout_failed', 'p2', '20.00'],
    ]);
    expect(january.developerName).toBe('Ada <Labs> & "Co"');
  });

  it('books a late receipt in the open period and shows both dates, with its contract version and hash', async () => {
    const february = await statementOf('2026-02');
    const late = february.lines.find((line) => line.reference === 'r3')!;
    expect(late).toMatchObject({
      kind: 'receipt_credit', occurredAt: '2026-01-28T10:00:00.000Z', bookedAt: BOOKED_LEDGER.februaryBookedAt,
      grossAmount: '30.00', amount: '24.00', contractVersion: 1, availableAt: '2026-02-11T10:00:00.000Z',
    });
    expect(late.contractHash).toMatch(/^[0-9a-f]{64}$/);
    expect((await statementOf('2026-01')).lines.map((line) => line.reference)).toEqual(['r1', 'r2']);
  });

  it('carries inclusion proofs that verify offline against the signed root', async () => {
    const february = await statementOf('2026-02');
    expect(february.seal).toMatchObject({ period: '2026-02' });
    for (const line of february.lines) {
      expect(line).toMatchObject({ sealPeriod: '2026-02', merkleRoot: february.seal!.merkleRoot, leafIndex: expect.any(Number) });
      expect(line.proof!.length).toBeGreaterThan(0);
    }
    const report = verifyStatement(february, { publicKeyPem });
    expect(report).toMatchObject({ ok: true, sealed: true, publicKeySource: 'given', linesChecked: 4, failures: [] });
    // January is covered by its own seal, even after February's.
    expect(verifyStatement(await statementOf('2026-01'), { publicKeyPem })).toMatchObject({ ok: true, sealPeriod: '2026-01' });
  });

  it('fails offline verification for a tampered line, a tampered proof, a tampered balance or another key', async () => {
    const february = await statementOf('2026-02');
    const tamperedAmount = structuredClone(february);
    tamperedAmount.lines[1]!.amount = '240.00';
    expect(verifyStatement(tamperedAmount, { publicKeyPem }).ok).toBe(false);

    const tamperedBody = structuredClone(february);
    (tamperedBody.lines[1]!.eventBody.data as { amountMinor: string }).amountMinor = '30001';
    expect(verifyStatement(tamperedBody, { publicKeyPem }).failures.join('\n')).toMatch(/does not hash to eventHash/);

    const movedLine = structuredClone(february);
    movedLine.lines[0]!.bookedAt = '2026-02-20T00:00:00.000Z';
    expect(verifyStatement(movedLine, { publicKeyPem }).failures.join('\n')).toMatch(/inclusion proof leads to/);

    const tamperedProof = structuredClone(february);
    tamperedProof.lines[0]!.proof![0]!.hash = 'f'.repeat(64);
    expect(verifyStatement(tamperedProof, { publicKeyPem }).ok).toBe(false);

    const tamperedBalance = structuredClone(february);
    tamperedBalance.balances[0]!.closing = '116.00';
    expect(verifyStatement(tamperedBalance, { publicKeyPem }).ok).toBe(false);

    const otherKeyPem = publicKeyPemOf(generateKeyPairSync('ed25519').privateKey);
    expect(verifyStatement(february, { publicKeyPem: otherKeyPem }).failures.join('\n')).toMatch(/another key/);

    // A forged root signed by a forger's key that the statement names: only the published key catches it.
    const forged = structuredClone(february);
    const forger = generateKeyPairSync('ed25519').privateKey;
    forged.lines[1]!.amount = '240.00';
    forged.seal!.publicKey = publicKeyPemOf(forger);
    expect(verifyStatement(forged).ok).toBe(false);
  });

  it('an unsealed period has no proofs, and its statement does not verify', async () => {
    const march = await statementOf('2026-03');
    expect(march.seal).toBeNull();
    expect(march.lines.every((line) => line.proof === null && line.leafIndex === null)).toBe(true);
    expect(verifyStatement(march, { publicKeyPem })).toMatchObject({ ok: false, sealed: false });
  });

  it('refuses an unknown developer and a malformed period', async () => {
    await expect(buildDeveloperStatement(ledger.runtime.store, new PersonalDataKeys(ledger.runtime.connection.pool), { developerId: 'nobody', period: '2026-02' })).rejects.toBeInstanceOf(UnknownDeveloperError);
    await expect(buildDeveloperStatement(ledger.runtime.store, new PersonalDataKeys(ledger.runtime.connection.pool), { developerId: 'ada', period: '2026-2' })).rejects.toThrow(/YYYY-MM/);
  });

  it('renders CSV that sums from opening to closing, and escaped HTML', async () => {
    const february = await buildDeveloperStatement(ledger.runtime.store, new PersonalDataKeys(ledger.runtime.connection.pool), { developerId: 'ada', period: '2026-02' });
    const rows = statementAsCsv(february).trim().split('\r\n').map((row) => row.split(','));
    const amountColumn = rows[0]!.indexOf('amount');
    const kinds = rows.slice(1).map((row) => row[0]);
    expect(kinds[0]).toBe('opening_balance');
    expect(kinds.slice(-3)).toEqual(['closing_balance', 'closing_pending', 'closing_available']);
    const cents = rows.slice(1, -3).reduce((sum, row) => sum + Math.round(Number(row[amountColumn]) * 100), 0);
    expect(cents).toBe(10_600);
    const html = statementAsHtml(february);
    expect(html).toContain('<table>');
    expect(html).toContain('Ada &lt;Labs&gt; &amp; &quot;Co&quot;');
    expect(html).not.toContain('Ada <Labs>');
    // The developer document: summary and per-app totals first, refunds and payouts apart, both dates on the late receipt.
    expect(html.indexOf('<h2>Per app</h2>')).toBeLessThan(html.indexOf('<h2>Receipts</h2>'));
    expect(html).toContain('occurred <time datetime="2026-01-28T10:00:00.000Z"');
    const document = statementDocumentOf(february);
    expect(document.currencies).toEqual([expect.objectContaining({
      currency: 'USD', receiptCount: 1, receiptsGross: '30.00', platformShare: '6.00', carveOuts: '0.00', receiptsNet: '24.00',
      refundCount: 1, refunds: '8.00', payoutCount: 1, payouts: '30.00', closing: february.balances[0]!.closing,
    })]);
    expect(document.apps).toEqual([{ appId: 'ada-chat', currency: 'USD', receiptCount: 1, gross: '30.00', platformShare: '6.00', carveOuts: '0.00', net: '24.00', refundCount: 1, refunds: '8.00' }]);
    expect(document.receipts.map((line) => [line.reference, line.late])).toEqual([['r3', true]]);
    expect(document.payouts.map((line) => line.kind)).toEqual(['payout_requested', 'payout_settled']);
  });

  it('what-if: replays the app under other terms, side by side with the recorded split', async () => {
    const report = await whatIfContract(ledger.runtime.store, {
      appId: 'ada-chat', developerId: 'ada',
      contractTerms: { currency: 'USD', effectiveFrom: '2026-06-01T00:00:00Z', platformShare: { tiers: [{ rate: '10%' }], window: 'lifetime', scope: 'app' }, holdDays: 14, minimumPayout: '10.00' },
    });
    // Receipts 240.00, refund 10.00: recorded 20% → 46.00 platform; what-if 10% → 23.00.
    expect(report).toMatchObject({ receiptsCompared: 4, refundsCompared: 1, refusedCount: 0 });
    expect(report.parties).toEqual([
      { party: 'platform', recorded: '46.00', whatIf: '23.00', difference: '-23.00' },
      { party: 'developer:ada', recorded: '184.00', whatIf: '207.00', difference: '23.00' },
    ]);
  });

  it('verify holds with the seals, and fails when an event under a seal is changed', async () => {
    const report = await verifyLedger(ledger.runtime, () => Date.now());
    expect(report.checks.map((check) => [check.name, check.ok])).toContainEqual([SEAL_CHECK, true]);
    expect(report.ok).toBe(true);
    expect(report.checks.find((check) => check.name === SEAL_CHECK)!.checked).toBe(2);

    // An insider moves a January booking into March: the seals no longer hold, and neither
    // does the hash chain (hash scheme 2 covers the booking time).
    const pool = ledger.runtime.connection.pool;
    await pool.query(
      `UPDATE events SET metadata = jsonb_set(metadata::jsonb, '{recordedAt}', to_jsonb('2026-03-02T00:00:00.000Z'::text))::json
        WHERE stream_name = 'developer-ada' AND type = 'RevenueRecorded' AND data->>'receiptId' = 'r2'`,
    );
    const tampered = await verifyLedger(ledger.runtime, () => Date.now());
    expect(tampered.ok).toBe(false);
    const sealCheck = tampered.checks.find((check) => check.name === SEAL_CHECK)!;
    expect(sealCheck.ok).toBe(false);
    expect(sealCheck.examples.join('\n')).toMatch(/seal 2026-01: the events give root/);
    expect(tampered.checks.find((check) => check.name === 'hash chains and stream versions')!.examples).toEqual([
      expect.stringMatching(/^developer-ada@\d+: event hash does not match its body \(hash scheme 2 covers .*booking time/),
    ]);
    // And the statement refuses to print proofs that no longer hold.
    await expect(buildDeveloperStatement(ledger.runtime.store, new PersonalDataKeys(ledger.runtime.connection.pool), { developerId: 'ada', period: '2026-01' })).rejects.toThrow(/no longer give the root/);
  });

  it("verify fails when a seal's recorded root is changed", async () => {
    const pool = ledger.runtime.connection.pool;
    await pool.query(`UPDATE events SET data = jsonb_set(data::jsonb, '{merkleRoot}', to_jsonb(repeat('a', 64)))::json WHERE stream_name = 'seals' AND data->>'period' = '2026-02'`);
    const report = await verifyLedger(ledger.runtime, () => Date.now());
    const sealCheck = report.checks.find((check) => check.name === SEAL_CHECK)!;
    expect(sealCheck.examples.join('\n')).toMatch(/seal 2026-02: the events give root [0-9a-f]{64} over \d+ events, the seal says a{64} over 12/);
    expect(sealCheck.examples.join('\n')).toMatch(/seal 2026-02: the Ed25519 signature does not hold/);
  });
});
