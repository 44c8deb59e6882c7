import { useState } from 'preact/hooks';
import { apiPost } from './api-client';
import { ErrorNote } from './components';

/**
 * Upload contract terms (the JSON `what-if` takes on the CLI), pick an app and a range, and
 * see the recorded split beside the what-if split. The answer is shown as the server gives it.
 */
export function WhatIfForm() {
  const [terms, setTerms] = useState<unknown>(null);
  const [appId, setAppId] = useState('');
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [result, setResult] = useState<unknown>(null);
  const [error, setError] = useState<unknown>(null);
  const onFile = (event: Event) => {
    const file = (event.currentTarget as HTMLInputElement).files?.[0];
    if (!file) return;
    file.text().then((text) => setTerms(JSON.parse(text) as unknown)).catch(setError);
  };
  const submit = (event: Event) => {
    event.preventDefault();
    setError(null);
    setResult(null);
    const body: Record<string, unknown> = { appId, terms };
    if (from) body.from = new Date(from).toISOString();
    if (to) body.to = new Date(to).toISOString();
    apiPost<unknown>('/v1/what-if', body).then(setResult).catch(setError);
  };
  return (
    <form class="form-row" onSubmit={submit}>
      <label>Contract terms (JSON) <input type="file" accept="application/json,.json" onChange={onFile} /></label>
      <label>App <input value={appId} onInput={(event) => setAppId(event.currentTarget.value)} required /></label>
      <label>From <input type="date" value={from} onInput={(event) => setFrom(event.currentTarget.value)} /></label>
      <label>To <input type="date" value={to} onInput={(event) => setTo(event.currentTarget.value)} /></label>
      <button type="submit" disabled={terms === null || appId === ''}>Compare</button>
      <ErrorNote error={error} />
      {result !== null ? <pre class="what-if-result">{JSON.stringify(result, null, 2)}</pre> : null}
    </form>
  );
}
