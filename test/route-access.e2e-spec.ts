/**
 * The route table (apps/api/src/http/route-access.table.ts) walked whole, through the real
 * application on a real database: every role against every route, allowed and denied, no
 * key at all, and every route of the application has a row (so a new route cannot ship
 * without one).
 */
import type { INestApplication } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import request from 'supertest';
import { API_ROLES, type ApiRole } from '@rsi/ledger';
import { PUBLIC, ROUTE_ACCESS_TABLE } from '../apps/api/src/http/route-access.table';
import { applicationRouteKeys } from '../apps/api/src/http/route-access.guard';
import { openTestApi, type TestApi } from './support/test-ledger';

const OPERATOR_SECRET = 'bootstrap-operator-secret';
const ENVIRONMENT = { RSI_API_LOG: 'quiet', RSI_API_KEYS: `ops:${OPERATOR_SECRET}` };
const CONTRACT = {
  currency: 'USD', effectiveFrom: '2026-01-01T00:00:00Z',
  platformShare: { tiers: [{ rate: '10%' }], window: 'lifetime', scope: 'app' }, holdDays: 0, minimumPayout: '1.00',
};

/** A request to a route of the table: its parameters filled with an id of nobody's, an empty JSON body for a write. */
function send(server: ReturnType<INestApplication['getHttpServer']>, route: string, secret: string | null) {
  const [method, path] = route.split(' ') as [string, string];
  const concrete = path.replace(/:[A-Za-z]+/g, (parameter) => (parameter === ':period' ? '2026-01' : 'nobody-1'));
  const agent = request(server);
  const call = method === 'GET' ? agent.get(concrete) : method === 'POST' ? agent.post(concrete).send({}) : method === 'DELETE' ? agent.delete(concrete) : null;
  if (call === null) throw new Error(`the walk knows no method ${method}`);
  return secret === null ? call : call.set('X-Api-Key', secret);
}

describe('route × role table (real server, real database)', () => {
  let ledger: TestApi;
  let server: ReturnType<INestApplication['getHttpServer']>;
  const secretOf = new Map<ApiRole, string>();

  beforeAll(async () => {
    ledger = await openTestApi({ environment: ENVIRONMENT });
    server = ledger.app.getHttpServer();
    const operator = (path: string, body: object) => request(server).post(path).set('X-Api-Key', OPERATOR_SECRET).send(body);
    await operator('/v1/developers', { developerId: 'dev-a', name: 'Ada', country: 'NG', incomeGroup: 'lower-middle' }).expect(201);
    await operator('/v1/apps', { appId: 'app-a', developerId: 'dev-a', name: 'A', contract: CONTRACT }).expect(201);
    secretOf.set('operator', OPERATOR_SECRET);
    for (const role of ['developer', 'auditor', 'finance'] as const) {
      const issued = await operator('/v1/keys', role === 'developer' ? { role, developerId: 'dev-a' } : { role }).expect(201);
      secretOf.set(role, issued.body.secret as string);
    }
  });

  afterAll(async () => {
    await ledger?.cleanup();
  });

  it('has a row for every route of the application, and every row names a route of the application', () => {
    const routes = applicationRouteKeys(ledger.app.get(DiscoveryService));
    const rows = Object.keys(ROUTE_ACCESS_TABLE).sort();
    expect(routes.filter((route) => !rows.includes(route))).toEqual([]);
    expect(rows.filter((row) => !routes.includes(row))).toEqual([]);
    expect(routes.length).toBeGreaterThan(20);
  });

  const cases = Object.entries(ROUTE_ACCESS_TABLE).flatMap(([route, access]) => API_ROLES.map((role) => ({
    route, role, allowed: access === PUBLIC || access.includes(role),
  })));

  it.each(cases)('$route as $role: allowed $allowed', async ({ route, role, allowed }) => {
    const response = await send(server, route, secretOf.get(role)!);
    if (allowed) {
      // Any answer but a refusal of the caller: a 400 for the empty body or a 404 for nobody's id is the route's own.
      expect({ route, role, refused: [401, 403, 429].includes(response.status) }).toEqual({ route, role, refused: false });
    } else {
      expect({ status: response.status, code: response.body.code }).toEqual({ status: 403, code: 'forbidden' });
    }
  });

  it.each(Object.entries(ROUTE_ACCESS_TABLE).map(([route, access]) => ({ route, isPublic: access === PUBLIC })))(
    '$route without a key: public $isPublic', async ({ route, isPublic }) => {
      const response = await send(server, route, null);
      if (isPublic) expect([401, 403]).not.toContain(response.status);
      else expect({ status: response.status, code: response.body.code }).toEqual({ status: 401, code: 'unauthenticated' });
    },
  );

  it('accepts Authorization: Bearer besides X-Api-Key, and refuses an unknown or revoked key', async () => {
    const session = await request(server).get('/v1/session').set('Authorization', `Bearer ${secretOf.get('developer')!}`).expect(200);
    expect(session.body).toMatchObject({ role: 'developer', developerId: 'dev-a', authenticated: true });
    await request(server).get('/v1/session').set('Authorization', 'Bearer not-a-key').expect(401);
    const issued = await request(server).post('/v1/keys').set('X-Api-Key', OPERATOR_SECRET).send({ role: 'auditor', label: 'short-lived' }).expect(201);
    await request(server).get('/v1/session').set('X-Api-Key', issued.body.secret as string).expect(200);
    await request(server).post(`/v1/keys/${issued.body.keyId as string}/revocation`).set('X-Api-Key', OPERATOR_SECRET).expect(200);
    await request(server).get('/v1/session').set('X-Api-Key', issued.body.secret as string).expect(401);
  });

  it('refuses a key after its expiry, and an expiry in the past', async () => {
    const past = await request(server).post('/v1/keys').set('X-Api-Key', OPERATOR_SECRET).send({ role: 'finance', expiresAt: '2020-01-01T00:00:00Z' }).expect(400);
    expect(past.body).toMatchObject({ code: 'expiry_in_past', field: 'expiresAt' });
    // Five seconds of life: enough for the two requests below on a loaded machine.
    const expiresAtMilliseconds = Date.now() + 5_000;
    const expiresAt = new Date(expiresAtMilliseconds).toISOString();
    const issued = await request(server).post('/v1/keys').set('X-Api-Key', OPERATOR_SECRET).send({ role: 'finance', expiresAt }).expect(201);
    await request(server).get('/v1/session').set('X-Api-Key', issued.body.secret as string).expect(200);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, expiresAtMilliseconds - Date.now()) + 100));
    await request(server).get('/v1/session').set('X-Api-Key', issued.body.secret as string).expect(401);
    const listed = await request(server).get('/v1/keys').set('X-Api-Key', secretOf.get('auditor')!).expect(200);
    expect(listed.body.keys.find((key: { keyId: string }) => key.keyId === issued.body.keyId)).toMatchObject({ status: 'expired', issuedBy: 'api:ops', role: 'finance' });
    expect(JSON.stringify(listed.body)).not.toContain(issued.body.secret as string);
  });
});
