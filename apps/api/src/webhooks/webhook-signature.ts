import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { WEBHOOK_SIGNATURE_TOLERANCE_SECONDS } from '@rsi/domain';

/** The header of every delivery: `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`. */
export const SIGNATURE_HEADER = 'Rsi-Signature';

/** A new signing secret: 32 random bytes, base64url, with a prefix that says what it is. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64url')}`;
}

export function signatureOf(secret: string, timestampSeconds: number, body: string): string {
  const digest = createHmac('sha256', secret).update(`${timestampSeconds}.${body}`, 'utf8').digest('hex');
  return `t=${timestampSeconds},v1=${digest}`;
}

/**
 * What a receiver does (and the tests): the header parsed, `t` within the tolerance of its
 * clock, the HMAC compared in constant time. Any `v1` that matches is accepted (a rotation
 * could add a second one later).
 */
export function verifySignature(options: { secret: string; header: string; body: string; nowSeconds: number; toleranceSeconds?: number }): boolean {
  const parts = options.header.split(',').map((part) => part.trim().split('='));
  const timestamp = parts.find(([key]) => key === 't')?.[1];
  if (timestamp === undefined || !/^\d{1,12}$/.test(timestamp)) return false;
  if (Math.abs(options.nowSeconds - Number(timestamp)) > (options.toleranceSeconds ?? WEBHOOK_SIGNATURE_TOLERANCE_SECONDS)) return false;
  const expected = Buffer.from(createHmac('sha256', options.secret).update(`${timestamp}.${options.body}`, 'utf8').digest('hex'), 'utf8');
  return parts.filter(([key]) => key === 'v1').some(([, value]) => {
    const presented = Buffer.from(value ?? '', 'utf8');
    return presented.length === expected.length && timingSafeEqual(presented, expected);
  });
}
