import { type KeyObject } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DEFAULT_DATA_DIRECTORY_NAME } from '@rsi/database';
import { type Ed25519KeyFileRole, operatorConfigurationDirectory, readEd25519KeyFile, readOrCreateEd25519KeyFile } from '../signing-keys/ed25519-key-file';

/** The application's Ed25519 writer key: a PKCS#8 PEM file, readable by its owner only. */
export const WRITER_PRIVATE_KEY_FILE_NAME = 'writer-private-key.pem';
/** The incoming key of a rotation, beside the current one until the rotation is recorded. */
const NEXT_KEY_SUFFIX = '.next';

/**
 * Where the writer key lives, found like the seal key and never in the working directory:
 * 1. `RSI_WRITER_PRIVATE_KEY_FILE`;
 * 2. else `writer-private-key.pem` in the embedded database's data directory (`--data-dir`,
 *    default `./.rsi-ledger`);
 * 3. else (a PostgreSQL server, `DATABASE_URL`) in `$XDG_CONFIG_HOME/rsi-ledger`
 *    (default `~/.config/rsi-ledger`): the machine's operator account, not the database.
 */
export function writerPrivateKeyPath(options: { environment: NodeJS.ProcessEnv; dataDirectory?: string; workingDirectory: string; homeDirectory?: string }): string {
  const configured = options.environment.RSI_WRITER_PRIVATE_KEY_FILE?.trim();
  if (configured) return path.resolve(options.workingDirectory, configured);
  if (!options.environment.DATABASE_URL?.trim()) {
    return path.resolve(options.workingDirectory, options.dataDirectory ?? DEFAULT_DATA_DIRECTORY_NAME, WRITER_PRIVATE_KEY_FILE_NAME);
  }
  return path.resolve(options.workingDirectory, operatorConfigurationDirectory(options.environment, options.homeDirectory), WRITER_PRIVATE_KEY_FILE_NAME);
}

const WRITER_KEY_ROLE: Ed25519KeyFileRole = {
  keyName: 'writer key',
  missingAdvice: 'the first write creates it (or set RSI_WRITER_PRIVATE_KEY_FILE)',
  leakedAdvice: 'rotate it as lost (docs/audit.md)',
};

export function readWriterPrivateKey(filePath: string): KeyObject {
  return readEd25519KeyFile(filePath, WRITER_KEY_ROLE);
}

/** The writer key, created on first use with mode 0600. */
export function readOrCreateWriterPrivateKey(filePath: string): { privateKey: KeyObject; created: boolean } {
  return readOrCreateEd25519KeyFile(filePath, WRITER_KEY_ROLE);
}

export function nextWriterPrivateKeyPath(filePath: string): string {
  return `${filePath}${NEXT_KEY_SUFFIX}`;
}

/** Puts the incoming key in place of the current one (an atomic rename in one directory). */
export function installNextWriterPrivateKey(filePath: string): void {
  fs.renameSync(nextWriterPrivateKeyPath(filePath), filePath);
}
