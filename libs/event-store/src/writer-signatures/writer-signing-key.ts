import { createPrivateKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DEFAULT_DATA_DIRECTORY_NAME } from '@rsi/database';

/** The application's Ed25519 writer key: a PKCS#8 PEM file, readable by its owner only. */
export const WRITER_PRIVATE_KEY_FILE_NAME = 'writer-private-key.pem';
/** The incoming key of a rotation, beside the current one until the rotation is recorded. */
const NEXT_KEY_SUFFIX = '.next';
const KEY_FILE_BYTES_MAXIMUM = 16_384;
const GROUP_OR_OTHER_PERMISSIONS = 0o077;

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
  const configHome = options.environment.XDG_CONFIG_HOME?.trim()
    || path.join(options.homeDirectory ?? options.environment.HOME ?? os.homedir(), '.config');
  return path.resolve(options.workingDirectory, configHome, 'rsi-ledger', WRITER_PRIVATE_KEY_FILE_NAME);
}

/** Reads the key through one open file, so the mode checked is the mode of the bytes read; a key readable beyond its owner is refused. */
export function readWriterPrivateKey(filePath: string): KeyObject {
  let descriptor: number;
  try {
    descriptor = fs.openSync(filePath, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new Error(`no writer key at ${filePath}: the first write creates it (or set RSI_WRITER_PRIVATE_KEY_FILE)`);
    throw error;
  }
  try {
    const status = fs.fstatSync(descriptor);
    if (!status.isFile()) throw new Error(`${filePath} is not a file`);
    if (process.platform !== 'win32' && (status.mode & GROUP_OR_OTHER_PERMISSIONS) !== 0) {
      throw new Error(`the writer key ${filePath} is readable beyond its owner (mode ${(status.mode & 0o777).toString(8).padStart(4, '0')}): ` +
        `refused; run "chmod 600 ${filePath}" if nobody else could have read it, else rotate it as lost (docs/audit.md)`);
    }
    if (status.size > KEY_FILE_BYTES_MAXIMUM) throw new Error(`${filePath} is too large to be a key file`);
    const key = createPrivateKey({ key: fs.readFileSync(descriptor, 'utf8'), format: 'pem' });
    if (key.asymmetricKeyType !== 'ed25519') throw new Error(`${filePath} holds a ${key.asymmetricKeyType} key; a writer key must be Ed25519`);
    return key;
  } finally {
    fs.closeSync(descriptor);
  }
}

/** The writer key, created on first use with mode 0600; `wx` makes creation atomic across processes. */
export function readOrCreateWriterPrivateKey(filePath: string): { privateKey: KeyObject; created: boolean } {
  if (fs.existsSync(filePath)) return { privateKey: readWriterPrivateKey(filePath), created: false };
  const { privateKey } = generateKeyPairSync('ed25519');
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  fs.mkdirSync(path.dirname(filePath), { recursive: true, mode: 0o700 });
  try {
    fs.writeFileSync(filePath, pem, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return { privateKey: readWriterPrivateKey(filePath), created: false };
    throw error;
  }
  return { privateKey, created: true };
}

export function nextWriterPrivateKeyPath(filePath: string): string {
  return `${filePath}${NEXT_KEY_SUFFIX}`;
}

/** Puts the incoming key in place of the current one (an atomic rename in one directory). */
export function installNextWriterPrivateKey(filePath: string): void {
  fs.renameSync(nextWriterPrivateKeyPath(filePath), filePath);
}
