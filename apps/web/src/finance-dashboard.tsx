import { useEffect, useState } from 'preact/hooks';
import { apiJsonLines, apiText, downloadText } from './api-client';
import { Amount, ChartPanel, ErrorNote, Section } from './components';
import { EXPORT_NAMES } from './export-names';
import { chartValue, percentOf, sumDecimals } from './format';
import { WhatIfForm } from './what-if-form';

type PlatformShareRow = { currency: string; month: string; party: string; split: string; reversed: string; net: string };
type UnitEconomicsRow = {
  appId: string; developerId: string; currency: string; month: string; grossRevenue: string; refunds: string; platformShare: string; carveOuts: string;
  payPerUseEquivalent: string; infrastructureCost: string; platformMargin: string; developerSaving: string;
};
export type MonthFigures = { currency: string; month: string; gross: string; platformShare: string; carveOuts: string };


/**
 * Per currency and month of occurrence (both exports go by occurredAt): GMV from the
 * unit-economics export (gross revenue − refunds, every app), platform share and carve-outs
 * from the platform-share export (net of refunds; it holds the platform and carve-out
 * parties, not the developers).
 */
export function monthFiguresOf(shares: readonly PlatformShareRow[], economics: readonly UnitEconomicsRow[]): MonthFigures[] {
  const byKey = new Map<string, { currency: string; month: string; gross: string[]; platform: string[]; carveOuts: string[] }>();
  const entryOf = (currency: string, month: string) => {
    const key = `${currency} ${month}`;
    let entry = byKey.get(key);
    if (!entry) {
      entry = { currency, month, gross: [], platform: [], carveOuts: [] };
      byKey.set(key, entry);
    }
    return entry;
  };
  for (const row of shares) {
    const entry = entryOf(row.currency, row.month);
    if (row.party === 'platform') entry.platform.push(row.net);
    else if (!row.party.startsWith('developer:')) entry.carveOuts.push(row.net);
  }
  for (const row of economics) {
    const entry = entryOf(row.currency, row.month);
    entry.gross.push(row.grossRevenue, `-${row.refunds}`.replace('--', ''));
  }
  /** Zero with the decimals the currency's other figures have (sumDecimals of nothing has none). */
  const total = (values: string[], sample: string | undefined) => sumDecimals(values.length > 0 ? values : [(sample ?? '0').replace(/-/g, '').replace(/[0-9]/g, '0')]);
  return [...byKey.values()]
    .sort((left, right) => (left.currency === right.currency ? left.month.localeCompare(right.month) : left.currency.localeCompare(right.currency)))
    .map((entry) => {
      const sample = [...entry.gross, ...entry.platform, ...entry.carveOuts][0];
      return { currency: entry.currency, month: entry.month, gross: total(entry.gross, sample), platformShare: total(entry.platform, sample), carveOuts: total(entry.carveOuts, sample) };
    });
}

function ExportDownloads() {
  const [name, setName] = useState('splits');
  const [format, setFormat] = useState<'csv' | 'jsonl'>('csv');
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [asOf, setAsOf] = useState('');
  const [error, setError] = useState<unknown>(null);
  const download = (event: Event) => {
    event.preventDefault();
    setError(null);
    const query = new URLSearchParams({ format });
    if (from) query.set('from', new Date(from).toISOString());
    if (to) query.set('to', new Date(to).toISOString());
    if (asOf) query.set('asOf', new Date(asOf).toISOString());
    apiText(`/v1/exports/${name}?${query.toString()}`)
      .then((text) => downloadText(`${name}.${format}`, text, format === 'csv' ? 'text/csv' : 'application/x-ndjson'))
      .catch(setError);
  };
  return (
    <form class="form-row" onSubmit={download}>
      <label>Export <select value={name} onChange={(event) => setName(event.currentTarget.value)}>{EXPORT_NAMES.map((exportName) => <option key={exportName}>{exportName}</option>)}</select></label>
      <label>Format <select value={format} onChange={(event) => setFormat(event.currentTarget.value as 'csv' | 'jsonl')}><option>csv</option><option>jsonl</option></select></label>
      <label>From <input type="date" value={from} onInput={(event) => setFrom(event.currentTarget.value)} /></label>
      <label>To <input type="date" value={to} onInput={(event) => setTo(event.currentTarget.value)} /></label>
      <label>As of <input type="datetime-local" value={asOf} onInput={(event) => setAsOf(event.currentTarget.value)} /></label>
      <button type="submit">Download</button>
      <ErrorNote error={error} />
    </form>
  );
}

export function FinanceDashboard() {
  const [shares, setShares] = useState<PlatformShareRow[] | null>(null);
  const [economics, setEconomics] = useState<UnitEconomicsRow[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    apiJsonLines<PlatformShareRow>('/v1/exports/platform-share?format=jsonl').then(setShares).catch(setError);
    apiJsonLines<UnitEconomicsRow>('/v1/exports/unit-economics?format=jsonl').then(setEconomics).catch(() => setEconomics([]));
  }, []);
  const figures = monthFiguresOf(shares ?? [], economics ?? []);
  const currencies = [...new Set(figures.map((row) => row.currency))].sort();
  const apps = new Map<string, { appId: string; currency: string; rows: UnitEconomicsRow[] }>();
  for (const row of economics ?? []) {
    const key = `${row.appId} ${row.currency}`;
    if (!apps.has(key)) apps.set(key, { appId: row.appId, currency: row.currency, rows: [] });
    apps.get(key)!.rows.push(row);
  }
  const appTotals = [...apps.values()].map((app) => {
    const sum = (field: keyof UnitEconomicsRow) => sumDecimals(app.rows.map((row) => row[field]));
    return {
      appId: app.appId, currency: app.currency, gross: sum('grossRevenue'), platformShare: sum('platformShare'), cost: sum('infrastructureCost'),
      margin: sum('platformMargin'), saving: sum('developerSaving'), payPerUse: sum('payPerUseEquivalent'),
    };
  }).sort((left, right) => Number(right.gross) - Number(left.gross));
  return (
    <div>
      <h1>Finance</h1>
      <ErrorNote error={error} />
      {currencies.map((currency) => {
        const rows = figures.filter((row) => row.currency === currency);
        const gross = sumDecimals(rows.map((row) => row.gross));
        const platformShare = sumDecimals(rows.map((row) => row.platformShare));
        return (
          <Section title={`Gross revenue and platform share (${currency})`} key={currency}>
            <p>Effective take rate: <strong data-testid={`take-rate-${currency}`}>{percentOf(platformShare, gross)}</strong> of <Amount value={gross} currency={currency} /> gross.</p>
            <ChartPanel
              label={`platform share ${currency}`}
              figures={rows}
              config={{
                type: 'bar',
                data: {
                  labels: rows.map((row) => row.month),
                  datasets: [
                    { label: 'Gross (GMV)', data: rows.map((row) => chartValue(row.gross)), backgroundColor: '#9aa5b1' },
                    { label: 'Platform share', data: rows.map((row) => chartValue(row.platformShare)), backgroundColor: '#1d4f91' },
                    { label: 'Carve-outs', data: rows.map((row) => chartValue(row.carveOuts)), backgroundColor: '#8a5a00' },
                  ],
                },
                options: {},
              }}
            />
            <div class="table-wrap">
              <table>
                <thead><tr><th scope="col">Month</th><th scope="col" class="number">Gross</th><th scope="col" class="number">Platform share</th><th scope="col" class="number">Carve-outs</th><th scope="col" class="number">Take rate</th></tr></thead>
                <tbody>
                  {rows.map((row) => (
                    <tr key={row.month}>
                      <th scope="row">{row.month}</th><td class="number"><Amount value={row.gross} /></td><td class="number"><Amount value={row.platformShare} /></td>
                      <td class="number"><Amount value={row.carveOuts} /></td><td class="number">{percentOf(row.platformShare, row.gross)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </Section>
        );
      })}
      {shares !== null && currencies.length === 0 ? <p class="muted">No revenue recorded yet.</p> : null}
      <Section title="Apps: take rate, unit economics and break-even">
        {appTotals.length === 0 ? <p class="muted">No unit economics yet.</p> : (
          <div class="table-wrap">
            <table data-testid="app-economics">
              <thead>
                <tr>
                  <th scope="col">App</th><th scope="col">Currency</th><th scope="col" class="number">Gross</th><th scope="col" class="number">Platform share</th>
                  <th scope="col" class="number">Rate charged</th><th scope="col" class="number">Break-even rate</th><th scope="col" class="number">Platform margin</th>
                  <th scope="col" class="number">Developer saving</th><th scope="col">Revenue share pays for it?</th>
                </tr>
              </thead>
              <tbody>
                {appTotals.map((app) => {
                  const covered = !app.margin.startsWith('-');
                  return (
                    <tr key={`${app.appId}-${app.currency}`} class={covered ? undefined : 'warning'}>
                      <th scope="row">{app.appId}</th><td>{app.currency}</td><td class="number"><Amount value={app.gross} /></td>
                      <td class="number"><Amount value={app.platformShare} /></td><td class="number">{percentOf(app.platformShare, app.gross)}</td>
                      <td class="number">{percentOf(app.cost, app.gross)}</td><td class="number"><Amount value={app.margin} /></td>
                      <td class="number"><Amount value={app.saving} /></td><td>{covered ? 'yes' : 'no: the share is below the cost'}</td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        )}
        <p class="muted small">Rate charged = platform share ÷ gross revenue; break-even rate = infrastructure cost ÷ gross revenue. Apps are ordered by gross revenue (top apps first).</p>
      </Section>
      <Section title="Exports"><ExportDownloads /></Section>
      <Section title="What if the terms were different?"><WhatIfForm /></Section>
    </div>
  );
}
