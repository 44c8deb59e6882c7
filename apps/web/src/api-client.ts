/**
 * The page's only way to the server: same origin, the API key from this tab's session
 * storage (gone when the tab closes; never in localStorage, a cookie or a URL).
 */
const API_KEY_STORAGE = 'rsi-ledger.api-key';

export class ApiFailure extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
}

export function storedApiKey(): string | null {
  return sessionStorage.getItem(API_KEY_STORAGE);
}

export function storeApiKey(apiKey: string): void {
  sessionStorage.setItem(API_KEY_STORAGE, apiKey);
}

export function forgetApiKey(): void {
  sessionStorage.removeItem(API_KEY_STORAGE);
}

function headers(extra: Record<string, string> = {}): Record<string, string> {
  const apiKey = storedApiKey();
  return apiKey === null ? extra : { ...extra, 'X-Api-Key': apiKey };
}

async function failureOf(response: Response): Promise<ApiFailure> {
  let code = `http_${response.status}`;
  let message = response.statusText || `HTTP ${response.status}`;
  try {
    const body = (await response.json()) as { error?: { code?: string; message?: string }; code?: string; message?: string };
    code = body.error?.code ?? body.code ?? code;
    message = body.error?.message ?? body.message ?? message;
  } catch {
    // Not JSON: keep the status line.
  }
  return new ApiFailure(response.status, code, message);
}

export async function apiGet<T>(path: string): Promise<T> {
  const response = await fetch(path, { headers: headers({ Accept: 'application/json' }) });
  if (!response.ok) throw await failureOf(response);
  return (await response.json()) as T;
}

export async function apiText(path: string): Promise<string> {
  const response = await fetch(path, { headers: headers() });
  if (!response.ok) throw await failureOf(response);
  return response.text();
}

export async function apiPost<T>(path: string, body: unknown): Promise<T> {
  const response = await fetch(path, {
    method: 'POST',
    // The page posts no ledger command (verify jobs, what-if): no Idempotency-Key.
    headers: headers({ 'Content-Type': 'application/json', Accept: 'application/json' }),
    body: JSON.stringify(body),
  });
  if (!response.ok) throw await failureOf(response);
  return (await response.json()) as T;
}

/** JSON lines (the exports' jsonl format) as objects. */
export async function apiJsonLines<T>(path: string): Promise<T[]> {
  const text = await apiText(path);
  return text.split('\n').filter((line) => line.trim() !== '').map((line) => JSON.parse(line) as T);
}

/** Saves a text as a file the browser downloads (the key travels in a header, so a plain link cannot). */
export function downloadText(fileName: string, text: string, contentType: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: contentType }));
  const anchor = document.createElement('a');
  anchor.href = url;
  anchor.download = fileName;
  document.body.appendChild(anchor);
  anchor.click();
  anchor.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

export type Session = { role: string; developerId: string | null; keyId?: string };
