import 'reflect-metadata';
import { Logger, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { SwaggerModule } from '@nestjs/swagger';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import type { DatabaseConnection } from '@rsi/database';
import { LedgerRuntime } from '@rsi/ledger';
import type { LedgerOptions } from '@rsi/ledger';
import { ApiExceptionFilter } from './http/api-exception.filter';
import { readApiSettings, type ApiOptions } from './api-settings';
import { ApiAppModule } from './api.module';
import { buildOpenApiDocument } from './http/openapi-document';
import { jsonBodyParser } from './http/request-body';
import { StrictValidationPipe } from './http/strict-validation.pipe';
import { defaultWebRoot, webApplicationHandler } from './http/web-application';

export type ApiServer = { port: number; runtime: LedgerRuntime; close(): Promise<void> };

/**
 * The Nest application of the ledger (`ledger`: which database and event store; the API's
 * own settings come from `environment`), initialised but not listening (supertest takes
 * `app.getHttpServer()`). Closing it closes the event store and the database.
 */
export async function createApiApplication(options: ApiOptions & { ledger?: LedgerOptions; webRoot?: string | null } = {}): Promise<INestApplication> {
  const settings = readApiSettings(options);
  const logger = new Logger('ApiServer');
  if (settings.apiKeys === null) {
    logger.warn('RSI_API_KEYS is not set: the API accepts every request, recorded as actor api:anonymous');
  }
  // Our own body parser: its limit, strictness and errors are part of the API contract.
  let opened: DatabaseConnection | null = null;
  const ledgerOptions: LedgerOptions = { ...options.ledger, onDatabaseOpened: (connection) => { opened = connection; } };
  const app = await NestFactory.create(ApiAppModule.forRoot(settings, ledgerOptions), {
    bodyParser: false,
    abortOnError: false,
    logger: options.environment?.RSI_API_LOG === 'quiet' ? ['error', 'warn'] : undefined,
  }).catch(async (error: unknown) => {
    // A start that failed after the database opened: Nest has no application to close.
    await (opened as DatabaseConnection | null)?.close().catch(() => undefined);
    throw error;
  });
  try {
    // Nothing about the server's software is advertised.
    const express = app.getHttpAdapter().getInstance() as { disable(setting: string): void };
    express.disable('x-powered-by');
    // Every response is a fresh command outcome or read: a weak ETag (a hash of each body)
    // would cost CPU on every request and never save a transfer.
    express.disable('etag');
    // The web application at / (same origin as /v1; apps/web, built into dist/web).
    app.use(webApplicationHandler(options.webRoot === undefined ? defaultWebRoot() : options.webRoot));
    app.use(jsonBodyParser(settings.bodyLimitBytes));
    app.useGlobalFilters(new ApiExceptionFilter());
    app.useGlobalPipes(new StrictValidationPipe());
    const document = buildOpenApiDocument(app);
    SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json' });
    await app.init();
  } catch (error) {
    await app.close().catch(() => undefined);
    throw error;
  }
  return app;
}

/** Listens on `host:port` (port 0: any free port) and runs the background projector until closed. */
export async function startApiServer(options: { port: number; host: string; ledger?: LedgerOptions } & ApiOptions): Promise<ApiServer> {
  const app = await createApiApplication(options);
  await app.listen(options.port, options.host);
  const address = (app.getHttpServer() as Server).address() as AddressInfo;
  return {
    port: address.port,
    runtime: app.get(LedgerRuntime),
    close: () => app.close(),
  };
}
