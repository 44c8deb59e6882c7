import 'reflect-metadata';
import { Logger, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { SwaggerModule } from '@nestjs/swagger';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import type { LedgerRuntime } from '../../../libs/ledger/src/ledger-runtime';
import { ApiExceptionFilter } from './api-exception.filter';
import { readApiSettings, type ApiOptions } from './api-settings';
import { ApiModule } from './api.module';
import { buildOpenApiDocument } from './openapi-document';
import { jsonBodyParser } from './request-body';
import { StrictValidationPipe } from './strict-validation.pipe';

export type ApiServer = { port: number; close(): Promise<void> };

/**
 * The Nest application over a ledger runtime, initialised but not listening (supertest
 * takes `app.getHttpServer()`). The runtime stays the caller's to close, after the app.
 */
export async function createApiApplication(runtime: LedgerRuntime, options: ApiOptions = {}): Promise<INestApplication> {
  const settings = readApiSettings(options);
  const logger = new Logger('ApiServer');
  if (settings.apiKeys === null) {
    logger.warn('RSI_API_KEYS is not set: the API accepts every request, recorded as actor api:anonymous');
  }
  // Our own body parser: its limit, strictness and errors are part of the API contract.
  const app = await NestFactory.create(ApiModule.forRuntime(runtime, settings), {
    bodyParser: false,
    logger: options.environment?.RSI_API_LOG === 'quiet' ? ['error', 'warn'] : undefined,
  });
  // Nothing about the server's software is advertised.
  const express = app.getHttpAdapter().getInstance() as { disable(setting: string): void };
  express.disable('x-powered-by');
  // Every response is a fresh command outcome or read: a weak ETag (a hash of each body)
  // would cost CPU on every request and never save a transfer.
  express.disable('etag');
  app.use(jsonBodyParser(settings.bodyLimitBytes));
  app.useGlobalFilters(new ApiExceptionFilter());
  app.useGlobalPipes(new StrictValidationPipe());
  const document = buildOpenApiDocument(app);
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json' });
  await app.init();
  return app;
}

/** Listens on `host:port` (port 0: any free port) and runs the background projector until closed. */
export async function startApiServer(runtime: LedgerRuntime, options: { port: number; host: string } & ApiOptions): Promise<ApiServer> {
  const app = await createApiApplication(runtime, options);
  await app.listen(options.port, options.host);
  const address = (app.getHttpServer() as Server).address() as AddressInfo;
  return {
    port: address.port,
    close: () => app.close(),
  };
}
