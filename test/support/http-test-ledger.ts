import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { openTestApi, type TestApi } from './test-ledger';

/** What the HTTP scenarios start from: developer `dev-1` with app `app-1` under `contract`, and the receipts given. */
export type HttpTestLedgerSetUp = {
  developerWithApp?: { contract: unknown; receipts?: readonly object[] };
};

export type HttpTestLedger = TestApi & {
  server: ReturnType<INestApplication['getHttpServer']>;
  post(route: string, body: unknown): request.Test;
  get(route: string): request.Test;
};

/**
 * The HTTP API (quiet logs) on a fresh database of its own, with the supertest verbs the
 * end-to-end scenarios use; the set-up is written over HTTP, each step expected to answer 201.
 */
export async function openHttpTestLedger(setUp: HttpTestLedgerSetUp = {}): Promise<HttpTestLedger> {
  const ledger = await openTestApi({ environment: { RSI_API_LOG: 'quiet' } });
  const server = ledger.app.getHttpServer();
  const post = (route: string, body: unknown) => request(server).post(route).send(body as object);
  const get = (route: string) => request(server).get(route);
  try {
    if (setUp.developerWithApp !== undefined) {
      await post('/v1/developers', { developerId: 'dev-1', name: 'Ada Apps', country: 'NG' }).expect(201);
      await post('/v1/apps', { appId: 'app-1', developerId: 'dev-1', name: 'Story Writer', contract: setUp.developerWithApp.contract }).expect(201);
      for (const receipt of setUp.developerWithApp.receipts ?? []) await post('/v1/receipts', receipt).expect(201);
    }
  } catch (error) {
    await ledger.cleanup();
    throw error;
  }
  return { ...ledger, server, post, get };
}
