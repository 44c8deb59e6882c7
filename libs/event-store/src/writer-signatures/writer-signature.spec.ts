import { generateKeyPairSync } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FileWriterSigner, KeyWriterSigner, writerKeyIdOf, writerSignatureHolds, writerSignedMessage } from './writer-signature';
import { readWriterPrivateKey, writerPrivateKeyPath } from './writer-signing-key';

const HASH_A = 'a'.repeat(64);
const HASH_B = 'b'.repeat(64);

describe('writer signatures', () => {
  it('sign the scheme, the count and the event hashes in order; any change breaks the signature', () => {
    expect(writerSignedMessage([HASH_A, HASH_B]).toString('utf8')).toBe(`rsi-ledger/writer-signature/v1\n2\n${HASH_A}\n${HASH_B}\n`);
    const signer = new KeyWriterSigner(generateKeyPairSync('ed25519').privateKey);
    const signature = signer.sign([HASH_A, HASH_B]);
    expect(writerSignatureHolds(signer.publicKeyPem, [HASH_A, HASH_B], signature)).toBe(true);
    expect(writerSignatureHolds(signer.publicKeyPem, [HASH_B, HASH_A], signature)).toBe(false);
    expect(writerSignatureHolds(signer.publicKeyPem, [HASH_A], signature)).toBe(false);
    const other = new KeyWriterSigner(generateKeyPairSync('ed25519').privateKey);
    expect(writerSignatureHolds(other.publicKeyPem, [HASH_A, HASH_B], signature)).toBe(false);
    expect(writerSignatureHolds(signer.publicKeyPem, [HASH_A, HASH_B], 'not base64 at all')).toBe(false);
  });

  it('name a key by the SHA-256 of its SPKI DER; anything but an Ed25519 public key has no id', () => {
    const signer = new KeyWriterSigner(generateKeyPairSync('ed25519').privateKey);
    expect(signer.keyId).toMatch(/^[0-9a-f]{64}$/);
    expect(writerKeyIdOf(signer.publicKeyPem.replace(/\n/g, '\r\n'))).toBe(signer.keyId);
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
    expect(writerKeyIdOf(rsa)).toBeNull();
    expect(writerKeyIdOf('not a key')).toBeNull();
  });

  describe('the key file', () => {
    let directory: string;
    beforeEach(() => { directory = fs.mkdtempSync(path.join(os.tmpdir(), 'rsi-writer-key-')); });
    afterEach(() => fs.rmSync(directory, { recursive: true, force: true }));

    it('is found like the seal key: the variable, else the data directory, else the configuration directory on a server', () => {
      expect(writerPrivateKeyPath({ environment: { RSI_WRITER_PRIVATE_KEY_FILE: 'keys/w.pem' }, workingDirectory: '/srv' })).toBe('/srv/keys/w.pem');
      expect(writerPrivateKeyPath({ environment: {}, workingDirectory: '/srv' })).toBe('/srv/.rsi-ledger/writer-private-key.pem');
      expect(writerPrivateKeyPath({ environment: {}, dataDirectory: 'data', workingDirectory: '/srv' })).toBe('/srv/data/writer-private-key.pem');
      expect(writerPrivateKeyPath({ environment: { DATABASE_URL: 'postgres://h/d', XDG_CONFIG_HOME: '/etc/x' }, workingDirectory: '/srv' })).toBe('/etc/x/rsi-ledger/writer-private-key.pem');
      expect(writerPrivateKeyPath({ environment: { DATABASE_URL: 'postgres://h/d' }, workingDirectory: '/srv', homeDirectory: '/home/op' })).toBe('/home/op/.config/rsi-ledger/writer-private-key.pem');
    });

    it('is created on the first signature only, mode 0600, and refused once readable by others', () => {
      const filePath = path.join(directory, 'nested', 'writer-private-key.pem');
      const created: string[] = [];
      const signer = new FileWriterSigner(filePath, (file) => created.push(file));
      expect(fs.existsSync(filePath)).toBe(false);
      const signature = signer.sign([HASH_A]);
      expect(created).toEqual([filePath]);
      expect(fs.statSync(filePath).mode & 0o777).toBe(0o600);
      expect(writerSignatureHolds(signer.publicKeyPem, [HASH_A], signature)).toBe(true);
      expect(new FileWriterSigner(filePath).keyId).toBe(signer.keyId);
      fs.chmodSync(filePath, 0o644);
      expect(() => readWriterPrivateKey(filePath)).toThrow(/readable beyond its owner \(mode 0644\)/);
    });
  });
});
