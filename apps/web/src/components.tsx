import { BarController, BarElement, CategoryScale, Chart, Legend, LinearScale, LineController, LineElement, PointElement, Tooltip, type ChartConfiguration } from 'chart.js';
import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { groupedAmount, localDate, localDateTime, shortHash } from './format';

Chart.register(BarController, BarElement, CategoryScale, LinearScale, LineController, LineElement, PointElement, Legend, Tooltip);

export function Amount({ value, currency }: { value: string | null | undefined; currency?: string }) {
  return <span class="amount" data-amount={value ?? ''}>{groupedAmount(value)}{currency ? <span class="currency"> {currency}</span> : null}</span>;
}

/** A time in the viewer's zone; the UTC instant on hover (and for screen readers, in the datetime attribute). */
export function Time({ iso, dateOnly = false }: { iso: string | null | undefined; dateOnly?: boolean }) {
  if (!iso) return <span class="muted">—</span>;
  return <time dateTime={iso} title={`${iso} (UTC)`}>{dateOnly ? localDate(iso) : localDateTime(iso)}</time>;
}

export function HashText({ value, label }: { value: string | null | undefined; label: string }) {
  const [copied, setCopied] = useState(false);
  if (!value) return <span class="muted">—</span>;
  const copy = () => {
    void navigator.clipboard?.writeText(value).then(() => {
      setCopied(true);
      setTimeout(() => setCopied(false), 1500);
    }).catch(() => undefined);
  };
  return (
    <span class="hash">
      <code title={value}>{shortHash(value)}</code>
      <button type="button" class="copy" onClick={copy} aria-label={`Copy ${label}`}>{copied ? 'copied' : 'copy'}</button>
    </span>
  );
}

export function Section({ title, children, actions }: { title: string; children: ComponentChildren; actions?: ComponentChildren }) {
  return (
    <section class="panel" aria-label={title}>
      <header class="panel-header"><h2>{title}</h2>{actions ? <div class="actions no-print">{actions}</div> : null}</header>
      {children}
    </section>
  );
}

export function ErrorNote({ error }: { error: unknown }) {
  if (error === null || error === undefined) return null;
  return <p class="error" role="alert">{error instanceof Error ? error.message : String(error)}</p>;
}

/** A chart.js chart; `figures` is also written to the DOM so a reader (or a test) can check what is drawn. */
export function ChartPanel({ config, figures, label }: { config: ChartConfiguration; figures: unknown; label: string }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    if (canvas.current === null) return undefined;
    const chart = new Chart(canvas.current, { ...config, options: { responsive: true, maintainAspectRatio: false, animation: false, ...config.options } });
    return () => chart.destroy();
  }, [JSON.stringify(figures)]);
  return (
    <div class="chart" data-chart={label} data-figures={JSON.stringify(figures)}>
      <canvas ref={canvas} role="img" aria-label={label} />
    </div>
  );
}

export function Pager({ page, pageCount, onPage }: { page: number; pageCount: number; onPage: (page: number) => void }) {
  if (pageCount <= 1) return null;
  return (
    <nav class="pager no-print" aria-label="Pages">
      <button type="button" disabled={page === 0} onClick={() => onPage(page - 1)}>Previous</button>
      <span>Page {page + 1} of {pageCount}</span>
      <button type="button" disabled={page + 1 >= pageCount} onClick={() => onPage(page + 1)}>Next</button>
    </nav>
  );
}

/** The last `count` months before and including the month of `now`, oldest first, as YYYY-MM. */
export function recentMonths(now: Date, count: number): string[] {
  const months: string[] = [];
  for (let back = count - 1; back >= 0; back -= 1) {
    const date = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - back, 1));
    months.push(`${date.getUTCFullYear()}-${String(date.getUTCMonth() + 1).padStart(2, '0')}`);
  }
  return months;
}
