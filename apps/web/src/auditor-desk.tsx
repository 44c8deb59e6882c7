import { publicKeyFingerprint } from '@rsi/ledger/browser';
import { useEffect, useState } from 'preact/hooks';
import { apiGet, apiPost } from './api-client';
import { ErrorNote, HashText, Section, Time } from './components';

type SealEntry = { period: string; periodEnd: string; eventCount: number; merkleRoot: string; sealedAt: string; publicKey: string; previousSealHash: string | null };
type VerifyJob = { jobId: string; status: 'running' | 'finished' | 'failed'; requestedBy: string; startedAt: string; finishedAt: string | null; ok: boolean | null; report: unknown; error: string | null };
/** Verify jobs live in the serving process; the page remembers the one it started, for this tab. */
const VERIFY_JOB_STORAGE = 'rsi-ledger.verify-job';

function SealTimeline() {
  const [seals, setSeals] = useState<SealEntry[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    apiGet<{ seals: SealEntry[] }>('/v1/seals').then((body) => setSeals(body.seals)).catch(setError);
  }, []);
  return (
    <Section title="Seals">
      <ErrorNote error={error} />
      {seals === null && error === null ? <p class="muted">Loading…</p> : null}
      {seals !== null && seals.length === 0 ? <p class="muted">No period is sealed yet.</p> : null}
      {seals !== null && seals.length > 0 ? (
        <ol class="timeline" data-testid="seal-timeline">
          {seals.map((seal) => (
            <li key={seal.period}>
              <strong>{seal.period}</strong> — {seal.eventCount} events, root <HashText value={seal.merkleRoot} label="Merkle root" />,
              key <HashText value={publicKeyFingerprint(seal.publicKey)} label="key fingerprint" /> — sealed <Time iso={seal.sealedAt} />
            </li>
          ))}
        </ol>
      ) : null}
    </Section>
  );
}

function VerifyRun() {
  const [job, setJob] = useState<VerifyJob | null>(null);
  const [error, setError] = useState<unknown>(null);
  const load = (jobId: string) => apiGet<VerifyJob>(`/v1/verify-jobs/${encodeURIComponent(jobId)}`).then(setJob).catch((failure: { status?: number }) => {
    if (failure.status === 404) sessionStorage.removeItem(VERIFY_JOB_STORAGE);
    else setError(failure);
  });
  useEffect(() => {
    const remembered = sessionStorage.getItem(VERIFY_JOB_STORAGE);
    if (remembered !== null) void load(remembered);
  }, []);
  useEffect(() => {
    if (job === null || job.status !== 'running') return undefined;
    const timer = setTimeout(() => void load(job.jobId), 1000);
    return () => clearTimeout(timer);
  }, [job]);
  const start = () => {
    setError(null);
    apiPost<VerifyJob>('/v1/verify-jobs', {}).then((started) => {
      sessionStorage.setItem(VERIFY_JOB_STORAGE, started.jobId);
      setJob(started);
    }).catch(setError);
  };
  const verdict = job === null ? null : job.status === 'running' ? 'running' : job.status === 'failed' ? 'could not run' : job.ok ? 'holds' : 'does not hold';
  return (
    <Section title="Verify the ledger" actions={<button type="button" class="primary" onClick={start} disabled={job?.status === 'running'}>Start verify</button>}>
      <ErrorNote error={error} />
      {job === null ? <p class="muted">No verify run started from this tab yet.</p> : (
        <div data-testid="verify-report" data-status={job.status} data-ok={job.ok === null ? '' : String(job.ok)}>
          <p>Run by {job.requestedBy}: <strong class={job.ok === false || job.status === 'failed' ? 'negative' : job.ok ? 'positive' : undefined}>{verdict}</strong> — started <Time iso={job.startedAt} />{job.finishedAt ? <>, finished <Time iso={job.finishedAt} /></> : null}</p>
          {job.error ? <p class="error">{job.error}</p> : null}
          {job.report !== null ? <details open><summary>Report</summary><pre class="report">{JSON.stringify(job.report, null, 2)}</pre></details> : null}
        </div>
      )}
    </Section>
  );
}

type StreamEvent = { streamVersion: string; eventId: string; type: string; recordedAt: string; eventHash: string; previousEventHash: string; hashHolds: boolean };

function EventBrowser() {
  const [streamName, setStreamName] = useState('');
  const [events, setEvents] = useState<StreamEvent[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const open = (event: Event) => {
    event.preventDefault();
    setError(null);
    apiGet<{ events: StreamEvent[] }>(`/v1/streams/${encodeURIComponent(streamName)}/events`).then((body) => setEvents(body.events)).catch(setError);
  };
  return (
    <Section title="Events by stream">
      <form class="form-row" onSubmit={open}>
        <label>Stream <input value={streamName} onInput={(event) => setStreamName(event.currentTarget.value)} placeholder="developer-dev_1" required /></label>
        <button type="submit">Open</button>
      </form>
      <ErrorNote error={error} />
      {events !== null ? (
        <div class="table-wrap">
          <table data-testid="stream-events">
            <thead><tr><th scope="col" class="number">Version</th><th scope="col">Type</th><th scope="col">Booked</th><th scope="col">Hash</th><th scope="col">Previous hash</th><th scope="col">Hash recomputed</th><th scope="col">Chain</th></tr></thead>
            <tbody>
              {events.map((entry, index) => {
                const linked = index === 0 || events[index - 1]!.eventHash === entry.previousEventHash;
                return (
                  <tr key={entry.eventId}>
                    <td class="number">{entry.streamVersion}</td><td>{entry.type}</td><td><Time iso={entry.recordedAt} /></td>
                    <td><HashText value={entry.eventHash} label="event hash" /></td><td><HashText value={entry.previousEventHash} label="previous hash" /></td>
                    <td>{entry.hashHolds ? 'holds' : <strong class="negative">does not hold</strong>}</td>
                    <td data-chain={linked ? 'linked' : 'broken'}>{linked ? 'linked' : <strong class="negative">broken</strong>}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      ) : null}
    </Section>
  );
}

export function AuditorDesk() {
  return (
    <div>
      <h1>Auditor's desk</h1>
      <SealTimeline />
      <VerifyRun />
      <EventBrowser />
    </div>
  );
}
