import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import pg from 'pg';
import type { RecordedEvent } from '@rsi/event-store';
import { compareWithLive, importJsonlFile, openLedgerContext, replayIntoFreshSchema, withImportProjection, type LedgerRuntime } from '@rsi/ledger';
import { writeSampleLedgerFile } from '@rsi/test-support';
import { openTestLedger, type TestLedger } from './support/test-ledger';

/**
 * The import projects the events it decided (handed over by the store after each commit)
 * instead of reading them back, only where the store proves that reading them back gives
 * exactly them; the rows must be those of a full replay either way. The projector runs in
 * the worker thread of `withImportProjection`, which needs the build (`npm run build`).
 */
const RECEIPT_COUNT = 3_000;
const BATCH_SIZE = 500;

type HandedOver = { status: string; eventsApplied: number };
type CommandBus = LedgerRuntime['bus'];

function importThroughWorker(runtime: LedgerRuntime, environment: NodeJS.ProcessEnv, filePath: string, bus: CommandBus, handedOver: HandedOver[]) {
  return withImportProjection(runtime, { environment, handOverCommittedEvents: true, onHandedOver: (outcome) => handedOver.push(outcome) }, (catchUpReadModels) => importJsonlFile({
    filePath, bus, batchSize: BATCH_SIZE,
    context: () => ({ actor: 'test:import', recordedAt: new Date().toISOString() }),
    catchUpReadModels,
    nowMilliseconds: () => Date.now(),
  }));
}

async function expectRowsOfFullReplay(runtime: LedgerRuntime): Promise<void> {
  const pool = runtime.connection.pool;
  const replay = await replayIntoFreshSchema({
    pool, store: runtime.store, handlers: runtime.projectionHandlers, schema: 'decided_replay', nowMilliseconds: () => Date.now(), copyFromStdin: !runtime.connection.embedded,
  });
  try {
    const differences = await compareWithLive(pool, replay);
    expect(differences.length).toBeGreaterThan(3);
    expect(differences.filter((difference) => difference.onlyLive + difference.onlyRebuilt > 0)).toEqual([]);
    const events = await pool.query<{ count: number }>('SELECT count(*)::int AS count FROM events');
    expect(replay.eventsApplied).toBe(events.rows[0].count);
  } finally {
    await pool.query('DROP SCHEMA IF EXISTS decided_replay CASCADE');
  }
}

const serverAvailable = Boolean(process.env.DATABASE_URL);
(serverAvailable ? describe : describe.skip)('an import projects the events it decided', () => {
  let directory: string;
  let filePath: string;

  beforeAll(async () => {
    directory = fs.mkdtempSync(path.join(os.tmpdir(), 'rsi-decided-'));
    filePath = path.join(directory, 'ledger.jsonl');
    await writeSampleLedgerFile({ filePath, developerCount: 3, appCount: 9, receiptCount: RECEIPT_COUNT, refundEveryNthReceipt: 7, seed: 11 });
  });

  afterAll(() => {
    fs.rmSync(directory, { recursive: true, force: true });
  });

  describe('alone', () => {
    let ledger: TestLedger;
    beforeAll(async () => { ledger = await openTestLedger(); });
    afterAll(async () => { await ledger?.cleanup(); });

    it('applies its batches as handed over, and its rows are those of a full replay', async () => {
      const handedOver: HandedOver[] = [];
      const summary = await importThroughWorker(ledger.runtime, ledger.childEnvironment, filePath, ledger.runtime.bus, handedOver);
      expect(summary.linesRefused).toBe(0);
      // Every batch's append is handed over; a background catch-up may have got to some first.
      // How many apply as handed over depends on the server: an older transaction of any of
      // its databases (the other test files, running meanwhile) holds a batch back, as it
      // holds back `readAll`, and then a catch-up runs instead. So only the outcomes are
      // checked here; the embedded case below, where nothing else runs, applies every one.
      expect(handedOver.length).toBeGreaterThan(0);
      expect(handedOver.every((outcome) => ['applied', 'already_applied', 'not_next'].includes(outcome.status))).toBe(true);
      const head = await ledger.runtime.store.readHeadPosition!();
      expect(await ledger.runtime.projector.readCheckpoint()).toEqual(head);
      await expectRowsOfFullReplay(ledger.runtime);
    });
  });

  describe('handed over by the store, applied by the projector only when provably next', () => {
    let ledger: TestLedger;
    beforeAll(async () => { ledger = await openTestLedger(); });
    afterAll(async () => { await ledger?.cleanup(); });

    const registration = (developerId: string) => ({
      type: 'RegisterDeveloper', data: { developerId, name: `Developer ${developerId}`, country: 'DE', incomeGroup: 'high' },
    });
    const context = () => ({ actor: 'test:decided', recordedAt: new Date().toISOString() });
    /**
     * `applyCommitted` until it is not `not_next`, at most ~5 s: a transaction of another test
     * (any database of the server) that is older than the append holds it back for a while,
     * exactly as it holds back `readAll`.
     */
    const applyWhenVisible = async (events: readonly RecordedEvent[]) => {
      for (let attempt = 1; ; attempt += 1) {
        const applied = await ledger.runtime.projector.applyCommitted(events);
        if (applied.status !== 'not_next' || attempt >= 100) return applied;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    };

    it('falls back when another writer\'s events or an older running transaction lie before the events handed over', async () => {
      const runtime = ledger.runtime;
      const handed: RecordedEvent[][] = [];
      const stopObserving = runtime.store.observeCommittedAppends!((events) => handed.push([...events]));
      const other = await openLedgerContext({ environment: ledger.childEnvironment });
      const olderTransaction = new pg.Client({ connectionString: ledger.databaseUrl });
      await olderTransaction.connect();
      try {
        // A batch of this process, handed over and applied without reading back.
        expect((await runtime.bus.executeBatch([registration('first-a'), registration('first-b')], context())).map((outcome) => outcome.status)).toEqual(['recorded', 'recorded']);
        expect(handed).toHaveLength(1);
        expect(handed[0].map((event) => event.streamName)).toEqual(['developer-first-a', 'developer-first-b']);
        expect(await applyWhenVisible(handed[0])).toEqual({ status: 'applied', eventsApplied: 2 });
        expect(await runtime.projector.readCheckpoint()).toEqual(handed[0][1].globalPosition);
        // What was handed over is what reading back returns.
        const readBack = await runtime.store.readAll({ after: null, maxCount: 100 });
        expect(readBack.slice(-2)).toEqual(handed[0]);

        // Another writer's event (another store object: never handed over), then a batch of this process.
        expect((await other.runtime.bus.execute(registration('other-writer'), context())).status).toBe('recorded');
        await runtime.bus.executeBatch([registration('second')], context());
        expect(handed).toHaveLength(2);
        expect(await runtime.projector.applyCommitted(handed[1])).toEqual({ status: 'not_next', eventsApplied: 0 });
        expect((await runtime.projector.catchUp()).eventsApplied).toBe(2);
        expect(await runtime.projector.applyCommitted(handed[1])).toEqual({ status: 'already_applied', eventsApplied: 0 });

        // An older transaction still running (it has an id, lower than the next append's):
        // `readAll` would not show the batch yet, so it is not provably next either.
        await olderTransaction.query('BEGIN');
        await olderTransaction.query('SELECT pg_current_xact_id()');
        await runtime.bus.executeBatch([registration('third')], context());
        expect(handed).toHaveLength(3);
        expect(await runtime.projector.applyCommitted(handed[2])).toEqual({ status: 'not_next', eventsApplied: 0 });
        await olderTransaction.query('ROLLBACK');
        expect(await applyWhenVisible(handed[2])).toEqual({ status: 'applied', eventsApplied: 1 });

        expect(await runtime.projector.readCheckpoint()).toEqual(await runtime.store.readHeadPosition!());
        await expectRowsOfFullReplay(runtime);
      } finally {
        stopObserving();
        await olderTransaction.end();
        await other.close();
      }
    });
  });
});

describe('an import on the embedded database projects the events it decided, in its own thread', () => {
  let directory: string;

  beforeAll(() => {
    directory = fs.mkdtempSync(path.join(os.tmpdir(), 'rsi-decided-embedded-'));
  });

  afterAll(() => {
    fs.rmSync(directory, { recursive: true, force: true });
  });

  it('hands its appends over by default, and its rows are those of a full replay', async () => {
    const filePath = path.join(directory, 'ledger.jsonl');
    await writeSampleLedgerFile({ filePath, developerCount: 3, appCount: 9, receiptCount: RECEIPT_COUNT, refundEveryNthReceipt: 7, seed: 12 });
    const ledger = await openLedgerContext({ environment: {}, dataDirectory: path.join(directory, 'data') });
    try {
      const runtime = ledger.runtime;
      expect(runtime.connection.embedded).toBe(true);
      const handedOver: HandedOver[] = [];
      const summary = await withImportProjection(runtime, { environment: {}, onHandedOver: (outcome) => handedOver.push(outcome) }, (catchUpReadModels) => importJsonlFile({
        filePath, bus: runtime.bus, batchSize: BATCH_SIZE,
        context: () => ({ actor: 'test:import', recordedAt: new Date().toISOString() }),
        catchUpReadModels,
        nowMilliseconds: () => Date.now(),
      }));
      expect(summary.linesRefused).toBe(0);
      // One database, one session, no other writer: every append is provably next.
      expect(handedOver.length).toBeGreaterThan(0);
      expect(handedOver.every((outcome) => outcome.status === 'applied')).toBe(true);
      expect(handedOver.reduce((total, outcome) => total + outcome.eventsApplied, 0)).toBe(summary.eventsProjected);
      expect(await runtime.projector.readCheckpoint()).toEqual(await runtime.store.readHeadPosition!());
      await expectRowsOfFullReplay(runtime);
    } finally {
      await ledger.close();
    }
  });
});
