import 'reflect-metadata';
import { createReadStream, createWriteStream, writeFileSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { parseContractTerms, splitReceipt, type ContractTerms } from '@rsi/domain';
import { openLedgerContext, importJsonlFile, withImportProjection, replayIntoFreshSchema, verifyLedger } from '@rsi/ledger';
import { sampleContract } from '@rsi/test-support';
import { EVENT_ROW_COLUMNS } from './bench-database';
import { appendThroughEmmett } from './peer-emmett';
import { measureSqlPeer } from './sql-peer';
import type { ChildResult, ChildSpec } from './bench-child.protocol';

/**
 * One measurement in its own process, so that its peak RSS is its own and no measurement
 * warms the JIT or the heap of another. Usage: `node dist/bench/bench-child.js '<json spec>'`;
 * the result is written as JSON to `spec.resultPath` (stdout is left to the libraries' logs).
 */
function peakRssMebibytes(): number {
  // maxRSS is in kibibytes (getrusage).
  return Math.round((process.resourceUsage().maxRSS / 1024) * 10) / 10;
}

function secondsSince(startedAt: bigint): number {
  return Number(process.hrtime.bigint() - startedAt) / 1e9;
}

/** The split rule alone, on the contracts the sample ledger uses (three tiers, a cap, two carve-outs). */
function measureSplit(iterations: number): ChildResult {
  const appCount = 50;
  const termsByApp: ContractTerms[] = [];
  for (let appIndex = 0; appIndex < appCount; appIndex += 1) {
    termsByApp.push(parseContractTerms(sampleContract(appIndex, '2026-01-01T00:00:00.000Z')));
  }
  // Inputs prepared beforehand, so that the loop measures the rule and not the generator.
  // Counters sweep 0..600,000.00 so that receipts fall in every tier, straddle tier
  // boundaries and hit the cap.
  const inputCount = 65_536;
  const basisMinor: bigint[] = [];
  const tierCounterMinor: bigint[] = [];
  const capUsageMinor: bigint[] = [];
  let state = 12345;
  const nextRandom = () => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return state / 4294967296;
  };
  for (let index = 0; index < inputCount; index += 1) {
    basisMinor.push(BigInt(1 + Math.floor(nextRandom() * nextRandom() * 200_000)));
    tierCounterMinor.push(BigInt(Math.floor(nextRandom() * 60_000_000)));
    capUsageMinor.push(BigInt(Math.floor(nextRandom() * 2_100_000)));
  }
  let sinkMinor = 0n;
  const run = (count: number) => {
    for (let index = 0; index < count; index += 1) {
      const slot = index & (inputCount - 1);
      const result = splitReceipt({
        terms: termsByApp[index % appCount]!,
        developerId: 'dev-1',
        basisMinor: basisMinor[slot]!,
        tierCounterMinor: tierCounterMinor[slot]!,
        capUsageMinor: capUsageMinor[slot]!,
      });
      sinkMinor += result.platformShareMinor;
    }
  };
  run(Math.min(500_000, iterations));
  const startedAt = process.hrtime.bigint();
  run(iterations);
  const elapsedSeconds = secondsSince(startedAt);
  return { elapsedSeconds, count: iterations, peakRssMebibytes: peakRssMebibytes(), detail: { sinkMinor: sinkMinor.toString() } };
}

async function measureImport(spec: Extract<ChildSpec, { kind: 'import' }>): Promise<ChildResult> {
  const environment: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: spec.databaseUrl ?? '', EVENT_STORE: 'postgres' };
  const ledger = await openLedgerContext({ environment, dataDirectory: spec.dataDirectory ?? undefined });
  const runtime = ledger.runtime;
  try {
    const startedAt = process.hrtime.bigint();
    // As `rsi-ledger import` does: on a server the projector runs in a worker thread.
    const handedOver: Record<string, number> = {};
    const onHandedOver = (outcome: { status: string; eventsApplied: number }) => { handedOver[outcome.status] = (handedOver[outcome.status] ?? 0) + 1; };
    const summary = await withImportProjection(runtime, { environment, onHandedOver, handOverCommittedEvents: spec.handOverCommittedEvents }, (catchUpReadModels) => importJsonlFile({
      filePath: spec.filePath,
      bus: runtime.bus,
      context: () => ({ actor: 'cli:bench', recordedAt: new Date().toISOString() }),
      catchUpReadModels,
      nowMilliseconds: () => Date.now(),
    }));
    const elapsedSeconds = secondsSince(startedAt);
    if (summary.linesRefused > 0) throw new Error(`import refused ${summary.linesRefused} lines: ${JSON.stringify(summary.refusals.slice(0, 3))}`);
    return {
      elapsedSeconds, count: summary.linesRead, peakRssMebibytes: peakRssMebibytes(),
      // handedOver: appends the projector applied as handed over, or refused (then caught up).
      detail: { commandsRecorded: summary.commandsRecorded, eventsProjected: summary.eventsProjected, handedOver },
    };
  } finally {
    await ledger.close();
  }
}

/**
 * The physical limit: the same event rows loaded by COPY into a table with the columns and
 * types of `events` (migrations 0001 and 0005: data and metadata are json) and no logic
 * (no version check, no projection; `withIndexes` adds the
 * primary key, the event-id unique index and the global-order index that `events` has).
 */
async function measureCopy(spec: Extract<ChildSpec, { kind: 'copy' }>): Promise<ChildResult> {
  const client = new pg.Client({ connectionString: spec.databaseUrl });
  await client.connect();
  try {
    await client.query(`
      CREATE TABLE events_copy (
        position bigserial NOT NULL,
        transaction_id xid8 NOT NULL DEFAULT pg_current_xact_id(),
        stream_name text NOT NULL,
        stream_version bigint NOT NULL,
        event_id uuid NOT NULL,
        type text NOT NULL,
        data json NOT NULL,
        metadata json NOT NULL,
        recorded_at timestamptz NOT NULL DEFAULT now()
      )`);
    if (spec.withIndexes) {
      await client.query('ALTER TABLE events_copy ADD PRIMARY KEY (stream_name, stream_version), ADD UNIQUE (event_id)');
      await client.query('CREATE INDEX ON events_copy (transaction_id, position)');
    }
    const startedAt = process.hrtime.bigint();
    const sink = client.query(copyFrom(`COPY events_copy (${EVENT_ROW_COLUMNS.join(', ')}) FROM STDIN`));
    await pipeline(createReadStream(spec.eventRowsPath), sink);
    const elapsedSeconds = secondsSince(startedAt);
    return { elapsedSeconds, count: Number(sink.rowCount), peakRssMebibytes: peakRssMebibytes() };
  } finally {
    await client.end();
  }
}

/**
 * `rsi-ledger replay --workers N --keep-live`'s rebuild: every projection from position 0 into
 * a fresh schema, by one projector or by N worker threads merged (issue 17).
 */
async function measureReplay(spec: Extract<ChildSpec, { kind: 'replay' }>): Promise<ChildResult> {
  const ledger = await openLedgerContext({ environment: { ...process.env, DATABASE_URL: spec.databaseUrl, EVENT_STORE: 'postgres' } });
  const runtime = ledger.runtime;
  try {
    const startedAt = process.hrtime.bigint();
    const cpuBefore = process.cpuUsage();
    const replay = await replayIntoFreshSchema({
      pool: runtime.connection.pool, store: runtime.store, handlers: runtime.projectionHandlers, schema: 'bench_replay', nowMilliseconds: () => Date.now(), copyFromStdin: true,
      parallel: { workers: spec.workers, connectionString: runtime.connection.connectionString },
    });
    const elapsedSeconds = secondsSince(startedAt);
    const cpu = process.cpuUsage(cpuBefore);
    await runtime.connection.pool.query('DROP SCHEMA bench_replay CASCADE');
    return {
      elapsedSeconds, count: replay.eventsApplied, peakRssMebibytes: peakRssMebibytes(),
      // This process's CPU time (every thread), without PostgreSQL's.
      detail: { workers: replay.workers, cpuSeconds: Math.round((cpu.user + cpu.system) / 1e4) / 100, ...replay.phases },
    };
  } finally {
    await ledger.close();
  }
}

/**
 * `rsi-ledger verify --workers N` on the ledger: the whole report (every check, the rebuild
 * and the comparison). Its peak RSS includes its worker threads (they share the process).
 */
async function measureVerify(spec: Extract<ChildSpec, { kind: 'verify' }>): Promise<ChildResult> {
  const ledger = await openLedgerContext({ environment: { ...process.env, DATABASE_URL: spec.databaseUrl, EVENT_STORE: 'postgres' } });
  try {
    const startedAt = process.hrtime.bigint();
    const cpuBefore = process.cpuUsage();
    const report = await verifyLedger(ledger.runtime, () => Date.now(), { workers: spec.workers });
    const elapsedSeconds = secondsSince(startedAt);
    const cpu = process.cpuUsage(cpuBefore);
    if (!report.ok) throw new Error(`verify found the bench ledger not ok: ${JSON.stringify(report.checks.filter((check) => !check.ok)).slice(0, 1_000)}`);
    return {
      elapsedSeconds, count: report.eventsRead, peakRssMebibytes: peakRssMebibytes(),
      // This process's CPU time (every thread), without PostgreSQL's: how much of the work the cores shared.
      detail: { workers: spec.workers, cpuSeconds: Math.round((cpu.user + cpu.system) / 1e4) / 100 },
    };
  } finally {
    await ledger.close();
  }
}

async function measureExport(spec: Extract<ChildSpec, { kind: 'export' }>): Promise<ChildResult> {
  const ledger = await openLedgerContext({ environment: { ...process.env, DATABASE_URL: spec.databaseUrl, EVENT_STORE: 'postgres' } });
  const runtime = ledger.runtime;
  try {
    // What `rsi-ledger export ledger-entries --format csv --out /dev/null` does.
    const output = createWriteStream('/dev/null');
    const startedAt = process.hrtime.bigint();
    const { rowsWritten } = await runtime.exportProjection({
      name: spec.name, format: 'csv', output, to: spec.to ?? undefined, asOf: '2030-01-01T00:00:00.000Z',
    });
    await new Promise<void>((resolve, reject) => { output.end(() => resolve()); output.once('error', reject); });
    const elapsedSeconds = secondsSince(startedAt);
    return { elapsedSeconds, count: rowsWritten, peakRssMebibytes: peakRssMebibytes() };
  } finally {
    await ledger.close();
  }
}

async function main(): Promise<void> {
  const spec = JSON.parse(process.argv[2] ?? '{}') as ChildSpec;
  let result: ChildResult;
  switch (spec.kind) {
    case 'split': result = measureSplit(spec.iterations); break;
    case 'import': result = await measureImport(spec); break;
    case 'copy': result = await measureCopy(spec); break;
    case 'peer': result = await appendThroughEmmett(spec.databaseUrl, spec.sourceDatabaseUrl); break;
    case 'replay': result = await measureReplay(spec); break;
    case 'verify': result = await measureVerify(spec); break;
    case 'export': result = await measureExport(spec); break;
    case 'sql-peer': result = await measureSqlPeer(spec); break;
    default: throw new Error(`unknown bench child kind ${JSON.stringify((spec as { kind: unknown }).kind)}`);
  }
  writeFileSync(spec.resultPath, JSON.stringify(result));
}

main().catch((error: unknown) => {
  process.stderr.write(`bench child: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
  process.exitCode = 1;
});
