import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { writeSampleLedgerFile } from '@rsi/test-support';
import { createFreshDatabase, dropDatabase, dumpEventRows, serverVersion } from './bench-database';
import type { ChildResult, ChildSpec } from './bench-child.protocol';
import { readBenchSettings, describeMachine, loadPerCore, type BenchSettings } from './bench-settings';
import { runHttpLoad, startServer, type HttpRun } from './http-bench';
import { writeReport, type BenchResults, type Measurement } from './bench-report';

/**
 * `npm run bench`: every measurement of issue #5 side by side, on the same data, each in
 * its own child process and its own fresh database. Prints a table, writes
 * bench/results/latest.json and the figures section of docs/benchmarks.md.
 */
const SAMPLE_SEED = 5;
/**
 * A million receipts 30 s apart span 347 days. They start a year earlier than the tests'
 * samples so that every receipt lies before the booking time (the ledger refuses business
 * times after it): the run books them now.
 */
const SAMPLE_START_EPOCH_MILLISECONDS = Date.UTC(2025, 0, 1);
const RECEIPT_SPACING_SECONDS = 30;
const POSTINGS_PER_RECEIPT = 5;

/** A child's spec without its result path, which the runner chooses (Omit over a union would merge its members). */
type ChildRequest = ChildSpec extends infer Spec ? (Spec extends ChildSpec ? Omit<Spec, 'resultPath'> : never) : never;

type ChildOutcome = { ok: true; result: ChildResult; loadPerCore: number } | { ok: false; reason: string; loadPerCore: number };

function runChild(settings: BenchSettings, spec: ChildRequest, timeLimitSeconds: number): Promise<ChildOutcome> {
  const resultPath = path.join(os.tmpdir(), `rsi-bench-${process.pid}-${Date.now()}.json`);
  const loadBefore = loadPerCore();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(settings.repositoryRoot, 'dist/bench/bench-child.js'), JSON.stringify({ ...spec, resultPath })], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => { stderr = (stderr + chunk.toString('utf8')).slice(-4_000); });
    let timedOut = false;
    const timer = setTimeout(() => { timedOut = true; child.kill('SIGKILL'); }, timeLimitSeconds * 1000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      const load = Math.max(loadBefore, loadPerCore());
      if (timedOut) resolve({ ok: false, reason: `did not finish in ${timeLimitSeconds} s`, loadPerCore: load });
      else if (code !== 0 || !existsSync(resultPath)) resolve({ ok: false, reason: `failed (exit ${code}): ${stderr.trim().split('\n').slice(-3).join(' | ')}`, loadPerCore: load });
      else {
        const result = JSON.parse(readFileSync(resultPath, 'utf8')) as ChildResult;
        rmSync(resultPath, { force: true });
        resolve({ ok: true, result, loadPerCore: load });
      }
    });
  });
}

function log(text: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${text}\n`);
}

function rate(count: number, seconds: number): number {
  return seconds > 0 ? Math.round(count / seconds) : 0;
}

async function ensureSampleFile(settings: BenchSettings, receiptCount: number): Promise<string> {
  mkdirSync(settings.dataDirectory, { recursive: true });
  const filePath = path.join(settings.dataDirectory, `ledger-${settings.developerCount}d-${settings.appCount}a-${receiptCount}r-seed${SAMPLE_SEED}.jsonl`);
  if (!existsSync(filePath) || statSync(filePath).size === 0) {
    log(`writing ${filePath}`);
    await writeSampleLedgerFile({
      filePath, developerCount: settings.developerCount, appCount: settings.appCount, receiptCount, refundEveryNthReceipt: 0,
      seed: SAMPLE_SEED, startEpochMilliseconds: SAMPLE_START_EPOCH_MILLISECONDS, receiptSpacingSeconds: RECEIPT_SPACING_SECONDS,
    });
  }
  return filePath;
}

function measurementOf(name: string, outcome: ChildOutcome, unit: string, countOf: (result: ChildResult) => number, extra: Record<string, unknown> = {}): Measurement {
  if (!outcome.ok) return { name, unit, perSecond: null, seconds: null, count: null, peakRssMebibytes: null, loadPerCore: outcome.loadPerCore, note: outcome.reason, ...extra };
  const count = countOf(outcome.result);
  return {
    name, unit, perSecond: rate(count, outcome.result.elapsedSeconds), seconds: Math.round(outcome.result.elapsedSeconds * 100) / 100, count,
    peakRssMebibytes: outcome.result.peakRssMebibytes, loadPerCore: outcome.loadPerCore, ...extra,
  };
}

async function main(): Promise<void> {
  const settings = readBenchSettings();
  const startedAt = new Date();
  const machine = { ...describeMachine(), postgres: await serverVersion(settings.adminDatabaseUrl) };
  log(`scale ${settings.scale}; ${machine.logicalCores} cores, ${machine.memoryGibibytes} GiB; load per core ${loadPerCore()}`);
  const measurements: Measurement[] = [];
  const createdDatabases: string[] = [];
  const fresh = async (name: string) => {
    createdDatabases.push(name);
    return createFreshDatabase(settings.adminDatabaseUrl, name);
  };

  try {
    // (1) The split rule alone.
    log('split rule');
    measurements.push(measurementOf('split rule, one core', await runChild(settings, { kind: 'split', iterations: settings.splitIterations }, 600), 'receipts', (result) => result.count));

    // (2) Import end to end, with the physical limit and the peer on the same events.
    const importSeconds: Record<string, number | null> = {};
    const ledgerDatabaseByReceipts = new Map<number, string>();
    for (const receiptCount of settings.importReceiptCounts) {
      const filePath = await ensureSampleFile(settings, receiptCount);
      const label = `${receiptCount}`;
      log(`import ${receiptCount} receipts on PostgreSQL`);
      const ledgerDatabaseUrl = await fresh(`bench_ledger_${receiptCount}`);
      ledgerDatabaseByReceipts.set(receiptCount, ledgerDatabaseUrl);
      const ours = await runChild(settings, { kind: 'import', filePath, databaseUrl: ledgerDatabaseUrl, dataDirectory: null }, settings.serverTimeLimitSeconds);
      measurements.push(measurementOf(`import ${label} receipts, PostgreSQL (ours, end to end)`, ours, 'receipts', () => receiptCount, { group: `import-${label}`, role: 'ours' }));
      importSeconds[`postgres-${label}`] = ours.ok ? ours.result.elapsedSeconds : null;
      if (!ours.ok) continue;

      const eventRowsPath = path.join(settings.dataDirectory, `events-${receiptCount}.copy`);
      await dumpEventRows(ledgerDatabaseUrl, eventRowsPath);
      for (const withIndexes of [false, true]) {
        log(`COPY ${receiptCount} receipts' events${withIndexes ? ' (with the indexes of events)' : ''}`);
        const name = `bench_copy_${receiptCount}${withIndexes ? '_indexed' : ''}`;
        const copy = await runChild(settings, { kind: 'copy', databaseUrl: await fresh(name), eventRowsPath, withIndexes }, settings.serverTimeLimitSeconds);
        measurements.push(measurementOf(
          withIndexes ? `COPY of the same event rows, with events' indexes ${label}` : `physical limit: COPY of the same event rows ${label}`,
          copy, 'receipts', () => receiptCount, { group: `import-${label}`, role: withIndexes ? 'copy-indexed' : 'copy' },
        ));
        await dropDatabase(settings.adminDatabaseUrl, name);
      }
      log(`peer (Emmett) ${receiptCount} receipts' events`);
      const peerName = `bench_peer_${receiptCount}`;
      const peer = await runChild(settings, { kind: 'peer', databaseUrl: await fresh(peerName), sourceDatabaseUrl: ledgerDatabaseUrl }, settings.serverTimeLimitSeconds);
      measurements.push(measurementOf(`peer: Emmett appendToStream of the same events ${label}`, peer, 'receipts', () => receiptCount, { group: `import-${label}`, role: 'peer' }));
      await dropDatabase(settings.adminDatabaseUrl, peerName);
      rmSync(eventRowsPath, { force: true });
    }
    for (const receiptCount of settings.importReceiptCounts) {
      const filePath = await ensureSampleFile(settings, receiptCount);
      log(`import ${receiptCount} receipts on embedded PGlite (limit ${settings.embeddedTimeLimitSeconds} s)`);
      const dataDirectory = mkdtempSync(path.join(os.tmpdir(), 'rsi-bench-embedded-'));
      try {
        const embedded = await runChild(settings, { kind: 'import', filePath, databaseUrl: null, dataDirectory }, settings.embeddedTimeLimitSeconds);
        measurements.push(measurementOf(`import ${receiptCount} receipts, embedded PGlite (ours, end to end)`, embedded, 'receipts', () => receiptCount, { group: `embedded-${receiptCount}`, role: 'ours-embedded' }));
        importSeconds[`embedded-${receiptCount}`] = embedded.ok ? embedded.result.elapsedSeconds : null;
      } finally {
        rmSync(dataDirectory, { recursive: true, force: true });
      }
    }

    // (3) Replay of the larger ledger.
    const [smallerReceipts, largerReceipts] = settings.importReceiptCounts;
    const largerLedger = ledgerDatabaseByReceipts.get(largerReceipts);
    if (largerLedger && importSeconds[`postgres-${largerReceipts}`] !== null) {
      // With one projector, and with 2 and one per core worker threads, merged (issue 17).
      for (const workers of [...new Set([1, 2, machine.logicalCores])]) {
        log(`replay of the ${largerReceipts}-receipt ledger, ${workers} worker(s)`);
        const replay = await runChild(settings, { kind: 'replay', databaseUrl: largerLedger, workers }, settings.serverTimeLimitSeconds);
        measurements.push(measurementOf(
          `replay, every projection from position 0 (${largerReceipts}-receipt ledger), ${workers} worker${workers === 1 ? '' : 's'}`, replay, 'events', (result) => result.count,
          { group: 'replay', role: `workers-${workers}`, ...(replay.ok ? { note: `${String(replay.result.detail?.cpuSeconds)} s CPU in the process` } : {}) },
        ));
      }
      // (3b) verify of the same ledger, with one worker thread and with one per core (issue #17).
      for (const workers of [...new Set([1, machine.logicalCores])]) {
        log(`verify of the ${largerReceipts}-receipt ledger, ${workers} worker(s)`);
        const verify = await runChild(settings, { kind: 'verify', databaseUrl: largerLedger, workers }, settings.serverTimeLimitSeconds);
        measurements.push(measurementOf(
          `verify, whole report (${largerReceipts}-receipt ledger), ${workers} worker${workers === 1 ? '' : 's'}`, verify, 'events', (result) => result.count,
          { group: 'verify', role: `workers-${workers}`, ...(verify.ok ? { note: `${String(verify.result.detail?.cpuSeconds)} s CPU in the process` } : {}) },
        ));
      }
    }

    // (4) Export of ledger entries to CSV; `to` bounds the receipts so that exactly N rows go out.
    for (const [index, rowCount] of settings.exportRowCounts.entries()) {
      const ledger = ledgerDatabaseByReceipts.get(settings.importReceiptCounts[index]);
      if (!ledger) continue;
      const to = new Date(SAMPLE_START_EPOCH_MILLISECONDS + (rowCount / POSTINGS_PER_RECEIPT) * RECEIPT_SPACING_SECONDS * 1000).toISOString();
      log(`export ${rowCount} ledger entries to CSV`);
      measurements.push(measurementOf(`export ${rowCount} ledger entries to CSV`, await runChild(settings, { kind: 'export', databaseUrl: ledger, name: 'ledger-entries', to }, settings.serverTimeLimitSeconds), 'rows', (result) => result.count, { group: 'export' }));
    }

    // (5) HTTP: single receipt POSTs against `rsi-ledger serve`, on a ledger with the 50 apps.
    log('HTTP');
    const httpRuns: HttpRun[] = [];
    const httpDatabaseUrl = await fresh('bench_http');
    const seedPath = await ensureSampleFile(settings, 0);
    const seeded = await runChild(settings, { kind: 'import', filePath: seedPath, databaseUrl: httpDatabaseUrl, dataDirectory: null }, 300);
    if (!seeded.ok) throw new Error(`seeding the HTTP ledger: ${seeded.reason}`);
    const server = await startServer(settings.repositoryRoot, httpDatabaseUrl);
    const httpLoad: number[] = [];
    try {
      // A short warm-up, so that the JIT and the pool are not measured.
      await runHttpLoad({ port: server.port, connections: settings.httpConnections, durationSeconds: 2, overallRate: null, appCount: settings.appCount, runLabel: 'warmup' });
      for (const overallRate of [null, settings.httpTargetRate]) {
        httpLoad.push(loadPerCore());
        httpRuns.push(await runHttpLoad({ port: server.port, connections: settings.httpConnections, durationSeconds: settings.httpDurationSeconds, overallRate, appCount: settings.appCount, runLabel: overallRate === null ? 'max' : 'rate' }));
      }
    } finally {
      server.process.kill('SIGTERM');
    }
    // (5b) The online peers of issue 17, in the same run: plain SQL at the same concurrency.
    for (const mode of ['insert-loop', 'transfer'] as const) {
      log(`plain SQL peer: ${mode}, ${settings.httpConnections} clients`);
      const name = `bench_sql_${mode.replace('-', '_')}`;
      const peer = await runChild(settings, { kind: 'sql-peer', databaseUrl: await fresh(name), mode, connections: settings.httpConnections, durationSeconds: settings.httpDurationSeconds }, settings.httpDurationSeconds + 120);
      measurements.push(measurementOf(
        mode === 'insert-loop' ? `peer: bare INSERT, one row per transaction, ${settings.httpConnections} clients` : `peer: plain-SQL double-entry transfer function, ${settings.httpConnections} clients`,
        peer, 'transactions', (result) => result.count, { group: 'online', role: mode },
      ));
      await dropDatabase(settings.adminDatabaseUrl, name);
    }

    // (6) The cost of growth.
    const growth = {
      postgres: ratio(importSeconds[`postgres-${smallerReceipts}`], importSeconds[`postgres-${largerReceipts}`], smallerReceipts, largerReceipts),
      embedded: ratio(importSeconds[`embedded-${smallerReceipts}`], importSeconds[`embedded-${largerReceipts}`], smallerReceipts, largerReceipts),
    };

    const results: BenchResults = {
      date: startedAt.toISOString(),
      command: settings.scale === 'small' ? 'BENCH_SCALE=small npm run bench' : 'npm run bench',
      scale: settings.scale,
      machine,
      dataset: { developers: settings.developerCount, apps: settings.appCount, receipts: settings.importReceiptCounts, refunds: 0, seed: SAMPLE_SEED },
      measurements,
      http: httpRuns.map((run, index) => ({ ...run, loadPerCore: httpLoad[index] })),
      growth,
      elapsedSeconds: Math.round((Date.now() - startedAt.getTime()) / 1000),
    };
    writeReport(settings, results);
  } finally {
    for (const name of createdDatabases) await dropDatabase(settings.adminDatabaseUrl, name).catch(() => undefined);
  }
}

/** The larger import's rate as a fraction of the smaller's (1 = no slowdown). */
function ratio(smallerSeconds: number | null | undefined, largerSeconds: number | null | undefined, smallerCount: number, largerCount: number): number | null {
  if (!smallerSeconds || !largerSeconds) return null;
  return Math.round(((largerCount / largerSeconds) / (smallerCount / smallerSeconds)) * 1000) / 1000;
}

main().catch((error: unknown) => {
  process.stderr.write(`bench: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
  process.exitCode = 1;
});
