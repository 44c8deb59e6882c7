import 'reflect-metadata';
import { Logger, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Logger as PinoLogger } from 'nestjs-pino';
import { SwaggerModule } from '@nestjs/swagger';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import type { DatabaseConnection } from '@rsi/database';
import { PAYOUT_REPORT_BYTES_MAXIMUM } from '@rsi/domain';
import { ApiKeyRegistry, LedgerRuntime } from '@rsi/ledger';
import type { LedgerOptions } from '@rsi/ledger';
import { ApiExceptionFilter } from './http/api-exception.filter';
import { API_SETTINGS, readApiSettings, type ApiOptions, type ApiSettings } from './api-settings';
import { ApiAppModule } from './api.module';
import { buildOpenApiDocument } from './http/openapi-document';
import { csvBodyParser, jsonBodyParser, statementBodyParser } from './http/request-body';
import { StrictValidationPipe } from './http/strict-validation.pipe';
import { defaultWebRoot, webApplicationHandler } from './http/web-application';
import { MetricsService } from './operations/metrics.service';
import { refuseWhileShuttingDown, shutDownGracefully } from './operations/graceful-shutdown';
import { ShutdownState } from './operations/shutdown-state';

export { ConfigurationError, readServerConfiguration } from './operations/server-configuration';

export type ApiServer = {
  port: number;
  runtime: LedgerRuntime;
  /** The graceful stop (SIGTERM): see `shutDownGracefully`; throws when it outlasts RSI_SHUTDOWN_TIMEOUT_SECONDS. */
  close(): Promise<void>;
};

/**
 * The Nest application of the ledger (`ledger`: which database and event store; the API's
 * own settings come from `environment`), initialised but not listening (supertest takes
 * `app.getHttpServer()`). Closing it closes the event store and the database.
 */
export async function createApiApplication(options: ApiOptions & { ledger?: LedgerOptions; webRoot?: string | null } = {}): Promise<INestApplication> {
  const settings = readApiSettings(options);
  // Our own body parser: its limit, strictness and errors are part of the API contract.
  let opened: DatabaseConnection | null = null;
  const ledgerOptions: LedgerOptions = { ...options.ledger, onDatabaseOpened: (connection) => { opened = connection; } };
  const app = await NestFactory.create(ApiAppModule.forRoot(settings, ledgerOptions), {
    bodyParser: false,
    abortOnError: false,
    // Held until the JSON logger (nestjs-pino, RSI_LOG_LEVEL) takes over below.
    bufferLogs: true,
  }).catch(async (error: unknown) => {
    // A start that failed after the database opened: Nest has no application to close.
    await (opened as DatabaseConnection | null)?.close().catch(() => undefined);
    throw error;
  });
  try {
    app.useLogger(app.get(PinoLogger));
    // Nothing about the server's software is advertised.
    const express = app.getHttpAdapter().getInstance() as { disable(setting: string): void };
    express.disable('x-powered-by');
    // Every response is a fresh command outcome or read: a weak ETag (a hash of each body)
    // would cost CPU on every request and never save a transfer.
    express.disable('etag');
    app.use(app.get(MetricsService).requestMiddleware);
    app.use(refuseWhileShuttingDown(app.get(ShutdownState)));
    // The web application at / (same origin as /v1; apps/web, built into dist/web).
    app.use(webApplicationHandler(options.webRoot === undefined ? defaultWebRoot() : options.webRoot));
    app.use('/v1/statements/verify', statementBodyParser());
    app.use('/v1/reconciliations/payouts', csvBodyParser(PAYOUT_REPORT_BYTES_MAXIMUM));
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

/** 127.0.0.0/8, ::1 and localhost: only this machine can connect. */
export function isLoopbackHost(host: string): boolean {
  const name = host.trim().toLowerCase().replace(/^\[(.*)\]$/, '$1');
  return name === 'localhost' || name === '::1' || name === '::ffff:127.0.0.1' || /^127\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}$/.test(name);
}

/** Why a server is not started: it would be open to anyone. */
export class ServeRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ServeRefusedError';
  }
}

/**
 * Listens on `host:port` (port 0: any free port) and runs the background projector until closed.
 *
 * Never open by accident: without any key (no `RSI_API_KEYS`, no active key issued on the
 * ledger), a non-loopback host is refused unless `allowAnonymous` (then anonymous callers
 * may read only); on a loopback host every caller is an operator, and the log says so.
 */
export async function startApiServer(options: { port: number; host: string; ledger?: LedgerOptions; allowAnonymous?: boolean } & ApiOptions): Promise<ApiServer> {
  const loopback = isLoopbackHost(options.host);
  const app = await createApiApplication({ ...options, anonymousAccess: loopback ? 'operator' : 'read-only' });
  const logger = new Logger('ApiServer');
  try {
    const settings = readApiSettings(options);
    const runtime = app.get(LedgerRuntime);
    const registry = new ApiKeyRegistry(runtime.connection.pool, runtime.store);
    // The lookup index follows the api-keys stream (a crash between an event and its row).
    await registry.synchronise();
    if (settings.apiKeys === null && !(await registry.hasActiveKeys(new Date()))) {
      if (!loopback && options.allowAnonymous !== true) {
        throw new ServeRefusedError(`refusing to serve on ${options.host} without any API key: anyone who can reach it would act as an operator. ` +
          'Create keys (rsi-ledger keys create --role operator) or set RSI_API_KEYS, or pass --allow-anonymous to let callers without a key read only.');
      }
      if (loopback) logger.warn(`no API key exists: every caller of ${options.host} is an OPERATOR (recorded as api:anonymous); create keys with "rsi-ledger keys create" before exposing this server`);
      else logger.warn(`no API key exists: --allow-anonymous lets anyone who reaches ${options.host} READ the whole ledger (no writes); create keys with "rsi-ledger keys create"`);
    }
    await app.listen(options.port, options.host);
  } catch (error) {
    await app.close().catch(() => undefined);
    throw error;
  }
  const address = (app.getHttpServer() as Server).address() as AddressInfo;
  return {
    port: address.port,
    runtime: app.get(LedgerRuntime),
    close: () => shutDownGracefully(app, app.get<ApiSettings>(API_SETTINGS).configuration.shutdownTimeoutSeconds * 1000),
  };
}
