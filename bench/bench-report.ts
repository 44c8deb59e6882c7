import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { BenchSettings, MachineDescription } from './bench-settings';
import type { HttpRun } from './http-bench';

export type Measurement = {
  name: string;
  unit: string;
  perSecond: number | null;
  seconds: number | null;
  count: number | null;
  peakRssMebibytes: number | null;
  /** The machine's one-minute load per core around the measurement (above ~1: contended). */
  loadPerCore: number;
  note?: string;
  group?: string;
  role?: string;
};

export type BenchResults = {
  date: string;
  command: string;
  scale: string;
  machine: MachineDescription;
  dataset: Record<string, unknown>;
  measurements: Measurement[];
  http: (HttpRun & { loadPerCore: number })[];
  growth: { postgres: number | null; embedded: number | null };
  elapsedSeconds: number;
  targets?: Target[];
};

export type Target = { target: string; measured: string; met: boolean | null };

const BEGIN_MARKER = '<!-- bench:figures:begin (written by npm run bench) -->';
const END_MARKER = '<!-- bench:figures:end -->';

function formatCount(value: number | null): string {
  return value === null ? '—' : value.toLocaleString('en-US');
}

function find(results: BenchResults, group: string, role: string): Measurement | undefined {
  return results.measurements.find((measurement) => measurement.group === group && measurement.role === role);
}

function percent(value: number): string {
  return `${Math.round(value * 1000) / 10}%`;
}

/** Each target of issue #5 against what this run measured. */
export function evaluateTargets(results: BenchResults): Target[] {
  const targets: Target[] = [];
  const split = results.measurements.find((measurement) => measurement.name.startsWith('split rule'));
  if (split) targets.push({ target: 'split rule ≥ 1,000,000 receipts/s on one core', measured: `${formatCount(split.perSecond)}/s`, met: split.perSecond === null ? null : split.perSecond >= 1_000_000 });
  const groups = [...new Set(results.measurements.map((measurement) => measurement.group).filter((group): group is string => group?.startsWith('import-') ?? false))];
  for (const group of groups) {
    const ours = find(results, group, 'ours');
    const copy = find(results, group, 'copy');
    const peer = find(results, group, 'peer');
    const label = group.replace('import-', '');
    if (ours?.perSecond && copy?.perSecond) {
      const value = ours.perSecond / copy.perSecond;
      targets.push({ target: `import ${label}: ours ≥ 50% of COPY`, measured: percent(value), met: value >= 0.5 });
    }
    if (ours?.perSecond && peer?.perSecond) {
      const value = ours.perSecond / peer.perSecond;
      targets.push({ target: `import ${label}: ours ≥ 3× the peer (Emmett)`, measured: `${Math.round(value * 100) / 100}×`, met: value >= 3 });
    }
    // Issue 17's intermediate targets, on the same figures.
    if (ours?.perSecond && copy?.perSecond) {
      const value = ours.perSecond / copy.perSecond;
      targets.push({ target: `import ${label}: ours ≥ 25% of COPY (issue 17)`, measured: percent(value), met: value >= 0.25 });
    }
    if (ours?.perSecond && peer?.perSecond) {
      const value = ours.perSecond / peer.perSecond;
      targets.push({ target: `import ${label}: ours ≥ 2× the peer (issue 17)`, measured: `${Math.round(value * 100) / 100}×`, met: value >= 2 });
    }
  }
  // Memory of every import (issue 17): at most 512 MiB, and flat from the smaller to the larger.
  for (const [role, where] of [['ours', 'PostgreSQL'], ['ours-embedded', 'embedded PGlite']] as const) {
    const imports = results.measurements.filter((measurement) => measurement.role === role);
    for (const measurement of imports) {
      const rss = measurement.peakRssMebibytes;
      targets.push({
        target: `${measurement.name}: peak RSS ≤ ${IMPORT_PEAK_RSS_MEBIBYTES_MAXIMUM} MiB`,
        measured: rss === null ? measurement.note ?? '—' : `${rss} MiB`, met: rss === null ? null : rss <= IMPORT_PEAK_RSS_MEBIBYTES_MAXIMUM,
      });
    }
    const measured = imports.filter((measurement) => measurement.peakRssMebibytes !== null);
    if (measured.length === 2) {
      const [smaller, larger] = measured;
      const growth = larger.peakRssMebibytes! / smaller.peakRssMebibytes!;
      targets.push({
        target: `import peak RSS flat, ${where} (larger/smaller ≤ ${IMPORT_PEAK_RSS_GROWTH_MAXIMUM})`,
        measured: `${smaller.peakRssMebibytes} MiB → ${larger.peakRssMebibytes} MiB (${Math.round(growth * 100) / 100}×)`, met: growth <= IMPORT_PEAK_RSS_GROWTH_MAXIMUM,
      });
    }
  }
  // Issue #17: replay by 1, 2 and N workers; the targets on its fastest line (named), the growth from 1 worker to N beside it.
  const replayLines = results.measurements.filter((measurement) => measurement.group === 'replay');
  const replay = replayLines.filter((measurement) => measurement.perSecond !== null).sort((left, right) => right.perSecond! - left.perSecond!)[0] ?? replayLines[0];
  const replaySingle = replayLines.find((measurement) => measurement.role === 'workers-1');
  const replayLabel = (measurement: Measurement) => measurement.role?.replace('workers-', '') ?? '?';
  const replayGrowth = replay?.perSecond && replaySingle?.perSecond && replay !== replaySingle
    ? `; ${replayLabel(replay)} workers ${Math.round((replay.perSecond / replaySingle.perSecond) * 100) / 100}× 1 worker` : '';
  if (replay) {
    targets.push({
      target: 'replay ≥ 100,000 events/s (its fastest line)',
      measured: replay.perSecond === null ? replay.note ?? '—' : `${formatCount(replay.perSecond)}/s with ${replayLabel(replay)} worker(s)${replayGrowth}`,
      met: replay.perSecond === null ? null : replay.perSecond >= 100_000,
    });
  }
  // Issue #17: replay against COPY with the events' indexes; verify's time and memory (its fastest line; the lines show how the rate grows with workers).
  const largerReceipts = (results.dataset.receipts as readonly number[] | undefined)?.[1];
  const replayCopy = find(results, `import-${largerReceipts}`, 'copy-indexed');
  if (replay?.perSecond && replayCopy?.perSecond) {
    const value = replay.perSecond / replayCopy.perSecond;
    targets.push({ target: "replay ≥ 1.5× COPY with the events' indexes (events/s against rows/s; fastest replay line)", measured: `${Math.round(value * 100) / 100}× (${replayLabel(replay)} worker(s))`, met: value >= 1.5 });
  }
  const verifyLines = results.measurements.filter((measurement) => measurement.group === 'verify');
  const verifyBest = verifyLines.filter((measurement) => measurement.seconds !== null).sort((left, right) => left.seconds! - right.seconds!)[0];
  if (verifyLines.length > 0) {
    targets.push({ target: 'verify of the larger ledger < 15 s', measured: verifyBest ? `${verifyBest.seconds} s (${verifyBest.name.split(', ').pop()})` : verifyLines[0]!.note ?? '—', met: verifyBest ? verifyBest.seconds! < 15 : null });
    targets.push({ target: 'verify of the larger ledger ≤ 512 MiB peak RSS', measured: verifyBest ? `${verifyBest.peakRssMebibytes} MiB` : '—', met: verifyBest ? verifyBest.peakRssMebibytes! <= 512 : null });
  }
  const exports = results.measurements.filter((measurement) => measurement.group === 'export' && measurement.peakRssMebibytes !== null);
  if (exports.length === 2) {
    const [smaller, larger] = exports;
    const growth = larger.peakRssMebibytes! / smaller.peakRssMebibytes!;
    targets.push({ target: 'export peak RSS flat (larger/smaller ≤ 1.25)', measured: `${smaller.peakRssMebibytes} MiB → ${larger.peakRssMebibytes} MiB (${Math.round(growth * 100) / 100}×)`, met: growth <= 1.25 });
  }
  const fastest = results.http.find((run) => run.targetRate === null);
  const insertLoop = find(results, 'online', 'insert-loop');
  if (fastest && insertLoop?.perSecond) {
    const value = fastest.requestsPerSecond / insertLoop.perSecond;
    targets.push({
      target: `HTTP single receipts, ${fastest.connections} connections ≥ 2× a bare one-row INSERT loop at ${fastest.connections} clients (issue 17)`,
      measured: `${formatCount(fastest.requestsPerSecond)}/s against ${formatCount(insertLoop.perSecond)}/s: ${Math.round(value * 100) / 100}×`,
      met: value >= 2,
    });
  }
  const rated = results.http.find((run) => run.targetRate !== null);
  if (rated) {
    const reached = rated.requestsPerSecond >= rated.targetRate! * 0.95;
    targets.push({
      target: `HTTP p99 < 50 ms at ${rated.targetRate} requests/s`,
      measured: `p99 ${rated.latencyP99Milliseconds} ms at ${rated.requestsPerSecond}/s${rated.non2xx + rated.errors > 0 ? ` (${rated.non2xx} non-2xx, ${rated.errors} errors)` : ''}`,
      met: reached && rated.latencyP99Milliseconds < 50 && rated.non2xx + rated.errors === 0,
    });
  }
  if (results.growth.postgres !== null) targets.push({ target: 'cost of growth, PostgreSQL: rate at the larger import ≥ 80% of the smaller', measured: percent(results.growth.postgres), met: results.growth.postgres >= 0.8 });
  if (results.growth.embedded !== null) targets.push({ target: 'cost of growth, embedded: rate at the larger import ≥ 80% of the smaller', measured: percent(results.growth.embedded), met: results.growth.embedded >= 0.8 });
  return targets;
}

/** Issue 17: the peak RSS of every import, and how much it may grow from the smaller import to the larger (as the export's). */
const IMPORT_PEAK_RSS_MEBIBYTES_MAXIMUM = 512;
const IMPORT_PEAK_RSS_GROWTH_MAXIMUM = 1.25;

function metText(met: boolean | null): string {
  return met === null ? 'not measured' : met ? 'met' : '**missed**';
}

export function markdownFigures(results: BenchResults): string {
  const lines: string[] = [];
  const machine = results.machine;
  lines.push(`Run of ${results.date} (${results.elapsedSeconds} s), command \`${results.command}\`.`);
  lines.push(`Machine: ${machine.logicalCores} logical cores (${machine.cpuModel}), ${machine.memoryGibibytes} GiB; ${machine.platform}; Node ${machine.node}; PostgreSQL ${machine.postgres ?? '?'} on 127.0.0.1 (default settings).`);
  lines.push(`Data: ${JSON.stringify(results.dataset)} — the file of \`writeSampleLedgerFile\` (contracts with three tiers, a cap and two carve-outs).`);
  lines.push('');
  lines.push('| Measurement | Rate | Time (s) | Count | Peak RSS (MiB) | Load/core | Note |');
  lines.push('|---|---:|---:|---:|---:|---:|---|');
  for (const measurement of results.measurements) {
    const ours = measurement.group ? find(results, measurement.group, 'ours') : undefined;
    let note = measurement.note ?? '';
    if (ours?.perSecond && measurement.perSecond && measurement.role && measurement.role !== 'ours') {
      note = `ours/this = ${Math.round((ours.perSecond / measurement.perSecond) * 100) / 100}` + (note ? `; ${note}` : '');
    }
    lines.push(`| ${measurement.name} | ${measurement.perSecond === null ? '—' : `${formatCount(measurement.perSecond)} ${measurement.unit}/s`} | ${measurement.seconds ?? '—'} | ${formatCount(measurement.count)} | ${measurement.peakRssMebibytes ?? '—'} | ${measurement.loadPerCore} | ${note} |`);
  }
  for (const run of results.http) {
    lines.push(`| HTTP POST /v1/receipts, ${run.mode}, ${run.connections} connections, ${run.durationSeconds} s | ${formatCount(run.requestsPerSecond)} requests/s | ${run.durationSeconds} | ${formatCount(run.requestsTotal)} | — | ${run.loadPerCore} | p50 ${run.latencyP50Milliseconds} ms, p99 ${run.latencyP99Milliseconds} ms, max ${run.latencyMaximumMilliseconds} ms; ${run.non2xx} non-2xx, ${run.errors} errors |`);
  }
  lines.push('');
  lines.push('| Target (issues #5 and #17) | Measured | |');
  lines.push('|---|---|---|');
  for (const target of results.targets ?? []) lines.push(`| ${target.target} | ${target.measured} | ${metText(target.met)} |`);
  return lines.join('\n');
}

/** Writes bench/results/latest.json and replaces the figures section of docs/benchmarks.md (the analysis around it stays). */
export function writeReport(settings: BenchSettings, results: BenchResults): void {
  results.targets = evaluateTargets(results);
  mkdirSync(settings.resultsDirectory, { recursive: true });
  const jsonName = results.scale === 'small' ? 'latest-small.json' : 'latest.json';
  writeFileSync(path.join(settings.resultsDirectory, jsonName), `${JSON.stringify(results, null, 2)}\n`);
  const figures = markdownFigures(results);
  process.stdout.write(`${figures}\n`);
  // A quick run checks the harness; only the full run's figures go into the document.
  if (results.scale !== 'full') return;
  const documentPath = path.join(settings.repositoryRoot, 'docs', 'benchmarks.md');
  const section = `${BEGIN_MARKER}\n${figures}\n${END_MARKER}`;
  const existing = existsSync(documentPath) ? readFileSync(documentPath, 'utf8') : '';
  const begin = existing.indexOf(BEGIN_MARKER);
  const end = existing.indexOf(END_MARKER);
  const updated = begin >= 0 && end > begin
    ? `${existing.slice(0, begin)}${section}${existing.slice(end + END_MARKER.length)}`
    : `# Benchmarks\n\nFigures of \`npm run bench\` (issue #5).\n\n${section}\n${existing}`;
  writeFileSync(documentPath, updated);
}
