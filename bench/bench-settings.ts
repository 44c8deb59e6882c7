import * as os from 'node:os';
import * as path from 'node:path';

/**
 * What one `npm run bench` measures. `BENCH_SCALE=small` is the quick run (minutes) for
 * checking the harness; the default is the full run whose figures go into docs/benchmarks.md.
 */
export type BenchScale = 'small' | 'full';

export type BenchSettings = {
  scale: BenchScale;
  /** The server the fresh databases are created on (`CREATE DATABASE`), as its maintenance database. */
  adminDatabaseUrl: string;
  /** Receipts of the smaller and the larger import (the cost of growth compares them). */
  importReceiptCounts: [number, number];
  appCount: number;
  developerCount: number;
  /** Split rule iterations after warm-up. */
  splitIterations: number;
  /** Ledger entries exported, each from the ledger whose import is large enough to hold them. */
  exportRowCounts: [number, number];
  /** An embedded import still running after this long is stopped and reported as not finished. */
  embeddedTimeLimitSeconds: number;
  serverTimeLimitSeconds: number;
  httpDurationSeconds: number;
  httpConnections: number;
  httpTargetRate: number;
  repositoryRoot: string;
  dataDirectory: string;
  resultsDirectory: string;
};

function positiveIntegerFromEnvironment(name: string, fallback: number): number {
  const text = process.env[name];
  if (text === undefined || text.trim() === '') return fallback;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 1) throw new Error(`${name} must be a positive integer, got ${JSON.stringify(text)}`);
  return value;
}

export function readBenchSettings(): BenchSettings {
  const scaleText = (process.env.BENCH_SCALE ?? 'full').trim();
  if (scaleText !== 'small' && scaleText !== 'full') throw new Error(`BENCH_SCALE must be "small" or "full", not ${JSON.stringify(scaleText)}`);
  const scale: BenchScale = scaleText;
  // dist/bench/*.js → the repository root is two levels up.
  const repositoryRoot = path.resolve(__dirname, '..', '..');
  return {
    scale,
    adminDatabaseUrl: process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
    importReceiptCounts: scale === 'small' ? [10_000, 100_000] : [100_000, 1_000_000],
    appCount: 50,
    developerCount: 10,
    splitIterations: scale === 'small' ? 1_000_000 : 5_000_000,
    // Five postings per receipt (clearing, platform, two carve-outs, developer).
    exportRowCounts: scale === 'small' ? [10_000, 100_000] : [100_000, 1_000_000],
    embeddedTimeLimitSeconds: positiveIntegerFromEnvironment('BENCH_EMBEDDED_LIMIT_SECONDS', scale === 'small' ? 300 : 900),
    serverTimeLimitSeconds: positiveIntegerFromEnvironment('BENCH_SERVER_LIMIT_SECONDS', 1_800),
    httpDurationSeconds: positiveIntegerFromEnvironment('BENCH_HTTP_SECONDS', 10),
    // Issue 17 measures single receipts at 20 connections against plain SQL at 20 clients.
    httpConnections: 20,
    httpTargetRate: 1_000,
    repositoryRoot,
    dataDirectory: path.join(repositoryRoot, 'bench', 'data'),
    resultsDirectory: path.join(repositoryRoot, 'bench', 'results'),
  };
}

export type MachineDescription = {
  cpuModel: string;
  logicalCores: number;
  memoryGibibytes: number;
  platform: string;
  node: string;
  postgres?: string;
};

export function describeMachine(): MachineDescription {
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model ?? 'unknown',
    logicalCores: cpus.length,
    memoryGibibytes: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
  };
}

/** The one-minute load average per core: above ~1 other work competes for the CPU. */
export function loadPerCore(): number {
  return Math.round((os.loadavg()[0] / os.cpus().length) * 100) / 100;
}
