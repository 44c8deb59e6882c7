import { formatMoney } from '@rsi/domain';
import type { LedgerRuntime, UnitEconomicsRow } from '@rsi/ledger';
import { library } from './ledger-library';
import { demoPlatformCommands } from './demo-platform';
import { formatTable } from './table-format';

/** The balances are told apart as of this time, so the demo prints the same every day. */
const DEMO_AS_OF = '2026-11-15T00:00:00.000Z';

/**
 * Loads the demo platform through the same command bus as the import and the API (the
 * commands are idempotent: a second run records nothing new), then prints the developers'
 * balances and the platform's share.
 */
export async function runDemo(runtime: LedgerRuntime, write: (text: string) => void): Promise<void> {
  const commands = demoPlatformCommands();
  const outcomes = await runtime.bus.executeBatch(commands, { actor: 'cli:demo', recordedAt: new Date().toISOString() });
  const refused = outcomes.flatMap((outcome, index) => (outcome.status === 'refused' || outcome.status === 'failed' ? [`${commands[index].type}: ${outcome.error.message}`] : []));
  if (refused.length > 0) throw new Error(`the demo platform was refused or failed:\n${refused.join('\n')}`);
  await runtime.projector.catchUp();
  const recorded = outcomes.filter((outcome) => outcome.status === 'recorded').length;
  write(`RSI Ledger demo — ${runtime.databaseDescription}, ${runtime.eventStoreDescription}\n`);
  write(`${commands.length} commands: ${recorded} recorded now, ${commands.length - recorded} already in the ledger.\n\n`);

  const pool = runtime.connection.pool;
  const balances = await pool.query<{
    developer_id: string; name: string; income_group: string | null; currency: string;
    credited: string; refunded: string; pending: string; in_flight: string; paid: string;
  }>(
    `SELECT b.developer_id, d.name, d.income_group, b.currency, b.credited_minor::text AS credited, b.refunded_minor::text AS refunded,
            COALESCE((SELECT sum(s.developer_minor) FROM splits s WHERE s.developer_id = b.developer_id AND s.currency = b.currency AND s.available_at > $1), 0)::text AS pending,
            b.payouts_in_flight_minor::text AS in_flight, b.paid_minor::text AS paid
       FROM developer_balances b JOIN developers d USING (developer_id) ORDER BY b.developer_id, b.currency`,
    [DEMO_AS_OF],
  );
  write(`Developer balances as of ${DEMO_AS_OF}\n`);
  write(formatTable(
    ['developer', 'income group', 'currency', 'credited', 'refunded', 'pending', 'available', 'paid'],
    balances.rows.map((row) => {
      const available = BigInt(row.credited) - BigInt(row.refunded) - BigInt(row.pending) - BigInt(row.in_flight) - BigInt(row.paid);
      const money = (value: string | bigint) => formatMoney(BigInt(value), row.currency);
      return [`${row.developer_id} (${row.name})`, row.income_group ?? '', row.currency, money(row.credited), money(row.refunded), money(row.pending), money(available), money(row.paid)];
    }),
  ));
  write('\n\n');

  const share = await pool.query<{ currency: string; party: string; split: string; reversed: string }>(
    `SELECT currency, party, sum(split_minor)::text AS split, sum(reversed_minor)::text AS reversed
       FROM platform_share_monthly GROUP BY currency, party ORDER BY currency, party`,
  );
  write('Platform share and carve-outs, 2026\n');
  write(formatTable(
    ['currency', 'party', 'split', 'reversed', 'net'],
    share.rows.map((row) => [row.currency, row.party, formatMoney(BigInt(row.split), row.currency), formatMoney(BigInt(row.reversed), row.currency),
      formatMoney(BigInt(row.split) - BigInt(row.reversed), row.currency)]),
  ));
  write('\n\n');

  // Exact sums over the year per app, rounded once (the same figures as the unit-economics export).
  const economics = await pool.query<UnitEconomicsRow>(
    `SELECT app_id, developer_id, currency, '2026' AS month, sum(gross_revenue_minor)::text AS gross_revenue_minor, sum(refunds_minor)::text AS refunds_minor,
            sum(platform_split_minor)::text AS platform_split_minor, sum(platform_reversed_minor)::text AS platform_reversed_minor,
            sum(carve_outs_split_minor)::text AS carve_outs_split_minor, sum(carve_outs_reversed_minor)::text AS carve_outs_reversed_minor,
            sum(pay_per_use_exact)::text AS pay_per_use_exact, sum(infrastructure_cost_exact)::text AS infrastructure_cost_exact
       FROM unit_economics_monthly WHERE month LIKE '2026-%' GROUP BY app_id, developer_id, currency ORDER BY app_id`,
  );
  write('Unit economics per app, 2026 (margin = platform share - infrastructure cost; saving = pay-per-use equivalent - platform share)\n');
  write(formatTable(
    ['app', 'currency', 'revenue', 'platform share', 'pay-per-use equiv.', 'infra cost', 'platform margin', 'developer saving'],
    economics.rows.map((row) => {
      const figures = library().unitEconomicsFiguresOf(row);
      return [figures.appId, figures.currency, figures.grossRevenue, figures.platformShare, figures.payPerUseEquivalent, figures.infrastructureCost,
        figures.platformMargin.startsWith('-') ? `${figures.platformMargin} (carried)` : figures.platformMargin, figures.developerSaving];
    }),
  ));
  write('\n\n');

  const statement = await pool.query<{
    receipt_id: string; app_id: string; amount: string; currency: string; occurred_at: Date; contract_version: number; lines: string;
  }>(
    `SELECT receipt_id, app_id, amount_minor::text AS amount, currency, occurred_at, contract_version, lines::text AS lines
       FROM splits WHERE developer_id = 'rahim' ORDER BY occurred_at DESC LIMIT 5`,
  );
  write('Latest splits of developer rahim (statement excerpt)\n');
  write(formatTable(
    ['receipt', 'app', 'occurred at', 'amount', 'contract', 'lines'],
    statement.rows.map((row) => [row.receipt_id, row.app_id, new Date(row.occurred_at).toISOString(), formatMoney(BigInt(row.amount), row.currency), `v${row.contract_version}`,
      (JSON.parse(row.lines) as { party: string; amountMinor: string }[]).map((line) => `${line.party}=${formatMoney(BigInt(line.amountMinor), row.currency)}`).join(' ')]),
  ));
  write('\n');
}
