import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';

import autocannon from 'autocannon';

export type HttpRun = {
  mode: string;
  connections: number;
  targetRate: number | null;
  durationSeconds: number;
  requestsPerSecond: number;
  requestsTotal: number;
  latencyP50Milliseconds: number;
  latencyP99Milliseconds: number;
  latencyMaximumMilliseconds: number;
  non2xx: number;
  errors: number;
};

/** `rsi-ledger serve` on a free loopback port; resolves once it is listening. */
export function startServer(repositoryRoot: string, databaseUrl: string): Promise<{ process: ChildProcess; port: number }> {
  const child = spawn(process.execPath, [path.join(repositoryRoot, 'dist/apps/cli/src/main.js'), 'serve', '--port', '0', '--host', '127.0.0.1'], {
    env: { ...process.env, DATABASE_URL: databaseUrl, EVENT_STORE: 'postgres', RSI_API_KEYS: '' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let stderr = '';
    const timer = setTimeout(() => { child.kill('SIGTERM'); reject(new Error(`the API server did not start within 60 s: ${stderr}`)); }, 60_000);
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
      const match = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(stderr);
      if (match) {
        clearTimeout(timer);
        resolve({ process: child, port: Number(match[1]) });
      }
    });
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`the API server exited with ${code}: ${stderr}`)); });
  });
}

/**
 * Single-receipt POSTs, each with a receipt id never used before (a retried id would be an
 * idempotent replay, cheaper than a real command). Loopback only.
 */
export async function runHttpLoad(options: {
  port: number; connections: number; durationSeconds: number; overallRate: number | null; appCount: number; runLabel: string;
}): Promise<HttpRun> {
  let requestIndex = 0;
  const result = await autocannon({
    url: `http://127.0.0.1:${options.port}`,
    connections: options.connections,
    duration: options.durationSeconds,
    ...(options.overallRate === null ? {} : { overallRate: options.overallRate }),
    requests: [{
      method: 'POST',
      path: '/v1/receipts',
      headers: { 'content-type': 'application/json' },
      setupRequest: (request) => {
        requestIndex += 1;
        const body = {
          receiptId: `http-${options.runLabel}-${requestIndex}`,
          appId: `app-${requestIndex % options.appCount}`,
          amount: `${1 + (requestIndex % 997)}.${String(requestIndex % 100).padStart(2, '0')}`,
          currency: 'USD',
          occurredAt: '2026-06-01T00:00:00.000Z',
        };
        return { ...request, body: JSON.stringify(body) };
      },
    }],
  });
  return {
    mode: options.overallRate === null ? `fixed concurrency ${options.connections}` : `fixed rate ${options.overallRate}/s`,
    connections: options.connections,
    targetRate: options.overallRate,
    durationSeconds: options.durationSeconds,
    requestsPerSecond: Math.round(result.requests.total / result.duration),
    requestsTotal: result.requests.total,
    latencyP50Milliseconds: result.latency.p50,
    latencyP99Milliseconds: result.latency.p99,
    latencyMaximumMilliseconds: result.latency.max,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
  };
}
