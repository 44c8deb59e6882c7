import { createHmac } from 'node:crypto';
import { newWebhookSecret, signatureOf, verifySignature } from './webhook-signature';

describe('webhook signature (Rsi-Signature)', () => {
  const secret = 'whsec_test-secret';
  const body = '{"type":"RevenueRecorded","amount":"10.00"}';

  it('is t=<seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>', () => {
    const expected = createHmac('sha256', secret).update(`1700000000.${body}`).digest('hex');
    expect(signatureOf(secret, 1_700_000_000, body)).toBe(`t=1700000000,v1=${expected}`);
  });

  it('verifies within the tolerance, and refuses another body, another secret or an old t', () => {
    const header = signatureOf(secret, 1_700_000_000, body);
    expect(verifySignature({ secret, header, body, nowSeconds: 1_700_000_100 })).toBe(true);
    expect(verifySignature({ secret, header, body: body.replace('10.00', '11.00'), nowSeconds: 1_700_000_100 })).toBe(false);
    expect(verifySignature({ secret: `${secret}x`, header, body, nowSeconds: 1_700_000_100 })).toBe(false);
    expect(verifySignature({ secret, header, body, nowSeconds: 1_700_000_301 })).toBe(false);
    expect(verifySignature({ secret, header: 'v1=abc', body, nowSeconds: 1_700_000_000 })).toBe(false);
  });

  it('makes secrets that differ and say what they are', () => {
    const first = newWebhookSecret();
    expect(first).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    expect(newWebhookSecret()).not.toBe(first);
  });
});
