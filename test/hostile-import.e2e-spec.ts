import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { importJsonlFile, type ImportSummary, COMMAND_LINE_BYTES_MAXIMUM, JSON_OBJECT_KEYS_MAXIMUM } from '@rsi/ledger';
import type { LedgerRuntime } from '@rsi/ledger';
import { CLI_PATH, runCli } from './support/cli-process';
import { openTestLedger, type TestLedger } from './support/test-ledger';

const CONTRACT = {
  currency: 'USD',
  effectiveFrom: '2026-01-01T00:00:00Z',
  platformShare: { tiers: [{ upTo: '1000.00', rate: '0%' }, { rate: '15%' }], window: 'lifetime', scope: 'app' },
  holdDays: 14,
  minimumPayout: '50.00',
};

const receipt = (receiptId: string) => JSON.stringify({ type: 'RecordRevenue', receiptId, appId: 'app-h', amount: '10.00', currency: 'USD', occurredAt: '2026-02-01T00:00:00Z' });
const developer = (developerId: string, name: string) => `{"type":"RegisterDeveloper","developerId":"${developerId}","name":"${name}","country":"NG"}`;
const bytesOf = (text: string) => Buffer.from(text, 'utf8');

/**
 * One bad line of every class the strict reader refuses, among good lines (blank lines count
 * in the numbering). Every bad line's id starts with `bad-`, so that nothing of one can hide.
 */
const FILE_LINES: { bytes: Buffer; refusal?: { code: string; field?: string } }[] = [
  { bytes: bytesOf(developer('dev-h', 'Hostile Test')) },
  { bytes: bytesOf(JSON.stringify({ type: 'RegisterApp', appId: 'app-h', developerId: 'dev-h', name: 'App', contract: CONTRACT })) },
  { bytes: bytesOf(receipt('good-1')) },
  { bytes: Buffer.concat([bytesOf('{"type":"RegisterDeveloper","developerId":"bad-utf8","name":"x'), Buffer.from([0xff]), bytesOf('","country":"NG"}')]), refusal: { code: 'invalid_utf8' } },
  { bytes: Buffer.concat([bytesOf('{"type":"RegisterDeveloper","developerId":"bad-overlong","name":"'), Buffer.from([0xc0, 0xaf]), bytesOf('","country":"NG"}')]), refusal: { code: 'invalid_utf8' } },
  { bytes: bytesOf(developer('bad-surrogate', 'x\\ud800')), refusal: { code: 'invalid_text', field: 'name' } },
  { bytes: bytesOf(developer('bad-low-surrogate', '\\udc00')), refusal: { code: 'invalid_text', field: 'name' } },
  { bytes: bytesOf(developer('bad-nul', 'a\\u0000b')), refusal: { code: 'invalid_text', field: 'name' } },
  { bytes: bytesOf(developer('bad-c1', 'a\u0085b')), refusal: { code: 'invalid_text', field: 'name' } },
  { bytes: bytesOf(developer('bad\\ttab', 'Tab')), refusal: { code: 'invalid_text', field: 'developerId' } },
  { bytes: bytesOf('') },
  { bytes: bytesOf(receipt('good-2')) },
  { bytes: bytesOf('{"type":"RecordRevenue","receiptId":"bad-duplicate","appId":"app-h","amount":"1.00","amount":"900.00","currency":"USD","occurredAt":"2026-02-01T00:00:00Z"}'), refusal: { code: 'duplicate_key', field: 'amount' } },
  { bytes: bytesOf(`{"type":"AmendContract","appId":"app-h","contract":${'['.repeat(2_000)}${']'.repeat(2_000)}}`), refusal: { code: 'nesting_too_deep', field: `contract${'[0]'.repeat(31)}` } },
  { bytes: bytesOf(`{"type":"AmendContract","appId":"app-h","contract":{${Array.from({ length: JSON_OBJECT_KEYS_MAXIMUM + 1 }, (_, index) => `"k${index}":1`).join(',')}}}`), refusal: { code: 'too_many_keys', field: 'contract' } },
  { bytes: bytesOf('{"type":"RecordRevenue","receiptId":"bad-trailing-comma","appId":"app-h","amount":"1.00","currency":"USD","occurredAt":"2026-02-01T00:00:00Z",}'), refusal: { code: 'malformed_json' } },
  { bytes: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), bytesOf(receipt('bad-bom'))]), refusal: { code: 'malformed_json' } },
  { bytes: bytesOf(JSON.stringify({ type: 'RegisterDeveloper', developerId: 'bad-long', name: 'x'.repeat(COMMAND_LINE_BYTES_MAXIMUM), country: 'NG' })), refusal: { code: 'command_invalid' } },
  { bytes: bytesOf('{"type":"RecordRevenue","receiptId":"bad-number","appId":"app-h","amount":1.5,"currency":"USD","occurredAt":"2026-02-01T00:00:00Z"}'), refusal: { code: 'command_invalid', field: 'amount' } },
  { bytes: bytesOf(`${receipt('good-crlf')}\r`) },
  { bytes: bytesOf('   \t\r') },
  { bytes: bytesOf(developer('dev-emoji', 'Ada \\ud83d\\ude00 😀')) },
  { bytes: bytesOf(receipt('good-last')) },
];
const GOOD_RECEIPTS = ['good-1', 'good-2', 'good-crlf', 'good-last'];
/** Good commands: two developers, one app, four receipts. */
const GOOD_COMMAND_COUNT = 7;

function expectedRefusals(): { lineNumber: number; code: string; field?: string }[] {
  return FILE_LINES.flatMap((line, index) => (line.refusal === undefined ? [] : [{ lineNumber: index + 1, ...line.refusal }]));
}

function importFile(runtime: LedgerRuntime, filePath: string): Promise<ImportSummary> {
  return importJsonlFile({
    filePath, bus: runtime.bus, batchSize: 1_000,
    context: () => ({ actor: 'test:import', recordedAt: '2026-06-01T00:00:00.000Z' }),
    catchUpReadModels: () => runtime.projector.catchUp(),
    nowMilliseconds: () => Date.now(),
  });
}

describe('a JSONL file with one hostile line of each class among good lines', () => {
  let ledger: TestLedger;
  let directory: string;
  let filePath: string;

  beforeAll(async () => {
    ledger = await openTestLedger();
    directory = fs.mkdtempSync(path.join(os.tmpdir(), 'rsi-hostile-import-'));
    filePath = path.join(directory, 'hostile.jsonl');
    // The last line has no line feed: it is a line all the same.
    fs.writeFileSync(filePath, Buffer.concat(FILE_LINES.flatMap((line, index) => (index === FILE_LINES.length - 1 ? [line.bytes] : [line.bytes, bytesOf('\n')]))));
  });

  afterAll(async () => {
    await ledger?.cleanup();
    fs.rmSync(directory, { recursive: true, force: true });
  });

  const eventsCount = async () => Number((await ledger.runtime.connection.pool.query('SELECT count(*)::text AS n FROM events')).rows[0].n);

  it('reports each bad line with its number and code, writes nothing of it, and records every good line of the same batch', async () => {
    const summary = await importFile(ledger.runtime, filePath);
    expect(summary.refusals.map(({ lineNumber, code, field }) => (field === undefined ? { lineNumber, code } : { lineNumber, code, field })))
      .toEqual(expectedRefusals());
    expect(summary.linesRefused).toBe(expectedRefusals().length);
    expect(summary.commandsRecorded).toBe(GOOD_COMMAND_COUNT);
    for (const refusal of summary.refusals) {
      expect(refusal.message.length).toBeLessThan(400);
      // Nothing of the hostile bytes is echoed raw: messages are printable text.
      expect(refusal.message).not.toMatch(/\p{Cc}/u); // U+0000-U+001F and U+007F-U+009F
      expect(refusal.message).not.toMatch(/[\ud800-\udfff]/); // any surrogate half (no u flag: pairs too)
    }
    const splits = await ledger.runtime.connection.pool.query('SELECT receipt_id FROM splits ORDER BY receipt_id');
    expect(splits.rows.map((row) => row.receipt_id)).toEqual([...GOOD_RECEIPTS].sort());
    const hostile = await ledger.runtime.connection.pool.query(`SELECT count(*)::text AS n FROM events WHERE stream_name LIKE '%bad%' OR data::text LIKE '%bad-%'`);
    expect(hostile.rows[0].n).toBe('0');
    // The name is stored encrypted (personal data); the read model shows it decrypted, every code point intact.
    await ledger.runtime.projector.catchUp();
    const emoji = await ledger.runtime.connection.pool.query(`SELECT name FROM developers WHERE developer_id = 'dev-emoji'`);
    expect(emoji.rows[0].name).toBe('Ada 😀 😀');
    const stored = await ledger.runtime.connection.pool.query(`SELECT data::text AS data FROM events WHERE stream_name = 'developer-dev-emoji' AND type = 'DeveloperRegistered'`);
    expect(stored.rows[0].data).not.toContain('Ada');
  });

  it('refuses the same lines on a rerun, and writes nothing new (the import never stops at a bad line)', async () => {
    const before = await eventsCount();
    const summary = await importFile(ledger.runtime, filePath);
    expect(summary.refusals.map((refusal) => refusal.lineNumber)).toEqual(expectedRefusals().map((refusal) => refusal.lineNumber));
    expect(summary.commandsRecorded).toBe(0);
    expect(summary.commandsAlreadyRecorded).toBe(GOOD_COMMAND_COUNT);
    expect(await eventsCount()).toBe(before);
  });

  it('prints each refusal as "line N: code: field: message" from the CLI and exits 1', async () => {
    expect(fs.existsSync(CLI_PATH)).toBe(true);
    const result = await runCli(['import', filePath], ledger.childEnvironment).finished;
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^line 4: invalid_utf8: the text is not valid UTF-8$/m);
    expect(result.stderr).toMatch(/^line 6: invalid_text: name: lone surrogate U\+D800 is not text$/m);
    expect(result.stderr).toMatch(/^line 13: duplicate_key: amount: a key appears twice in the same object$/m);
    expect(result.stderr).toMatch(/^line 14: nesting_too_deep: contract(\[0\]){31}: JSON nests at most 32 objects and arrays$/m);
  });
});
