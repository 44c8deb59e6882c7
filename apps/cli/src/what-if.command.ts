import type { LedgerRuntime, WhatIfReport } from '@rsi/ledger';
import { library } from './ledger-library';
import { formatTable } from './table-format';

/** Finds the app's developer through the directory read model, replays, and renders a side-by-side table. */
export async function runWhatIf(
  runtime: LedgerRuntime,
  options: { appId: string; contractTerms: unknown; from?: string; to?: string },
): Promise<{ report: WhatIfReport; text: string }> {
  await runtime.projector.catchUp();
  const found = await runtime.connection.pool.query<{ developer_id: string }>('SELECT developer_id FROM apps WHERE app_id = $1', [options.appId]);
  if (found.rows.length === 0) throw new Error(`no app ${JSON.stringify(options.appId)} is registered in this ledger`);
  const report = await library().whatIfContract(runtime.store, { ...options, developerId: found.rows[0].developer_id });
  const window = `${report.from ?? 'the beginning'} to ${report.to ?? 'now'}`;
  let text = `What-if for app ${report.appId} (developer ${report.developerId}), receipts from ${window}: ` +
    `${report.receiptsCompared} receipts and ${report.refundsCompared} refunds, net of refunds, ${report.currency}\n`;
  text += formatTable(['party', 'recorded', 'what-if', 'difference'], report.parties.map((party) => [party.party, party.recorded, party.whatIf, party.difference]));
  text += '\n';
  if (report.refusedCount > 0) {
    text += `\n${report.refusedCount} receipts or refunds are refused under the what-if terms and left out:\n${report.refusals.join('\n')}\n`;
  }
  return { report, text };
}
