import { createHash, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { readOrCreateWriterPrivateKey } from './writer-signing-key';

/**
 * Writer signatures: each append is signed once, over the hashes of the events it writes,
 * with the writer key (Ed25519) that the application holds and the database does not. Someone
 * who can only write to the database can store an event with a perfect hash chain, but not
 * its signature: `verify` and the tree-head issuer refuse it (docs/audit.md).
 *
 * The signed message is UTF-8 text: the scheme, the number of events, then each event's
 * `metadata.eventHash` in global order (the order the append writes them), one per line.
 * The event hash covers the event's stream, version, id, type, data, actor, command id,
 * booking time and schema version (hash scheme 2), so the signature covers all of them.
 */
export const WRITER_SIGNATURE_SCHEME = 'rsi-ledger/writer-signature/v1';
const SIGNATURE_BASE64_LENGTH_MAXIMUM = 200;
const PEM_LENGTH_MAXIMUM = 1_000;

export function writerSignedMessage(eventHashes: readonly string[]): Buffer {
  return Buffer.from(`${WRITER_SIGNATURE_SCHEME}\n${eventHashes.length}\n${eventHashes.join('\n')}\n`, 'utf8');
}

/** A key's id: hex SHA-256 of its SPKI DER (one id per key, whatever its PEM's line breaks); null if it is no Ed25519 public key. */
export function writerKeyIdOf(publicKeyPem: string): string | null {
  try {
    if (typeof publicKeyPem !== 'string' || publicKeyPem.length > PEM_LENGTH_MAXIMUM) return null;
    const key = createPublicKey({ key: publicKeyPem, format: 'pem' });
    if (key.asymmetricKeyType !== 'ed25519') return null;
    return createHash('sha256').update(key.export({ type: 'spki', format: 'der' })).digest('hex');
  } catch {
    return null;
  }
}

export function writerSignatureHolds(publicKeyPem: string, eventHashes: readonly string[], signatureBase64: string): boolean {
  try {
    if (typeof signatureBase64 !== 'string' || signatureBase64.length > SIGNATURE_BASE64_LENGTH_MAXIMUM) return false;
    return verify(null, writerSignedMessage(eventHashes), createPublicKey({ key: publicKeyPem, format: 'pem' }), Buffer.from(signatureBase64, 'base64'));
  } catch {
    return false;
  }
}

/** What an append signs with: the key's id, its public key, and a signature over event hashes. */
export interface WriterSigner {
  readonly keyId: string;
  readonly publicKeyPem: string;
  sign(eventHashes: readonly string[]): string;
}

export class KeyWriterSigner implements WriterSigner {
  readonly publicKeyPem: string;
  readonly keyId: string;

  constructor(private readonly privateKey: KeyObject) {
    if (privateKey.asymmetricKeyType !== 'ed25519') throw new Error(`a writer key must be Ed25519, not ${privateKey.asymmetricKeyType}`);
    this.publicKeyPem = createPublicKey(privateKey).export({ type: 'spki', format: 'pem' }).toString();
    this.keyId = writerKeyIdOf(this.publicKeyPem)!;
  }

  sign(eventHashes: readonly string[]): string {
    return sign(null, writerSignedMessage(eventHashes), this.privateKey).toString('base64');
  }
}

/**
 * The writer key of a file, read (or created, mode 0600) on first use: a process that only
 * reads (verify, exports, the projection worker) never touches the key file.
 */
export class FileWriterSigner implements WriterSigner {
  private loaded: KeyWriterSigner | null = null;

  constructor(readonly filePath: string, private readonly onCreated: (filePath: string) => void = () => undefined) {}

  private key(): KeyWriterSigner {
    if (this.loaded === null) {
      const { privateKey, created } = readOrCreateWriterPrivateKey(this.filePath);
      if (created) this.onCreated(this.filePath);
      this.loaded = new KeyWriterSigner(privateKey);
    }
    return this.loaded;
  }

  get keyId(): string { return this.key().keyId; }
  get publicKeyPem(): string { return this.key().publicKeyPem; }
  sign(eventHashes: readonly string[]): string { return this.key().sign(eventHashes); }
}
