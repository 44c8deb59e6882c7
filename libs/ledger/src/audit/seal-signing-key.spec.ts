import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  installNextSealPrivateKey, nextSealPrivateKeyPath, publicKeyPemOf, readOrCreateSealPrivateKey, readSealPrivateKey, sealPrivateKeyPath,
} from './seal-signing-key';

describe('the seal key: where it lives and who may read it', () => {
  let directory: string;

  beforeEach(() => {
    directory = fs.mkdtempSync(path.join(os.tmpdir(), 'rsi-seal-key-'));
  });

  afterEach(() => {
    fs.rmSync(directory, { recursive: true, force: true });
  });

  it('never in the working directory itself: the data directory, its default, or the config directory on a server', () => {
    const workingDirectory = '/srv/checkout';
    const embedded = sealPrivateKeyPath({ environment: {}, workingDirectory });
    expect(embedded).toBe('/srv/checkout/.rsi-ledger/seal-private-key.pem');
    // `--data-dir .rsi-ledger` and no `--data-dir` find the same key.
    expect(sealPrivateKeyPath({ environment: {}, workingDirectory, dataDirectory: '.rsi-ledger' })).toBe(embedded);
    expect(sealPrivateKeyPath({ environment: {}, workingDirectory, dataDirectory: '/var/lib/rsi' })).toBe('/var/lib/rsi/seal-private-key.pem');
    const server = { DATABASE_URL: 'postgres://db/ledger' };
    expect(sealPrivateKeyPath({ environment: { ...server, XDG_CONFIG_HOME: '/etc/xdg-home' }, workingDirectory })).toBe('/etc/xdg-home/rsi-ledger/seal-private-key.pem');
    expect(sealPrivateKeyPath({ environment: { ...server, HOME: '/home/operator' }, workingDirectory })).toBe('/home/operator/.config/rsi-ledger/seal-private-key.pem');
    expect(sealPrivateKeyPath({ environment: { ...server, RSI_SEAL_PRIVATE_KEY_FILE: 'keys/seal.pem' }, workingDirectory, dataDirectory: '/var/lib/rsi' }))
      .toBe('/srv/checkout/keys/seal.pem');
  });

  it('is created with mode 0600 in a directory of mode 0700, and read back as the same key', () => {
    const filePath = path.join(directory, 'fresh', 'seal-private-key.pem');
    const created = readOrCreateSealPrivateKey(filePath);
    expect(created.created).toBe(true);
    expect(fs.statSync(filePath).mode & 0o777).toBe(0o600);
    expect(fs.statSync(path.dirname(filePath)).mode & 0o777).toBe(0o700);
    const again = readOrCreateSealPrivateKey(filePath);
    expect(again.created).toBe(false);
    expect(publicKeyPemOf(again.privateKey)).toBe(publicKeyPemOf(created.privateKey));
  });

  it('refuses a key readable by the group or by others, with a clear message', () => {
    const filePath = path.join(directory, 'seal-private-key.pem');
    readOrCreateSealPrivateKey(filePath);
    fs.chmodSync(filePath, 0o644);
    expect(() => readSealPrivateKey(filePath)).toThrow(`the seal key ${filePath} is readable beyond its owner (mode 0644): refused; run "chmod 600 ${filePath}"`);
    expect(() => readOrCreateSealPrivateKey(filePath)).toThrow(/readable beyond its owner/);
    fs.chmodSync(filePath, 0o640);
    expect(() => readSealPrivateKey(filePath)).toThrow(/mode 0640/);
    fs.chmodSync(filePath, 0o600);
    expect(() => readSealPrivateKey(filePath)).not.toThrow();
  });

  it('a missing key names the file and how it comes to be', () => {
    const filePath = path.join(directory, 'absent.pem');
    expect(() => readSealPrivateKey(filePath)).toThrow(`no seal key at ${filePath}`);
  });

  it('a rotation installs the next key in place of the current one', () => {
    const filePath = path.join(directory, 'seal-private-key.pem');
    readOrCreateSealPrivateKey(filePath);
    const next = readOrCreateSealPrivateKey(nextSealPrivateKeyPath(filePath));
    installNextSealPrivateKey(filePath);
    expect(publicKeyPemOf(readSealPrivateKey(filePath))).toBe(publicKeyPemOf(next.privateKey));
    expect(fs.existsSync(nextSealPrivateKeyPath(filePath))).toBe(false);
    expect(fs.statSync(filePath).mode & 0o777).toBe(0o600);
  });
});
