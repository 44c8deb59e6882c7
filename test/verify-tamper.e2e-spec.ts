import { generateKeyPairSync } from 'node:crypto';
import type { Pool } from 'pg';
import { verifyLedger, type VerifyReport, sealPeriod } from '@rsi/ledger';
import { bookThreeMonths } from './support/booked-ledger';
import { openTestLedger, type TestLedger } from './support/test-ledger';

/**
 * The tamper classes that concern verify's robustness, each applied directly in SQL to a
 * ledger with receipts, refunds, payouts and two seals: `verify` must fail WITH its whole
 * report (every check present), naming the event or row, and never crash; and it must
 * write nothing, on an untouched ledger as on a tampered one. The same classes, and the
 * writer-signature and trust-anchor ones, run through the built CLI in the tamper catalogue
 * (test/tamper-catalogue.e2e-spec.ts), which checks the exit code and the finding's name.
 */

const CHECK = {
  chain: 'hash chains and stream versions',
  recompute: 'splits and reversals recomputed by the domain',
  rebuild: 'rebuilt projections equal the live ones',
  seals: 'seals: Merkle roots recomputed, signatures (keys not pinned), chain of seals, key rotations, order, nothing booked into a sealed period after its seal',
} as const;
const CHECK_COUNT = 11;
/** The chain's finding for an event whose scheme-2 hash no longer holds: it names what the hash covers. */
const HASH_MISMATCH =
  'event hash does not match its body (hash scheme 2 covers stream, version, event id, type, data, actor, command id, booking time, schema version, previous hash)';

async function sealedLedger(): Promise<TestLedger> {
  const ledger = await openTestLedger();
  await bookThreeMonths(ledger.runtime);
  const key = generateKeyPairSync('ed25519').privateKey;
  await sealPeriod(ledger.runtime.store, { period: '2026-01', sealedAt: '2026-02-01T00:00:00.000Z', signingKey: () => key, actor: 'test:seal' });
  await sealPeriod(ledger.runtime.store, { period: '2026-02', sealedAt: '2026-03-01T08:00:00.000Z', signingKey: () => key, actor: 'test:seal' });
  await ledger.runtime.projector.catchUp();
  return ledger;
}

/** Row count and an order-independent checksum of every table of the public schema (live read models, events, streams, checkpoints, failures). */
async function liveTablesFingerprint(pool: Pool): Promise<Record<string, string>> {
  const tables = await pool.query<{ name: string }>(`SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public' ORDER BY 1`);
  const fingerprint: Record<string, string> = {};
  for (const { name } of tables.rows) {
    const result = await pool.query<{ count: string; checksum: string | null }>(
      `SELECT count(*)::text AS count, md5(string_agg(md5(t::text), '' ORDER BY md5(t::text))) AS checksum FROM public."${name}" t`,
    );
    fingerprint[name] = `${result.rows[0]!.count} ${result.rows[0]!.checksum ?? '-'}`;
  }
  return fingerprint;
}

async function schemaNames(pool: Pool): Promise<string[]> {
  const result = await pool.query<{ name: string }>(`SELECT nspname AS name FROM pg_namespace ORDER BY 1`);
  return result.rows.map((row) => row.name);
}

function checkNamed(report: VerifyReport, name: string) {
  const check = report.checks.find((candidate) => candidate.name === name);
  if (!check) throw new Error(`no check ${name} in ${JSON.stringify(report.checks.map((candidate) => candidate.name))}`);
  return check;
}

/** A failing report with every check present; returns all findings as one text. */
function expectFullFailingReport(report: VerifyReport): string {
  expect(report.ok).toBe(false);
  expect(report.checks).toHaveLength(CHECK_COUNT);
  return report.checks.flatMap((check) => check.examples).join('\n');
}

/** Runs the library verify, asserting it changed nothing live and left no scratch schema. */
async function verifyWritingNothing(ledger: TestLedger): Promise<VerifyReport> {
  const pool = ledger.runtime.connection.pool;
  const before = await liveTablesFingerprint(pool);
  const checkpointBefore = await ledger.runtime.projector.readCheckpoint();
  const schemasBefore = await schemaNames(pool);
  const report = await verifyLedger(ledger.runtime, () => Date.now());
  expect(await liveTablesFingerprint(pool)).toEqual(before);
  expect(await ledger.runtime.projector.readCheckpoint()).toEqual(checkpointBefore);
  expect(await schemaNames(pool)).toEqual(schemasBefore);
  return report;
}

const receiptEvent = (receiptId: string) => `type = 'RevenueRecorded' AND data->>'receiptId' = '${receiptId}'`;

describe('verify against tampering: a full report naming the event or row, never a crash, nothing written', () => {
  let ledger: TestLedger | undefined;

  afterEach(async () => {
    await ledger?.cleanup();
    ledger = undefined;
  });

  it('holds on the untouched ledger, and writes nothing (events, live tables, checkpoint)', async () => {
    ledger = await sealedLedger();
    const report = await verifyWritingNothing(ledger);
    expect(report.checks.filter((check) => !check.ok)).toEqual([]);
    expect(report.ok).toBe(true);
    expect(checkNamed(report, CHECK.seals).checked).toBe(2);
    expect(report.projectionsComparedAt).toBe(report.headPosition);
  });

  it('never projects a forged event into the live tables: live projections behind the events stay where they were', async () => {
    ledger = await sealedLedger();
    const pool = ledger.runtime.connection.pool;
    // Recorded but not projected yet: the old verify caught the live projections up first.
    const outcomes = await ledger.runtime.bus.executeBatch(
      [{ type: 'RecordRevenue', data: { receiptId: 'r5', appId: 'ada-chat', amount: '10.00', currency: 'USD', occurredAt: '2026-03-07T10:00:00Z' } }],
      { actor: 'test:tamper', recordedAt: '2026-03-08T12:00:00.000Z' },
    );
    expect(outcomes[0]!.status).toBe('recorded');
    await pool.query(`UPDATE events SET data = jsonb_set(data::jsonb, '{lines,0,amountMinor}', '"1"')::json WHERE ${receiptEvent('r5')}`);
    const report = await verifyWritingNothing(ledger);
    expectFullFailingReport(report);
    expect((await pool.query(`SELECT count(*)::int AS count FROM splits WHERE receipt_id = 'r5'`)).rows[0].count).toBe(0);
    // Compared as of the live checkpoint, which is behind the head.
    expect(report.projectionsComparedAt).not.toBe(report.headPosition);
  });

  it('an amount changed in an event (lines changed with it, so the codec takes it)', async () => {
    ledger = await sealedLedger();
    await ledger.runtime.connection.pool.query(
      `UPDATE events SET data = jsonb_set(jsonb_set(data::jsonb, '{amountMinor}', '"6000"'), '{lines,1,amountMinor}', '"5000"')::json WHERE ${receiptEvent('r2')}`,
    );
    const report = await verifyWritingNothing(ledger);
    expectFullFailingReport(report);
    // The seal's leaves cover the stored event hash, which the insider left alone: the chain catches it.
    expect(checkNamed(report, CHECK.chain).examples).toEqual([`developer-ada@3: ${HASH_MISMATCH}`]);
    expect(checkNamed(report, CHECK.recompute).examples.join('\n')).toMatch(/developer-ada@3 RevenueRecorded \(event [0-9a-f-]{36}, position \d+\/\d+\): recomputed .* differs from recorded/);
    expect(checkNamed(report, CHECK.rebuild).examples.join('\n')).toMatch(/splits: 1 rows only live, 1 only rebuilt; .*"receipt_id\\":\\"r2\\"/);
  });

  it('an amount changed so that the lines no longer sum: the codec refuses it, a finding, the other streams still checked', async () => {
    ledger = await sealedLedger();
    await ledger.runtime.connection.pool.query(`UPDATE events SET data = jsonb_set(data::jsonb, '{amountMinor}', '"10001"')::json WHERE ${receiptEvent('r2')}`);
    const report = await verifyWritingNothing(ledger);
    expectFullFailingReport(report);
    expect(checkNamed(report, CHECK.recompute).examples.join('\n')).toMatch(/developer-ada@3 RevenueRecorded .*cannot be decoded/);
    // bea's stream is still recomputed (its receipt b1).
    expect(checkNamed(report, CHECK.recompute).checked).toBeGreaterThanOrEqual(2);
  });

  it("a split's contract version changed in the event: a finding naming it, not an invariant crash", async () => {
    ledger = await sealedLedger();
    await ledger.runtime.connection.pool.query(`UPDATE events SET data = jsonb_set(data::jsonb, '{contractVersion}', '2')::json WHERE ${receiptEvent('r2')}`);
    const report = await verifyWritingNothing(ledger);
    expectFullFailingReport(report);
    const recompute = checkNamed(report, CHECK.recompute).examples.join('\n');
    expect(recompute).toMatch(/developer-ada@3 RevenueRecorded .*: the state of its stream cannot take it, so the rest of its stream is not recomputed: .*unknown contract version 2/);
    expect(checkNamed(report, CHECK.rebuild).examples.join('\n')).toMatch(/splits: .*"contract_version\\":2/);
  });

  it("a split's contract hash changed in the event", async () => {
    ledger = await sealedLedger();
    await ledger.runtime.connection.pool.query(`UPDATE events SET data = jsonb_set(data::jsonb, '{contractHash}', to_jsonb(repeat('b', 64)))::json WHERE ${receiptEvent('r2')}`);
    const report = await verifyWritingNothing(ledger);
    expectFullFailingReport(report);
    expect(checkNamed(report, CHECK.recompute).examples.join('\n')).toMatch(/developer-ada@3 RevenueRecorded .* differs from recorded/);
    expect(checkNamed(report, CHECK.chain).examples).toEqual([`developer-ada@3: ${HASH_MISMATCH}`]);
  });

  it("a split's contract version, then its hash, changed in the splits read model", async () => {
    ledger = await sealedLedger();
    const pool = ledger.runtime.connection.pool;
    await pool.query(`UPDATE splits SET contract_version = 2 WHERE receipt_id = 'r2'`);
    let report = await verifyWritingNothing(ledger);
    expectFullFailingReport(report);
    expect(report.checks.filter((check) => !check.ok).map((check) => check.name)).toEqual([CHECK.rebuild]);
    expect(checkNamed(report, CHECK.rebuild).examples).toEqual([expect.stringMatching(/^splits: 1 rows only live, 1 only rebuilt; live .*"receipt_id\\":\\"r2\\".*"contract_version\\":2/)]);

    await pool.query(`UPDATE splits SET contract_version = 1, contract_hash = repeat('c', 64) WHERE receipt_id = 'r2'`);
    report = await verifyWritingNothing(ledger);
    expect(checkNamed(report, CHECK.rebuild).examples).toEqual([expect.stringMatching(/^splits: 1 rows only live, 1 only rebuilt; live .*"contract_hash\\":\\"c{64}\\"/)]);
  });

  it('a read-model row changed (a balance)', async () => {
    ledger = await sealedLedger();
    await ledger.runtime.connection.pool.query(`UPDATE developer_balances SET credited_minor = credited_minor + 100 WHERE developer_id = 'bea'`);
    const report = await verifyWritingNothing(ledger);
    expectFullFailingReport(report);
    expect(checkNamed(report, CHECK.rebuild).examples).toEqual([expect.stringMatching(/^developer_balances: 1 rows only live, 1 only rebuilt; live .*"developer_id\\":\\"bea\\"/)]);
  });

  it('a posting moved between accounts, still zero-sum', async () => {
    ledger = await sealedLedger();
    const pool = ledger.runtime.connection.pool;
    // r1's postings: clearing −100.00, platform +20.00, developer:ada +80.00 → the platform's 20.00 goes to ada.
    const moved = await pool.query(
      `UPDATE ledger_postings SET accounts = ARRAY['revenue:clearing', 'developer:ada', 'platform']
        WHERE event_id = (SELECT event_id FROM events WHERE ${receiptEvent('r1')}) RETURNING event_id::text AS event_id`,
    );
    expect(moved.rows).toHaveLength(1);
    const report = await verifyWritingNothing(ledger);
    expectFullFailingReport(report);
    expect(checkNamed(report, 'postings sum to zero per event and currency').ok).toBe(true);
    expect(checkNamed(report, CHECK.rebuild).examples).toEqual([expect.stringMatching(new RegExp(`^ledger_postings: 1 rows only live, 1 only rebuilt; live .*${moved.rows[0].event_id}`))]);
  });

  it.each([
    ['actor', `jsonb_set(metadata::jsonb, '{actor}', '"someone-else"')`],
    ['command id', `jsonb_set(metadata::jsonb, '{commandId}', '"RecordRevenue:r9"')`],
    ['booking time', `jsonb_set(metadata::jsonb, '{recordedAt}', '"2026-01-15T00:00:00.000Z"')`],
    ['schema version', `jsonb_set(metadata::jsonb, '{schemaVersion}', '2')`],
    ['hash scheme (downgraded to 1, which would not cover the others)', `metadata::jsonb - 'hashScheme'`],
  ])('the %s of an event changed in place: the hash chain names the event', async (_field, newMetadata) => {
    ledger = await sealedLedger();
    await ledger.runtime.connection.pool.query(`UPDATE events SET metadata = (${newMetadata})::json WHERE ${receiptEvent('r2')}`);
    const report = await verifyWritingNothing(ledger);
    expectFullFailingReport(report);
    expect(checkNamed(report, CHECK.chain).examples).toEqual([expect.stringMatching(/^developer-ada@3: event hash does not match its body \(hash scheme [12] covers /)]);
  });

  it("two events' data swapped", async () => {
    ledger = await sealedLedger();
    await ledger.runtime.connection.pool.query(
      `WITH a AS (SELECT position, data FROM events WHERE ${receiptEvent('r1')}), b AS (SELECT position, data FROM events WHERE ${receiptEvent('r2')})
       UPDATE events SET data = CASE WHEN events.position = (SELECT position FROM a) THEN (SELECT data FROM b) ELSE (SELECT data FROM a) END
        WHERE events.position IN ((SELECT position FROM a), (SELECT position FROM b))`,
    );
    const report = await verifyWritingNothing(ledger);
    expectFullFailingReport(report);
    expect(checkNamed(report, CHECK.chain).examples).toEqual([`developer-ada@2: ${HASH_MISMATCH}`, `developer-ada@3: ${HASH_MISMATCH}`]);
    expect(checkNamed(report, CHECK.rebuild).examples.join('\n')).toMatch(/splits: 2 rows only live, 2 only rebuilt/);
  });

  it('an event deleted in the middle of a stream, the streams row fixed', async () => {
    ledger = await sealedLedger();
    const pool = ledger.runtime.connection.pool;
    // ada's r2 (version 3) goes; every later event of the stream moves down one version, and the stream's row with them.
    await pool.query(`DELETE FROM events WHERE ${receiptEvent('r2')}`);
    // In two steps, so that no row meets the primary key of another on the way.
    await pool.query(`UPDATE events SET stream_version = stream_version + 1000000 WHERE stream_name = 'developer-ada' AND stream_version > 3`);
    await pool.query(`UPDATE events SET stream_version = stream_version - 1000001 WHERE stream_name = 'developer-ada' AND stream_version > 1000000`);
    await pool.query(`UPDATE streams SET stream_version = stream_version - 1 WHERE stream_name = 'developer-ada'`);
    const report = await verifyWritingNothing(ledger);
    expectFullFailingReport(report);
    // The first moved event no longer chains; it and every later one also carry a version their scheme-2 hash does not cover.
    const chainFindings = checkNamed(report, CHECK.chain).examples;
    expect(chainFindings[0]).toBe('developer-ada@3: previous hash does not match');
    expect(chainFindings.length).toBeGreaterThan(1);
    for (const finding of chainFindings.slice(1)) expect(finding).toMatch(new RegExp(`^developer-ada@\\d+: ${HASH_MISMATCH.replace(/[()]/g, '\\$&')}$`));
    expect(checkNamed(report, CHECK.seals).examples.join('\n')).toMatch(/seal 2026-01: the events give root [0-9a-f]{64} over 5 events, the seal says [0-9a-f]{64} over 6/);
    expect(checkNamed(report, CHECK.rebuild).examples.join('\n')).toMatch(/splits: 1 rows only live, 0 only rebuilt; live .*"receipt_id\\":\\"r2\\"/);
  });
});
