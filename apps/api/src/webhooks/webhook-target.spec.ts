import { checkWebhookUrl, guardedLookup, isPrivateAddress, WebhookTargetRefused } from './webhook-target';

describe('webhook targets', () => {
  it('knows loopback, private, link-local and mapped addresses', () => {
    for (const address of ['127.0.0.1', '10.1.2.3', '172.20.0.1', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '::1', 'fd00::1', 'fe80::1', '::ffff:127.0.0.1']) {
      expect([address, isPrivateAddress(address)]).toEqual([address, true]);
    }
    for (const address of ['93.184.216.34', '2606:2800:220:1::1', '::ffff:93.184.216.34']) expect([address, isPrivateAddress(address)]).toEqual([address, false]);
  });

  it('accepts only http(s) URLs without credentials, and no private target unless allowed', () => {
    expect(checkWebhookUrl('https://hooks.example.com/rsi', false).hostname).toBe('hooks.example.com');
    for (const url of ['ftp://hooks.example.com/', 'file:///etc/passwd', 'https://user:pw@hooks.example.com/', 'not a url', 'https://hooks.example.com/#x']) {
      expect(() => checkWebhookUrl(url, false)).toThrow(WebhookTargetRefused);
    }
    for (const url of ['http://127.0.0.1:8080/', 'http://[::1]/', 'http://localhost/', 'http://10.0.0.5/', 'http://169.254.169.254/latest/meta-data']) {
      expect(() => checkWebhookUrl(url, false)).toThrow(/private addresses are refused/);
      expect(checkWebhookUrl(url, true).protocol).toBe('http:');
    }
  });

  it('refuses at connection time a name that resolves to a private address', async () => {
    const lookup = guardedLookup(false);
    const error = await new Promise<Error | null>((resolve) => lookup('localhost', {}, (failure) => resolve(failure)));
    expect(error).toBeInstanceOf(WebhookTargetRefused);
    const allowed = await new Promise<Error | null>((resolve) => guardedLookup(true)('localhost', {}, (failure) => resolve(failure)));
    expect(allowed).toBeNull();
  });
});
