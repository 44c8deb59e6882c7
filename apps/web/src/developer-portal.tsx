import { statementDocumentOf, type DeveloperStatement } from '@rsi/ledger/browser';
import { useEffect, useState } from 'preact/hooks';
import { apiGet } from './api-client';
import { Amount, ChartPanel, ErrorNote, Section, Time, recentMonths } from './components';
import { chartValue, percentOf, sumDecimals } from './format';
import { statementPath, VerifyFilePanel } from './statement-view';

type Balance = { currency: string; pending: string; available: string; refunded: string; payoutsInFlight: string; paid: string; credited: string };
type Balances = { developerId: string; asOf: string; balances: Balance[] };
type UnitEconomicsMonth = {
  currency: string; month: string; grossRevenue: string; refunds: string; platformShare: string; carveOuts: string;
  payPerUseEquivalent: string; infrastructureCost: string; platformMargin: string; developerSaving: string;
};
type UnitEconomics = { appId: string; developerId: string; months: UnitEconomicsMonth[] };
type MonthActivity = { month: string; currency: string; credits: string; refunds: string; payouts: string };

const CHART_MONTHS = 12;

function activityOf(statement: DeveloperStatement): MonthActivity[] {
  const document = statementDocumentOf(statement);
  return document.currencies.map((summary) => ({
    month: document.period, currency: summary.currency, credits: summary.receiptsNet, refunds: summary.refunds, payouts: summary.payouts,
  }));
}

export function DeveloperPortal({ developerId }: { developerId: string }) {
  const [balances, setBalances] = useState<Balances | null>(null);
  const [activity, setActivity] = useState<MonthActivity[] | null>(null);
  const [appIds, setAppIds] = useState<string[]>([]);
  const [economics, setEconomics] = useState<UnitEconomics[]>([]);
  const [error, setError] = useState<unknown>(null);
  const months = recentMonths(new Date(), CHART_MONTHS);

  useEffect(() => {
    apiGet<Balances>(`/v1/developers/${encodeURIComponent(developerId)}/balances`).then(setBalances).catch(setError);
    Promise.all(months.map((month) => apiGet<DeveloperStatement>(statementPath(developerId, month, 'json')).catch(() => null)))
      .then((statements) => {
        const found = statements.filter((statement): statement is DeveloperStatement => statement !== null);
        setActivity(found.flatMap(activityOf));
        setAppIds([...new Set(found.flatMap((statement) => statement.lines.map((line) => line.appId).filter((appId): appId is string => appId !== null)))].sort());
      })
      .catch(setError);
  }, [developerId]);

  useEffect(() => {
    Promise.all(appIds.map((appId) => apiGet<UnitEconomics>(`/v1/apps/${encodeURIComponent(appId)}/unit-economics`).catch(() => null)))
      .then((found) => setEconomics(found.filter((entry): entry is UnitEconomics => entry !== null)))
      .catch(setError);
  }, [appIds.join(',')]);

  const currencies = [...new Set((activity ?? []).map((entry) => entry.currency))].sort();
  const chartCurrency = currencies[0] ?? null;
  const chartRows = months.map((month) => (activity ?? []).find((entry) => entry.month === month && entry.currency === chartCurrency)
    ?? { month, currency: chartCurrency ?? '', credits: '0', refunds: '0', payouts: '0' });

  return (
    <div>
      <h1>Your balances</h1>
      <ErrorNote error={error} />
      <Section title="Balances per currency">
        {balances === null ? <p class="muted">Loading…</p> : balances.balances.length === 0 ? <p class="muted">No money yet.</p> : (
          <div class="cards" data-testid="balances">
            {balances.balances.map((balance) => (
              <div class="card" key={balance.currency} data-currency={balance.currency}>
                <h3>{balance.currency}</h3>
                <dl>
                  <dt>Available</dt><dd class="number" data-field="available"><Amount value={balance.available} /></dd>
                  <dt>Pending</dt><dd class="number" data-field="pending"><Amount value={balance.pending} /></dd>
                  <dt>In flight</dt><dd class="number" data-field="payoutsInFlight"><Amount value={balance.payoutsInFlight} /></dd>
                  <dt>Paid</dt><dd class="number" data-field="paid"><Amount value={balance.paid} /></dd>
                </dl>
              </div>
            ))}
          </div>
        )}
        {balances ? <p class="muted small">As of <Time iso={balances.asOf} />.</p> : null}
      </Section>
      <Section title={`Credits, refunds and payouts${chartCurrency ? ` (${chartCurrency})` : ''}`}>
        {activity === null ? <p class="muted">Loading…</p> : chartCurrency === null ? <p class="muted">No activity in the last {CHART_MONTHS} months.</p> : (
          <ChartPanel
            label="credits refunds payouts"
            figures={chartRows}
            config={{
              type: 'bar',
              data: {
                labels: chartRows.map((row) => row.month),
                datasets: [
                  { label: 'Credits (your share)', data: chartRows.map((row) => chartValue(row.credits)), backgroundColor: '#1f6f43' },
                  { label: 'Refunds', data: chartRows.map((row) => chartValue(row.refunds)), backgroundColor: '#b3261e' },
                  { label: 'Payouts', data: chartRows.map((row) => chartValue(row.payouts)), backgroundColor: '#1d4f91' },
                ],
              },
              options: {},
            }}
          />
        )}
      </Section>
      <Section title="Monthly statements">
        <ul class="statement-list">
          {[...months].reverse().map((month) => (
            <li key={month}><a href={`#/statements/${month}`}>Statement {month}</a></li>
          ))}
        </ul>
        <details>
          <summary>Verify a statement file you kept</summary>
          <VerifyFilePanel />
        </details>
      </Section>
      <Section title="What the revenue share cost you">
        {economics.length === 0 ? <p class="muted">No unit economics yet (they need consumption and a price book).</p> : (
          <div class="table-wrap">
            <table data-testid="unit-economics">
              <thead>
                <tr>
                  <th scope="col">App</th><th scope="col">Currency</th><th scope="col" class="number">Gross revenue</th>
                  <th scope="col" class="number">Revenue share paid</th><th scope="col" class="number">Pay-per-use would cost</th>
                  <th scope="col" class="number">RSI saving</th><th scope="col" class="number">Share of revenue</th>
                </tr>
              </thead>
              <tbody>
                {economics.flatMap((app) => [...new Set(app.months.map((month) => month.currency))].map((currency) => {
                  const rows = app.months.filter((month) => month.currency === currency);
                  const gross = sumDecimals(rows.map((row) => row.grossRevenue));
                  const share = sumDecimals(rows.map((row) => row.platformShare));
                  const payPerUse = sumDecimals(rows.map((row) => row.payPerUseEquivalent));
                  const saving = sumDecimals(rows.map((row) => row.developerSaving));
                  return (
                    <tr key={`${app.appId}-${currency}`}>
                      <th scope="row">{app.appId}</th><td>{currency}</td>
                      <td class="number"><Amount value={gross} /></td><td class="number"><Amount value={share} /></td>
                      <td class="number"><Amount value={payPerUse} /></td>
                      <td class={`number ${saving.startsWith('-') ? 'negative' : 'positive'}`}><Amount value={saving} /></td>
                      <td class="number">{percentOf(share, gross)}</td>
                    </tr>
                  );
                }))}
              </tbody>
            </table>
          </div>
        )}
        <p class="muted small">RSI saving = what pay-per-use would have cost at the platform's price book − the revenue share you paid. Negative: pay-per-use would have been cheaper.</p>
      </Section>
    </div>
  );
}
