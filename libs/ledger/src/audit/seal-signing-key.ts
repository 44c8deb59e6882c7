import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** The platform's Ed25519 seal key: a PKCS#8 PEM file, readable by its owner only. */
export const SEAL_PRIVATE_KEY_FILE_NAME = 'seal-private-key.pem';
const KEY_FILE_BYTES_MAXIMUM = 16_384;

/** `RSI_SEAL_PRIVATE_KEY_FILE`, else `seal-private-key.pem` in the data directory (or the working directory). */
export function sealPrivateKeyPath(options: { environment: NodeJS.ProcessEnv; dataDirectory?: string; workingDirectory: string }): string {
  const configured = options.environment.RSI_SEAL_PRIVATE_KEY_FILE?.trim();
  if (configured) return path.resolve(options.workingDirectory, configured);
  return path.resolve(options.dataDirectory ?? options.workingDirectory, SEAL_PRIVATE_KEY_FILE_NAME);
}

function parsePrivateKey(pem: string, filePath: string): KeyObject {
  const key = createPrivateKey({ key: pem, format: 'pem' });
  if (key.asymmetricKeyType !== 'ed25519') throw new Error(`${filePath} holds a ${key.asymmetricKeyType} key; a seal key must be Ed25519`);
  return key;
}

export function readSealPrivateKey(filePath: string): KeyObject {
  let pem: string;
  try {
    const size = fs.statSync(filePath).size;
    if (size > KEY_FILE_BYTES_MAXIMUM) throw new Error(`${filePath} is too large to be a key file`);
    pem = fs.readFileSync(filePath, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new Error(`no seal key at ${filePath}: the first "rsi-ledger seal" creates it (or set RSI_SEAL_PRIVATE_KEY_FILE)`);
    }
    throw error;
  }
  return parsePrivateKey(pem, filePath);
}

/**
 * The seal key, created on first use with mode 0600. `wx` makes creation atomic: two
 * processes sealing at once cannot each write a key and sign with different ones.
 */
export function readOrCreateSealPrivateKey(filePath: string): { privateKey: KeyObject; created: boolean } {
  if (fs.existsSync(filePath)) return { privateKey: readSealPrivateKey(filePath), created: false };
  const { privateKey } = generateKeyPairSync('ed25519');
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  fs.mkdirSync(path.dirname(filePath), { recursive: true });
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
