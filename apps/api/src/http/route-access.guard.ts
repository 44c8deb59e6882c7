import { Inject, Injectable, Logger, RequestMethod, type CanActivate, type ExecutionContext, type OnApplicationBootstrap, type BeforeApplicationShutdown } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import type { Request, Response } from 'express';
import { ApiKeyRegistry, type ApiRole, type LedgerRuntime } from '@rsi/ledger';
import { AccessLog } from './access-log';
import { ApiError } from './api-error';
import { RateLimiter } from './rate-limiter';
import { PUBLIC, ROUTE_ACCESS_TABLE, ROUTE_ACCESS_WIDENED_BY_SETTING, type RouteAccess } from './route-access.table';
import { API_SETTINGS, keyIdOfSecret, LEDGER_RUNTIME, type ApiSettings } from '../api-settings';

export const ANONYMOUS_ACTOR = 'api:anonymous';
export const ANONYMOUS_KEY_ID = 'anonymous';
/** Longer presented secrets are refused before they are hashed. */
const PRESENTED_SECRET_LENGTH_MAXIMUM = 1024;
/** How long the answer to "does the ledger have any key?" is reused while serving without keys. */
const KEYS_EXIST_CHECK_MILLISECONDS = 1000;

/** Who sent a request: its key (`anonymous` without one), role and, for a developer key, its developer. */
export type Caller = { keyId: string; role: ApiRole; developerId: string | null; actor: string; authenticated: boolean };

export type AuthenticatedRequest = Request & { actor?: string; caller?: Caller };

/** The actor recorded with the commands of this request (set by `RouteAccessGuard`). */
export function actorOf(request: Request): string {
  const actor = (request as AuthenticatedRequest).actor;
  if (actor === undefined) throw new Error('actorOf: the request did not pass RouteAccessGuard');
  return actor;
}

export function callerOf(request: Request): Caller {
  const caller = (request as AuthenticatedRequest).caller;
  if (caller === undefined) throw new Error('callerOf: the request did not pass RouteAccessGuard');
  return caller;
}

/**
 * The developer a request is confined to: a developer key's developerId, or null for every
 * other role (which reads across developers). A handler answers a confined request about
 * another developer's resource exactly as if it did not exist.
 */
export function developerScopeOf(request: Request): string | null {
  const caller = callerOf(request);
  return caller.role === 'developer' ? caller.developerId : null;
}

function pathsOf(metadata: unknown): string[] {
  if (metadata === undefined) return ['/'];
  return Array.isArray(metadata) ? metadata.map(String) : [String(metadata)];
}

/** `'GET /v1/developers/:developerId/balances'`: how the route table names a handler's route. */
export function routeKeysOf(controller: object, handler: object): string[] {
  const method = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined;
  if (method === undefined) return [];
  const keys: string[] = [];
  for (const prefix of pathsOf(Reflect.getMetadata(PATH_METADATA, controller))) {
    for (const suffix of pathsOf(Reflect.getMetadata(PATH_METADATA, handler))) {
      const joined = `/${prefix}/${suffix}`.replace(/\/+/g, '/').replace(/(.)\/$/, '$1');
      keys.push(`${RequestMethod[method]} ${joined}`);
    }
  }
  return keys;
}

/** Every route of the application's controllers, as the route table names them. */
export function applicationRouteKeys(discovery: DiscoveryService): string[] {
  const keys = new Set<string>();
  for (const wrapper of discovery.getControllers()) {
    const controller = wrapper.metatype as (new (...arguments_: never[]) => object) | null;
    if (controller === null || controller === undefined) continue;
    const prototype = controller.prototype as Record<string, unknown>;
    for (const name of Object.getOwnPropertyNames(prototype)) {
      const handler = prototype[name];
      if (name === 'constructor' || typeof handler !== 'function') continue;
      for (const key of routeKeysOf(controller, handler)) keys.add(key);
    }
  }
  return [...keys].sort();
}

/**
 * The one gate of every route (a global guard, `APP_GUARD`): looks the route up in
 * `ROUTE_ACCESS_TABLE` (none: 403 `route_without_rule`), authenticates the key (`X-Api-Key`
 * or `Authorization: Bearer`), checks its role against the route's row (403 `forbidden`),
 * limits its rate (429 with `Retry-After`), and logs the request once answered.
 *
 * Keys: the bootstrap operator keys of `RSI_API_KEYS` and the keys issued on the ledger
 * (`rsi-ledger keys create`). While the ledger has neither, a request without a key is
 * anonymous: an operator on a loopback address, read-only with `serve --allow-anonymous`.
 */
@Injectable()
export class RouteAccessGuard implements CanActivate, OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('RouteAccessGuard');
  private readonly registry: ApiKeyRegistry;
  readonly accessLog: AccessLog;
  private readonly keyRates: RateLimiter;
  private readonly failedAuthentications: RateLimiter;
  private keysExist: { value: boolean; checkedAtMilliseconds: number } | null = null;
  private readonly routesOfHandler = new WeakMap<object, string[]>();

  constructor(
    @Inject(API_SETTINGS) private readonly settings: ApiSettings,
    @Inject(LEDGER_RUNTIME) runtime: LedgerRuntime,
    private readonly discovery: DiscoveryService,
  ) {
    this.registry = new ApiKeyRegistry(runtime.connection.pool, runtime.store);
    this.accessLog = new AccessLog(runtime.connection.pool);
    this.keyRates = new RateLimiter(settings.rateLimits.requestsPerSecondPerKey, settings.rateLimits.burstPerKey);
    const perMinute = settings.rateLimits.failedAuthenticationsPerMinute;
    this.failedAuthentications = new RateLimiter(perMinute / 60, perMinute);
  }

  /** Says at start which routes have no row (they answer 403 route_without_rule to everyone). */
  onApplicationBootstrap(): void {
    const missing = applicationRouteKeys(this.discovery).filter((key) => ROUTE_ACCESS_TABLE[key] === undefined);
    if (missing.length > 0) this.logger.error(`routes without a row in ROUTE_ACCESS_TABLE, refused to everyone: ${missing.join(', ')}`);
  }

  /** The pending access log is written before the database closes (its `onApplicationShutdown`). */
  async beforeApplicationShutdown(): Promise<void> {
    await this.accessLog.close().catch(() => undefined);
  }

  /** Forgets the cached "no key exists" (a key was issued or revoked through this process). */
  keysChanged(): void {
    this.keysExist = null;
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const response = context.switchToHttp().getResponse<Response>();
    const handler = context.getHandler();
    let routes = this.routesOfHandler.get(handler);
    if (routes === undefined) {
      routes = routeKeysOf(context.getClass(), handler);
      this.routesOfHandler.set(handler, routes);
    }
    const route = routes.find((key) => key.startsWith(`${request.method} `)) ?? routes[0] ?? `${request.method} ${request.path}`;
    const access: RouteAccess | undefined = ROUTE_ACCESS_TABLE[route];
    if (access === undefined) {
      this.logger.error(`${route} has no row in ROUTE_ACCESS_TABLE (apps/api/src/http/route-access.table.ts): refused to everyone`);
      throw new ApiError(403, 'route_without_rule', 'this route declares no rule of access: it is refused to every caller');
    }
    if (access === PUBLIC) {
      request.actor = ANONYMOUS_ACTOR;
      return true;
    }
    const caller = await this.identify(request, response);
    request.caller = caller;
    request.actor = caller.actor;
    const widened = ROUTE_ACCESS_WIDENED_BY_SETTING[route];
    const roles = widened !== undefined && this.settings[widened.setting] ? [...access, ...widened.roles] : access;
    const allowed = caller.authenticated || this.settings.anonymousAccess === 'operator'
      ? roles.includes(caller.role)
      : request.method === 'GET' && access.includes('auditor');
    if (!allowed) {
      this.log(request, response, caller, route);
      throw new ApiError(403, 'forbidden', caller.authenticated
        ? `the ${caller.role} key ${caller.keyId} may not call ${route}`
        : `without a key this server answers reads only (serve --allow-anonymous); ${route} needs a key`);
    }
    if (caller.authenticated) {
      const retryAfterSeconds = this.keyRates.take(caller.keyId);
      if (retryAfterSeconds > 0) {
        response.setHeader('Retry-After', String(retryAfterSeconds));
        this.log(request, response, caller, route);
        throw new ApiError(429, 'rate_limited', `the key ${caller.keyId} sent more than ${this.settings.rateLimits.requestsPerSecondPerKey} requests a second; retry in ${retryAfterSeconds} s (Retry-After)`);
      }
    }
    this.log(request, response, caller, route);
    return true;
  }

  /** Logs an authenticated request once its response is finished (anonymous loopback requests are not logged). */
  private log(request: Request, response: Response, caller: Caller, route: string): void {
    if (!caller.authenticated) return;
    const requestedAt = new Date();
    response.once('finish', () => {
      this.accessLog.record({
        requestedAt, keyId: caller.keyId, role: caller.role, developerId: caller.developerId, method: request.method, route,
        statusCode: response.statusCode, address: request.socket.remoteAddress ?? null,
      });
    });
  }

  private async identify(request: Request, response: Response): Promise<Caller> {
    const presented = presentedSecretOf(request);
    if (presented === null) {
      if (await this.anyKeyExists()) throw new ApiError(401, 'unauthenticated', 'an X-Api-Key header (or Authorization: Bearer) is required');
      const role: ApiRole = this.settings.anonymousAccess === 'operator' ? 'operator' : 'auditor';
      return { keyId: ANONYMOUS_KEY_ID, role, developerId: null, actor: ANONYMOUS_ACTOR, authenticated: false };
    }
    const address = request.socket.remoteAddress ?? 'unknown';
    const blockedSeconds = this.failedAuthentications.wouldRefuse(address);
    if (blockedSeconds > 0) {
      response.setHeader('Retry-After', String(blockedSeconds));
      throw new ApiError(429, 'too_many_failed_authentications', `too many failed authentications from this address; retry in ${blockedSeconds} s (Retry-After)`);
    }
    const caller = await this.callerOfSecret(presented);
    if (caller === null) {
      // For the operator watching for guessing: the line carries the request id, never the key.
      this.logger.warn('refused a request whose key matches no key (unknown, revoked or expired)');
      this.failedAuthentications.take(address);
      throw new ApiError(401, 'unauthenticated', 'the key is not valid (unknown, revoked or expired)');
    }
    return caller;
  }

  private async callerOfSecret(presented: string): Promise<Caller | null> {
    if (presented.length > PRESENTED_SECRET_LENGTH_MAXIMUM) return null;
    if (this.settings.apiKeys !== null) {
      const keyId = keyIdOfSecret(this.settings.apiKeys, presented);
      if (keyId !== null) return { keyId, role: 'operator', developerId: null, actor: `api:${keyId}`, authenticated: true };
    }
    const identity = await this.registry.authenticate(presented, new Date());
    if (identity === null) return null;
    return { keyId: identity.keyId, role: identity.role, developerId: identity.developerId, actor: `api:${identity.keyId}`, authenticated: true };
  }

  private async anyKeyExists(): Promise<boolean> {
    if (this.settings.apiKeys !== null) return true;
    const now = Date.now();
    if (this.keysExist !== null && now - this.keysExist.checkedAtMilliseconds < KEYS_EXIST_CHECK_MILLISECONDS && !this.keysExist.value) return false;
    if (this.keysExist?.value === true) return true;
    let value: boolean;
    try {
      value = await this.registry.hasActiveKeys(new Date(now));
    } catch (error) {
      // The database unavailable: a server known to have no key stays as it was (reads from a
      // standby go on); one never checked answers the outage.
      if (this.keysExist?.value === false) return false;
      throw error;
    }
    this.keysExist = { value, checkedAtMilliseconds: now };
    return value;
  }
}

/** `X-Api-Key: <secret>` or `Authorization: Bearer <secret>`; null when neither is sent. */
export function presentedSecretOf(request: Request): string | null {
  const apiKey = request.headers['x-api-key'];
  if (typeof apiKey === 'string' && apiKey !== '') return apiKey;
  const authorization = request.headers.authorization;
  if (typeof authorization === 'string') {
    const match = /^Bearer[ ]+(\S+)\s*$/i.exec(authorization);
    if (match !== null) return match[1]!;
    if (authorization.trim() !== '') return authorization;
  }
  return null;
}
