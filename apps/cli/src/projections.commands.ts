import type { Command } from 'commander';
import type { GlobalPosition } from '@rsi/event-store';
import type { LedgerRuntime } from '@rsi/ledger';
import type { ProjectionFailure, ReleaseOutcome } from '@rsi/projections';
import { SKIP_REASON_LENGTH_MAXIMUM } from '@rsi/domain';
import { library } from './ledger-library';
import { formatTable } from './table-format';

/** Events counted for the lag; beyond it the lag is shown as "at least". */
const LAG_COUNT_MAXIMUM = 10_000;
/** Resolved failures listed by `status` (the newest are the last). */
const HISTORY_LISTED_MAXIMUM = 1_000;

export type ProjectionsCommandContext = {
  withLedger<T>(work: (runtime: LedgerRuntime) => Promise<T>): Promise<T>;
  actor(): string;
};

/** A usage error: exit code 2 (1 means refused or still failing). */
class UsageError extends Error {}

type ProjectionStatus = {
  projection: string;
  checkpoint: string | null;
  head: string | null;
  lagEvents: number;
  lagAtLeast: boolean;
  heldStreams: number;
};

function failureJson(failure: ProjectionFailure): Record<string, unknown> {
  return {
    projection: failure.projectionName, position: library().formatPosition(failure.position), streamName: failure.streamName,
    streamVersion: failure.streamVersion.toString(), eventId: failure.eventId, eventType: failure.eventType,
    error: failure.errorMessage, attempts: failure.attempts, firstFailedAt: failure.firstFailedAt, lastFailedAt: failure.lastFailedAt,
    resolution: failure.resolution, resolvedBy: failure.resolvedBy, resolvedAt: failure.resolvedAt, reason: failure.resolutionReason,
  };
}

async function readStatus(runtime: LedgerRuntime): Promise<{ projections: ProjectionStatus[]; open: ProjectionFailure[]; resolved: ProjectionFailure[] }> {
  const projector = runtime.projector;
  const checkpoint = await projector.readCheckpoint();
  const head = runtime.store.readHeadPosition ? await runtime.store.readHeadPosition() : null;
  const behind = await runtime.store.readAll({ after: checkpoint, maxCount: LAG_COUNT_MAXIMUM });
  const open = await projector.readOpenFailures();
  const resolved = (await projector.readFailureHistory(HISTORY_LISTED_MAXIMUM)).filter((failure) => failure.resolution !== null);
  const format = (position: GlobalPosition | null) => (position === null ? null : library().formatPosition(position));
  const projections = projector.projectionNames.map((projection) => ({
    projection, checkpoint: format(checkpoint), head: format(head), lagEvents: behind.length, lagAtLeast: behind.length === LAG_COUNT_MAXIMUM,
    heldStreams: open.filter((failure) => failure.projectionName === projection).length,
  }));
  return { projections, open, resolved };
}

function printStatus(status: Awaited<ReturnType<typeof readStatus>>): void {
  const rows = status.projections.map((projection) => [
    projection.projection, projection.checkpoint ?? '-', projection.head ?? '-',
    `${projection.lagAtLeast ? '≥' : ''}${projection.lagEvents}`, projection.heldStreams === 0 ? 'running' : `holding ${projection.heldStreams} stream(s)`,
  ]);
  process.stdout.write(`${formatTable(['projection', 'checkpoint', 'head', 'lag (events)', 'state'], rows)}\n`);
  if (status.open.length === 0) process.stdout.write('\nno open failures\n');
  for (const failure of status.open) {
    process.stdout.write(`\nOPEN ${library().describeFailedEvent(failure)}\n  error: ${failure.errorMessage}\n  failed first at ${failure.firstFailedAt}, ${failure.attempts} attempt(s), last at ${failure.lastFailedAt}\n` +
      `  resolve: rsi-ledger projections retry --projection ${failure.projectionName}  |  rsi-ledger projections skip --projection ${failure.projectionName} --position ${library().formatPosition(failure.position)} --reason "…"\n`);
  }
  for (const failure of status.resolved) {
    const why = failure.resolutionReason === null ? '' : `: ${failure.resolutionReason}`;
    process.stdout.write(`\n${failure.resolution!.toUpperCase()} ${library().describeFailedEvent(failure)} by ${failure.resolvedBy} at ${failure.resolvedAt}${why}\n`);
  }
}

function printOutcomes(outcomes: ReleaseOutcome[]): boolean {
  let allReleased = true;
  for (const outcome of outcomes) {
    const named = library().describeFailedEvent(outcome.failure);
    if (outcome.failedAgain === null) {
      process.stdout.write(`${outcome.action} ${named}: ${outcome.eventsApplied} held event(s) applied, stream ${outcome.failure.streamName} released\n`);
    } else {
      allReleased = false;
      const same = outcome.failedAgain.eventId === outcome.failure.eventId;
      process.stdout.write(`${outcome.action} ${named}: ${same ? 'it fails again' : `${outcome.eventsApplied} held event(s) applied, then event ${outcome.failedAgain.eventId} at ${library().formatPosition(outcome.failedAgain.position)} failed`}; ` +
        `stream ${outcome.failure.streamName} stays held: ${outcome.failedAgain.errorMessage}\n`);
    }
  }
  return allReleased;
}

/** `projections status|retry|skip`: what a projection could not apply, and the operator's decisions (docs/cli.md). */
export function registerProjectionsCommands(program: Command, context: ProjectionsCommandContext): void {
  const projections = program.command('projections').description('projection checkpoints, events a projection could not apply, and their resolution');

  projections
    .command('status')
    .description("each projection's checkpoint, head and lag; open failures with the event named; resolved ones with who, when and why")
    .option('--json', 'a JSON document instead of text')
    .action(async (options: { json?: boolean }) => {
      await context.withLedger(async (runtime) => {
        const status = await readStatus(runtime);
        if (options.json) {
          process.stdout.write(`${JSON.stringify({ projections: status.projections, openFailures: status.open.map(failureJson), resolvedFailures: status.resolved.map(failureJson) }, null, 2)}\n`);
        } else {
          printStatus(status);
        }
        // Open failures are a state to act on: scripts and monitors see it in the exit code.
        if (status.open.length > 0) process.exitCode = 1;
      });
    });

  projections
    .command('retry')
    .description('try the held events again (after a fix), oldest first; a stream that applies is released')
    .option('--projection <name>', 'only this projection')
    .action(async (options: { projection?: string }) => {
      await context.withLedger(async (runtime) => {
        const outcomes = await runtime.projector.retry({ projectionName: options.projection, actor: context.actor() });
        if (outcomes.length === 0) {
          process.stdout.write('no open failures to retry\n');
          return;
        }
        if (!printOutcomes(outcomes)) process.exitCode = 1;
        await runtime.projector.catchUp();
      });
    });

  projections
    .command('skip')
    .description('skip exactly the failed event at a position (recorded with who, when and why; verify reports it for ever)')
    .option('--position <commit/prepare>', 'global position of the failed event, as projections status shows it (required)')
    .option('--reason <text>', `why it is skipped, 1 to ${SKIP_REASON_LENGTH_MAXIMUM} characters (required)`)
    .option('--projection <name>', 'only in this projection (default: every projection that failed on it)')
    .action(async (options: { position?: string; reason?: string; projection?: string }) => {
      if (options.position === undefined) throw new UsageError('--position is required (the position projections status shows, commit/prepare)');
      const position = library().parsePosition(options.position);
      if (position === null) throw new UsageError(`--position must be commit/prepare (two integers), not ${JSON.stringify(options.position.slice(0, 64))}`);
      const reason = (options.reason ?? '').trim();
      if (reason.length === 0) throw new UsageError('--reason is required: a skip is a recorded decision and says why');
      if (reason.length > SKIP_REASON_LENGTH_MAXIMUM) throw new UsageError(`--reason holds at most ${SKIP_REASON_LENGTH_MAXIMUM} characters`);
      await context.withLedger(async (runtime) => {
        const outcomes = await runtime.projector.skip({ projectionName: options.projection, position, reason, actor: context.actor() });
        if (!printOutcomes(outcomes)) process.exitCode = 1;
        await runtime.projector.catchUp();
      });
    });
}
