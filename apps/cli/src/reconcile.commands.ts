import * as fs from 'node:fs';
import type { Command } from 'commander';
import { DomainError, PAYOUT_REPORT_BYTES_MAXIMUM, parseInstant } from '@rsi/domain';
import type { LedgerRuntime } from '@rsi/ledger';
import { library } from './ledger-library';

export type ReconcileCommandContext = {
  withLedger<T>(work: (runtime: LedgerRuntime) => Promise<T>): Promise<T>;
};

class UsageError extends Error {}

const RECONCILIATION_FORMATS = ['json', 'csv'] as const;

/** The report file's bytes, refused above the limit before it is read whole. */
function readReportFile(filePath: string): Buffer {
  const size = fs.statSync(filePath).size;
  if (size > PAYOUT_REPORT_BYTES_MAXIMUM) throw new UsageError(`${filePath}: a payout report holds at most ${PAYOUT_REPORT_BYTES_MAXIMUM} bytes`);
  return fs.readFileSync(filePath);
}

/** An instant option as the domain reads instants (null when not given). */
function instantOption(value: string | undefined, option: string): string | null {
  if (value === undefined) return null;
  try {
    return parseInstant(value, option).iso;
  } catch (error) {
    if (error instanceof DomainError) throw new UsageError(`${option}: ${error.message}`);
    throw error;
  }
}

/**
 * `reconcile payouts FILE.csv` (docs/cli.md): the provider's payout report against the
 * ledger's payouts. Exit 0 when all match, 1 when anything is unmatched, 2 when the report is
 * refused (the message names the line). Writes nothing to the ledger.
 */
export function registerReconcileCommands(program: Command, context: ReconcileCommandContext): void {
  const reconcile = program.command('reconcile').description("finance's reconciliations against the payment provider");
  reconcile
    .command('payouts')
    .description("compares a provider's payout report (CSV: reference, amount, currency, status, date) with the ledger's payouts; prints matched, missingFromReport, missingFromLedger, amountMismatches and statusMismatches; exit 1 when anything is unmatched")
    .argument('<file>', 'the payout report, CSV in UTF-8 with a header line (docs/cli.md "reconcile payouts")')
    .option('--format <format>', `${RECONCILIATION_FORMATS.join(' or ')}`, 'json')
    .option('--from <instant>', "the report's period starts (ISO 8601): ledger payouts requested before it are not expected in the report")
    .option('--to <instant>', "the report's period ends, exclusive (ISO 8601): ledger payouts requested at or after it are not expected in the report")
    .action(async (filePath: string, options: { format: string; from?: string; to?: string }) => {
      if (!(RECONCILIATION_FORMATS as readonly string[]).includes(options.format)) {
        throw new UsageError(`--format must be one of ${RECONCILIATION_FORMATS.join(', ')}, not ${JSON.stringify(options.format)}`);
      }
      const period = { from: instantOption(options.from, '--from'), to: instantOption(options.to, '--to') };
      if (period.from !== null && period.to !== null && Date.parse(period.from) >= Date.parse(period.to)) throw new UsageError('--from must be before --to');
      // The report is checked before the ledger is opened: a refused file costs no connection.
      const reportRows = library().parsePayoutReport(readReportFile(filePath));
      const reconciliation = await context.withLedger(async (runtime) => {
        await runtime.projector.catchUp();
        return library().reconcilePayouts(await library().ledgerPayoutsOf(runtime.connection.pool), reportRows, period);
      });
      process.stdout.write(options.format === 'csv' ? library().reconciliationAsCsv(reconciliation) : `${JSON.stringify(reconciliation, null, 2)}\n`);
      if (!reconciliation.allMatched) process.exitCode = 1;
    });
}
