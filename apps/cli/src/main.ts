#!/usr/bin/env node
import 'reflect-metadata';
import { createWriteStream } from 'node:fs';
import { Command, InvalidArgumentError } from 'commander';
import { SingleBar } from 'cli-progress';
import type { LedgerRuntime } from '@rsi/ledger';
import { IMPORT_BATCH_DEFAULT } from '@rsi/domain';
import { library, loadLibrary } from './ledger-library';
import { runDemo } from './demo.command';
import { introduceWriterKeyAtStart, readPinnedPublicKeys, registerAuditCommands } from './audit.commands';
import { registerProjectionsCommands } from './projections.commands';
import { registerDevelopersCommands } from './developers.commands';
import { registerPayoutsCommands } from './payouts.commands';
import { registerReconcileCommands } from './reconcile.commands';
import { registerKeysCommands } from './keys.commands';
import { registerTreeHeadCommands, startTreeHeadSchedule } from './tree-head.commands';

function integerOption(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('must be a positive integer');
  return Number(value);
}

function describeUnderlyingError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const sqlState = (error as { code?: unknown }).code;
  const prefix = typeof sqlState === 'string' ? `SQLSTATE ${sqlState}: ` : '';
  return `${prefix}${error.stack ?? error.message}`;
}

function actorOfThisProcess(): string {
  return `cli:${process.env.USER ?? 'unknown'}`;
}

/**
 * Builds the ledger's Nest application context for one command and closes it after. Loaded
 * on demand: `--help` and usage errors build no context and open no database.
 */
async function withLedger<T>(dataDirectory: string | undefined, work: (runtime: LedgerRuntime) => Promise<T>, writerPrivateKeyFile?: string): Promise<T> {
  const ledger = await library().openLedgerContext({ dataDirectory, writerPrivateKeyFile });
  try {
    return await work(ledger.runtime);
  } finally {
    await ledger.close();
  }
}

const program = new Command();
program
  .name('rsi-ledger')
  .description('Event-sourced revenue-split ledger for Revenue-Sharing-as-Infrastructure platforms')
  .option('--data-dir <directory>', 'embedded database directory when DATABASE_URL is not set (default ./.rsi-ledger)')
  // Every action may use the ledger's libraries; help and usage errors never load them.
  .hook('preAction', loadLibrary);

/** The global --data-dir option (commander types options as `any` unless told their shape). */
function dataDirectoryOption(): string | undefined {
  return program.opts<{ dataDir?: string }>().dataDir;
}

program
  .command('demo')
  .description('load a sample platform and print balances, platform share and a statement excerpt')
  .action(async () => {
    await withLedger(dataDirectoryOption(), (runtime) => runDemo(runtime, (text) => process.stdout.write(text)));
  });

program
  .command('import')
  .description('import a JSONL file of commands, in order, idempotently')
  .argument('<file>', 'JSONL file, one command per line')
  .option('--batch <commands>', 'commands per batch (one append per stream per batch)', integerOption, IMPORT_BATCH_DEFAULT)
  .action(async (filePath: string, options: { batch: number }) => {
    await withLedger(dataDirectoryOption(), async (runtime) => {
      const showProgress = process.stderr.isTTY === true;
      const bar = showProgress ? new SingleBar({ format: 'importing [{bar}] {percentage}% | {lines} lines | {eta}s left', stream: process.stderr }) : null;
      bar?.start(100, 0, { lines: 0 });
      // On a server the read models are projected by a worker thread while this one imports.
      const summary = await library().withImportProjection(runtime, { environment: process.env }, (catchUpReadModels) => library().importJsonlFile({
        filePath,
        bus: runtime.bus,
        batchSize: options.batch,
        context: () => ({ actor: actorOfThisProcess(), recordedAt: new Date().toISOString() }),
        catchUpReadModels,
        nowMilliseconds: () => Date.now(),
        onProgress: (progress) => bar?.update(progress.bytesTotal === 0 ? 100 : Math.floor((progress.bytesRead * 100) / progress.bytesTotal), { lines: progress.linesRead }),
        onRefusal: (refusal) => {
          bar?.stop();
          process.stderr.write(`line ${refusal.lineNumber}: ${refusal.code}: ${refusal.message}\n`);
          // The operator's view of a line the database refused: its error (SQLSTATE, message, stack).
          if (refusal.underlyingError !== undefined) process.stderr.write(`  cause: ${describeUnderlyingError(refusal.underlyingError)}\n`);
        },
      }));
      bar?.update(100, { lines: summary.linesRead });
      bar?.stop();
      const seconds = summary.elapsedMilliseconds / 1000;
      process.stdout.write(
        `imported ${filePath}: ${summary.linesRead} lines, ${summary.commandsRecorded} recorded, ` +
        `${summary.commandsAlreadyRecorded} already recorded, ${summary.linesRefused} refused, ` +
        `${summary.eventsProjected} events projected, ${seconds.toFixed(2)} s ` +
        `(${seconds > 0 ? Math.round(summary.linesRead / seconds) : summary.linesRead} lines/s)\n`,
      );
      if (summary.linesRefused > 0) process.exitCode = 1;
    });
  });

program
  .command('export')
  .description('stream a projection export by name: balances, splits, platform-share, ... (an unknown name lists them all)')
  .argument('<name>', 'projection name')
  .option('--format <format>', 'csv or jsonl', 'jsonl')
  .option('--from <instant>', 'occurredAt at or after (ISO-8601)')
  .option('--to <instant>', 'occurredAt before (ISO-8601)')
  .option('--as-of <instant>', 'time at which pending and available are told apart (default now)')
  .option('--out <file>', 'write to a file instead of standard output')
  .action(async (name: string, options: { format: string; from?: string; to?: string; asOf?: string; out?: string }) => {
    if (options.format !== 'csv' && options.format !== 'jsonl') throw new InvalidArgumentError('--format must be csv or jsonl');
    const format = options.format;
    await withLedger(dataDirectoryOption(), async (runtime) => {
      // An export feeds other tools, where a missing row passes unnoticed: refused while its
      // projection holds back a stream, naming the event (rsi-ledger projections status).
      const { openFailures } = await runtime.projector.catchUp();
      const holding = library().failuresOfProjection(openFailures, runtime.exports.projectionOf(name));
      if (holding.length > 0) {
        process.stderr.write(`rsi-ledger: export refused: ${library().haltedMessage(`the export ${name}`, holding)}\n`);
        process.exitCode = 1;
        return;
      }
      const output = options.out ? createWriteStream(options.out) : process.stdout;
      const { rowsWritten } = await runtime.exportProjection({ name, format, output, from: options.from, to: options.to, asOf: options.asOf ?? new Date().toISOString() });
      if (options.out) {
        await new Promise<void>((resolve, reject) => { output.end(() => resolve()); output.once('error', reject); });
        process.stderr.write(`exported ${rowsWritten} rows of ${name} to ${options.out}\n`);
      }
    });
  });

program
  .command('replay')
  .description('rebuild every projection from position 0 into fresh tables, then put them in place of the live ones')
  .option('--keep-live', 'rebuild into a scratch schema and compare, without replacing the live read models')
  .option('--workers <count>', 'worker threads, each rebuilding its share of the streams, merged exactly (1 to 32, default one per core; PostgreSQL server only)', integerOption)
  .action(async (options: { keepLive?: boolean; workers?: number }) => {
    const workers = options.workers ?? library().defaultReplayWorkers();
    if (workers < 1 || workers > library().REPLAY_WORKERS_MAXIMUM) throw new InvalidArgumentError(`--workers must be from 1 to ${library().REPLAY_WORKERS_MAXIMUM}`);
    await withLedger(dataDirectoryOption(), async (runtime) => {
      const schema = `replay_${Date.now()}`;
      // The embedded database serves one connection (and EventStoreDB is read through its client): one projector there.
      const parallel = runtime.connection.embedded ? undefined : { workers, connectionString: runtime.connection.connectionString };
      const replay = await library().replayIntoFreshSchema({
        pool: runtime.connection.pool, store: runtime.store, handlers: runtime.projectionHandlers, schema, nowMilliseconds: () => Date.now(), copyFromStdin: !runtime.connection.embedded, parallel,
      });
      const seconds = replay.elapsedMilliseconds / 1000;
      process.stdout.write(`replayed ${replay.eventsApplied} events into ${replay.tables.length} fresh tables in ${seconds.toFixed(2)} s (${seconds > 0 ? Math.round(replay.eventsApplied / seconds) : replay.eventsApplied} events/s) with ${replay.workers} worker${replay.workers === 1 ? '' : 's'}\n`);
      if (options.keepLive) {
        await runtime.projector.catchUp();
        const differences = await library().compareWithLive(runtime.connection.pool, replay);
        process.stdout.write(`${JSON.stringify(differences, null, 2)}\n`);
        await runtime.connection.pool.query(`DROP SCHEMA ${schema} CASCADE`);
        if (differences.some((difference) => difference.onlyLive + difference.onlyRebuilt > 0)) process.exitCode = 1;
      } else {
        try {
          await library().promoteReplay(runtime.connection.pool, replay);
        } catch (error) {
          if (!(error instanceof library().ReplayRefusedError)) throw error;
          await runtime.connection.pool.query(`DROP SCHEMA ${schema} CASCADE`);
          process.stderr.write(`rsi-ledger: replay refused: ${error.message}\n`);
          process.exitCode = 1;
          return;
        }
        process.stdout.write('the rebuilt read models replaced the live ones\n');
      }
    });
  });

program
  .command('verify')
  .description('recompute every split and reversal, check hash chains, invariants and rebuilt vs live projections; JSON report, exit 0 only if all hold')
  .option('--public-key <file>', "the platform's published seal public key(s) (PEM), also RSI_SEAL_PUBLIC_KEY_FILE; without it the seals are checked only against themselves")
  .option('--workers <count>', 'worker threads for the per-stream checks (default: one per core; the report is the same for any number)', integerOption)
  .action(async (options: { publicKey?: string; workers?: number }) => {
    const pinnedPublicKeys = readPinnedPublicKeys(options.publicKey);
    await withLedger(dataDirectoryOption(), async (runtime) => {
      const report = await library().verifyLedger(runtime, () => Date.now(), { pinnedPublicKeys, workers: options.workers });
      process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      if (!report.ok) process.exitCode = 1;
    });
  });

program
  .command('serve')
  .description('run the HTTP API under /v1 (OpenAPI at /docs) and the projector')
  .option('--port <port>', 'TCP port', integerOption, 3000)
  .option('--host <host>', 'address to listen on', '127.0.0.1')
  .option('--allow-anonymous', 'on a non-loopback host without any key: let callers without a key read (never write); without it such a server refuses to start')
  .action(async (options: { port: number; host: string; allowAnonymous?: boolean }) => {
    const { readServerConfiguration, startApiServer, ServeRefusedError } = await import('../../api/src/api-server');
    // Every variable of the schema is checked before anything opens: a wrong value stops here, named.
    readServerConfiguration(process.env);
    const sealPrivateKeyFile = library().sealPrivateKeyPath({ environment: process.env, dataDirectory: dataDirectoryOption(), workingDirectory: process.cwd() });
    let server: Awaited<ReturnType<typeof startApiServer>>;
    try {
      server = await startApiServer({ port: options.port, host: options.host, sealPrivateKeyFile, allowAnonymous: options.allowAnonymous === true, ledger: { dataDirectory: dataDirectoryOption() } });
    } catch (error) {
      if (!(error instanceof ServeRefusedError)) throw error;
      process.stderr.write(`rsi-ledger: serve refused: ${error.message}\n`);
      process.exitCode = 1;
      return;
    }
    await introduceWriterKeyAtStart(server.runtime, sealPrivateKeyFile, actorOfThisProcess(), (line) => process.stderr.write(`${line}\n`));
    const treeHeads = startTreeHeadSchedule(server.runtime, { dataDirectory: dataDirectoryOption(), log: (line) => process.stderr.write(`${line}\n`) });
    process.stderr.write(`rsi-ledger listening on http://${options.host}:${server.port} (${server.runtime.databaseDescription}, ${server.runtime.eventStoreDescription})\n`);
    // A database outage does not end this process: every database connection has an error
    // listener (ListenedDatabaseClient), requests meeting it are answered 503 and the
    // projector waits it out. Programming errors are NOT caught here: they still crash
    // loudly, for a supervisor to restart a process in a state nobody reasoned about.
    const shutdown = async (signal: string) => {
      try {
        // The tree-head schedule first (it writes through the database), then the graceful stop:
        // no new connection, in-flight requests answered, the projector and the webhook worker
        // stopped at a checkpoint, the event store and the database closed; bounded by
        // RSI_SHUTDOWN_TIMEOUT_SECONDS (docs/operations.md#graceful-shutdown).
        await treeHeads?.stop();
        await server.close();
        process.stderr.write(`rsi-ledger: stopped on ${signal}\n`);
        process.exit(0);
      } catch (error) {
        // Closing during an outage can fail (a connection that cannot say goodbye): say so, exit non-zero.
        process.stderr.write(`rsi-ledger: shutdown on ${signal} did not complete cleanly: ${error instanceof Error ? error.message : String(error)}\n`);
        process.exit(1);
      }
    };
    process.once('SIGINT', () => void shutdown('SIGINT'));
    process.once('SIGTERM', () => void shutdown('SIGTERM'));
  });

registerProjectionsCommands(program, {
  withLedger: (work) => withLedger(dataDirectoryOption(), work),
  actor: actorOfThisProcess,
});

registerDevelopersCommands(program, {
  withLedger: (work) => withLedger(dataDirectoryOption(), work),
  actor: actorOfThisProcess,
});

registerPayoutsCommands(program, {
  withLedger: (work) => withLedger(dataDirectoryOption(), work),
  actor: actorOfThisProcess,
});

registerKeysCommands(program, {
  withLedger: (work) => withLedger(dataDirectoryOption(), work),
  actor: actorOfThisProcess,
});

registerAuditCommands(program, {
  withLedger: (work, writerPrivateKeyFile) => withLedger(dataDirectoryOption(), work, writerPrivateKeyFile),
  dataDirectory: () => dataDirectoryOption(),
  actor: actorOfThisProcess,
});

registerReconcileCommands(program, {
  withLedger: (work) => withLedger(dataDirectoryOption(), work),
});

registerTreeHeadCommands(program, {
  withLedger: (work) => withLedger(dataDirectoryOption(), work),
  dataDirectory: () => dataDirectoryOption(),
});

program.parseAsync(process.argv).catch((error: unknown) => {
  process.stderr.write(`rsi-ledger: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 2;
});
