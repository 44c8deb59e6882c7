import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConfigurationError, readServerConfiguration, SERVER_CONFIGURATION_SCHEMA } from './server-configuration';

const REPOSITORY_ROOT = path.resolve(__dirname, '../../../..');

function sourceFiles(folder: string): string[] {
  const found: string[] = [];
  for (const entry of fs.readdirSync(folder, { withFileTypes: true })) {
    const entryPath = path.join(folder, entry.name);
    if (entry.isDirectory() && entry.name !== 'node_modules') found.push(...sourceFiles(entryPath));
    else if (entry.isFile() && entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts')) found.push(entryPath);
  }
  return found;
}

describe('the server configuration schema', () => {
  it('takes an empty environment with the documented defaults', () => {
    expect(readServerConfiguration({})).toMatchObject({
      databaseUrl: null, eventStore: 'postgres', logLevel: 'info', projectorIntervalMilliseconds: 200, readyProjectionLagSecondsMaximum: 60,
      shutdownTimeoutSeconds: 25, webhookAllowPrivateTargets: false, webhookFailuresBeforePause: 10,
    });
  });

  it('names every wrong variable, never a secret', () => {
    let error: unknown = null;
    try {
      readServerConfiguration({ DATABASE_URL: 'mysql://x', RSI_SHUTDOWN_TIMEOUT_SECONDS: '0', RSI_API_KEYS: 'ops:short', RSI_WEBHOOK_ALLOW_PRIVATE_TARGETS: 'yes' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigurationError);
    const names = (error as ConfigurationError).problems.map((problem) => problem.name);
    expect(names).toEqual(['DATABASE_URL', 'RSI_API_KEYS', 'RSI_SHUTDOWN_TIMEOUT_SECONDS', 'RSI_WEBHOOK_ALLOW_PRIVATE_TARGETS']);
    expect((error as Error).message).toMatch(/RSI_SHUTDOWN_TIMEOUT_SECONDS: must be an integer from 1 to 600/);
    expect((error as Error).message).not.toContain('short');
  });

  it('refuses combinations: a replica without a primary, EventStoreDB without its connection string', () => {
    expect(() => readServerConfiguration({ DATABASE_READ_URL: 'postgres://standby/x' })).toThrow(/DATABASE_READ_URL: is set but DATABASE_URL is not/);
    expect(() => readServerConfiguration({ EVENT_STORE: 'eventstoredb' })).toThrow(/EVENTSTORE_CONNECTION_STRING: is required/);
  });

  it('holds every variable the applications and libraries read, and docs/operations.md lists each', () => {
    const names = new Set(SERVER_CONFIGURATION_SCHEMA.map((entry) => entry.name));
    const read = new Set<string>();
    for (const file of [...sourceFiles(path.join(REPOSITORY_ROOT, 'apps')), ...sourceFiles(path.join(REPOSITORY_ROOT, 'libs'))]) {
      const text = fs.readFileSync(file, 'utf8');
      for (const match of text.matchAll(/(?:environment|process\.env)(?:\?\.|\.)((?:RSI|DATABASE|EVENT_?STORE)[A-Z_]*)/g)) read.add(match[1]!);
      for (const match of text.matchAll(/positiveIntegerSetting\(environment, '([A-Z_]+)'/g)) read.add(match[1]!);
    }
    expect([...read].filter((name) => !names.has(name))).toEqual([]);
    const operations = fs.readFileSync(path.join(REPOSITORY_ROOT, 'docs/operations.md'), 'utf8');
    expect([...names].filter((name) => !operations.includes(`| \`${name}\` |`))).toEqual([]);
  });
});
