import { useState } from 'preact/hooks';
import { apiPost } from './api-client';
import { Amount, ErrorNote } from './components';

type WhatIfReport = {
  appId: string; currency: string; from: string | null; to: string | null; receiptsCompared: number; refundsCompared: number;
  refusedCount: number; refusals: string[]; parties: { party: string; recorded: string; whatIf: string; difference: string }[];
};

/**
 * Upload contract terms (the JSON of a contract amendment, as `rsi-ledger what-if` takes
 * them), pick an app and a range, and see the recorded split beside the what-if split
 * (POST /v1/what-if).
 */
export function WhatIfForm() {
  const [contract, setContract] = useState<Record<string, unknown> | null>(null);
  const [appId, setAppId] = useState('');
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [report, setReport] = useState<WhatIfReport | null>(null);
  const [error, setError] = useState<unknown>(null);
  const onFile = (event: Event) => {
    const file = (event.currentTarget as HTMLInputElement).files?.[0];
    if (!file) return;
    setError(null);
    file.text().then((text) => setContract(JSON.parse(text) as Record<string, unknown>)).catch(setError);
  };
  const submit = (event: Event) => {
    event.preventDefault();
    setError(null);
    setReport(null);
    const body: Record<string, unknown> = { appId, contract };
    if (from) body.from = new Date(`${from}T00:00:00Z`).toISOString();
    if (to) body.to = new Date(`${to}T00:00:00Z`).toISOString();
    apiPost<WhatIfReport>('/v1/what-if', body).then(setReport).catch(setError);
  };
  return (
    <div>
      <form class="form-row" onSubmit={submit}>
        <label>Contract terms (JSON file) <input type="file" accept="application/json,.json" onChange={onFile} /></label>
        <label>App <input value={appId} onInput={(event) => setAppId(event.currentTarget.value)} required /></label>
        <label>Receipts from (UTC) <input type="date" value={from} onInput={(event) => setFrom(event.currentTarget.value)} /></label>
        <label>to (UTC) <input type="date" value={to} onInput={(event) => setTo(event.currentTarget.value)} /></label>
        <button type="submit" class="primary" disabled={contract === null || appId === ''}>Compare</button>
      </form>
      <ErrorNote error={error} />
      {report !== null ? (
        <div data-testid="what-if-report">
          <p>{report.receiptsCompared} receipts and {report.refundsCompared} refunds of {report.appId} replayed ({report.currency}){report.refusedCount > 0 ? `; ${report.refusedCount} refused by the what-if terms` : ''}.</p>
          <div class="table-wrap">
            <table>
              <thead><tr><th scope="col">Party</th><th scope="col" class="number">Recorded</th><th scope="col" class="number">What if</th><th scope="col" class="number">Difference</th></tr></thead>
              <tbody>
                {report.parties.map((party) => (
                  <tr key={party.party}>
                    <th scope="row">{party.party}</th><td class="number"><Amount value={party.recorded} /></td>
                    <td class="number"><Amount value={party.whatIf} /></td><td class="number"><Amount value={party.difference} /></td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </div>
      ) : null}
    </div>
  );
}
