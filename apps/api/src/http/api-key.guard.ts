import { Inject, Injectable, Logger, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import { ApiError } from './api-error';
import { API_SETTINGS, type ApiSettings } from '../api-settings';
import { keyIdOfSecret } from './api-keys';

export const ANONYMOUS_ACTOR = 'api:anonymous';
/** Longer presented secrets are refused before they are hashed. */
const PRESENTED_SECRET_LENGTH_MAXIMUM = 1024;

export type AuthenticatedRequest = Request & { actor?: string };

/** The actor recorded with the commands of this request (set by `ApiKeyGuard`). */
export function actorOf(request: Request): string {
  const actor = (request as AuthenticatedRequest).actor;
  if (actor === undefined) throw new Error('actorOf: the request did not pass ApiKeyGuard');
  return actor;
}

/**
 * With `RSI_API_KEYS` set, a request must carry `X-Api-Key: <secret>` and acts as
 * `api:<keyId>`; without it, every request acts as `api:anonymous`.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  private readonly logger = new Logger('ApiKeyGuard');

  constructor(@Inject(API_SETTINGS) private readonly settings: ApiSettings) {}

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    if (this.settings.apiKeys === null) {
      request.actor = ANONYMOUS_ACTOR;
      return true;
    }
    const presented = request.headers['x-api-key'];
    if (typeof presented !== 'string' || presented === '') {
      throw new ApiError(401, 'unauthenticated', 'an X-Api-Key header is required');
    }
    const keyId = presented.length > PRESENTED_SECRET_LENGTH_MAXIMUM ? null : keyIdOfSecret(this.settings.apiKeys, presented);
    if (keyId === null) {
      // For the operator watching for guessing (the line carries the request id, never the key).
      this.logger.warn('refused a request whose X-Api-Key matches no key');
      throw new ApiError(401, 'unauthenticated', 'the X-Api-Key is not valid');
    }
    request.actor = `api:${keyId}`;
    return true;
  }
}
