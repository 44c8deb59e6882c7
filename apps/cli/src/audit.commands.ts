import * as fs from 'node:fs';
import type { KeyObject } from 'node:crypto';
import type { Command } from 'commander';
import type { EventStore } from '@rsi/event-store';
import type { LedgerRuntime, StatementFormat } from '@rsi/ledger';
import { library } from './ledger-library';
import { runWhatIf } from './what-if.command';

/** A statement file larger than this is not one the verifier was made for (200,000 lines × ~2 kB). */
const STATEMENT_FILE_BYTES_MAXIMUM = 512 * 1024 * 1024;
const PUBLIC_KEY_FILE_BYTES_MAXIMUM = 16_384;

export type AuditCommandContext = {
  /** `writerPrivateKeyFile`: sign this command's appends with that writer key instead of the default one (`writer-key rotate`). */
  withLedger<T>(work: (runtime: LedgerRuntime) => Promise<T>, writerPrivateKeyFile?: string): Promise<T>;
  dataDirectory(): string | undefined;
  actor(): string;
};

/**
 * Options are checked in the actions, not by commander's parsers: commander exits with 1 on
 * a bad argument, and this CLI's usage errors exit with 2 (1 means refused or failed).
 */
function requiredPeriod(value: string | undefined): string {
  if (value === undefined) throw new UsageError('--period YYYY-MM is required');
  return library().parsePeriod(value).name;
}

function statementFormatOf(value: string): StatementFormat {
  if (!(library().STATEMENT_FORMATS as readonly string[]).includes(value)) throw new UsageError(`--format must be one of ${library().STATEMENT_FORMATS.join(', ')}, not ${JSON.stringify(value)}`);
  return value as StatementFormat;
}

class UsageError extends Error {}

function readBoundedFile(filePath: string, bytesMaximum: number, what: string): string {
  const size = fs.statSync(filePath).size;
  if (size > bytesMaximum) throw new Error(`${filePath}: a ${what} file holds at most ${bytesMaximum} bytes`);
  return fs.readFileSync(filePath, 'utf8');
}

function writerKeyPath(context: AuditCommandContext): string {
  return library().writerPrivateKeyPath({ environment: process.env, dataDirectory: context.dataDirectory(), workingDirectory: process.cwd() });
}

/**
 * Introduces this process's writer key with the seal key (WriterKeyIntroduced), unless that
 * seal key introduced it already; `seal` does it after each seal, so the writer key a ledger
 * is written with is anchored by the key auditors pin.
 */
async function introduceOwnWriterKey(runtime: LedgerRuntime, sealKey: KeyObject, actor: string): Promise<void> {
  const signer = runtime.writerSigner;
  if (signer === null) return;
  const outcome = await library().introduceWriterKey(runtime.store, { writerPublicKey: signer.publicKeyPem, previousWriterPublicKey: null, sealKey, actor });
  if (outcome.status === 'introduced') process.stderr.write(`introduced the writer key ${outcome.keyId.slice(0, 16)} with the seal key\n`);
}

/**
 * `serve`: a server that holds the seal key introduces its own writer key at start (once per
 * seal key), so that its appends are anchored before anyone seals; without the seal key at
 * hand it says how to do it. A failure is reported, never fatal: the writes stay signed.
 */
export async function introduceWriterKeyAtStart(runtime: LedgerRuntime, sealPrivateKeyFile: string, actor: string, log: (line: string) => void): Promise<void> {
  if (runtime.writerSigner === null) return;
  if (!fs.existsSync(sealPrivateKeyFile)) {
    log(`writer key ${runtime.writerSigner.keyId.slice(0, 16)}: no seal key at ${sealPrivateKeyFile}; introduce it with "rsi-ledger writer-key introduce" where the seal key is (docs/audit.md)`);
    return;
  }
  try {
    await introduceOwnWriterKey(runtime, library().readSealPrivateKey(sealPrivateKeyFile), actor);
  } catch (error) {
    log(`writer key: not introduced at start: ${(error as Error).message}`);
  }
}

function keyPath(context: AuditCommandContext): string {
  return library().sealPrivateKeyPath({ environment: process.env, dataDirectory: context.dataDirectory(), workingDirectory: process.cwd() });
}

/**
 * The auditor's pinned seal keys: `--public-key FILE`, else `RSI_SEAL_PUBLIC_KEY_FILE`, else
 * none (undefined). A file may hold several PEM public keys (after a lost key, the new chain's
 * key is pinned beside the old one: docs/audit.md).
 */
export function readPinnedPublicKeys(optionValue: string | undefined): string[] | undefined {
  const filePath = optionValue ?? (process.env.RSI_SEAL_PUBLIC_KEY_FILE?.trim() || undefined);
  if (filePath === undefined) return undefined;
  return library().parsePinnedPublicKeys(readBoundedFile(filePath, PUBLIC_KEY_FILE_BYTES_MAXIMUM, 'public key'), filePath);
}

/**
 * A rotation recorded but not yet installed (the process stopped between the append and the
 * rename): the incoming key waits beside the current one, and the ledger already names it as
 * current. Installing it then is what the interrupted rotation would have done.
 */
async function finishInterruptedRotation(store: EventStore, filePath: string): Promise<boolean> {
  const nextPath = library().nextSealPrivateKeyPath(filePath);
  if (!fs.existsSync(nextPath)) return false;
  const head = library().sealChainHead((await library().readSeals(store)).entries);
  const nextFingerprint = library().publicKeyFingerprint(library().publicKeyPemOf(library().readSealPrivateKey(nextPath)));
  if (head.currentPublicKey === null || library().publicKeyFingerprint(head.currentPublicKey) !== nextFingerprint) return false;
  library().installNextSealPrivateKey(filePath);
  process.stderr.write(`installed the seal key of a recorded rotation, ${nextPath} → ${filePath}\n`);
  return true;
}

/** statement, seal, seal-public-key, seal-key rotate, verify-statement and what-if (docs/audit.md). */
export function registerAuditCommands(program: Command, context: AuditCommandContext): void {
  program
    .command('statement')
    .description("a developer's statement for a booking period (UTC month), with Merkle inclusion proofs once the period is sealed")
    .option('--developer <id>', 'developer id (required)')
    .option('--period <YYYY-MM>', 'UTC calendar month of booking time (required)')
    .option('--format <format>', 'json, csv or html', 'json')
    .option('--out <file>', 'write to a file instead of standard output')
    .action(async (options: { developer?: string; period?: string; format: string; out?: string }) => {
      const period = requiredPeriod(options.period);
      const format = statementFormatOf(options.format);
      const developerId = options.developer;
      if (developerId === undefined || developerId.length === 0) throw new UsageError('--developer ID is required');
      await context.withLedger(async (runtime) => {
        const statement = await library().buildDeveloperStatement(runtime.store, new (library().PersonalDataKeys)(runtime.connection.pool), { developerId, period });
        statement.transparencyLog = await library().statementLogProofsOf({ store: runtime.store, log: new (library().TransparencyLog)(runtime.connection.pool, runtime.store) }, statement);
        const text = library().formatStatement(statement, format);
        if (options.out) {
          fs.writeFileSync(options.out, text);
          process.stderr.write(`statement ${statement.period} of ${statement.developerId}: ${statement.lines.length} lines, ` +
            `${statement.seal ? `sealed by ${statement.seal.period}` : 'not sealed'}, written to ${options.out}\n`);
        } else {
          process.stdout.write(text);
        }
      });
    });

  program
    .command('seal')
    .description('close a booking period: sign the Merkle root of every event booked up to its end, and append it as an event')
    .option('--period <YYYY-MM>', 'UTC calendar month of booking time (required)')
    .option('--new-key-chain', 'after a LOST key only (docs/audit.md): sign with a key no rotation introduced; auditors must pin it anew')
    .action(async (options: { period?: string; newKeyChain?: boolean }) => {
      const period = requiredPeriod(options.period);
      await context.withLedger(async (runtime) => {
        const filePath = keyPath(context);
        await finishInterruptedRotation(runtime.store, filePath);
        try {
          const outcome = await library().sealPeriod(runtime.store, {
            // sealedAt: booked at commit on the store's ledger clock.
            period,
            startNewKeyChain: options.newKeyChain === true,
            signingKey: () => {
              const { privateKey, created } = library().readOrCreateSealPrivateKey(filePath);
              if (created) process.stderr.write(`created the seal key ${filePath} (mode 0600); publish "rsi-ledger seal-public-key"\n`);
              return privateKey;
            },
            actor: context.actor(),
          });
          process.stdout.write(`${JSON.stringify({ status: outcome.status, eventId: outcome.eventId, ...outcome.seal }, null, 2)}\n`);
          await introduceOwnWriterKey(runtime, library().readSealPrivateKey(filePath), context.actor());
        } catch (error) {
          if (!(error instanceof library().SealRefusedError)) throw error;
          process.stderr.write(`rsi-ledger: seal refused: ${error.code}: ${error.message}\n`);
          process.exitCode = 1;
        }
      });
    });

  program
    .command('seal-public-key')
    .description("print the platform's Ed25519 seal public key (PEM) to publish")
    .action(() => {
      process.stdout.write(library().publicKeyPemOf(library().readSealPrivateKey(keyPath(context))));
    });

  const sealKey = program.command('seal-key').description("the platform's seal key: rotation (docs/audit.md)");
  sealKey
    .command('rotate')
    .description('generate the next seal key beside the current one, record SealKeyRotated signed by both, then put the next key in place of the current one')
    .action(async () => {
      await context.withLedger(async (runtime) => {
        const filePath = keyPath(context);
        // A rerun after a rotation stopped between its append and its rename finishes that
        // rotation and stops: the operator asked for one rotation, not two.
        if (await finishInterruptedRotation(runtime.store, filePath)) return;
        const currentKey = library().readSealPrivateKey(filePath);
        // The incoming key is written (0600) before the rotation is recorded, so a recorded
        // rotation never names a key that exists nowhere; a retry reuses it.
        const { privateKey: nextKey } = library().readOrCreateSealPrivateKey(library().nextSealPrivateKeyPath(filePath));
        try {
          // rotatedAt: booked at commit on the store's ledger clock.
          const outcome = await library().rotateSealKey(runtime.store, { currentKey, nextKey, actor: context.actor() });
          library().installNextSealPrivateKey(filePath);
          process.stdout.write(`${JSON.stringify({ status: outcome.status, eventId: outcome.eventId, ...outcome.rotation }, null, 2)}\n`);
          process.stderr.write(`the seal key at ${filePath} is now ${library().publicKeyFingerprint(outcome.rotation.nextPublicKey)!.slice(0, 16)}; publish "rsi-ledger seal-public-key"\n`);
        } catch (error) {
          if (!(error instanceof library().SealRefusedError)) throw error;
          process.stderr.write(`rsi-ledger: rotation refused: ${error.code}: ${error.message}\n`);
          process.exitCode = 1;
        }
      });
    });

  const writerKey = program.command('writer-key').description("the application's writer key, which signs every append (docs/audit.md)");
  writerKey
    .command('public-key')
    .description('print the writer public key (PEM) and its id')
    .action(() => {
      const filePath = writerKeyPath(context);
      const publicKeyPem = library().publicKeyPemOf(library().readWriterPrivateKey(filePath));
      process.stdout.write(publicKeyPem);
      process.stderr.write(`writer key ${library().writerKeyIdOf(publicKeyPem)} (${filePath})\n`);
    });
  writerKey
    .command('introduce')
    .description('record WriterKeyIntroduced for this writer key, signed by the seal key (a writer on another machine: RSI_WRITER_PRIVATE_KEY_FILE)')
    .action(async () => {
      const sealKey = library().readSealPrivateKey(keyPath(context));
      await context.withLedger(async (runtime) => {
        const signer = runtime.writerSigner;
        if (signer === null) throw new Error(`${runtime.eventStoreDescription} records no writer signature: there is no writer key to introduce`);
        const outcome = await library().introduceWriterKey(runtime.store, { writerPublicKey: signer.publicKeyPem, previousWriterPublicKey: null, sealKey, actor: context.actor() });
        process.stdout.write(`${JSON.stringify(outcome, null, 2)}\n`);
      });
    });
  writerKey
    .command('rotate')
    .description('generate the next writer key beside the current one, record WriterKeyIntroduced (signed by the seal key) naming both, then put the next key in place')
    .action(async () => {
      const filePath = writerKeyPath(context);
      const nextPath = library().nextWriterPrivateKeyPath(filePath);
      const sealKey = library().readSealPrivateKey(keyPath(context));
      if (!fs.existsSync(filePath)) throw new Error(`no writer key at ${filePath} yet: the first write creates it; there is nothing to rotate`);
      const currentKey = library().readWriterPrivateKey(filePath);
      // The incoming key is written (0600) before it is introduced, and a rerun after an
      // interruption reuses it: one rotation, however often it is started.
      const { privateKey: nextKey } = library().readOrCreateWriterPrivateKey(nextPath);
      const currentPublicKey = library().publicKeyPemOf(currentKey);
      const nextPublicKey = library().publicKeyPemOf(nextKey);
      // Opened with the incoming key: the introduction's own append is signed by the key it introduces.
      const outcome = await context.withLedger((runtime) => library().introduceWriterKey(runtime.store, {
        writerPublicKey: nextPublicKey, previousWriterPublicKey: currentPublicKey, sealKey, actor: context.actor(),
      }), nextPath);
      library().installNextWriterPrivateKey(filePath);
      process.stdout.write(`${JSON.stringify({ ...outcome, previousKeyId: library().writerKeyIdOf(currentPublicKey) }, null, 2)}\n`);
      process.stderr.write(`the writer key at ${filePath} is now ${outcome.keyId.slice(0, 16)}; restart every process that writes (the old key is retired)\n`);
    });

  program
    .command('verify-statement')
    .description('check a JSON statement offline: seal signature, event hashes, inclusion proofs, balances; exit 0 only if all hold')
    .argument('<file>', 'statement written by "statement --format json"')
    .option('--public-key <file>', "the platform's published public key(s) (PEM), also RSI_SEAL_PUBLIC_KEY_FILE; without it only the key the statement names")
    .action((filePath: string, options: { publicKey?: string }) => {
      const pinnedPublicKeys = readPinnedPublicKeys(options.publicKey);
      let statement: unknown;
      try {
        statement = JSON.parse(readBoundedFile(filePath, STATEMENT_FILE_BYTES_MAXIMUM, 'statement'));
      } catch (error) {
        throw new Error(`${filePath}: not a JSON statement: ${(error as Error).message}`);
      }
      const report = library().verifyStatement(statement, { pinnedPublicKeys });
      process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      if (!report.ok) process.exitCode = 1;
    });

  program
    .command('what-if')
    .description("replay an app's recorded receipts under other contract terms and compare platform and developer income")
    .requiredOption('--app <id>', 'app id')
    .requiredOption('--contract <file>', 'contract terms (JSON) to replay under')
    .option('--from <instant>', 'receipts whose occurredAt is at or after (ISO-8601)')
    .option('--to <instant>', 'receipts whose occurredAt is before (ISO-8601)')
    .action(async (options: { app: string; contract: string; from?: string; to?: string }) => {
      const contractTerms: unknown = JSON.parse(readBoundedFile(options.contract, PUBLIC_KEY_FILE_BYTES_MAXIMUM * 64, 'contract'));
      await context.withLedger(async (runtime) => {
        const report = await runWhatIf(runtime, { appId: options.app, contractTerms, from: options.from, to: options.to });
        process.stdout.write(report.text);
      });
    });
}
