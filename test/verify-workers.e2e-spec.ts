import { generateKeyPairSync } from 'node:crypto';
import { verifyLedger, sealPeriod, type VerifyReport } from '@rsi/ledger';
import { bookThreeMonths } from './support/booked-ledger';
import { openTestLedger, type TestLedger } from './support/test-ledger';

/**
 * `verify --workers N`: the per-stream checks run in N worker threads, each on its share of
 * the streams, and the rebuild in a thread of its own; the report must be the same for any
 * N, findings, their order and their wording included. A tampered ledger with more failures
 * than a check lists (50), spread over two streams whose events interleave, shows that the
 * merge keeps the first ones in global order.
 */

const CHAIN = 'hash chains and stream versions';
const RECOMPUTE = 'splits and reversals recomputed by the domain';
const RECEIPTS_ADDED = 60;

function withoutElapsed(report: VerifyReport): Omit<VerifyReport, 'elapsedMilliseconds'> {
  const { elapsedMilliseconds: _elapsed, ...rest } = report;
  return rest;
}

describe('verify with 1 and with N worker threads', () => {
  let ledger: TestLedger | undefined;

  afterEach(async () => {
    await ledger?.cleanup();
    ledger = undefined;
  });

  it('gives the identical report for 1 and 3 workers on a tampered ledger', async () => {
    ledger = await openTestLedger();
    const runtime = ledger.runtime;
    const pool = runtime.connection.pool;
    await bookThreeMonths(runtime);
    const key = generateKeyPairSync('ed25519').privateKey;
    await sealPeriod(runtime.store, { period: '2026-01', sealedAt: '2026-02-01T00:00:00.000Z', signingKey: () => key, actor: 'test:seal' });
    // Receipts of ada and bea in turn, one batch each, so that their streams' events interleave in global order.
    for (let index = 0; index < RECEIPTS_ADDED; index += 1) {
      const appId = index % 2 === 0 ? 'ada-chat' : 'bea-voice';
      const outcomes = await runtime.bus.executeBatch(
        [{ type: 'RecordRevenue', data: { receiptId: `w${index}`, appId, amount: '10.00', currency: 'USD', occurredAt: '2026-03-10T10:00:00Z' } }],
        { actor: 'test:workers', recordedAt: '2026-03-20T12:00:00.000Z' },
      );
      expect(outcomes[0]!.status).toBe('recorded');
    }
    await runtime.projector.catchUp();

    // Every added receipt's actor changed (a chain finding on each, in both streams), one
    // amount changed (its lines no longer sum: the codec refuses it), one event deleted (a version
    // gap), one read-model row changed.
    await pool.query(`UPDATE events SET metadata = jsonb_set(metadata::jsonb, '{actor}', '"someone-else"')::json WHERE type = 'RevenueRecorded' AND data->>'receiptId' LIKE 'w%'`);
    await pool.query(`UPDATE events SET data = jsonb_set(jsonb_set(data::jsonb, '{amountMinor}', '"6000"'), '{lines,1,amountMinor}', '"5000"')::json WHERE type = 'RevenueRecorded' AND data->>'receiptId' = 'b1'`);
    await pool.query(`DELETE FROM events WHERE type = 'RevenueRecorded' AND data->>'receiptId' = 'r3'`);
    await pool.query(`UPDATE developer_balances SET credited_minor = credited_minor + 100 WHERE developer_id = 'ada'`);

    const single = await verifyLedger(runtime, () => Date.now(), { workers: 1 });
    const three = await verifyLedger(runtime, () => Date.now(), { workers: 3 });
    expect(withoutElapsed(three)).toEqual(withoutElapsed(single));

    expect(single.ok).toBe(false);
    const chain = single.checks.find((check) => check.name === CHAIN)!;
    expect(chain.failures).toBeGreaterThan(50);
    expect(chain.examples).toHaveLength(50);
    // Listed in global order: the two streams interleave, as their events do.
    const streamsListed = chain.examples.slice(0, 6).map((example) => example.split('@')[0]);
    expect(new Set(streamsListed)).toEqual(new Set(['developer-ada', 'developer-bea']));
    expect(single.checks.find((check) => check.name === RECOMPUTE)!.examples.join('\n')).toMatch(/developer-bea@\d+ RevenueRecorded .*: cannot be decoded/);
  });

  it('refuses a worker count outside 1..32', async () => {
    ledger = await openTestLedger();
    await expect(verifyLedger(ledger.runtime, () => Date.now(), { workers: 0 })).rejects.toThrow(/workers must be an integer from 1 to 32/);
    await expect(verifyLedger(ledger.runtime, () => Date.now(), { workers: 33 })).rejects.toThrow(/workers must be an integer from 1 to 32/);
  });
});
