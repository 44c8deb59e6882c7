import { sealPrivateKeyPath } from '@rsi/ledger';
import { type ApiKey } from './http/api-keys';
import { readServerConfiguration, type ServerConfiguration } from './operations/server-configuration';

export { keyIdOfSecret, parseApiKeys, type ApiKey } from './http/api-keys';

/** Injection token of the `LedgerRuntime` the API serves. */
export const LEDGER_RUNTIME = Symbol('LEDGER_RUNTIME');
/** Injection token of the `ApiSettings`. */
export const API_SETTINGS = Symbol('API_SETTINGS');

/** A single command is small; 64 KiB leaves room for a contract with many carve-outs. */
export const BODY_LIMIT_BYTES_DEFAULT = 64 * 1024;
/** Above this a body limit is a configuration mistake, not a need of any command. */
const BODY_LIMIT_BYTES_MAXIMUM = 16 * 1024 * 1024;
/** How often the background projector looks for new events. */
export const PROJECTOR_INTERVAL_MILLISECONDS_DEFAULT = 200;

/**
 * What a request without a key may do while the ledger has no key at all (no `RSI_API_KEYS`
 * and no active issued key): `operator` on a loopback address (every caller is an operator),
 * `read-only` when `serve --allow-anonymous` on another address (GET routes open to auditors).
 * Once a key exists, every request needs one.
 */
export type AnonymousAccess = 'operator' | 'read-only';

/** Abuse limits (docs/http-api.md, "Abuse limits"). */
export type RateLimits = {
  /** Sustained requests per second of one key, and the burst it may spend at once. */
  requestsPerSecondPerKey: number;
  burstPerKey: number;
  /** Failed authentications one address may make per minute before it is answered 429. */
  failedAuthenticationsPerMinute: number;
};

export const RATE_LIMITS_DEFAULT: RateLimits = { requestsPerSecondPerKey: 200, burstPerKey: 400, failedAuthenticationsPerMinute: 30 };

export type ApiSettings = {
  /** The bootstrap operator keys of `RSI_API_KEYS`; null when it is not set. */
  apiKeys: ApiKey[] | null;
  anonymousAccess: AnonymousAccess;
  rateLimits: RateLimits;
  /** `RSI_DEVELOPERS_REQUEST_PAYOUTS=own`: developer keys may request their own developer's payouts. */
  developersRequestPayouts: boolean;
  bodyLimitBytes: number;
  projectorIntervalMilliseconds: number;
  /** The seal key whose public half `GET /v1/seal-public-key` publishes. */
  sealPrivateKeyFile: string;
  /** Every environment variable of the server, checked once (operations/server-configuration.ts). */
  configuration: ServerConfiguration;
};

export type ApiOptions = {
  /** Defaults to `process.env`; tests pass their own. */
  environment?: NodeJS.ProcessEnv;
  bodyLimitBytes?: number;
  projectorIntervalMilliseconds?: number;
  /** Default: where `rsi-ledger seal` finds it without `--data-dir` (`sealPrivateKeyPath`). */
  sealPrivateKeyFile?: string;
  /** Default `operator` (loopback); `startApiServer` decides it from the host. */
  anonymousAccess?: AnonymousAccess;
};

function positiveIntegerSetting(environment: NodeJS.ProcessEnv, name: string, fallback: number, maximum: number): number {
  const value = environment[name]?.trim();
  if (value === undefined || value === '') return fallback;
  if (!/^[0-9]{1,9}$/.test(value) || Number(value) < 1 || Number(value) > maximum) throw new RangeError(`${name} must be an integer from 1 to ${maximum}`);
  return Number(value);
}

function readDevelopersRequestPayouts(value: string | undefined): boolean {
  const setting = value?.trim() ?? '';
  if (setting === '' || setting === 'none') return false;
  if (setting === 'own') return true;
  throw new RangeError('RSI_DEVELOPERS_REQUEST_PAYOUTS must be own or none');
}

export function readRateLimits(environment: NodeJS.ProcessEnv): RateLimits {
  return {
    requestsPerSecondPerKey: positiveIntegerSetting(environment, 'RSI_API_RATE_PER_SECOND', RATE_LIMITS_DEFAULT.requestsPerSecondPerKey, 1_000_000),
    burstPerKey: positiveIntegerSetting(environment, 'RSI_API_RATE_BURST', RATE_LIMITS_DEFAULT.burstPerKey, 1_000_000),
    failedAuthenticationsPerMinute: positiveIntegerSetting(environment, 'RSI_API_FAILED_AUTHENTICATIONS_PER_MINUTE', RATE_LIMITS_DEFAULT.failedAuthenticationsPerMinute, 1_000_000),
  };
}

export function readApiSettings(options: ApiOptions = {}): ApiSettings {
  const environment = options.environment ?? process.env;
  const bodyLimitBytes = options.bodyLimitBytes ?? BODY_LIMIT_BYTES_DEFAULT;
  if (!Number.isInteger(bodyLimitBytes) || bodyLimitBytes < 1024 || bodyLimitBytes > BODY_LIMIT_BYTES_MAXIMUM) {
    throw new RangeError(`bodyLimitBytes must be an integer from 1024 to ${BODY_LIMIT_BYTES_MAXIMUM}`);
  }
  // Throws a ConfigurationError naming every wrong variable: the start stops here.
  const configuration = readServerConfiguration(environment);
  const projectorIntervalMilliseconds = options.projectorIntervalMilliseconds ?? configuration.projectorIntervalMilliseconds;
  if (!Number.isInteger(projectorIntervalMilliseconds) || projectorIntervalMilliseconds < 10 || projectorIntervalMilliseconds > 60_000) {
    throw new RangeError('projectorIntervalMilliseconds must be an integer from 10 to 60000');
  }
  const sealPrivateKeyFile = options.sealPrivateKeyFile ?? sealPrivateKeyPath({ environment, workingDirectory: process.cwd() });
  return {
    apiKeys: configuration.apiKeys, anonymousAccess: options.anonymousAccess ?? 'operator', rateLimits: readRateLimits(environment),
    developersRequestPayouts: readDevelopersRequestPayouts(environment.RSI_DEVELOPERS_REQUEST_PAYOUTS),
    bodyLimitBytes, projectorIntervalMilliseconds, sealPrivateKeyFile, configuration,
  };
}
