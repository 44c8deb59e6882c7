import { statementDocumentOf, verifyStatement, type DeveloperStatement, type StatementDocumentLine, type StatementVerification } from '@rsi/ledger/browser';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { apiGet, apiText, downloadText } from './api-client';
import { Amount, ErrorNote, HashText, Pager, Section, Time } from './components';

const LINES_PER_PAGE = 50;

type VerifyOutcome =
  | { state: 'idle' }
  | { state: 'checking' }
  | { state: 'done'; verdict: 'valid' | 'not valid' | 'not yet sealed'; report: StatementVerification | null; keyFingerprint: string | null };

export function statementPath(developerId: string, period: string, format: 'json' | 'csv' | 'html'): string {
  return `/v1/developers/${encodeURIComponent(developerId)}/statements/${encodeURIComponent(period)}?format=${format}`;
}

/**
 * Checks the statement in this page, against the key the platform publishes, with the same
 * code as `rsi-ledger verify-statement` (`verifyStatement` of @rsi/ledger/browser).
 */
async function verifyInBrowser(statement: DeveloperStatement): Promise<VerifyOutcome> {
  if (statement.seal === null) return { state: 'done', verdict: 'not yet sealed', report: null, keyFingerprint: null };
  const published = await apiGet<{ publicKey: string; fingerprint: string }>('/v1/seal-public-key');
  const report = verifyStatement(statement, { publicKeyPem: published.publicKey });
  return { state: 'done', verdict: report.ok ? 'valid' : 'not valid', report, keyFingerprint: published.fingerprint };
}

function VerifyPanel({ statement }: { statement: DeveloperStatement }) {
  const [outcome, setOutcome] = useState<VerifyOutcome>({ state: 'idle' });
  const [error, setError] = useState<unknown>(null);
  const run = () => {
    setError(null);
    setOutcome({ state: 'checking' });
    verifyInBrowser(statement).then(setOutcome).catch((failure: unknown) => {
      setOutcome({ state: 'idle' });
      setError(failure);
    });
  };
  return (
    <div class="verify">
      <button type="button" class="primary no-print" onClick={run} disabled={outcome.state === 'checking'}>Verify</button>
      {outcome.state === 'checking' ? <span class="muted"> checking every proof…</span> : null}
      {outcome.state === 'done' ? (
        <div class={`verdict verdict-${outcome.verdict.replace(/ /g, '-')}`} role="status" data-verdict={outcome.verdict}>
          <strong>{outcome.verdict === 'valid' ? 'Valid' : outcome.verdict === 'not valid' ? 'Not valid' : 'Not yet sealed'}</strong>
          {outcome.verdict === 'valid' && outcome.report ? (
            <span> — the seal's signature holds under the published key{outcome.keyFingerprint ? <> (<code>{outcome.keyFingerprint.slice(0, 16)}</code>)</> : null} and all {outcome.report.linesChecked} lines are in the sealed Merkle tree. Checked in this browser.</span>
          ) : null}
          {outcome.verdict === 'not yet sealed' ? <span> — the period has no signed root yet: its lines cannot be proven until the platform seals it.</span> : null}
          {outcome.verdict === 'not valid' && outcome.report ? (
            <div>
              <span> — {outcome.report.failureCount} problem{outcome.report.failureCount === 1 ? '' : 's'}:</span>
              <ul class="failures">{outcome.report.failures.slice(0, 10).map((failure) => <li key={failure}>{failure}</li>)}</ul>
            </div>
          ) : null}
        </div>
      ) : null}
      <ErrorNote error={error} />
    </div>
  );
}

function LineTable({ lines, caption, showShares }: { lines: StatementDocumentLine[]; caption: string; showShares: boolean }) {
  const [page, setPage] = useState(0);
  const pageCount = Math.max(1, Math.ceil(lines.length / LINES_PER_PAGE));
  const shown = lines.slice(page * LINES_PER_PAGE, (page + 1) * LINES_PER_PAGE);
  if (lines.length === 0) return <p class="muted">None this period.</p>;
  return (
    <div>
      <div class="table-wrap">
        <table>
          <caption class="visually-hidden">{caption}</caption>
          <thead>
            <tr>
              <th scope="col">Booked</th><th scope="col">Kind</th><th scope="col">Reference</th><th scope="col">App</th>
              <th scope="col" class="number">Gross</th>
              {showShares ? <><th scope="col" class="number">Platform</th><th scope="col" class="number">Carve-outs</th></> : null}
              <th scope="col" class="number">Your balance</th><th scope="col">Contract</th><th scope="col">Event</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((line) => (
              <tr key={line.eventId} class={line.late ? 'late' : undefined}>
                <td>
                  <Time iso={line.bookedAt} />
                  {line.late ? <div class="late-note">occurred <Time iso={line.occurredAt} /> (late)</div> : null}
                </td>
                <td>
                  {line.kindLabel}
                  {line.conversion === null ? null : (
                    <div class="muted small">
                      paid as {line.conversion.payoutCurrency} <Amount value={line.conversion.payoutAmount} /> at {line.conversion.fxRate} ({line.conversion.fxSource})
                    </div>
                  )}
                </td>
                <td><code>{line.reference}</code></td>
                <td>{line.appId ?? ''}</td>
                <td class="number"><Amount value={line.grossAmount} /></td>
                {showShares ? <><td class="number"><Amount value={line.platformShare} /></td><td class="number"><Amount value={line.carveOuts} /></td></> : null}
                <td class="number"><Amount value={line.amount} /></td>
                <td>{line.contractVersion === null ? '' : <>v{line.contractVersion} <HashText value={line.contractHash} label="contract hash" /></>}</td>
                <td><HashText value={line.eventHash} label="event hash" /></td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <Pager page={page} pageCount={pageCount} onPage={setPage} />
      <p class="muted small">{lines.length} line{lines.length === 1 ? '' : 's'}{pageCount > 1 ? `, ${LINES_PER_PAGE} a page` : ''}.</p>
    </div>
  );
}

export function StatementDocumentView({ statement, developerId }: { statement: DeveloperStatement; developerId: string }) {
  const document = useMemo(() => statementDocumentOf(statement), [statement]);
  const [error, setError] = useState<unknown>(null);
  const download = (format: 'csv' | 'json') => {
    setError(null);
    apiText(statementPath(developerId, statement.period, format))
      .then((text) => downloadText(`statement-${developerId}-${statement.period}.${format}`, text, format === 'csv' ? 'text/csv' : 'application/json'))
      .catch(setError);
  };
  return (
    <article class="statement" aria-label={`Statement ${document.period}`}>
      <header class="statement-header">
        <div>
          <h1>Statement {document.period}</h1>
          <p>{document.developerName} <span class="muted">({document.developerId})</span></p>
          <p class="muted small">Booked from <Time iso={document.periodStart} /> to <Time iso={document.periodEnd} /> (by booking time). Pending and available as of <Time iso={document.balancesAsOf} />.</p>
        </div>
        <div class="statement-actions no-print">
          <button type="button" onClick={() => download('csv')}>Download CSV</button>
          <button type="button" onClick={() => download('json')}>Download JSON</button>
          <button type="button" onClick={() => window.print()}>Print</button>
        </div>
      </header>
      <ErrorNote error={error} />
      <Section title="Seal">
        {document.seal ? (
          <p>Sealed with period {document.seal.period} on <Time iso={document.seal.sealedAt} />: Merkle root <HashText value={document.seal.merkleRoot} label="Merkle root" /> over {document.seal.eventCount} events.</p>
        ) : <p>This period is not sealed yet: its lines carry no inclusion proof.</p>}
        <VerifyPanel statement={statement} />
      </Section>
      <Section title="Summary">
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Currency</th><th scope="col" class="number">Opening</th><th scope="col" class="number">Receipts (gross)</th>
                <th scope="col" class="number">Platform share</th><th scope="col" class="number">Carve-outs</th><th scope="col" class="number">Your share</th>
                <th scope="col" class="number">Refunds</th><th scope="col" class="number">Payouts</th><th scope="col" class="number">Disputes</th><th scope="col" class="number">Closing</th>
                <th scope="col" class="number">Pending</th><th scope="col" class="number">Available</th>
              </tr>
            </thead>
            <tbody>
              {document.currencies.map((summary) => (
                <tr key={summary.currency} data-currency={summary.currency}>
                  <th scope="row">{summary.currency}</th>
                  <td class="number"><Amount value={summary.opening} /></td>
                  <td class="number"><Amount value={summary.receiptsGross} /> <span class="muted small">({summary.receiptCount})</span></td>
                  <td class="number"><Amount value={summary.platformShare} /></td>
                  <td class="number"><Amount value={summary.carveOuts} /></td>
                  <td class="number"><Amount value={summary.receiptsNet} /></td>
                  <td class="number"><Amount value={summary.refunds} /> <span class="muted small">({summary.refundCount})</span></td>
                  <td class="number"><Amount value={summary.payouts} /> <span class="muted small">({summary.payoutCount})</span></td>
                  <td class="number"><Amount value={summary.disputes} /> <span class="muted small">({summary.disputeCount})</span></td>
                  <td class="number"><strong><Amount value={summary.closing} /></strong></td>
                  <td class="number"><Amount value={summary.pending} /></td>
                  <td class="number"><Amount value={summary.available} /></td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </Section>
      <Section title="Per app">
        {document.apps.length === 0 ? <p class="muted">No receipts this period.</p> : (
          <div class="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">App</th><th scope="col">Currency</th><th scope="col" class="number">Receipts</th><th scope="col" class="number">Gross</th>
                  <th scope="col" class="number">Platform share</th><th scope="col" class="number">Carve-outs</th><th scope="col" class="number">Net</th>
                  <th scope="col" class="number">Refunds</th>
                </tr>
              </thead>
              <tbody>
                {document.apps.map((app) => (
                  <tr key={`${app.appId}-${app.currency}`}>
                    <th scope="row">{app.appId}</th><td>{app.currency}</td><td class="number">{app.receiptCount}</td>
                    <td class="number"><Amount value={app.gross} /></td><td class="number"><Amount value={app.platformShare} /></td>
                    <td class="number"><Amount value={app.carveOuts} /></td><td class="number"><Amount value={app.net} /></td>
                    <td class="number"><Amount value={app.refunds} /> <span class="muted small">({app.refundCount})</span></td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Section>
      <Section title="Receipts"><LineTable lines={document.receipts} caption="Receipts" showShares /></Section>
      <Section title="Refunds"><LineTable lines={document.refunds} caption="Refunds" showShares /></Section>
      <Section title="Payouts"><LineTable lines={document.payouts} caption="Payouts" showShares={false} /></Section>
      {document.disputes.length > 0 ? <Section title="Disputes"><LineTable lines={document.disputes} caption="Disputes" showShares={false} /></Section> : null}
    </article>
  );
}

export function StatementPage({ developerId, period }: { developerId: string; period: string }) {
  const [statement, setStatement] = useState<DeveloperStatement | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    setStatement(null);
    setError(null);
    apiGet<DeveloperStatement>(statementPath(developerId, period, 'json')).then(setStatement).catch(setError);
  }, [developerId, period]);
  return (
    <div>
      <p class="no-print"><a href="#/developer">← Balances and statements</a></p>
      <ErrorNote error={error} />
      {statement === null && error === null ? <p class="muted">Loading the statement…</p> : null}
      {statement !== null ? <StatementDocumentView statement={statement} developerId={developerId} /> : null}
    </div>
  );
}

/** Checks a statement file the developer holds (downloaded before), with the same verifier. */
export function VerifyFilePanel() {
  const [outcome, setOutcome] = useState<VerifyOutcome>({ state: 'idle' });
  const [error, setError] = useState<unknown>(null);
  const onFile = (event: Event) => {
    const file = (event.currentTarget as HTMLInputElement).files?.[0];
    if (!file) return;
    setError(null);
    setOutcome({ state: 'checking' });
    file.text()
      .then((text) => verifyInBrowser(JSON.parse(text) as DeveloperStatement))
      .then(setOutcome)
      .catch((failure: unknown) => { setOutcome({ state: 'idle' }); setError(failure); });
  };
  return (
    <div>
      <label>Statement file (JSON) <input type="file" accept="application/json,.json" onChange={onFile} data-testid="verify-file" /></label>
      {outcome.state === 'done' ? (
        <p class={`verdict verdict-${outcome.verdict.replace(/ /g, '-')}`} role="status" data-verdict={outcome.verdict}>
          <strong>{outcome.verdict}</strong>{outcome.report && !outcome.report.ok ? ` — ${outcome.report.failures[0] ?? ''}` : ''}
        </p>
      ) : null}
      <ErrorNote error={error} />
    </div>
  );
}
