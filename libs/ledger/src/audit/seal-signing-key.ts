import { createPublicKey, type KeyObject } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DEFAULT_DATA_DIRECTORY_NAME } from '@rsi/database';
import { type Ed25519KeyFileRole, operatorConfigurationDirectory, readEd25519KeyFile, readOrCreateEd25519KeyFile } from '@rsi/event-store';

/** The platform's Ed25519 seal key: a PKCS#8 PEM file, readable by its owner only. */
export const SEAL_PRIVATE_KEY_FILE_NAME = 'seal-private-key.pem';
/** The incoming key of a rotation, beside the current one until the rotation is recorded. */
const NEXT_KEY_SUFFIX = '.next';

/**
 * Where the seal key lives, never in the working directory itself:
 * 1. `RSI_SEAL_PRIVATE_KEY_FILE`;
 * 2. else `seal-private-key.pem` in `--data-dir` when it is given;
 * 3. else, on the embedded database, in its default data directory `./.rsi-ledger`
 *    (`--data-dir .rsi-ledger` and no `--data-dir` find the same key);
 * 4. else (on a PostgreSQL server, `DATABASE_URL`) in `$XDG_CONFIG_HOME/rsi-ledger`
 *    (default `~/.config/rsi-ledger`): the machine's operator account, not a checkout.
 */
export function sealPrivateKeyPath(options: { environment: NodeJS.ProcessEnv; dataDirectory?: string; workingDirectory: string; homeDirectory?: string }): string {
  const configured = options.environment.RSI_SEAL_PRIVATE_KEY_FILE?.trim();
  if (configured) return path.resolve(options.workingDirectory, configured);
  if (options.dataDirectory !== undefined) return path.resolve(options.workingDirectory, options.dataDirectory, SEAL_PRIVATE_KEY_FILE_NAME);
  if (!options.environment.DATABASE_URL?.trim()) return path.resolve(options.workingDirectory, DEFAULT_DATA_DIRECTORY_NAME, SEAL_PRIVATE_KEY_FILE_NAME);
  return path.resolve(options.workingDirectory, operatorConfigurationDirectory(options.environment, options.homeDirectory), SEAL_PRIVATE_KEY_FILE_NAME);
}

const SEAL_KEY_ROLE: Ed25519KeyFileRole = {
  keyName: 'seal key',
  missingAdvice: 'the first "rsi-ledger seal" creates it (or set RSI_SEAL_PRIVATE_KEY_FILE)',
  leakedAdvice: 'treat the key as lost (docs/audit.md)',
};

/** Refused when readable by the group or by others: whoever could read it could sign. */
export function readSealPrivateKey(filePath: string): KeyObject {
  return readEd25519KeyFile(filePath, SEAL_KEY_ROLE);
}

/** The seal key, created on first use with mode 0600, atomically across processes sealing at once. */
export function readOrCreateSealPrivateKey(filePath: string): { privateKey: KeyObject; created: boolean } {
  return readOrCreateEd25519KeyFile(filePath, SEAL_KEY_ROLE);
}

/** The public key to publish: SPKI PEM. */
export function publicKeyPemOf(privateKey: KeyObject): string {
  return createPublicKey(privateKey).export({ type: 'spki', format: 'pem' }).toString();
}

/** Where `seal-key rotate` keeps the incoming key until the rotation is recorded: beside the current key, same mode. */
export function nextSealPrivateKeyPath(filePath: string): string {
  return `${filePath}${NEXT_KEY_SUFFIX}`;
}

/**
 * Puts the incoming key in place of the current one once its rotation is recorded. A
 * rename within one directory is atomic: the key file holds the old key or the new one,
 * never neither; the old private key is gone with it (a retired key never signs again).
 */
export function installNextSealPrivateKey(filePath: string): void {
  fs.renameSync(nextSealPrivateKeyPath(filePath), filePath);
}
