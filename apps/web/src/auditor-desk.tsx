import { useEffect, useState } from 'preact/hooks';
import { apiGet, apiPost } from './api-client';
import { ErrorNote, HashText, Section, Time } from './components';

type SealEntry = {
  period: string; periodEnd?: string; eventCount: number; merkleRoot: string; sealedAt?: string;
  publicKey?: string; publicKeyFingerprint?: string; fingerprint?: string; signatureScheme?: string;
};
type VerifyJob = { jobId?: string; id?: string; status: string; startedAt?: string; finishedAt?: string | null; report?: unknown };

function sealsOf(body: unknown): SealEntry[] {
  if (Array.isArray(body)) return body as SealEntry[];
  const record = body as { seals?: SealEntry[] } | null;
  return record?.seals ?? [];
}

function SealTimeline() {
  const [seals, setSeals] = useState<SealEntry[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    apiGet<unknown>('/v1/seals').then((body) => setSeals(sealsOf(body))).catch(setError);
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
              key <HashText value={seal.publicKeyFingerprint ?? seal.fingerprint ?? null} label="key fingerprint" />
              {seal.sealedAt ? <> — sealed <Time iso={seal.sealedAt} /></> : null}
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
  const load = () => apiGet<VerifyJob>('/v1/verify-jobs/latest').then(setJob).catch((failure: { status?: number }) => {
    if (failure.status === 404) setJob(null);
    else setError(failure);
  });
  useEffect(() => {
    void load();
  }, []);
  useEffect(() => {
    if (job === null || (job.status !== 'running' && job.status !== 'queued')) return undefined;
    const timer = setTimeout(() => void load(), 1000);
    return () => clearTimeout(timer);
  }, [job]);
  const start = () => {
    setError(null);
    apiPost<VerifyJob>('/v1/verify-jobs', {}).then(setJob).catch(setError);
  };
  return (
    <Section title="Verify the ledger" actions={<button type="button" class="primary" onClick={start}>Start verify</button>}>
      <ErrorNote error={error} />
      {job === null ? <p class="muted">No verify run yet.</p> : (
        <div data-testid="verify-report" data-status={job.status}>
          <p>Last run: <strong>{job.status}</strong>{job.startedAt ? <> — started <Time iso={job.startedAt} /></> : null}{job.finishedAt ? <>, finished <Time iso={job.finishedAt} /></> : null}</p>
          {job.report !== undefined && job.report !== null ? <pre class="report">{JSON.stringify(job.report, null, 2)}</pre> : null}
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
