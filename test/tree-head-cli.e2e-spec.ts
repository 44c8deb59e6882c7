import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { openLedgerContext } from '@rsi/ledger';
import { bookThreeMonths } from './support/booked-ledger';
import { CLI_PATH, runCli, type CliExit } from './support/cli-process';
import { openTestLedger, type TestLedger } from './support/test-ledger';

/**
 * The built CLI (`npm run build` first): tree-head issue, latest, consistency and the offline
 * verify-consistency, on a ledger booked in January–March 2026 (so the real clock lets a
 * month be sealed, which appends an event between two heads). Embedded: the ledger is booked,
 * closed, and handed to the CLI (one process at a time holds the data directory).
 */
describe('rsi-ledger tree-head (built CLI)', () => {
  let directory: string;
  let serverLedger: TestLedger | undefined;
  let environment: NodeJS.ProcessEnv;
  let dataDirectoryArguments: string[];
  const file = (name: string) => path.join(directory, name);
  const cli = (cliArguments: string[]): Promise<CliExit> => runCli([...dataDirectoryArguments, ...cliArguments], environment).finished;

  beforeAll(async () => {
    expect(fs.existsSync(CLI_PATH)).toBe(true);
    directory = fs.mkdtempSync(path.join(os.tmpdir(), 'rsi-tree-head-cli-'));
    if (process.env.DATABASE_URL?.trim()) {
      serverLedger = await openTestLedger();
      await bookThreeMonths(serverLedger.runtime);
      environment = { ...serverLedger.childEnvironment, RSI_SEAL_PRIVATE_KEY_FILE: file('seal-private-key.pem') };
      dataDirectoryArguments = [];
    } else {
      const dataDirectory = file('data');
      const embeddedEnvironment = { ...process.env };
      delete embeddedEnvironment.DATABASE_URL;
      const opened = await openLedgerContext({ dataDirectory, environment: embeddedEnvironment });
      try {
        await bookThreeMonths(opened.runtime);
      } finally {
        await opened.close();
      }
      environment = { ...embeddedEnvironment, RSI_SEAL_PRIVATE_KEY_FILE: file('seal-private-key.pem') };
      dataDirectoryArguments = ['--data-dir', dataDirectory];
    }
  });

  afterAll(async () => {
    await serverLedger?.cleanup();
    if (directory) fs.rmSync(directory, { recursive: true, force: true });
  });

  it('issues heads, proves consistency from the database, and checks it offline; refuses forged and mismatched heads', async () => {
    const none = await cli(['tree-head', 'latest']);
    expect([none.code, none.stderr]).toEqual([1, expect.stringContaining('no tree head has been issued yet')]);

    const first = await cli(['tree-head', 'issue']);
    expect([first.code, first.stderr]).toEqual([0, expect.stringContaining('tree head issued')]);
    const firstHead = JSON.parse(first.stdout);
    expect(firstHead).toMatchObject({ scheme: 'rsi-ledger/tree-head/v1', treeSize: expect.any(Number), rootHash: expect.stringMatching(/^[0-9a-f]{64}$/) });
    fs.writeFileSync(file('old.json'), first.stdout);
    expect(fs.statSync(file('seal-private-key.pem')).mode & 0o777).toBe(0o600);

    const again = await cli(['tree-head', 'issue']);
    expect([again.code, JSON.parse(again.stdout)]).toEqual([0, firstHead]);

    expect((await cli(['seal', '--period', '2026-01'])).code).toBe(0);
    const second = await cli(['tree-head', 'issue']);
    const secondHead = JSON.parse(second.stdout);
    // The seal, and the introduction of the CLI's writer key that follows it (WriterKeyIntroduced).
    expect(secondHead.treeSize).toBe(firstHead.treeSize + 2);
    fs.writeFileSync(file('new.json'), second.stdout);
    const latest = await cli(['tree-head', 'latest']);
    expect(JSON.parse(latest.stdout)).toEqual(secondHead);

    const consistency = await cli(['tree-head', 'consistency', '--from', file('old.json')]);
    expect(consistency.code).toBe(0);
    expect(JSON.parse(consistency.stdout)).toMatchObject({ oldSize: firstHead.treeSize, newSize: secondHead.treeSize, oldRoot: firstHead.rootHash, newRoot: secondHead.rootHash });
    fs.writeFileSync(file('proof.json'), consistency.stdout);
    const publicKey = await cli(['seal-public-key']);
    fs.writeFileSync(file('key.pem'), publicKey.stdout);

    // Offline: no DATABASE_URL, no data directory.
    const offlineEnvironment = { ...process.env };
    delete offlineEnvironment.DATABASE_URL;
    const offline = (cliArguments: string[]) => runCli(['tree-head', 'verify-consistency', ...cliArguments], offlineEnvironment).finished;
    const check = ['--old', file('old.json'), '--new', file('new.json'), '--proof', file('proof.json'), '--public-key', file('key.pem')];
    const ok = await offline(check);
    expect([ok.code, ok.stdout]).toEqual([0, expect.stringContaining(`consistent: the log of ${secondHead.treeSize} events`)]);

    fs.writeFileSync(file('forged.json'), JSON.stringify({ ...secondHead, rootHash: firstHead.rootHash }));
    const forged = await offline(['--old', file('old.json'), '--new', file('forged.json'), '--proof', file('proof.json'), '--public-key', file('key.pem')]);
    expect([forged.code, forged.stderr]).toEqual([1, expect.stringContaining('NOT consistent: new head: the signature does not hold')]);

    const swapped = await offline(['--old', file('new.json'), '--new', file('old.json'), '--proof', file('proof.json'), '--public-key', file('key.pem')]);
    expect(swapped.code).toBe(1);

    const missing = await offline(['--old', file('old.json'), '--new', file('new.json'), '--public-key', file('key.pem')]);
    expect([missing.code, missing.stderr]).toEqual([2, expect.stringContaining('--proof FILE is required')]);
    fs.writeFileSync(file('broken.json'), '{');
    const broken = await offline(['--old', file('broken.json'), '--new', file('new.json'), '--proof', file('proof.json'), '--public-key', file('key.pem')]);
    expect([broken.code, broken.stderr]).toEqual([2, expect.stringContaining('not a JSON tree head')]);
  });

  it('puts the latest head and each line\'s inclusion proof into a JSON statement, which verify-statement checks', async () => {
    const statement = await cli(['statement', '--developer', 'ada', '--period', '2026-01', '--out', file('statement.json')]);
    expect(statement.code).toBe(0);
    const verified = await runCli(['verify-statement', file('statement.json'), '--public-key', file('key.pem')], environment).finished;
    const report = JSON.parse(verified.stdout);
    expect([verified.code, report.ok, report.transparencyLog.linesProven, report.transparencyLog.linesNotInLog]).toEqual([0, true, report.linesChecked, 0]);
  });
});
