import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { openLedgerContext } from '@rsi/ledger';
import { BOOKED_LEDGER, bookThreeMonths } from './support/booked-ledger';
import { CLI_PATH, runCli, type CliExit } from './support/cli-process';
import { openTestLedger, type TestLedger } from './support/test-ledger';

/**
 * The built CLI (`npm run build` first) on a ledger booked in January–March 2026, so that
 * the real clock (later than March 2026) lets January be sealed. On a PostgreSQL server
 * the test keeps its own connection open; on the embedded database one process at a time
 * may hold the data directory, so the ledger is booked, closed, and then handed to the CLI.
 */
describe('rsi-ledger statement, seal, seal-public-key, seal-key rotate, verify and verify-statement (built CLI)', () => {
  let directory: string;
  let serverLedger: TestLedger | undefined;
  let environment: NodeJS.ProcessEnv;
  let dataDirectoryArguments: string[];
  /** Where the key lives when neither RSI_SEAL_PRIVATE_KEY_FILE nor --data-dir names it. */
  let keyDirectory: string;
  const keyFile = () => path.join(keyDirectory, 'seal-private-key.pem');
  const publishedKeyFile = () => path.join(directory, 'seal-public-key.pem');
  const otherPublicKeyFile = () => path.join(directory, 'other.pem');
  const cli = (cliArguments: string[]): Promise<CliExit> => runCli([...dataDirectoryArguments, ...cliArguments], environment).finished;
  /** No --data-dir: the key's default location (embedded: ./.rsi-ledger of the working directory; server: $XDG_CONFIG_HOME/rsi-ledger). */
  const cliWithDefaultKeyLocation = (cliArguments: string[]): Promise<CliExit> => runCli(cliArguments, environment, { workingDirectory: directory }).finished;
  /** --data-dir naming that same default directory. */
  const cliWithExplicitDataDirectory = (cliArguments: string[]): Promise<CliExit> => runCli(['--data-dir', keyDirectory, ...cliArguments], environment).finished;

  beforeAll(async () => {
    expect(fs.existsSync(CLI_PATH)).toBe(true);
    directory = fs.mkdtempSync(path.join(os.tmpdir(), 'rsi-audit-cli-'));
    if (process.env.DATABASE_URL?.trim()) {
      // The CLI's context (same modules), so that every projection the CLI checks was fed the same events.
      // The same configuration directory for the booking and the CLI: one writer key, which the CLI's seal introduces.
      serverLedger = await openTestLedger({ environment: { XDG_CONFIG_HOME: path.join(directory, 'config') } });
      await bookThreeMonths(serverLedger.runtime);
      environment = { ...serverLedger.childEnvironment };
      keyDirectory = path.join(directory, 'config', 'rsi-ledger');
      dataDirectoryArguments = [];
    } else {
      const dataDirectory = path.join(directory, '.rsi-ledger');
      const embeddedEnvironment = { ...process.env };
      delete embeddedEnvironment.DATABASE_URL;
      const ledger = await openLedgerContext({ dataDirectory, environment: embeddedEnvironment });
      try {
        await bookThreeMonths(ledger.runtime);
      } finally {
        await ledger.close();
      }
      environment = embeddedEnvironment;
      keyDirectory = dataDirectory;
      dataDirectoryArguments = ['--data-dir', dataDirectory];
    }
    // The key's place is found, not configured, in this test.
    delete environment.RSI_SEAL_PRIVATE_KEY_FILE;
    delete environment.RSI_SEAL_PUBLIC_KEY_FILE;
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
    const publicKeyFile = publishedKeyFile();
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

    const otherKeyFile = otherPublicKeyFile();
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

  it('the seal key is found the same whether --data-dir is given or defaulted, and never lands in the working directory', async () => {
    const byDefault = await cliWithDefaultKeyLocation(['seal-public-key']);
    const explicit = await cliWithExplicitDataDirectory(['seal-public-key']);
    expect(byDefault.code).toBe(0);
    expect(explicit.stdout).toBe(byDefault.stdout);
    expect(byDefault.stdout).toBe(fs.readFileSync(publishedKeyFile(), 'utf8'));
    // January was sealed by `cli`; February by the other way of naming the place. Another
    // key would be refused as not the ledger's current one (seal_key_not_current).
    const otherWay = serverLedger ? cliWithExplicitDataDirectory : cliWithDefaultKeyLocation;
    const february = await otherWay(['seal', '--period', '2026-02']);
    expect([february.code, february.stderr]).toEqual([0, '']);
    expect(JSON.parse(february.stdout)).toMatchObject({ status: 'sealed', period: '2026-02', previousSealHash: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(fs.readdirSync(directory)).not.toContain('seal-private-key.pem');
    expect(fs.existsSync(path.join(process.cwd(), 'seal-private-key.pem'))).toBe(false);
  });

  it('a seal key readable by the group or others is refused with a clear message', async () => {
    fs.chmodSync(keyFile(), 0o644);
    try {
      const refused = await cli(['seal-public-key']);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toContain(`the seal key ${keyFile()} is readable beyond its owner (mode 0644): refused; run "chmod 600`);
      const sealRefused = await cli(['seal', '--period', '2026-03']);
      expect([sealRefused.code, sealRefused.stderr]).toEqual([2, expect.stringContaining('readable beyond its owner')]);
    } finally {
      fs.chmodSync(keyFile(), 0o600);
    }
  });

  it('verify --public-key (or RSI_SEAL_PUBLIC_KEY_FILE) pins the published key; another key fails it; unpinned, the report says so', async () => {
    const pinned = await cli(['verify', '--public-key', publishedKeyFile()]);
    expect(pinned.code).toBe(0);
    expect(JSON.parse(pinned.stdout)).toMatchObject({ ok: true, sealKeys: { pinned: true, keysSeen: 1, rotations: 0 }, warnings: [] });

    const byEnvironment = await runCli([...dataDirectoryArguments, 'verify'], { ...environment, RSI_SEAL_PUBLIC_KEY_FILE: publishedKeyFile() }).finished;
    expect(byEnvironment.code).toBe(0);
    expect(JSON.parse(byEnvironment.stdout).sealKeys.pinned).toBe(true);

    const otherKey = await cli(['verify', '--public-key', otherPublicKeyFile()]);
    expect(otherKey.code).toBe(1);
    const sealCheck = JSON.parse(otherKey.stdout).checks.find((check: { name: string }) => check.name.startsWith('seals:'));
    expect(sealCheck.examples).toEqual([
      expect.stringMatching(/^seal 2026-01: signed by key [0-9a-f]{16}, which is neither a pinned key nor joined to one by a rotation/),
      expect.stringMatching(/^seal 2026-02: signed by key/),
    ]);

    const unpinned = await cli(['verify']);
    expect(unpinned.code).toBe(0);
    expect(JSON.parse(unpinned.stdout)).toMatchObject({ ok: true, sealKeys: { pinned: false }, warnings: [expect.stringContaining('seal keys: not pinned')] });

    const notAKey = path.join(directory, 'not-a-key.pem');
    fs.writeFileSync(notAKey, 'hello');
    const malformed = await cli(['verify', '--public-key', notAKey]);
    expect([malformed.code, malformed.stderr]).toEqual([2, expect.stringContaining(`${notAKey}: no PEM public key`)]);
  });

  it('seal-key rotate: the next key signs the next seal, and the key published before still verifies the ledger and the statement', async () => {
    const published = fs.readFileSync(publishedKeyFile(), 'utf8');
    const retiredKeyCopy = fs.readFileSync(keyFile());
    const rotated = await cli(['seal-key', 'rotate']);
    expect(rotated.code).toBe(0);
    const rotation = JSON.parse(rotated.stdout);
    expect(rotation).toMatchObject({ status: 'rotated', previousPublicKey: published, previousSealHash: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(fs.existsSync(`${keyFile()}.next`)).toBe(false);
    expect(fs.statSync(keyFile()).mode & 0o777).toBe(0o600);
    const current = await cli(['seal-public-key']);
    expect(current.stdout).toBe(rotation.nextPublicKey);
    expect(current.stdout).not.toBe(published);

    // A rotation stopped between its append and its rename: the next key still waits beside
    // the old one. A rerun finishes it, and records no second rotation (verify counts one below).
    fs.renameSync(keyFile(), `${keyFile()}.next`);
    fs.writeFileSync(keyFile(), retiredKeyCopy, { mode: 0o600 });
    const rerun = await cli(['seal-key', 'rotate']);
    expect([rerun.code, rerun.stdout]).toEqual([0, '']);
    expect(rerun.stderr).toContain('installed the seal key of a recorded rotation');
    expect((await cli(['seal-public-key'])).stdout).toBe(rotation.nextPublicKey);

    const march = await cli(['seal', '--period', '2026-03']);
    expect([march.code, JSON.parse(march.stdout).publicKey]).toEqual([0, rotation.nextPublicKey]);

    const verified = await cli(['verify', '--public-key', publishedKeyFile()]);
    expect(JSON.parse(verified.stdout)).toMatchObject({ ok: true, sealKeys: { pinned: true, keysSeen: 2, rotations: 1 } });
    expect(verified.code).toBe(0);

    const statementFile = path.join(directory, 'march.json');
    expect((await cli(['statement', '--developer', BOOKED_LEDGER.developerId, '--period', '2026-03', '--out', statementFile])).code).toBe(0);
    const offlineEnvironment = { ...process.env };
    delete offlineEnvironment.DATABASE_URL;
    const offline = await runCli(['verify-statement', statementFile, '--public-key', publishedKeyFile()], offlineEnvironment).finished;
    expect(offline.code).toBe(0);
    expect(JSON.parse(offline.stdout)).toMatchObject({ ok: true, sealPeriod: '2026-03', publicKeySource: 'given' });
    const refused = await runCli(['verify-statement', statementFile], { ...offlineEnvironment, RSI_SEAL_PUBLIC_KEY_FILE: otherPublicKeyFile() }).finished;
    expect(refused.code).toBe(1);
    expect(JSON.parse(refused.stdout).failures).toContain('seal: signed with another key than the published one, and no key rotation the statement carries joins it to the published key');
  });
});
