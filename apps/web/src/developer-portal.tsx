import { useEffect, useState } from 'preact/hooks';
import { apiGet, apiJsonLines } from './api-client';
import { Amount, ChartPanel, ErrorNote, Section, Time, recentMonths } from './components';
import { chartValue, percentOf, sumDecimals } from './format';
import { VerifyFilePanel } from './statement-view';

type Balance = { currency: string; pending: string; available: string; refunded: string; payoutsInFlight: string; paid: string; credited: string };
type Balances = { developerId: string; asOf: string; balances: Balance[] };
type UnitEconomicsMonth = {
  currency: string; month: string; grossRevenue: string; refunds: string; platformShare: string; carveOuts: string;
  payPerUseEquivalent: string; infrastructureCost: string; platformMargin: string; developerSaving: string;
};
type UnitEconomicsRow = UnitEconomicsMonth & { appId: string; developerId: string };
type UnitEconomics = { appId: string; months: UnitEconomicsMonth[] };
type MonthActivity = { month: string; currency: string; credits: string; refunds: string; payouts: string };

const CHART_MONTHS = 12;

/** The first instant of a YYYY-MM month (UTC). */
function monthStart(month: string): string {
  return `${month}-01T00:00:00.000Z`;
}

function nextMonth(month: string): string {
  const [year, monthNumber] = month.split('-').map(Number) as [number, number];
  const date = new Date(Date.UTC(year, monthNumber, 1));
  return `${date.getUTCFullYear()}-${String(date.getUTCMonth() + 1).padStart(2, '0')}`;
}

function difference(later: string, earlier: string): string {
  return sumDecimals([later, earlier.startsWith('-') ? earlier.slice(1) : `-${earlier}`]);
}

/**
 * Credits, refunds and payouts per month from the balances as booked at each month's start
 * (`bookedAsOf`): one small read per month, whatever the number of receipts.
 */
function activityOf(months: readonly string[], snapshots: readonly (Balances | null)[]): MonthActivity[] {
  const activity: MonthActivity[] = [];
  months.forEach((month, index) => {
    const before = snapshots[index];
    const after = snapshots[index + 1];
    if (!after) return;
    for (const balance of after.balances) {
      const previous = before?.balances.find((candidate) => candidate.currency === balance.currency);
      const zero = balance.credited.replace(/[0-9]/g, '0').replace('-', '');
      const paidOut = (entry: Balance | undefined) => (entry === undefined ? zero : sumDecimals([entry.paid, entry.payoutsInFlight]));
      activity.push({
        month, currency: balance.currency,
        credits: difference(balance.credited, previous?.credited ?? zero),
        refunds: difference(balance.refunded, previous?.refunded ?? zero),
        payouts: difference(paidOut(balance), paidOut(previous)),
      });
    }
  });
  return activity;
}

export function DeveloperPortal({ developerId }: { developerId: string }) {
  const [balances, setBalances] = useState<Balances | null>(null);
  const [activity, setActivity] = useState<MonthActivity[] | null>(null);
  const [economics, setEconomics] = useState<UnitEconomics[]>([]);
  const [error, setError] = useState<unknown>(null);
  const months = recentMonths(new Date(), CHART_MONTHS);

  useEffect(() => {
    const balancesPath = `/v1/developers/${encodeURIComponent(developerId)}/balances`;
    apiGet<Balances>(balancesPath).then(setBalances).catch(setError);
    // Boundaries: each month's start, and now for the month in progress.
    const now = new Date().toISOString();
    const boundaries = [...months.map(monthStart), monthStart(nextMonth(months[months.length - 1]!))].map((instant) => (instant < now ? instant : null));
    Promise.all(boundaries.map((instant) => apiGet<Balances>(instant === null ? balancesPath : `${balancesPath}?bookedAsOf=${encodeURIComponent(instant)}`).catch(() => null)))
      .then((snapshots) => setActivity(activityOf(months, snapshots)))
      .catch(setError);
    apiJsonLines<UnitEconomicsRow>('/v1/exports/unit-economics?format=jsonl')
      .then((rows) => {
        const byApp = new Map<string, UnitEconomicsMonth[]>();
        for (const row of rows.filter((candidate) => candidate.developerId === developerId)) byApp.set(row.appId, [...(byApp.get(row.appId) ?? []), row]);
        setEconomics([...byApp.entries()].sort(([left], [right]) => left.localeCompare(right)).map(([appId, appMonths]) => ({ appId, months: appMonths })));
      })
      .catch(() => setEconomics([]));
  }, [developerId]);

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
