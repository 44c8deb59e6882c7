import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { ApiFailure, apiGet, forgetApiKey, storeApiKey, storedApiKey, type Session } from './api-client';
import { AuditorDesk } from './auditor-desk';
import { ErrorNote } from './components';
import { DeveloperPortal } from './developer-portal';
import { FinanceDashboard } from './finance-dashboard';
import { StatementPage } from './statement-view';
import './styles.css';

/** Which pages each role may open; the server refuses the same reads by role on its own (default deny). */
const PAGES_OF_ROLE: Record<string, readonly string[]> = {
  developer: ['developer', 'statements'],
  finance: ['finance'],
  auditor: ['auditor'],
  operator: ['finance', 'auditor'],
};

function useHashRoute(): string[] {
  const read = () => window.location.hash.replace(/^#\/?/, '').split('/').filter((part) => part !== '');
  const [route, setRoute] = useState(read);
  useEffect(() => {
    const onChange = () => setRoute(read());
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return route;
}

function SignIn({ onSignedIn }: { onSignedIn: (session: Session) => void }) {
  const [apiKey, setApiKey] = useState('');
  const [error, setError] = useState<unknown>(null);
  const submit = (event: Event) => {
    event.preventDefault();
    setError(null);
    storeApiKey(apiKey.trim());
    apiGet<Session>('/v1/session').then(onSignedIn).catch((failure: unknown) => {
      forgetApiKey();
      setError(failure instanceof ApiFailure && failure.status === 401 ? new Error('This API key is not valid.') : failure);
    });
  };
  return (
    <main class="sign-in">
      <h1>RSI Ledger</h1>
      <form onSubmit={submit}>
        <label for="api-key">API key</label>
        <input id="api-key" name="api-key" type="password" autoComplete="off" value={apiKey} onInput={(event) => setApiKey(event.currentTarget.value)} required />
        <button type="submit" class="primary">Sign in</button>
        <p class="muted small">The key stays in this tab only (session storage) and is sent to this server alone.</p>
        <ErrorNote error={error} />
      </form>
    </main>
  );
}

function Refused({ role }: { role: string }) {
  return <p class="error" role="alert" data-testid="refused">This page is not open to the {role} role.</p>;
}

function homeOf(session: Session): string {
  return PAGES_OF_ROLE[session.role]?.[0] ?? 'developer';
}

function Application() {
  const [session, setSession] = useState<Session | null>(null);
  const [checking, setChecking] = useState(storedApiKey() !== null);
  const [error, setError] = useState<unknown>(null);
  const route = useHashRoute();
  useEffect(() => {
    if (storedApiKey() === null) return;
    apiGet<Session>('/v1/session').then(setSession).catch((failure: unknown) => {
      forgetApiKey();
      setError(failure);
    }).finally(() => setChecking(false));
  }, []);
  if (checking) return <p class="muted">Signing in…</p>;
  if (session === null) {
    return <><ErrorNote error={error} /><SignIn onSignedIn={(signedIn) => { setSession(signedIn); window.location.hash = `#/${homeOf(signedIn)}`; }} /></>;
  }
  const allowed = PAGES_OF_ROLE[session.role] ?? [];
  const page = route[0] ?? homeOf(session);
  const signOut = () => {
    forgetApiKey();
    setSession(null);
    window.location.hash = '';
  };
  let content;
  if (!allowed.includes(page)) content = <Refused role={session.role} />;
  else if (page === 'developer') content = session.developerId ? <DeveloperPortal developerId={session.developerId} /> : <Refused role={session.role} />;
  else if (page === 'statements' && route[1]) content = session.developerId ? <StatementPage developerId={session.developerId} period={route[1]} /> : <Refused role={session.role} />;
  else if (page === 'finance') content = <FinanceDashboard />;
  else if (page === 'auditor') content = <AuditorDesk />;
  else content = <Refused role={session.role} />;
  return (
    <>
      <header class="top no-print">
        <a class="brand" href={`#/${homeOf(session)}`}>RSI Ledger</a>
        <nav aria-label="Pages">
          {allowed.includes('developer') ? <a href="#/developer" aria-current={page === 'developer' ? 'page' : undefined}>Balances &amp; statements</a> : null}
          {allowed.includes('finance') ? <a href="#/finance" aria-current={page === 'finance' ? 'page' : undefined}>Finance</a> : null}
          {allowed.includes('auditor') ? <a href="#/auditor" aria-current={page === 'auditor' ? 'page' : undefined}>Auditor</a> : null}
        </nav>
        <span class="who" data-testid="who">{session.role}{session.developerId ? ` · ${session.developerId}` : ''}</span>
        <button type="button" onClick={signOut}>Sign out</button>
      </header>
      <main>{content}</main>
    </>
  );
}

render(<Application />, document.getElementById('app')!);
