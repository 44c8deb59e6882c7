import { parseApiKeys, type ApiKey } from '../http/api-keys';

/**
 * Every environment variable the server (`rsi-ledger serve`) reads, in one schema: its name,
 * what it means, its default, and the rule a value must follow. `readServerConfiguration`
 * checks them all once at start; a wrong value stops the start with an error naming the
 * variable (all the wrong ones, not only the first). docs/operations.md#configuration lists
 * this table; `server-configuration.spec.ts` checks that the page names every entry.
 */
export class ConfigurationError extends Error {
  constructor(readonly problems: readonly { name: string; message: string }[]) {
    super(`invalid configuration: ${problems.map((problem) => `${problem.name}: ${problem.message}`).join('; ')}`);
    this.name = 'ConfigurationError';
  }
}

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';
const LOG_LEVELS: readonly LogLevel[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];

export type ServerConfiguration = {
  databaseUrl: string | null;
  databaseReadUrl: string | null;
  eventStore: 'postgres' | 'eventstoredb';
  eventStoreConnectionString: string | null;
  apiKeys: ApiKey[] | null;
  logLevel: LogLevel;
  sealPrivateKeyFile: string | null;
  writerPrivateKeyFile: string | null;
  sealPublicKeyFile: string | null;
  treeHeadIntervalSeconds: number;
  projectorIntervalMilliseconds: number;
  readyProjectionLagSecondsMaximum: number;
  shutdownTimeoutSeconds: number;
  webhookAllowPrivateTargets: boolean;
  webhookIntervalMilliseconds: number;
  webhookRetryFirstMilliseconds: number;
  webhookFailuresBeforePause: number;
};

type Entry = {
  name: string;
  /** Shown in docs/operations.md. */
  description: string;
  /** As documented; `(none)` when unset means off or not used. */
  defaultValue: string;
  /** The value's rule, for the error message and the table. */
  rule: string;
  /** Returns the parsed value into `configuration`; throws an Error whose message says what is wrong. */
  apply(value: string | undefined, configuration: ServerConfiguration): void;
};

const POSTGRES_URL_PROTOCOLS = new Set(['postgres:', 'postgresql:']);

function postgresUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error('is not a URL');
  }
  if (!POSTGRES_URL_PROTOCOLS.has(url.protocol) || url.hostname === '') throw new Error('must be a postgres:// or postgresql:// URL with a host');
  return value;
}

function integerWithin(minimum: number, maximum: number): (value: string) => number {
  return (value) => {
    if (!/^\d{1,9}$/.test(value) || Number(value) < minimum || Number(value) > maximum) {
      throw new Error(`must be an integer from ${minimum} to ${maximum}`);
    }
    return Number(value);
  };
}

function booleanValue(value: string): boolean {
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw new Error('must be true or false');
}

function filePath(value: string): string {
  if (value.includes('\0')) throw new Error('must be a file path');
  return value;
}

/** Unset or blank: the default. */
function given(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed === undefined || trimmed === '' ? undefined : trimmed;
}

export const TREE_HEAD_INTERVAL_SECONDS_MAXIMUM = 86_400;

/** The schema, in the order of the documentation's table. */
export const SERVER_CONFIGURATION_SCHEMA: readonly Entry[] = [
  {
    name: 'DATABASE_URL', description: 'PostgreSQL server (the primary). Unset: the embedded database in --data-dir.',
    defaultValue: '(none: embedded)', rule: 'postgres:// URL with a host',
    apply: (value, configuration) => { configuration.databaseUrl = value === undefined ? null : postgresUrl(value); },
  },
  {
    name: 'DATABASE_READ_URL', description: 'A standby for stale-tolerant reads (exports, unit economics); needs DATABASE_URL.',
    defaultValue: '(none)', rule: 'postgres:// URL with a host',
    apply: (value, configuration) => { configuration.databaseReadUrl = value === undefined ? null : postgresUrl(value); },
  },
  {
    name: 'EVENT_STORE', description: 'Where the events live.', defaultValue: 'postgres', rule: 'postgres or eventstoredb',
    apply: (value, configuration) => {
      if (value !== undefined && value !== 'postgres' && value !== 'eventstoredb') throw new Error('must be postgres or eventstoredb');
      configuration.eventStore = value ?? 'postgres';
    },
  },
  {
    name: 'EVENTSTORE_CONNECTION_STRING', description: 'EventStoreDB connection string; required with EVENT_STORE=eventstoredb.',
    defaultValue: '(none)', rule: 'esdb:// or esdb+discover:// connection string',
    apply: (value, configuration) => {
      if (value !== undefined && !/^esdb(\+discover)?:\/\//.test(value)) throw new Error('must start with esdb:// or esdb+discover://');
      configuration.eventStoreConnectionString = value ?? null;
    },
  },
  {
    name: 'RSI_API_KEYS', description: 'Bootstrap operator keys, keyId:secret pairs, comma-separated (keys of the other roles: rsi-ledger keys create). Unset and no issued key: anonymous access (docs/http-api.md).',
    defaultValue: '(none: open)', rule: 'keyId:secret,… (key id [A-Za-z0-9_.-], secret 8–512 characters)',
    // The parser's messages name the entry, never a secret.
    apply: (value, configuration) => { configuration.apiKeys = parseApiKeys(value); },
  },
  {
    name: 'RSI_API_RATE_PER_SECOND', description: 'Sustained requests per second of one key (answered 429 beyond).', defaultValue: '200', rule: 'integer 1–1000000',
    apply: (value) => { if (value !== undefined) integerWithin(1, 1_000_000)(value); },
  },
  {
    name: 'RSI_API_RATE_BURST', description: 'Requests one key may spend at once above its rate.', defaultValue: '400', rule: 'integer 1–1000000',
    apply: (value) => { if (value !== undefined) integerWithin(1, 1_000_000)(value); },
  },
  {
    name: 'RSI_API_FAILED_AUTHENTICATIONS_PER_MINUTE', description: 'Failed authentications one address may make per minute before 429.', defaultValue: '30', rule: 'integer 1–1000000',
    apply: (value) => { if (value !== undefined) integerWithin(1, 1_000_000)(value); },
  },
  {
    name: 'RSI_DEVELOPERS_REQUEST_PAYOUTS', description: 'own: a developer key may request its own payouts; none: payouts are requested by operators only.', defaultValue: 'none', rule: 'own or none',
    apply: (value) => { if (value !== undefined && value !== 'own' && value !== 'none') throw new Error('must be own or none'); },
  },
  {
    name: 'RSI_LOG_LEVEL', description: 'Lowest level of the JSON log lines written to standard output.', defaultValue: 'info',
    rule: LOG_LEVELS.join(', '),
    apply: (value, configuration) => {
      if (value !== undefined && !(LOG_LEVELS as readonly string[]).includes(value)) throw new Error(`must be one of ${LOG_LEVELS.join(', ')}`);
      if (value !== undefined) configuration.logLevel = value as LogLevel;
    },
  },
  {
    name: 'RSI_API_LOG', description: 'quiet: the same as RSI_LOG_LEVEL=warn (kept for older scripts).', defaultValue: '(none)', rule: 'quiet',
    apply: (value, configuration) => {
      if (value !== undefined && value !== 'quiet') throw new Error('must be quiet or unset');
      if (value === 'quiet') configuration.logLevel = 'warn';
    },
  },
  {
    name: 'RSI_SEAL_PRIVATE_KEY_FILE', description: 'The seal signing key (PEM); default: the key in the data directory.', defaultValue: '(data directory)', rule: 'file path',
    apply: (value, configuration) => { configuration.sealPrivateKeyFile = value === undefined ? null : filePath(value); },
  },
  {
    name: 'RSI_WRITER_PRIVATE_KEY_FILE', description: 'The writer key that signs every append (PEM, mode 0600); default: the key in the data directory.', defaultValue: '(data directory)', rule: 'file path',
    apply: (value, configuration) => { configuration.writerPrivateKeyFile = value === undefined ? null : filePath(value); },
  },
  {
    name: 'RSI_SEAL_PUBLIC_KEY_FILE', description: 'Pinned seal public key(s) for verify (CLI).', defaultValue: '(none)', rule: 'file path',
    apply: (value, configuration) => { configuration.sealPublicKeyFile = value === undefined ? null : filePath(value); },
  },
  {
    name: 'RSI_TREE_HEAD_INTERVAL_SECONDS', description: 'How often serve signs a transparency-log tree head; 0: never.', defaultValue: '300',
    rule: `integer 0–${TREE_HEAD_INTERVAL_SECONDS_MAXIMUM}`,
    apply: (value, configuration) => { configuration.treeHeadIntervalSeconds = value === undefined ? 300 : integerWithin(0, TREE_HEAD_INTERVAL_SECONDS_MAXIMUM)(value); },
  },
  {
    name: 'RSI_PROJECTOR_INTERVAL_MILLISECONDS', description: 'How often the active projector polls for new events.', defaultValue: '200', rule: 'integer 10–60000',
    apply: (value, configuration) => { configuration.projectorIntervalMilliseconds = value === undefined ? 200 : integerWithin(10, 60_000)(value); },
  },
  {
    name: 'RSI_READY_PROJECTION_LAG_SECONDS_MAXIMUM', description: '/health/ready answers 503 while the projection lag is above this.', defaultValue: '60', rule: 'integer 1–86400',
    apply: (value, configuration) => { configuration.readyProjectionLagSecondsMaximum = value === undefined ? 60 : integerWithin(1, 86_400)(value); },
  },
  {
    name: 'RSI_SHUTDOWN_TIMEOUT_SECONDS', description: 'On SIGTERM, how long in-flight work may take before the process gives up (exit 1).', defaultValue: '25', rule: 'integer 1–600',
    apply: (value, configuration) => { configuration.shutdownTimeoutSeconds = value === undefined ? 25 : integerWithin(1, 600)(value); },
  },
  {
    name: 'RSI_WEBHOOK_ALLOW_PRIVATE_TARGETS', description: 'true: webhooks may target loopback and private addresses (tests, a private network).', defaultValue: 'false', rule: 'true or false',
    apply: (value, configuration) => { configuration.webhookAllowPrivateTargets = value === undefined ? false : booleanValue(value); },
  },
  {
    name: 'RSI_WEBHOOK_INTERVAL_MILLISECONDS', description: 'How often the active webhook worker looks for events to deliver.', defaultValue: '500', rule: 'integer 10–60000',
    apply: (value, configuration) => { configuration.webhookIntervalMilliseconds = value === undefined ? 500 : integerWithin(10, 60_000)(value); },
  },
  {
    name: 'RSI_WEBHOOK_RETRY_FIRST_MILLISECONDS', description: 'First retry delay of a failed delivery; doubled after each failure (at most 1 hour).', defaultValue: '1000', rule: 'integer 10–600000',
    apply: (value, configuration) => { configuration.webhookRetryFirstMilliseconds = value === undefined ? 1_000 : integerWithin(10, 600_000)(value); },
  },
  {
    name: 'RSI_WEBHOOK_FAILURES_BEFORE_PAUSE', description: 'Consecutive failed attempts of one delivery after which its subscription is paused (with the reason).', defaultValue: '10', rule: 'integer 1–100',
    apply: (value, configuration) => { configuration.webhookFailuresBeforePause = value === undefined ? 10 : integerWithin(1, 100)(value); },
  },
];

/** Checks every variable of the schema once; throws a `ConfigurationError` naming each wrong one. */
export function readServerConfiguration(environment: NodeJS.ProcessEnv): ServerConfiguration {
  const configuration: ServerConfiguration = {
    databaseUrl: null, databaseReadUrl: null, eventStore: 'postgres', eventStoreConnectionString: null, apiKeys: null,
    logLevel: 'info', sealPrivateKeyFile: null, writerPrivateKeyFile: null, sealPublicKeyFile: null, treeHeadIntervalSeconds: 300,
    projectorIntervalMilliseconds: 200, readyProjectionLagSecondsMaximum: 60, shutdownTimeoutSeconds: 25,
    webhookAllowPrivateTargets: false, webhookIntervalMilliseconds: 500, webhookRetryFirstMilliseconds: 1_000, webhookFailuresBeforePause: 10,
  };
  const problems: { name: string; message: string }[] = [];
  for (const entry of SERVER_CONFIGURATION_SCHEMA) {
    try {
      entry.apply(given(environment[entry.name]), configuration);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      // parseApiKeys already names its variable.
      problems.push({ name: entry.name, message: message.startsWith(`${entry.name} `) || message.startsWith(`${entry.name}:`) ? message.slice(entry.name.length + 1).trim() : message });
    }
  }
  if (configuration.databaseReadUrl !== null && configuration.databaseUrl === null) {
    problems.push({ name: 'DATABASE_READ_URL', message: 'is set but DATABASE_URL is not: a read replica needs a PostgreSQL server primary' });
  }
  if (configuration.eventStore === 'eventstoredb' && configuration.eventStoreConnectionString === null) {
    problems.push({ name: 'EVENTSTORE_CONNECTION_STRING', message: 'is required with EVENT_STORE=eventstoredb' });
  }
  if (problems.length > 0) throw new ConfigurationError(problems);
  return configuration;
}
