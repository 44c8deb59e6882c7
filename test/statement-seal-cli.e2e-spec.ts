import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { openLedgerContext } from '../libs/ledger/src/ledger-context';
import { BOOKED_LEDGER, bookThreeMonths } from './support/booked-ledger';
import { CLI_PATH, runCli, type CliExit } from './support/cli-process';
import { openTestLedger, type TestLedger } from './support/test-ledger';

/**
 * The built CLI (`npm run build` first) on a ledger booked in January–March 2026, so that
 * the real clock (later than March 2026) lets January be sealed. On a PostgreSQL server
 * the test keeps its own connection open; on the embedded database one process at a time
 * may hold the data directory, so the ledger is booked, closed, and then handed to the CLI.
 */
describe('rsi-ledger statement, seal, seal-public-key and verify-statement (built CLI)', () => {
  let directory: string;
  let serverLedger: TestLedger | undefined;
  let environment: NodeJS.ProcessEnv;
  let dataDirectoryArguments: string[];
  const keyFile = () => path.join(directory, 'keys', 'seal-private-key.pem');
  const cli = (cliArguments: string[]): Promise<CliExit> => runCli([...dataDirectoryArguments, ...cliArguments], environment).finished;

  beforeAll(async () => {
    expect(fs.existsSync(CLI_PATH)).toBe(true);
    directory = fs.mkdtempSync(path.join(os.tmpdir(), 'rsi-audit-cli-'));
    if (process.env.DATABASE_URL?.trim()) {
      // The CLI's context (same modules), so that every projection the CLI checks was fed the same events.
      serverLedger = await openTestLedger();
      await bookThreeMonths(serverLedger.runtime);
      environment = { ...serverLedger.childEnvironment, RSI_SEAL_PRIVATE_KEY_FILE: keyFile() };
      dataDirectoryArguments = [];
    } else {
      const dataDirectory = path.join(directory, 'data');
      const embeddedEnvironment = { ...process.env };
      delete embeddedEnvironment.DATABASE_URL;
      const ledger = await openLedgerContext({ dataDirectory, environment: embeddedEnvironment });
      try {
        await bookThreeMonths(ledger.runtime);
      } finally {
        await ledger.close();
      }
      environment = { ...embeddedEnvironment, RSI_SEAL_PRIVATE_KEY_FILE: keyFile() };
      dataDirectoryArguments = ['--data-dir', dataDirectory];
    }
  });

  afterAll(async () => {
    await serverLedger?.cleanup();
    if (directory) fs.rmSync(directory, { recursive: true, force: true });
  });

  it('seal: 2 for a malformed period, 1 before the period ends, 0 when sealed (creating a 0600 key), 0 again, 1 out of order', async () => {
    const malformed = await cli(['seal', '--period', '2026-13']);
    expect([malformed.code, malformed.stderr]).toEqual([2, expect.stringContaining('YYYY-MM')]);

    const notEnded = await cli(['seal', '--period', '2999-01']);
    expect([notEnded.code, notEnded.stderr]).toEqual([1, expect.stringContaining('period_not_ended')]);
    expect(fs.existsSync(keyFile())).toBe(false);

    const sealed = await cli(['seal', '--period', '2026-01']);
    expect(sealed.code).toBe(0);
    expect(JSON.parse(sealed.stdout)).toMatchObject({ status: 'sealed', period: '2026-01', eventCount: 6 });
    expect(fs.statSync(keyFile()).mode & 0o777).toBe(0o600);

    const again = await cli(['seal', '--period', '2026-01']);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ status: 'already_sealed', merkleRoot: JSON.parse(sealed.stdout).merkleRoot });

    const outOfOrder = await cli(['seal', '--period', '2026-03']);
    expect([outOfOrder.code, outOfOrder.stderr]).toEqual([1, expect.stringContaining('period_out_of_order')]);
  });

  it('statement: 2 for an unknown developer or a malformed period; json, csv and html otherwise', async () => {
    const unknown = await cli(['statement', '--developer', 'nobody', '--period', '2026-01']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('no developer "nobody" is registered');

    const malformed = await cli(['statement', '--developer', BOOKED_LEDGER.developerId, '--period', '2026-1']);
    expect([malformed.code, malformed.stderr]).toEqual([2, expect.stringContaining('YYYY-MM')]);

    const csv = await cli(['statement', '--developer', BOOKED_LEDGER.developerId, '--period', '2026-02', '--format', 'csv']);
    expect(csv.code).toBe(0);
    expect(csv.stdout.split('\r\n')[0]).toMatch(/^kind,bookedAt,occurredAt,/);
    expect(csv.stdout).toContain('receipt_credit,2026-02-10T12:00:00.000Z,2026-01-28T10:00:00.000Z,r3');

    const html = await cli(['statement', '--developer', BOOKED_LEDGER.developerId, '--period', '2026-02', '--format', 'html']);
    expect(html.code).toBe(0);
    expect(html.stdout).toContain('Ada &lt;Labs&gt;');
  });

  it('verify-statement: a sealed statement verifies with the published key; a tampered one or another key fails', async () => {
    const statementFile = path.join(directory, 'january.json');
    const written = await cli(['statement', '--developer', BOOKED_LEDGER.developerId, '--period', '2026-01', '--format', 'json', '--out', statementFile]);
    expect(written.code).toBe(0);
    const publicKey = await cli(['seal-public-key']);
    expect(publicKey.code).toBe(0);
    expect(publicKey.stdout).toMatch(/^-----BEGIN PUBLIC KEY-----/);
    const publicKeyFile = path.join(directory, 'seal-public-key.pem');
    fs.writeFileSync(publicKeyFile, publicKey.stdout);

    // The verifier needs no database: no --data-dir, no DATABASE_URL.
    const offlineEnvironment = { ...process.env };
    delete offlineEnvironment.DATABASE_URL;
    const verified = await runCli(['verify-statement', statementFile, '--public-key', publicKeyFile], offlineEnvironment).finished;
    expect(verified.code).toBe(0);
    expect(JSON.parse(verified.stdout)).toMatchObject({ ok: true, sealed: true, sealPeriod: '2026-01', linesChecked: 2 });

    const statement = JSON.parse(fs.readFileSync(statementFile, 'utf8'));
    statement.lines[0].amount = '800.00';
    const tamperedFile = path.join(directory, 'tampered.json');
    fs.writeFileSync(tamperedFile, JSON.stringify(statement));
    const tampered = await runCli(['verify-statement', tamperedFile, '--public-key', publicKeyFile], offlineEnvironment).finished;
    expect(tampered.code).toBe(1);
    expect(JSON.parse(tampered.stdout).failures.join('\n')).toContain('amount "800.00" does not follow from the event');

    const otherKeyFile = path.join(directory, 'other.pem');
    const { generateKeyPairSync } = await import('node:crypto');
    fs.writeFileSync(otherKeyFile, generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }));
    const wrongKey = await runCli(['verify-statement', statementFile, '--public-key', otherKeyFile], offlineEnvironment).finished;
    expect(wrongKey.code).toBe(1);
  });

  it('verify: exit 0 with the seal checked', async () => {
    const verified = await cli(['verify']);
    const report = JSON.parse(verified.stdout);
    expect(report.checks.filter((check: { ok: boolean }) => !check.ok)).toEqual([]);
    expect(verified.code).toBe(0);
    expect(report.checks.find((check: { name: string }) => check.name.startsWith('seals:'))).toMatchObject({ ok: true, checked: 1 });
  });
});
