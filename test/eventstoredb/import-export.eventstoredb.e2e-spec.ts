import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { importJsonlFile, verifyLedger } from '@rsi/ledger';
import { writeSampleLedgerFile } from '@rsi/test-support';
import { decideFileInMemory } from '../support/domain-reference';
import { openTestLedger, type TestLedger } from '../support/test-ledger';

/**
 * The end-to-end import/export on EventStoreDB: events in EventStoreDB, read models and
 * checkpoints in PostgreSQL. Runs whenever EVENTSTORE_CONNECTION_STRING is set
 * (`npm run test:eventstoredb`, see docs/eventstoredb.md).
 */
const connectionString = process.env.EVENTSTORE_CONNECTION_STRING;
if (!connectionString) {
  console.warn('skipped: no EventStoreDB (set EVENTSTORE_CONNECTION_STRING=esdb://localhost:2113?tls=false to run the import/export end to end on it)');
}

(connectionString ? describe : describe.skip)('import and export with events in EventStoreDB', () => {
  const receiptCount = 600;
  let ledger: TestLedger;
  let directory: string;
  let filePath: string;
  let idPrefix: string;

  beforeAll(async () => {
    ledger = await openTestLedger({ environment: { EVENT_STORE: 'eventstoredb', EVENTSTORE_CONNECTION_STRING: connectionString } });
    directory = fs.mkdtempSync(path.join(os.tmpdir(), 'rsi-esdb-'));
    filePath = path.join(directory, 'ledger.jsonl');
    // Streams cannot be dropped cheaply in EventStoreDB: every run uses ids of its own.
    idPrefix = `run${crypto.randomBytes(4).toString('hex')}-`;
    await writeSampleLedgerFile({ filePath, developerCount: 3, appCount: 6, receiptCount, refundEveryNthReceipt: 6, seed: 11, idPrefix });
  });

  afterAll(async () => {
    await ledger?.cleanup();
    fs.rmSync(directory, { recursive: true, force: true });
  });

  it('imports, re-imports idempotently, exports splits equal to the domain, and verifies', async () => {
    const run = () => importJsonlFile({
      filePath, bus: ledger.runtime.bus, batchSize: 200,
      context: () => ({ actor: 'test:eventstoredb', recordedAt: new Date().toISOString() }),
      catchUpReadModels: () => ledger.runtime.projector.catchUp(),
      nowMilliseconds: () => Date.now(),
    });
    const first = await run();
    expect(first.linesRefused).toBe(0);
    expect(first.commandsRecorded).toBe(first.linesRead);
    const second = await run();
    expect(second.commandsRecorded).toBe(0);

    const output = new PassThrough();
    const chunks: Buffer[] = [];
    output.on('data', (chunk: Buffer) => chunks.push(chunk));
    await ledger.runtime.exportProjection({ name: 'splits', format: 'jsonl', output, asOf: '2030-01-01T00:00:00Z' });
    // $all also holds earlier runs' events, which this fresh read-model database projects too.
    const splits = Buffer.concat(chunks).toString('utf8').trim().split('\n').map((line) => JSON.parse(line)).filter((split) => split.receiptId.startsWith(idPrefix));
    expect(splits).toHaveLength(receiptCount);
    const reference = decideFileInMemory(filePath);
    for (const split of splits) expect(split.lines).toEqual(reference.get(split.receiptId));

    // $all holds the events of earlier runs too; verify covers them all.
    const report = await verifyLedger(ledger.runtime, () => Date.now());
    expect(report.checks.filter((check) => !check.ok)).toEqual([]);
  });
});
