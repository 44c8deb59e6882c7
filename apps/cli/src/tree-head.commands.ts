import * as fs from 'node:fs';
import type { KeyObject } from 'node:crypto';
import type { Command } from 'commander';
import type { LedgerRuntime, TreeHead, TreeHeadSchedule } from '@rsi/ledger';
import { library } from './ledger-library';

export type TreeHeadCommandContext = {
  withLedger<T>(work: (runtime: LedgerRuntime) => Promise<T>): Promise<T>;
  dataDirectory(): string | undefined;
};

/** A usage error: exit code 2 (1 means refused or failed to check). */
class UsageError extends Error {}

/** The seal key, the same file `seal` uses, created on first use (mode 0600). */
export function treeHeadSigningKey(dataDirectory: string | undefined): () => KeyObject {
  const filePath = library().sealPrivateKeyPath({ environment: process.env, dataDirectory, workingDirectory: process.cwd() });
  return () => {
    const { privateKey, created } = library().readOrCreateSealPrivateKey(filePath);
    if (created) process.stderr.write(`created the seal key ${filePath} (mode 0600); publish "rsi-ledger seal-public-key"\n`);
    return privateKey;
  };
}

function readJsonFile(filePath: string, what: string): unknown {
  let text: string;
  try {
    if (fs.statSync(filePath).size > library().TREE_HEAD_FILE_BYTES_MAXIMUM) throw new Error(`a ${what} file holds at most ${library().TREE_HEAD_FILE_BYTES_MAXIMUM} bytes`);
    text = fs.readFileSync(filePath, 'utf8');
  } catch (error) {
    throw new UsageError(`${filePath}: ${(error as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${filePath}: not a JSON ${what}: ${(error as Error).message}`);
  }
}

function readTreeHeadFile(filePath: string): TreeHead {
  try {
    return library().decodeTreeHead(readJsonFile(filePath, 'tree head'));
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(`${filePath}: not a tree head: ${(error as Error).message}`);
  }
}

function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Usage errors exit 2, like every command of this CLI; commander's own exit 1 is avoided by checking in the action. */
function exitOnUsageError<Options>(action: (options: Options) => Promise<void> | void): (options: Options) => Promise<void> {
  return async (options: Options) => {
    try {
      await action(options);
    } catch (error) {
      if (!(error instanceof UsageError)) throw error;
      process.stderr.write(`rsi-ledger: ${error.message}\n`);
      process.exitCode = 2;
    }
  };
}

/** `tree-head issue | latest | consistency | verify-consistency` (docs/audit.md, "Tree heads and consistency proofs"). */
export function registerTreeHeadCommands(program: Command, context: TreeHeadCommandContext): void {
  const treeHead = program.command('tree-head').description('signed tree heads of the log of all events, and consistency proofs between them');

  treeHead
    .command('issue')
    .description('append the new events to the log and sign a head over it (unchanged when nothing was appended); prints the head as JSON')
    .action(async () => {
      await context.withLedger(async (runtime) => {
        const log = new (library().TransparencyLog)(runtime.connection.pool, runtime.store);
        try {
          const outcome = await log.issueTreeHead(treeHeadSigningKey(context.dataDirectory()));
          process.stderr.write(`tree head ${outcome.status}: ${outcome.head.treeSize} events\n`);
          printJson(outcome.head);
        } catch (error) {
          if (!(error instanceof library().TreeHeadRefusedError)) throw error;
          process.stderr.write(`rsi-ledger: tree head refused: ${error.code}: ${error.message}\n`);
          process.exitCode = 1;
        }
      });
    });

  treeHead
    .command('latest')
    .description('print the latest signed tree head as JSON (exit 1 if none was issued)')
    .action(async () => {
      await context.withLedger(async (runtime) => {
        const head = await new (library().TransparencyLog)(runtime.connection.pool, runtime.store).latestTreeHead();
        if (head === null) {
          process.stderr.write('rsi-ledger: no tree head has been issued yet ("rsi-ledger tree-head issue")\n');
          process.exitCode = 1;
          return;
        }
        printJson(head);
      });
    });

  treeHead
    .command('consistency')
    .description('print the consistency proof from a head you kept to a later one (default: the latest), from the database')
    .option('--from <file>', 'the older tree head (JSON), required')
    .option('--to <file>', 'the newer tree head (JSON); default the latest issued')
    .action(exitOnUsageError(async (options: { from?: string; to?: string }) => {
      if (options.from === undefined) throw new UsageError('--from HEAD_FILE is required');
      const oldHead = readTreeHeadFile(options.from);
      const newHeadGiven = options.to === undefined ? null : readTreeHeadFile(options.to);
      await context.withLedger(async (runtime) => {
        const log = new (library().TransparencyLog)(runtime.connection.pool, runtime.store);
        const newHead = newHeadGiven ?? await log.latestTreeHead();
        if (newHead === null) throw new UsageError('no tree head has been issued yet');
        if (oldHead.treeSize > newHead.treeSize) throw new UsageError(`--from holds ${oldHead.treeSize} events, more than the newer head's ${newHead.treeSize}`);
        const leafCount = await log.leafCount();
        if (newHead.treeSize > leafCount) {
          process.stderr.write(`rsi-ledger: the log holds ${leafCount} leaves, fewer than the ${newHead.treeSize} of the newer head: it was truncated\n`);
          process.exitCode = 1;
          return;
        }
        const proof = await log.consistencyProof(oldHead.treeSize, newHead.treeSize);
        printJson(proof);
        // The database's leaves must still give the kept heads' roots; the proof shows it anyway, this says so early.
        for (const [name, head, root] of [['--from', oldHead, proof.oldRoot], ['newer', newHead, proof.newRoot]] as const) {
          if (root !== head.rootHash) {
            process.stderr.write(`rsi-ledger: the log's first ${head.treeSize} leaves give ${root}, not the root of the ${name} head (${head.rootHash}): the log was rewritten\n`);
            process.exitCode = 1;
          }
        }
      });
    }));

  treeHead
    .command('verify-consistency')
    .description('offline, no database: check both heads\' signatures under the published key and the consistency proof between them; exit 0 only if it holds')
    .option('--old <file>', 'the older tree head (JSON), required')
    .option('--new <file>', 'the newer tree head (JSON), required')
    .option('--proof <file>', 'the proof printed by "tree-head consistency" (JSON), required')
    .option('--public-key <file>', "the platform's published public key (PEM), required")
    .action(exitOnUsageError((options: { old?: string; new?: string; proof?: string; publicKey?: string }) => {
      for (const [flag, value] of [['--old', options.old], ['--new', options.new], ['--proof', options.proof], ['--public-key', options.publicKey]] as const) {
        if (value === undefined) throw new UsageError(`${flag} FILE is required`);
      }
      let publicKeyPem: string;
      try {
        if (fs.statSync(options.publicKey!).size > library().TREE_HEAD_FILE_BYTES_MAXIMUM) throw new Error('too large to be a key file');
        publicKeyPem = fs.readFileSync(options.publicKey!, 'utf8');
      } catch (error) {
        throw new UsageError(`${options.publicKey}: ${(error as Error).message}`);
      }
      const check = library().checkTreeHeadConsistency({
        oldHead: readJsonFile(options.old!, 'tree head'), newHead: readJsonFile(options.new!, 'tree head'),
        proof: readJsonFile(options.proof!, 'consistency proof'), publicKeyPem,
      });
      if (check.ok) {
        process.stdout.write(`${check.message}\n`);
      } else {
        process.stderr.write(`rsi-ledger: NOT consistent: ${check.message}\n`);
        process.exitCode = 1;
      }
    }));
}

/** `RSI_TREE_HEAD_INTERVAL_SECONDS`, default 300; 0 disables. */
export const TREE_HEAD_INTERVAL_SECONDS_DEFAULT = 300;
const TREE_HEAD_INTERVAL_SECONDS_MAXIMUM = 86_400;

export function treeHeadIntervalSecondsOf(environment: NodeJS.ProcessEnv): number {
  const value = environment.RSI_TREE_HEAD_INTERVAL_SECONDS?.trim();
  if (value === undefined || value === '') return TREE_HEAD_INTERVAL_SECONDS_DEFAULT;
  if (!/^\d{1,6}$/.test(value) || Number(value) > TREE_HEAD_INTERVAL_SECONDS_MAXIMUM) {
    throw new Error(`RSI_TREE_HEAD_INTERVAL_SECONDS must be an integer from 0 (off) to ${TREE_HEAD_INTERVAL_SECONDS_MAXIMUM}, not ${JSON.stringify(value)}`);
  }
  return Number(value);
}

/** Issues tree heads while `serve` runs (null when disabled); stop it before closing the runtime. */
export function startTreeHeadSchedule(runtime: LedgerRuntime, options: { dataDirectory: string | undefined; log: (line: string) => void }): TreeHeadSchedule | null {
  const intervalSeconds = treeHeadIntervalSecondsOf(process.env);
  if (intervalSeconds === 0) return null;
  const schedule = new (library().TreeHeadSchedule)(new (library().TransparencyLog)(runtime.connection.pool, runtime.store), {
    intervalMilliseconds: intervalSeconds * 1000,
    lockConnectionString: runtime.connection.embedded ? null : runtime.connection.connectionString,
    signingKey: treeHeadSigningKey(options.dataDirectory),
    log: options.log,
  });
  schedule.start();
  return schedule;
}
