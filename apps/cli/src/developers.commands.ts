import type { Command } from 'commander';
import { ERASED_MARKER, REASON_LENGTH_MAXIMUM } from '@rsi/domain';
import type { LedgerRuntime } from '@rsi/ledger';

export type DevelopersCommandContext = {
  withLedger<T>(work: (runtime: LedgerRuntime) => Promise<T>): Promise<T>;
  actor(): string;
};

/** A usage error: exit code 2 through the program's handler (1 means refused). */
class UsageError extends Error {}

/** `developers erase` (docs/cli.md, docs/audit.md "Personal data"). */
export function registerDevelopersCommands(program: Command, context: DevelopersCommandContext): void {
  const developers = program.command('developers').description("operator's commands about developers");
  developers
    .command('erase')
    .description(`erase a developer's personal data: records PersonalDataErased and destroys the data key; the name then reads ${ERASED_MARKER}, every proof still verifies`)
    .option('--developer <id>', 'developer id (required)')
    .option('--reason <text>', `why: a request reference or legal basis (at most ${REASON_LENGTH_MAXIMUM} characters; recorded for good, so no personal data)`)
    .action(async (options: { developer?: string; reason?: string }) => {
      const developerId = options.developer;
      if (developerId === undefined || developerId.length === 0) throw new UsageError('--developer ID is required');
      await context.withLedger(async (runtime) => {
        const outcome = await runtime.ledger.erasePersonalData(
          { developerId, reason: options.reason ?? null },
          { actor: context.actor(), recordedAt: new Date().toISOString() },
        );
        switch (outcome.status) {
          case 'recorded':
            process.stdout.write(`erased the personal data of developer ${developerId}: PersonalDataErased recorded, data key destroyed\n`);
            break;
          case 'already_recorded':
            process.stdout.write(`the personal data of developer ${developerId} was already erased; its data key is destroyed\n`);
            break;
          case 'refused':
            process.stderr.write(`rsi-ledger: erasure refused: ${outcome.error.code}: ${outcome.error.message}\n`);
            process.exitCode = 1;
            return;
          case 'failed':
            process.stderr.write(`rsi-ledger: erasure failed: ${outcome.error.code}: ${outcome.error.message}\n`);
            process.exitCode = 1;
            return;
        }
        await runtime.projector.catchUp();
      });
    });
}
