import request from 'supertest';
import { openTestApi, type TestApi } from './support/test-ledger';

const DEVELOPER = { name: 'Ready Reader', country: 'NG', incomeGroup: 'lower-middle' };

describe('/health/live and /health/ready (real database)', () => {
  let ledger: TestApi;

  beforeAll(async () => {
    // The background projector polls once a minute: the lag is what this test makes it.
    ledger = await openTestApi({ environment: { RSI_API_LOG: 'quiet', RSI_READY_PROJECTION_LAG_SECONDS_MAXIMUM: '1' }, projectorIntervalMilliseconds: 60_000 });
  });

  afterAll(async () => {
    await ledger?.cleanup();
  });

  it('answers live without the database, and /health (the older probe) still checks it', async () => {
    const server = ledger.app.getHttpServer();
    expect((await request(server).get('/health/live').expect(200)).body).toEqual({ status: 'ok' });
    expect((await request(server).get('/health').expect(200)).body).toEqual({ status: 'ok' });
  });

  it('is ready when caught up, not ready while the projector trails beyond the bound, and ready again after', async () => {
    const server = ledger.app.getHttpServer();
    await ledger.runtime.projector.catchUp();
    expect((await request(server).get('/health/ready').expect(200)).body).toEqual({ status: 'ready', projectionLagSeconds: 0, projectionLagEvents: 0 });
    await request(server).post('/v1/developers').send({ developerId: 'dev-ready', ...DEVELOPER }).expect(201);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const trailing = await request(server).get('/health/ready').expect(503);
    expect(trailing.body.code).toBe('not_ready');
    expect(trailing.body.message).toMatch(/projector trails by [\d.]+ s \(1 events\), above RSI_READY_PROJECTION_LAG_SECONDS_MAXIMUM=1/);
    await ledger.runtime.projector.catchUp();
    await request(server).get('/health/ready').expect(200);
  });

  it('is not ready while a migration is pending', async () => {
    const server = ledger.app.getHttpServer();
    const pool = ledger.runtime.connection.pool;
    const last = await pool.query<{ id: number; timestamp: string; name: string }>('SELECT id, timestamp::text, name FROM schema_migrations ORDER BY id DESC LIMIT 1');
    await pool.query('DELETE FROM schema_migrations WHERE id = $1', [last.rows[0]!.id]);
    try {
      const response = await request(server).get('/health/ready').expect(503);
      expect(response.body.message).toMatch(/migrations are pending/);
    } finally {
      await pool.query('INSERT INTO schema_migrations (id, timestamp, name) VALUES ($1, $2, $3)', [last.rows[0]!.id, last.rows[0]!.timestamp, last.rows[0]!.name]);
    }
    await request(server).get('/health/ready').expect(200);
  });
});
