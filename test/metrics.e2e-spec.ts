import type { INestApplication } from '@nestjs/common';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import request from 'supertest';
import { importJsonlFile } from '@rsi/ledger';
import { writeSampleLedgerFile } from '@rsi/test-support';
import { createApiApplication } from '../apps/api/src/api-server';
import { BackgroundProjector } from '../apps/api/src/background-projector';
import { createFreshDatabase, openTestApi, type TestApi } from './support/test-ledger';
import { parsePrometheusText, sampleValue, type PrometheusSample } from './support/prometheus-text';

const QUIET = { RSI_API_LOG: 'quiet' };

describe('GET /metrics (Prometheus text, real database)', () => {
  let ledger: TestApi;
  let app: INestApplication;
  let directory: string;

  const scrape = async (): Promise<PrometheusSample[]> => {
    const response = await request(app.getHttpServer()).get('/metrics').expect(200);
    expect(response.headers['content-type']).toMatch(/^text\/plain;.*version=0\.0\.4/);
    return parsePrometheusText(response.text);
  };

  beforeAll(async () => {
    ledger = await openTestApi({ environment: QUIET, projectorIntervalMilliseconds: 100 });
    app = ledger.app;
    directory = fs.mkdtempSync(path.join(os.tmpdir(), 'rsi-metrics-'));
  });

  afterAll(async () => {
    await ledger?.cleanup();
    fs.rmSync(directory, { recursive: true, force: true });
  });

  it('counts requests by route template and status, and commands by outcome and code', async () => {
    const server = app.getHttpServer();
    await request(server).post('/v1/developers').send({ developerId: 'dev-m1', name: 'Metric Maker', country: 'NG', incomeGroup: 'lower-middle' }).expect(201);
    await request(server).post('/v1/developers').send({ developerId: 'dev-m1', name: 'Metric Maker', country: 'NG', incomeGroup: 'lower-middle' }).expect(200);
    await request(server).get('/v1/developers/nobody-here/balances').expect(404);
    const samples = await scrape();
    expect(sampleValue(samples, 'rsi_http_requests_total', { method: 'POST', route: '/v1/developers', status: '201' })).toBe(1);
    expect(sampleValue(samples, 'rsi_http_requests_total', { method: 'POST', route: '/v1/developers', status: '200' })).toBe(1);
    // The template, never the raw path (an id in a label would grow the series without bound).
    expect(samples.some((sample) => sample.labels.route?.includes('nobody-here'))).toBe(false);
    expect(sampleValue(samples, 'rsi_http_requests_total', { route: '/v1/developers/:developerId/balances', status: '404' })).toBe(1);
    expect(sampleValue(samples, 'rsi_http_request_duration_seconds_count', { route: '/v1/developers', status: '201' })).toBe(1);
    expect(sampleValue(samples, 'rsi_commands_total', { command: 'RegisterDeveloper', outcome: 'recorded' })).toBe(1);
    expect(sampleValue(samples, 'rsi_commands_total', { command: 'RegisterDeveloper', outcome: 'already_recorded' })).toBe(1);
    expect(sampleValue(samples, 'rsi_events_appended_total')).toBe(1);
    expect(sampleValue(samples, 'rsi_database_pool_connections', { state: 'total' })).toBeGreaterThanOrEqual(1);
    expect(sampleValue(samples, 'rsi_database_pool_connections_maximum')).toBeGreaterThanOrEqual(1);
  });

  it('counts a refused command by its code', async () => {
    await request(app.getHttpServer()).post('/v1/apps').send({
      appId: 'app-orphan', developerId: 'nobody', name: 'Orphan',
      contract: { currency: 'USD', effectiveFrom: '2026-01-01T00:00:00Z', platformShare: { tiers: [{ rate: '10%' }], window: 'lifetime', scope: 'app' }, holdDays: 0, minimumPayout: '1.00' },
    }).expect(404);
    const samples = await scrape();
    const refused = samples.filter((sample) => sample.name === 'rsi_commands_total' && sample.labels.command === 'RegisterApp' && sample.labels.outcome === 'refused');
    expect(refused).toHaveLength(1);
    expect(refused[0]!.labels.code).toMatch(/^[a-z_]+$/);
  });

  it('has no read-replica gauge without DATABASE_READ_URL', async () => {
    const samples = await scrape();
    expect(samples.some((sample) => sample.name === 'rsi_read_replica_lag_seconds')).toBe(false);
  });
});

describe('GET /metrics: projection lag (a projector that has fallen behind)', () => {
  // The background projector is stopped first, as if its instance had stalled: the import
  // below then appends without anything following it, so the lag is certain to be there
  // when scraped, whatever the machine's speed. (A test that raced a running projector
  // against the import saw no lag on a fast run.)
  let ledger: TestApi;
  let directory: string;

  beforeAll(async () => {
    ledger = await openTestApi({ environment: QUIET });
    await ledger.app.get(BackgroundProjector).onModuleDestroy();
    directory = fs.mkdtempSync(path.join(os.tmpdir(), 'rsi-metrics-lag-'));
  });

  afterAll(async () => {
    await ledger?.cleanup();
    fs.rmSync(directory, { recursive: true, force: true });
  });

  const scrape = async (): Promise<PrometheusSample[]> => {
    const response = await request(ledger.app.getHttpServer()).get('/metrics').expect(200);
    return parsePrometheusText(response.text);
  };

  it('shows the lag of events appended after the checkpoint, and zero once the projection has caught up', async () => {
    const filePath = path.join(directory, 'ledger.jsonl');
    await writeSampleLedgerFile({ filePath, developerCount: 3, appCount: 6, receiptCount: 1_500, refundEveryNthReceipt: 9, seed: 15 });
    const projections = ledger.runtime.projectionHandlers.map((handler) => handler.name);
    expect(projections.length).toBeGreaterThan(0);
    const before = await scrape();
    for (const projection of projections) expect(sampleValue(before, 'rsi_projection_lag_events', { projection })).toBe(0);

    const summary = await importJsonlFile({
      filePath, bus: ledger.runtime.bus, batchSize: 500,
      context: () => ({ actor: 'test:import', recordedAt: new Date().toISOString() }),
      catchUpReadModels: async () => ({ eventsApplied: 0 }),
      nowMilliseconds: () => Date.now(),
    });
    expect(summary.linesRefused).toBe(0);
    const behind = await scrape();
    for (const projection of projections) {
      // At least the import's last batch: a command catches the read models up only before it
      // decides (when it must look up a route it has not seen), never after it appends.
      expect(sampleValue(behind, 'rsi_projection_lag_events', { projection })).toBeGreaterThan(0);
      expect(sampleValue(behind, 'rsi_projection_lag_seconds', { projection })).toBeGreaterThan(0);
    }

    // What a read request does on any instance: apply everything after the checkpoint.
    await ledger.runtime.projector.catchUp();
    const caughtUp = await scrape();
    for (const projection of projections) {
      expect(sampleValue(caughtUp, 'rsi_projection_lag_events', { projection })).toBe(0);
      expect(sampleValue(caughtUp, 'rsi_projection_lag_seconds', { projection })).toBe(0);
    }
  }, 120_000);
});

describe('GET /metrics with a read replica (DATABASE_READ_URL)', () => {
  it('shows the replica lag as rsi_read_replica_lag_seconds', async () => {
    const database = await createFreshDatabase({});
    const environment = { ...database.ledgerOptions.environment, DATABASE_READ_URL: database.databaseUrl ?? '' };
    if (!database.databaseUrl) {
      await database.drop();
      return; // The embedded database has no standby.
    }
    const app = await createApiApplication({ environment: { ...environment, ...QUIET }, ledger: { ...database.ledgerOptions, environment } });
    try {
      const response = await request(app.getHttpServer()).get('/metrics').expect(200);
      // The URL reaches a primary (not in recovery): its lag is 0, never unknown.
      expect(sampleValue(parsePrometheusText(response.text), 'rsi_read_replica_lag_seconds')).toBe(0);
    } finally {
      await app.close();
      await database.drop();
    }
  });
});
