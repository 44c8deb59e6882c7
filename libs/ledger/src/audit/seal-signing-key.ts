import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DEFAULT_DATA_DIRECTORY_NAME } from '@rsi/database';

/** The platform's Ed25519 seal key: a PKCS#8 PEM file, readable by its owner only. */
export const SEAL_PRIVATE_KEY_FILE_NAME = 'seal-private-key.pem';
/** The incoming key of a rotation, beside the current one until the rotation is recorded. */
const NEXT_KEY_SUFFIX = '.next';
const KEY_FILE_BYTES_MAXIMUM = 16_384;
/** Any permission bit for the group or for others. */
const GROUP_OR_OTHER_PERMISSIONS = 0o077;

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
  const configHome = options.environment.XDG_CONFIG_HOME?.trim()
    || path.join(options.homeDirectory ?? options.environment.HOME ?? os.homedir(), '.config');
  return path.resolve(options.workingDirectory, configHome, 'rsi-ledger', SEAL_PRIVATE_KEY_FILE_NAME);
}

function parsePrivateKey(pem: string, filePath: string): KeyObject {
  const key = createPrivateKey({ key: pem, format: 'pem' });
  if (key.asymmetricKeyType !== 'ed25519') throw new Error(`${filePath} holds a ${key.asymmetricKeyType} key; a seal key must be Ed25519`);
  return key;
}

/**
 * Reads the key through one open file, so the mode checked is the mode of the bytes read.
 * A key readable by the group or by others is refused: whoever could read it could sign.
 */
export function readSealPrivateKey(filePath: string): KeyObject {
  let descriptor: number;
  try {
    descriptor = fs.openSync(filePath, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new Error(`no seal key at ${filePath}: the first "rsi-ledger seal" creates it (or set RSI_SEAL_PRIVATE_KEY_FILE)`);
    }
    throw error;
  }
  try {
    const status = fs.fstatSync(descriptor);
    if (!status.isFile()) throw new Error(`${filePath} is not a file`);
    if (process.platform !== 'win32' && (status.mode & GROUP_OR_OTHER_PERMISSIONS) !== 0) {
      throw new Error(`the seal key ${filePath} is readable beyond its owner (mode ${(status.mode & 0o777).toString(8).padStart(4, '0')}): ` +
        `refused; run "chmod 600 ${filePath}" if nobody else could have read it, else treat the key as lost (docs/audit.md)`);
    }
    if (status.size > KEY_FILE_BYTES_MAXIMUM) throw new Error(`${filePath} is too large to be a key file`);
    return parsePrivateKey(fs.readFileSync(descriptor, 'utf8'), filePath);
  } finally {
    fs.closeSync(descriptor);
  }
}

/**
 * The seal key, created on first use with mode 0600. `wx` makes creation atomic: two
 * processes sealing at once cannot each write a key and sign with different ones.
 */
export function readOrCreateSealPrivateKey(filePath: string): { privateKey: KeyObject; created: boolean } {
  if (fs.existsSync(filePath)) return { privateKey: readSealPrivateKey(filePath), created: false };
  const { privateKey } = generateKeyPairSync('ed25519');
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  fs.mkdirSync(path.dirname(filePath), { recursive: true, mode: 0o700 });
  try {
    fs.writeFileSync(filePath, pem, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return { privateKey: readSealPrivateKey(filePath), created: false };
    throw error;
  }
  return { privateKey, created: true };
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
