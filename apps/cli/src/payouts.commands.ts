import type { Command } from 'commander';
import { formatMoney, RUN_ID_LENGTH_MAXIMUM } from '@rsi/domain';
import type { LedgerRuntime } from '@rsi/ledger';

export type PayoutsCommandContext = {
  withLedger<T>(work: (runtime: LedgerRuntime) => Promise<T>): Promise<T>;
  actor(): string;
};

/** `payouts run` (docs/cli.md, docs/domain.md "Payout runs"). */
export function registerPayoutsCommands(program: Command, context: PayoutsCommandContext): void {
  const payouts = program.command('payouts').description("operator's commands about payouts");
  payouts
    .command('run')
    .description('RunPayouts: one payout of the whole available balance for every developer at or above their minimum payout; re-running a run id changes nothing. Prints the run as JSON')
    .requiredOption('--run-id <id>', `run id (at most ${RUN_ID_LENGTH_MAXIMUM} characters); payout ids are <runId>:<developerId>`)
    .requiredOption('--currency <code>', 'ISO 4217 currency of the balances paid out')
    .option('--as-of <instant>', 'balances available at this instant (default now)')
    .action(async (options: { runId: string; currency: string; asOf?: string }) => {
      await context.withLedger(async (runtime) => {
        const recordedAt = new Date().toISOString();
        const asOf = options.asOf ?? recordedAt;
        const outcome = await runtime.bus.execute(
          runtime.bus.parse({ type: 'RunPayouts', runId: options.runId, currency: options.currency, asOf }),
          { actor: context.actor(), recordedAt },
        );
        if (outcome.status === 'refused' || outcome.status === 'failed') {
          process.stderr.write(`rsi-ledger: payout run ${outcome.status}: ${outcome.error.code}: ${outcome.error.message}\n`);
          process.exitCode = 1;
          return;
        }
        await runtime.projector.catchUp();
        const rows = await runtime.connection.pool.query<{ developer_id: string; currency: string; as_of: Date; available_minor: string; minimum_payout_minor: string; payout_id: string | null }>(
          `SELECT developer_id, currency, as_of, available_minor::text AS available_minor, minimum_payout_minor::text AS minimum_payout_minor, payout_id
             FROM payout_runs WHERE run_id = $1 ORDER BY developer_id`, [options.runId],
        );
        const money = (minor: string, currency: string) => formatMoney(BigInt(minor), currency);
        const developers = rows.rows.map((row) => ({
          developerId: row.developer_id, available: money(row.available_minor, row.currency), minimumPayout: money(row.minimum_payout_minor, row.currency),
          payoutId: row.payout_id,
        }));
        const paid = developers.filter((developer) => developer.payoutId !== null);
        process.stdout.write(`${JSON.stringify({
          runId: options.runId, currency: options.currency, asOf: rows.rows[0]?.as_of.toISOString() ?? asOf, status: outcome.status,
          developersAssessed: developers.length, payoutsRequested: paid.length, developers,
        }, null, 2)}\n`);
      });
    });
}
