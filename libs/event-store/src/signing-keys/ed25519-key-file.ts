import { createPrivateKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/**
 * The one home of the Ed25519 key files the ledger signs with (the seal key and the writer
 * key): how they are read, created and placed. Both are trust anchors, so the checks live
 * once: a key readable beyond its owner is refused, creation is atomic across processes.
 */
export type Ed25519KeyFileRole = {
  /** What the key is called in messages: "seal key", "writer key". */
  keyName: string;
  /** Said when the file does not exist: what creates it, which variable names another. */
  missingAdvice: string;
  /** Said when the file is readable beyond its owner: what to do if it may have leaked. */
  leakedAdvice: string;
};

const KEY_FILE_BYTES_MAXIMUM = 16_384;
/** Any permission bit for the group or for others. */
const GROUP_OR_OTHER_PERMISSIONS = 0o077;

/** `$XDG_CONFIG_HOME/rsi-ledger` (default `~/.config/rsi-ledger`): the machine's operator account, not a checkout or the database. */
export function operatorConfigurationDirectory(environment: NodeJS.ProcessEnv, homeDirectory?: string): string {
  const configHome = environment.XDG_CONFIG_HOME?.trim() || path.join(homeDirectory ?? environment.HOME ?? os.homedir(), '.config');
  return path.join(configHome, 'rsi-ledger');
}

/** Reads the key through one open file, so the mode checked is the mode of the bytes read: whoever could read it could sign. */
export function readEd25519KeyFile(filePath: string, role: Ed25519KeyFileRole): KeyObject {
  let descriptor: number;
  try {
    descriptor = fs.openSync(filePath, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new Error(`no ${role.keyName} at ${filePath}: ${role.missingAdvice}`);
    throw error;
  }
  try {
    const status = fs.fstatSync(descriptor);
    if (!status.isFile()) throw new Error(`${filePath} is not a file`);
    if (process.platform !== 'win32' && (status.mode & GROUP_OR_OTHER_PERMISSIONS) !== 0) {
      throw new Error(`the ${role.keyName} ${filePath} is readable beyond its owner (mode ${(status.mode & 0o777).toString(8).padStart(4, '0')}): ` +
        `refused; run "chmod 600 ${filePath}" if nobody else could have read it, else ${role.leakedAdvice}`);
    }
    if (status.size > KEY_FILE_BYTES_MAXIMUM) throw new Error(`${filePath} is too large to be a key file`);
    const key = createPrivateKey({ key: fs.readFileSync(descriptor, 'utf8'), format: 'pem' });
    if (key.asymmetricKeyType !== 'ed25519') throw new Error(`${filePath} holds a ${key.asymmetricKeyType} key; a ${role.keyName} must be Ed25519`);
    return key;
  } finally {
    fs.closeSync(descriptor);
  }
}

/**
 * The key, created on first use with mode 0600 in a directory of mode 0700. `wx` makes
 * creation atomic: two processes starting at once cannot each write a key and sign with
 * different ones; the loser reads the winner's.
 */
export function readOrCreateEd25519KeyFile(filePath: string, role: Ed25519KeyFileRole): { privateKey: KeyObject; created: boolean } {
  if (fs.existsSync(filePath)) return { privateKey: readEd25519KeyFile(filePath, role), created: false };
  const { privateKey } = generateKeyPairSync('ed25519');
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  fs.mkdirSync(path.dirname(filePath), { recursive: true, mode: 0o700 });
  try {
    fs.writeFileSync(filePath, pem, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return { privateKey: readEd25519KeyFile(filePath, role), created: false };
    throw error;
  }
  return { privateKey, created: true };
}
