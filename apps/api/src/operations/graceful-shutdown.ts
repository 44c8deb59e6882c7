import { Logger, type INestApplication } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import type { Server } from 'node:http';
import { ShutdownState } from './shutdown-state';

/** Retry-After of a request refused because the instance is stopping: another instance answers it. */
const SHUTTING_DOWN_RETRY_AFTER_SECONDS = 1;

/**
 * Express middleware: once shutdown began, a request that still arrives (on a connection kept
 * alive from before) is refused with 503 `shutting_down` before it does anything, and its
 * connection is closed after the answer, so the server's close can complete.
 */
export function refuseWhileShuttingDown(state: ShutdownState) {
  return (_request: Request, response: Response, next: NextFunction): void => {
    if (!state.shuttingDown) {
      next();
      return;
    }
    response.setHeader('Connection', 'close');
    response.setHeader('Retry-After', String(SHUTTING_DOWN_RETRY_AFTER_SECONDS));
    response.status(503).json({ statusCode: 503, code: 'shutting_down', message: 'this instance is shutting down; retry (another instance answers)' });
  };
}

export class ShutdownTimeoutError extends Error {
  constructor(timeoutMilliseconds: number) {
    super(`in-flight work did not finish within ${timeoutMilliseconds} ms (RSI_SHUTDOWN_TIMEOUT_SECONDS)`);
    this.name = 'ShutdownTimeoutError';
  }
}

/**
 * The graceful stop of an API instance (SIGTERM):
 * 1. `/health/ready` answers 503 and new requests on kept-alive connections are refused
 *    (503 `shutting_down`, connection closed); the listening socket closes at once, so no new
 *    connection is accepted; idle kept-alive connections are closed.
 * 2. Requests in flight finish: a command waits for its group commit, which commits or rolls
 *    back as one transaction, and is answered.
 * 3. Then the application closes: the projector and the webhook worker stop at a checkpoint
 *    (each awaits its running batch, whose rows and checkpoint commit together), the event
 *    store and the database close.
 * Throws `ShutdownTimeoutError` when steps 1–3 outlast `timeoutMilliseconds`.
 */
export async function shutDownGracefully(app: INestApplication, timeoutMilliseconds: number): Promise<void> {
  const logger = new Logger('Shutdown');
  app.get(ShutdownState).shuttingDown = true;
  const server = app.getHttpServer() as Server;
  let timer: NodeJS.Timeout | null = null;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new ShutdownTimeoutError(timeoutMilliseconds)), timeoutMilliseconds);
    timer.unref();
  });
  try {
    logger.log('stopping: no new connections; finishing the requests in flight');
    const drained = new Promise<void>((resolve) => {
      if (!server.listening) {
        resolve();
        return;
      }
      server.close(() => resolve());
      server.closeIdleConnections();
    });
    await Promise.race([drained, timeout]);
    logger.log('requests finished; stopping the projector and the webhook worker at a checkpoint');
    await Promise.race([app.close(), timeout]);
  } finally {
    if (timer !== null) clearTimeout(timer);
  }
}
