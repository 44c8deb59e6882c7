import { generateKeyPairSync } from 'node:crypto';
import { compareGlobalPositions, type RecordedEvent } from '@rsi/event-store';
import {
  verifyLedger, PERIOD_SEALED_EVENT_TYPE, sealPeriod, SealRefusedError, type SealOutcome, openLedgerContext, type OpenedLedger,
} from '@rsi/ledger';
import type { LedgerRuntime } from '@rsi/ledger';
import { openTestLedger, type TestLedger } from './support/test-ledger';

/**
 * Booking time is assigned by the ledger at commit, from the database's clock, and grows
 * strictly in global order; no event can be booked into a period after its seal. The proof
 * races appends of several runtimes (each its own pool, as several API instances would be)
 * against `seal` across a period boundary, with the database clock shifted (a test-only
 * offset) to cross the boundary during the race, then runs `verify`.
 */

const RUNTIMES = 3;
const RECEIPTS_PER_BATCH = 5;
/** How long before the boundary the race starts, and how long it runs after it. */
const LEAD_MILLISECONDS = 600;
const TRAIL_MILLISECONDS = 900;
const RACE_DEADLINE_MILLISECONDS = 60_000;
const PERIOD = '2027-01';
const PERIOD_END = '2027-02-01T00:00:00.000Z';

const contract = {
  currency: 'USD', effectiveFrom: '2026-01-01T00:00:00Z',
  platformShare: { tiers: [{ rate: '15%' }], window: 'lifetime', scope: 'app' }, holdDays: 14, minimumPayout: '50.00',
};

/** Every event to the head (readAll holds back events while older transactions anywhere on the server run: wait, bounded). */
async function readAllEvents(runtime: LedgerRuntime): Promise<RecordedEvent[]> {
  const head = await runtime.store.readHeadPosition!();
  const giveUpAt = Date.now() + 30_000;
  const events: RecordedEvent[] = [];
  while (head !== null && (events.length === 0 || compareGlobalPositions(events[events.length - 1]!.globalPosition, head) < 0)) {
    if (Date.now() > giveUpAt) throw new Error('could not read to the head');
    const page = await runtime.store.readAll({ after: events.length === 0 ? null : events[events.length - 1]!.globalPosition, maxCount: 10_000 });
    if (page.length === 0) await new Promise((resolve) => setTimeout(resolve, 20));
    events.push(...page);
  }
  return events;
}

describe('booking time at commit, one clock, raced against seal across a period boundary (real PostgreSQL)', () => {
  let ledger: TestLedger | undefined;
  const others: OpenedLedger[] = [];
  let offsetMilliseconds = 0;

  afterAll(async () => {
    for (const other of others) await other.close();
    await ledger?.cleanup();
  });

  it('books on the database clock, strictly increasing in global order, and never into a period after its seal; verify passes', async () => {
    const clock = { bookingTime: 'ledger-clock' as const, ledgerClockOffsetMilliseconds: () => offsetMilliseconds };
    ledger = await openTestLedger(clock);
    for (let index = 1; index < RUNTIMES; index += 1) others.push(await openLedgerContext({ environment: ledger.childEnvironment, ...clock }));
    const runtimes = [ledger.runtime, ...others.map((other) => other.runtime)];
    const key = generateKeyPairSync('ed25519').privateKey;

    // One developer and app per runtime, so that the writers race on the clock, not on a stream.
    await Promise.all(runtimes.map(async (runtime, index) => {
      const outcomes = await runtime.bus.executeBatch([
        { type: 'RegisterDeveloper', data: { developerId: `racer-${index}`, name: `Racer ${index}`, country: 'NG' } },
        { type: 'RegisterApp', data: { appId: `race-app-${index}`, developerId: `racer-${index}`, name: 'App', contract } },
      ], { actor: 'test:setup', recordedAt: new Date().toISOString() });
      expect(outcomes.map((outcome) => outcome.status)).toEqual(['recorded', 'recorded']);
    }));

    // The database clock now reads LEAD_MILLISECONDS before the end of the period.
    offsetMilliseconds = Date.parse(PERIOD_END) - LEAD_MILLISECONDS - Date.now();
    const raceEndsAt = Date.now() + LEAD_MILLISECONDS + TRAIL_MILLISECONDS;
    const giveUpAt = Date.now() + RACE_DEADLINE_MILLISECONDS;
    let receiptCount = 0;
    const writer = async (runtime: LedgerRuntime, index: number) => {
      let batchIndex = 0;
      while (Date.now() < raceEndsAt) {
        const commands = Array.from({ length: RECEIPTS_PER_BATCH }, (_, receiptIndex) => ({
          type: 'RecordRevenue',
          data: {
            receiptId: `race-${index}-${batchIndex}-${receiptIndex}`, appId: `race-app-${index}`, amount: '10.00', currency: 'USD',
            occurredAt: new Date(Date.now() - 60_000).toISOString(),
          },
        }));
        // The context's recordedAt is the decide-time estimate the domain bounds business times by.
        const outcomes = await runtime.bus.executeBatch(commands, { actor: `test:writer-${index}`, recordedAt: new Date().toISOString() });
        expect(outcomes.map((outcome) => outcome.status)).toEqual(commands.map(() => 'recorded'));
        receiptCount += commands.length;
        batchIndex += 1;
      }
    };
    let refusedBeforeEnd = 0;
    const sealer = async (): Promise<SealOutcome> => {
      for (;;) {
        if (Date.now() > giveUpAt) throw new Error('the seal never succeeded');
        try {
          return await sealPeriod(ledger!.runtime.store, { period: PERIOD, signingKey: () => key, actor: 'test:seal' });
        } catch (error) {
          if (!(error instanceof SealRefusedError) || error.code !== 'period_not_ended') throw error;
          refusedBeforeEnd += 1;
        }
      }
    };
    const [sealed] = await Promise.all([sealer(), ...runtimes.map((runtime, index) => writer(runtime, index))]);

    expect(sealed.status).toBe('sealed');
    expect(refusedBeforeEnd).toBeGreaterThan(0);
    expect(sealed.seal.sealedAt >= PERIOD_END).toBe(true);

    const events = await readAllEvents(ledger.runtime);
    // One booking time per append (transaction), strictly increasing in global order (one clock, appends serialised).
    for (let index = 1; index < events.length; index += 1) {
      const [before, after] = [events[index - 1]!, events[index]!];
      expect(compareGlobalPositions(before.globalPosition, after.globalPosition)).toBe(-1);
      if (before.globalPosition.commit === after.globalPosition.commit) expect(after.metadata.recordedAt).toBe(before.metadata.recordedAt);
      else expect(before.metadata.recordedAt < after.metadata.recordedAt).toBe(true);
    }
    // The race crossed the boundary: receipts were booked on both sides of it, by the database's clock
    // (not the writers' decide-time estimates, which are about a month earlier).
    const receipts = events.filter((event) => event.type === 'RevenueRecorded');
    expect(receipts).toHaveLength(receiptCount);
    expect(receipts.filter((event) => event.metadata.recordedAt < PERIOD_END).length).toBeGreaterThan(0);
    expect(receipts.filter((event) => event.metadata.recordedAt >= PERIOD_END).length).toBeGreaterThan(0);
    // Nothing is booked into the period after its seal: every event after the seal in global order is booked after the period.
    const sealIndex = events.findIndex((event) => event.type === PERIOD_SEALED_EVENT_TYPE);
    expect(events[sealIndex]!.metadata.recordedAt).toBe(sealed.seal.sealedAt);
    for (const event of events.slice(sealIndex + 1)) expect(event.metadata.recordedAt >= PERIOD_END).toBe(true);
    expect(sealed.seal.eventCount).toBe(events.slice(0, sealIndex).filter((event) => event.metadata.recordedAt < PERIOD_END).length);

    await ledger.runtime.projector.catchUp();
    const report = await verifyLedger(ledger.runtime, () => Date.now());
    expect(report.checks.filter((check) => !check.ok)).toEqual([]);
    expect(report.ok).toBe(true);
  });
});
