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

export type ApiSettings = {
  /** Null when `RSI_API_KEYS` is not set: every request acts as `api:anonymous`. */
  apiKeys: ApiKey[] | null;
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
};

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
  return { apiKeys: configuration.apiKeys, bodyLimitBytes, projectorIntervalMilliseconds, sealPrivateKeyFile, configuration };
}
