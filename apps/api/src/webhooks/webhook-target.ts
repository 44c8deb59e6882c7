import { lookup } from 'node:dns';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import { WEBHOOK_URL_LENGTH_MAXIMUM } from '@rsi/domain';


/** Addresses a webhook may not reach unless RSI_WEBHOOK_ALLOW_PRIVATE_TARGETS=true: the platform's own network. */
const PRIVATE_ADDRESSES = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) PRIVATE_ADDRESSES.addSubnet(network, prefix, 'ipv4');
for (const [network, prefix] of [['::', 128], ['::1', 128], ['fc00::', 7], ['fe80::', 10], ['ff00::', 8], ['64:ff9b::', 96]] as const) {
  PRIVATE_ADDRESSES.addSubnet(network, prefix, 'ipv6');
}

export class WebhookTargetRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WebhookTargetRefused';
  }
}

/** True for loopback, private, link-local, carrier-grade NAT, multicast and unspecified addresses (IPv4-mapped IPv6 too). */
export function isPrivateAddress(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return PRIVATE_ADDRESSES.check(mapped[1]!, 'ipv4');
  const family = isIP(address);
  if (family === 0) return true;
  return PRIVATE_ADDRESSES.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

/**
 * Checks a subscription's URL when it is created: http or https only, a host, no user or
 * password in it, no fragment. A literal private address is refused here; a name is checked
 * when it is resolved, at each delivery (`guardedLookup`), so a name that later resolves to a
 * private address is refused then too.
 */
export function checkWebhookUrl(value: string, allowPrivateTargets: boolean): URL {
  if (value.length > WEBHOOK_URL_LENGTH_MAXIMUM) throw new WebhookTargetRefused(`url: at most ${WEBHOOK_URL_LENGTH_MAXIMUM} characters`);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new WebhookTargetRefused('url: not an absolute URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new WebhookTargetRefused('url: only http and https URLs are delivered to');
  if (url.hostname === '') throw new WebhookTargetRefused('url: a host is required');
  if (url.username !== '' || url.password !== '') throw new WebhookTargetRefused('url: no user or password in the URL (the signature authenticates deliveries)');
  if (url.hash !== '') throw new WebhookTargetRefused('url: no fragment');
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (!allowPrivateTargets && (isIP(host) !== 0 ? isPrivateAddress(host) : host === 'localhost' || host.endsWith('.localhost'))) {
    throw new WebhookTargetRefused('url: loopback and private addresses are refused (RSI_WEBHOOK_ALLOW_PRIVATE_TARGETS=true allows them)');
  }
  return url;
}

/**
 * The DNS lookup a delivery's socket uses: every address the name resolves to is checked,
 * so a name pointing into the private network is refused at connection time, not only when
 * the subscription was created.
 */
export function guardedLookup(allowPrivateTargets: boolean): LookupFunction {
  return (hostname, options, callback) => {
    lookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) {
        callback(error, '', 0);
        return;
      }
      const list = addresses as unknown as { address: string; family: number }[];
      const refused = allowPrivateTargets ? undefined : list.find((entry) => isPrivateAddress(entry.address));
      if (refused !== undefined || list.length === 0) {
        callback(new WebhookTargetRefused(`${hostname} resolves to ${refused?.address ?? 'nothing'}: a private address (RSI_WEBHOOK_ALLOW_PRIVATE_TARGETS=true allows it)`), '', 0);
        return;
      }
      if ((options as { all?: boolean }).all) (callback as unknown as (error: null, addresses: { address: string; family: number }[]) => void)(null, list);
      else callback(null, list[0]!.address, list[0]!.family);
    });
  };
}
