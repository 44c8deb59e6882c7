/**
 * Never open by accident, and keys as ledger facts, through the built CLI on a real
 * database: `serve --host 0.0.0.0` without any key refuses to start; `--allow-anonymous`
 * serves reads only; on loopback without keys the log says every caller is an operator;
 * `keys create/list/revoke` issue and revoke keys recorded on the api-keys stream (never the
 * secret) that a running server honours at once.
 */
import request from 'supertest';
import type { ChildProcess } from 'node:child_process';
import { runCli, type CliExit } from './support/cli-process';
import { openTestLedger, type TestLedger } from './support/test-ledger';

jest.setTimeout(120_000);

type Served = { child: ChildProcess; url: string; output: () => string; finished: Promise<CliExit> };

/** Starts `serve` and waits for its "listening on" line (or its exit). */
async function serve(cliArguments: string[], environment: NodeJS.ProcessEnv): Promise<Served | CliExit> {
  const started = runCli(['serve', '--port', '0', ...cliArguments], environment);
  let output = '';
  started.child.stdout!.on('data', (chunk) => { output += chunk; });
  started.child.stderr!.on('data', (chunk) => { output += chunk; });
  const listening = new Promise<string>((resolve) => {
    const onData = () => {
      const match = /listening on http:\/\/[^:]+:([0-9]+)/.exec(output);
      if (match !== null) resolve(`http://127.0.0.1:${match[1]}`);
    };
    started.child.stdout!.on('data', onData);
    started.child.stderr!.on('data', onData);
  });
  const outcome = await Promise.race([listening, started.finished]);
  if (typeof outcome !== 'string') return outcome;
  return { child: started.child, url: outcome, output: () => output, finished: started.finished };
}

async function stop(served: Served): Promise<void> {
  served.child.kill('SIGTERM');
  await served.finished;
}

describe('serve without keys, and keys as ledger facts (built CLI, real database)', () => {
  let ledger: TestLedger;
  let environment: NodeJS.ProcessEnv;

  beforeAll(async () => {
    ledger = await openTestLedger();
    environment = { ...ledger.childEnvironment, RSI_API_LOG: 'quiet' };
    delete environment.RSI_API_KEYS;
  });

  afterAll(async () => {
    await ledger?.cleanup();
  });

  it('refuses to serve on 0.0.0.0 without any key, exit 1, saying how to fix it', async () => {
    const outcome = await serve(['--host', '0.0.0.0'], environment);
    expect('code' in outcome).toBe(true);
    const exit = outcome as CliExit;
    expect(exit.code).toBe(1);
    expect(exit.stderr).toMatch(/serve refused: refusing to serve on 0\.0\.0\.0 without any API key.*keys create.*--allow-anonymous/s);
  });

  it('serves reads only with --allow-anonymous', async () => {
    const served = await serve(['--host', '0.0.0.0', '--allow-anonymous'], environment) as Served;
    try {
      expect(served.output()).toMatch(/--allow-anonymous lets anyone who reaches 0\.0\.0\.0 READ/);
      await request(served.url).get('/v1/splits').expect(200);
      const write = await request(served.url).post('/v1/developers').send({ developerId: 'dev-x', name: 'X', country: 'NG', incomeGroup: 'lower-middle' });
      expect({ status: write.status, code: write.body.code }).toEqual({ status: 403, code: 'forbidden' });
      expect((await request(served.url).get('/v1/session').expect(200)).body).toMatchObject({ keyId: 'anonymous', authenticated: false });
    } finally {
      await stop(served);
    }
  });

  it('says on loopback without keys that every caller is an operator', async () => {
    const served = await serve(['--host', '127.0.0.1'], environment) as Served;
    try {
      expect(served.output()).toMatch(/every caller of 127\.0\.0\.1 is an OPERATOR/);
      await request(served.url).post('/v1/developers').send({ developerId: 'dev-1', name: 'Ada', country: 'NG', incomeGroup: 'lower-middle' }).expect(201);
    } finally {
      await stop(served);
    }
  });

  it('issues, lists and revokes keys on the ledger; a server honours them; the events carry no secret', async () => {
    const created = await runCli(['keys', 'create', '--role', 'operator', '--label', 'ops team', '--json'], environment).finished;
    expect(created.code).toBe(0);
    const operatorKey = JSON.parse(created.stdout) as { keyId: string; secret: string; role: string; developerId: string | null };
    expect(operatorKey).toEqual({ keyId: expect.stringMatching(/^key_[0-9a-f]{16}$/) as unknown, secret: expect.any(String) as unknown, role: 'operator', developerId: null });
    // 256 bits of secret: 43 base64url characters after the prefix.
    expect(operatorKey.secret).toMatch(/^rsik_[A-Za-z0-9_-]{43}$/);
    const developer = JSON.parse((await runCli(['keys', 'create', '--role', 'developer', '--developer', 'dev-1', '--json'], environment).finished).stdout) as { keyId: string; secret: string };
    const unknownDeveloper = await runCli(['keys', 'create', '--role', 'developer', '--developer', 'dev-nobody'], environment).finished;
    expect(unknownDeveloper.code).toBe(1);
    expect(unknownDeveloper.stderr).toMatch(/developer_not_registered/);

    // Keys exist now: 0.0.0.0 starts, and asks every caller for a key.
    const served = await serve(['--host', '0.0.0.0'], environment) as Served;
    try {
      await request(served.url).get('/v1/splits').expect(401);
      await request(served.url).get('/v1/splits').set('Authorization', `Bearer ${operatorKey.secret}`).expect(200);
      await request(served.url).get('/v1/developers/dev-1/balances').set('X-Api-Key', developer.secret).expect(200);
      const revoked = await runCli(['keys', 'revoke', developer.keyId], environment).finished;
      expect(revoked.code).toBe(0);
      expect(JSON.parse(revoked.stdout)).toMatchObject({ status: 'revoked', keyId: developer.keyId });
      await request(served.url).get('/v1/developers/dev-1/balances').set('X-Api-Key', developer.secret).expect(401);
    } finally {
      await stop(served);
    }

    const listed = await runCli(['keys', 'list', '--json'], environment).finished;
    const keys = listed.stdout.trim().split('\n').map((line) => JSON.parse(line) as { keyId: string; status: string; issuedBy: string; revokedBy: string | null });
    expect(keys.map((key) => [key.keyId, key.status])).toEqual([[operatorKey.keyId, 'active'], [developer.keyId, 'revoked']]);
    expect(keys[1]!.revokedBy).toMatch(/^cli:/);
    expect(listed.stdout).not.toContain(operatorKey.secret);

    const events = await ledger.runtime.connection.pool.query<{ type: string; data: unknown; metadata: { actor: string } }>(
      "SELECT type, data, metadata FROM events WHERE stream_name = 'api-keys' ORDER BY stream_version",
    );
    expect(events.rows.map((row) => row.type)).toEqual(['ApiKeyIssued', 'ApiKeyIssued', 'ApiKeyRevoked']);
    expect(events.rows[0]!.data).toMatchObject({ keyId: operatorKey.keyId, role: 'operator', developerId: null, label: 'ops team' });
    expect(events.rows[0]!.metadata.actor).toMatch(/^cli:/);
    expect(JSON.stringify(events.rows)).not.toContain(operatorKey.secret);
    expect(JSON.stringify(events.rows)).not.toContain(developer.secret);

    // verify still holds with the api-keys stream in the ledger.
    const verify = await runCli(['verify'], environment).finished;
    expect(verify.code).toBe(0);
  });
});
