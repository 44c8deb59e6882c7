/**
 * What issue 12's integrity costs, in one run on the same file and the same machine:
 * import and replay of N receipts written as before (hash scheme 1, no writer signature,
 * `benchIntegrityBaseline`) against as now (hash scheme 2, one writer signature per append),
 * alternating the order each round so that drift of the machine's load hits both alike; and
 * the time `verify` takes on the ledger written as now. Not a test: run it by hand,
 *   npm run build && DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres node dist/bench/trust-cost.bench.js
 * Optional: TRUST_BENCH_RECEIPTS (default 100,000), TRUST_BENCH_ROUNDS (default 2),
 * TRUST_BENCH_FIRST_ROUND (default 1; odd rounds measure "before" first, even ones "now"
 * first, so two runs of one round each, first rounds 1 and 2, cover both orders).
 * Prints a table and writes bench/results/trust-cost-latest.json.
 */
import 'reflect-metadata';
import { generateKeyPairSync } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { KeyWriterSigner, type RecordedEvent } from '@rsi/event-store';
import { eventHashOf, expectedEventHashOf, importJsonlFile, openLedgerContext, replayIntoFreshSchema, verifyLedger, withImportProjection } from '@rsi/ledger';
import { writeSampleLedgerFile } from '@rsi/test-support';
import { createFreshDatabase, dropDatabase } from './bench-database';
import { describeMachine, loadPerCore } from './bench-settings';

const SAMPLE_SEED = 5;
const SAMPLE_START_EPOCH_MILLISECONDS = Date.UTC(2025, 0, 1);
const RECEIPT_SPACING_SECONDS = 30;

type Variant = 'scheme 1, unsigned (before)' | 'scheme 2, writer-signed (now)';
type Run = {
  round: number; variant: Variant; importSeconds: number; importCpuSeconds: number; replaySeconds: number; replayCpuSeconds: number; events: number;
  verifySeconds: number | null; verifyOk: boolean | null; loadPerCore: number;
  /** On the ledger written now: this process's CPU per event for each hash scheme, and per append for the writer signature. */
  hashing?: { scheme1MicrosecondsPerEvent: number; scheme2MicrosecondsPerEvent: number; signatureMicrosecondsPerAppend: number; appends: number };
};

/** This process's CPU time (user + system, every thread: the import's projection worker too), in seconds. */
function cpuSecondsSince(start: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1e6;
}

/**
 * The CPU the write path spends on integrity, measured on the events themselves, which is
 * what the machine's load disturbs least: each event hashed under scheme 1 and under scheme 2
 * (alternately, three times, the fastest kept), and one Ed25519 signature per append over its
 * events' hashes.
 */
function measureHashing(events: readonly RecordedEvent[]): NonNullable<Run['hashing']> {
  const timeOnce = (work: () => void): number => {
    const startedAt = process.hrtime.bigint();
    work();
    return Number(process.hrtime.bigint() - startedAt) / 1e3;
  };
  let scheme1 = Number.POSITIVE_INFINITY;
  let scheme2 = Number.POSITIVE_INFINITY;
  for (let attempt = 0; attempt < 3; attempt += 1) {
    scheme1 = Math.min(scheme1, timeOnce(() => { for (const event of events) eventHashOf(event.type, event.data, String(event.metadata.previousEventHash)); }));
    scheme2 = Math.min(scheme2, timeOnce(() => { for (const event of events) expectedEventHashOf(event, String(event.metadata.previousEventHash)); }));
  }
  const appends = new Map<bigint, string[]>();
  for (const event of events) appends.set(event.globalPosition.commit, [...(appends.get(event.globalPosition.commit) ?? []), String(event.metadata.eventHash)]);
  const signer = new KeyWriterSigner(generateKeyPairSync('ed25519').privateKey);
  const signing = timeOnce(() => { for (const hashes of appends.values()) signer.sign(hashes); });
  return {
    scheme1MicrosecondsPerEvent: Math.round((scheme1 / events.length) * 100) / 100,
    scheme2MicrosecondsPerEvent: Math.round((scheme2 / events.length) * 100) / 100,
    signatureMicrosecondsPerAppend: Math.round((signing / appends.size) * 10) / 10,
    appends: appends.size,
  };
}

async function readAllEvents(store: { readAll(options: { after: RecordedEvent['globalPosition'] | null; maxCount: number }): Promise<RecordedEvent[]> }): Promise<RecordedEvent[]> {
  const events: RecordedEvent[] = [];
  for (;;) {
    const page = await store.readAll({ after: events.length === 0 ? null : events[events.length - 1]!.globalPosition, maxCount: 10_000 });
    if (page.length === 0) return events;
    events.push(...page);
  }
}

function positiveInteger(name: string, fallback: number): number {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 1) throw new Error(`${name} must be a positive integer`);
  return value;
}

function secondsSince(startedAt: bigint): number {
  return Number(process.hrtime.bigint() - startedAt) / 1e9;
}

function median(values: number[]): number {
  const sorted = [...values].sort((left, right) => left - right);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

async function measure(serverUrl: string, filePath: string, keyFile: string, variant: Variant, round: number, receiptCount: number): Promise<Run> {
  const databaseName = `rsi_trust_bench_${process.pid}_${round}_${variant.startsWith('scheme 1') ? 'before' : 'now'}`;
  const databaseUrl = await createFreshDatabase(serverUrl, databaseName);
  const environment: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: databaseUrl, EVENT_STORE: 'postgres' };
  const benchIntegrityBaseline = variant.startsWith('scheme 1');
  const ledger = await openLedgerContext({ environment, writerPrivateKeyFile: keyFile, benchIntegrityBaseline });
  try {
    const runtime = ledger.runtime;
    const load = loadPerCore();
    let cpuStart = process.cpuUsage();
    let startedAt = process.hrtime.bigint();
    // As `rsi-ledger import` does: on a server the projector runs in a worker thread.
    const summary = await withImportProjection(runtime, { environment }, (catchUpReadModels) => importJsonlFile({
      filePath, bus: runtime.bus, context: () => ({ actor: 'cli:bench', recordedAt: new Date().toISOString() }), catchUpReadModels, nowMilliseconds: () => Date.now(),
    }));
    const importSeconds = secondsSince(startedAt);
    const importCpuSeconds = cpuSecondsSince(cpuStart);
    if (summary.linesRefused > 0) throw new Error(`import refused ${summary.linesRefused} lines`);
    if (summary.linesRead < receiptCount) throw new Error(`import read ${summary.linesRead} lines, fewer than ${receiptCount} receipts`);

    cpuStart = process.cpuUsage();
    startedAt = process.hrtime.bigint();
    const replay = await replayIntoFreshSchema({
      pool: runtime.connection.pool, store: runtime.store, handlers: runtime.projectionHandlers, schema: 'bench_replay', nowMilliseconds: () => Date.now(), copyFromStdin: true,
    });
    const replaySeconds = secondsSince(startedAt);
    const replayCpuSeconds = cpuSecondsSince(cpuStart);
    await runtime.connection.pool.query('DROP SCHEMA bench_replay CASCADE');

    let verifySeconds: number | null = null;
    let verifyOk: boolean | null = null;
    let hashing: Run['hashing'];
    if (!benchIntegrityBaseline) {
      hashing = measureHashing(await readAllEvents(runtime.store));
      startedAt = process.hrtime.bigint();
      const report = await verifyLedger(runtime, () => Date.now());
      verifySeconds = secondsSince(startedAt);
      verifyOk = report.ok;
      if (!report.ok) process.stderr.write(`verify failed: ${JSON.stringify(report.checks.filter((check) => !check.ok)).slice(0, 2000)}\n`);
    }
    return { round, variant, importSeconds, importCpuSeconds, replaySeconds, replayCpuSeconds, events: replay.eventsApplied, verifySeconds, verifyOk, loadPerCore: load, hashing };
  } finally {
    await ledger.close();
    await dropDatabase(serverUrl, databaseName);
  }
}

async function main(): Promise<void> {
  const serverUrl = process.env.DATABASE_URL?.trim();
  if (!serverUrl) throw new Error('set DATABASE_URL to a PostgreSQL server: the benchmark creates and drops databases of its own');
  const receiptCount = positiveInteger('TRUST_BENCH_RECEIPTS', 100_000);
  const rounds = positiveInteger('TRUST_BENCH_ROUNDS', 2);
  const firstRound = positiveInteger('TRUST_BENCH_FIRST_ROUND', 1);
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'rsi-trust-bench-'));
  const startedAt = new Date();
  try {
    const filePath = path.join(directory, 'ledger.jsonl');
    await writeSampleLedgerFile({
      filePath, developerCount: 10, appCount: 50, receiptCount, refundEveryNthReceipt: 0,
      seed: SAMPLE_SEED, startEpochMilliseconds: SAMPLE_START_EPOCH_MILLISECONDS, receiptSpacingSeconds: RECEIPT_SPACING_SECONDS,
    });
    const keyFile = path.join(directory, 'writer-private-key.pem');
    const runs: Run[] = [];
    for (let round = firstRound; round < firstRound + rounds; round += 1) {
      const order: Variant[] = round % 2 === 1
        ? ['scheme 1, unsigned (before)', 'scheme 2, writer-signed (now)']
        : ['scheme 2, writer-signed (now)', 'scheme 1, unsigned (before)'];
      for (const variant of order) {
        const run = await measure(serverUrl, filePath, keyFile, variant, round, receiptCount);
        runs.push(run);
        process.stderr.write(`round ${round}, ${variant}: import ${run.importSeconds.toFixed(2)} s (CPU of this process ${run.importCpuSeconds.toFixed(2)} s), ` +
          `replay ${run.replaySeconds.toFixed(2)} s (CPU ${run.replayCpuSeconds.toFixed(2)} s)${run.hashing ? `, hashing ${JSON.stringify(run.hashing)}` : ''}` +
          `${run.verifySeconds === null ? '' : `, verify ${run.verifySeconds.toFixed(2)} s (ok ${String(run.verifyOk)})`}, load/core ${run.loadPerCore}\n`);
      }
    }
    const of = (variant: Variant) => runs.filter((run) => run.variant === variant);
    const before = of('scheme 1, unsigned (before)');
    const now = of('scheme 2, writer-signed (now)');
    const importRate = (list: Run[]) => median(list.map((run) => receiptCount / run.importSeconds));
    const replayRate = (list: Run[]) => median(list.map((run) => run.events / run.replaySeconds));
    const importCpu = (list: Run[]) => median(list.map((run) => run.importCpuSeconds));
    const hashing = now.find((run) => run.hashing)?.hashing;
    const summary = {
      startedAt: startedAt.toISOString(), receipts: receiptCount, rounds, machine: describeMachine(),
      importReceiptsPerSecond: { before: Math.round(importRate(before)), now: Math.round(importRate(now)), ratioNowToBefore: Math.round((importRate(now) / importRate(before)) * 1000) / 1000 },
      replayEventsPerSecond: { before: Math.round(replayRate(before)), now: Math.round(replayRate(now)), ratioNowToBefore: Math.round((replayRate(now) / replayRate(before)) * 1000) / 1000 },
      importCpuSecondsOfThisProcess: { before: Math.round(importCpu(before) * 100) / 100, now: Math.round(importCpu(now) * 100) / 100, ratioNowToBefore: Math.round((importCpu(now) / importCpu(before)) * 1000) / 1000 },
      hashing,
      verifySeconds: Math.round(median(now.map((run) => run.verifySeconds!)) * 100) / 100,
      verifyEventsPerSecond: Math.round(median(now.map((run) => run.events / run.verifySeconds!))),
      verifyOk: now.every((run) => run.verifyOk === true),
      runs,
    };
    const lines = [
      `Trust cost, ${receiptCount} receipts, ${rounds} round(s), ${startedAt.toISOString()}; median per variant`,
      '| Measurement | Before (scheme 1, unsigned) | Now (scheme 2, writer-signed) | Now / before |',
      '|---|---:|---:|---:|',
      `| import (receipts/s) | ${summary.importReceiptsPerSecond.before} | ${summary.importReceiptsPerSecond.now} | ${summary.importReceiptsPerSecond.ratioNowToBefore} |`,
      `| import, CPU of the ledger process (s) | ${summary.importCpuSecondsOfThisProcess.before} | ${summary.importCpuSecondsOfThisProcess.now} | ${summary.importCpuSecondsOfThisProcess.ratioNowToBefore} |`,
      `| event hash (µs/event, CPU) | ${hashing?.scheme1MicrosecondsPerEvent} | ${hashing?.scheme2MicrosecondsPerEvent} | |`,
      `| writer signature (µs per append, ${hashing?.appends} appends) | — | ${hashing?.signatureMicrosecondsPerAppend} | |`,
      `| replay (events/s) | ${summary.replayEventsPerSecond.before} | ${summary.replayEventsPerSecond.now} | ${summary.replayEventsPerSecond.ratioNowToBefore} |`,
      `| verify (s, ${now[0]?.events ?? 0} events) | — | ${summary.verifySeconds} (${summary.verifyEventsPerSecond} events/s, ok ${String(summary.verifyOk)}) | |`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
    const resultsDirectory = path.resolve(__dirname, '..', '..', 'bench', 'results');
    fs.mkdirSync(resultsDirectory, { recursive: true });
    const text = `${JSON.stringify(summary, null, 2)}\n`;
    fs.writeFileSync(path.join(resultsDirectory, 'trust-cost-latest.json'), text);
    fs.writeFileSync(path.join(resultsDirectory, `trust-cost-${startedAt.toISOString().slice(0, 16).replace(/:/g, '-')}.json`), text);
  } finally {
    fs.rmSync(directory, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`trust bench: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
  process.exitCode = 1;
});
