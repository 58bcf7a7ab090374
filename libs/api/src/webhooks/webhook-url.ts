import { BlockList, isIP } from 'node:net';

/** Loopback, link-local (cloud metadata included), private, unique-local, CGNAT and unspecified ranges. */
const refused = new BlockList();
for (const [net, prefix] of [['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12], ['192.168.0.0', 16]] as const) {
  refused.addSubnet(net, prefix, 'ipv4');
}
for (const [net, prefix] of [['::', 128], ['::1', 128], ['fc00::', 7], ['fe80::', 10]] as const) refused.addSubnet(net, prefix, 'ipv6');

/**
 * Why `text` cannot be a webhook URL, or undefined when it can: it must be an absolute http(s) URL without
 * credentials; unless `allowPrivateNetworks`, a host written as a loopback, private, link-local or unique-local
 * address (or `localhost`) is refused at once. Names are checked again where it matters, on the address they
 * resolve to when the dispatcher connects (DNS rebinding).
 */
export function webhookUrlProblem(text: string, allowPrivateNetworks: boolean): string | undefined {
  if (!URL.canParse(text)) return 'must be an absolute URL';
  const url = new URL(text);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `must be an http or https URL, not ${url.protocol.replace(/:$/, '')}`;
  if (url.username || url.password) return 'must not carry credentials (user:password@)';
  if (allowPrivateNetworks) return undefined;
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (host === 'localhost' || host.endsWith('.localhost')) return 'must not point at localhost (set WEBHOOK_ALLOW_PRIVATE_NETWORKS=true to allow)';
  if (isPrivateAddress(host)) return `must not point at a loopback, private, link-local or unique-local address (${host}; set WEBHOOK_ALLOW_PRIVATE_NETWORKS=true to allow)`;
  return undefined;
}

function isPrivateAddress(host: string): boolean {
  const family = isIP(host);
  if (family === 4) return refused.check(host, 'ipv4');
  if (family !== 6) return false;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(host)?.[1] ?? hexMapped(host);
  return mapped ? refused.check(mapped, 'ipv4') : refused.check(host, 'ipv6');
}

/** `::ffff:7f00:1` (how URL normalizes ::ffff:127.0.0.1) as dotted IPv4. */
function hexMapped(host: string): string | undefined {
  const m = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(host);
  if (!m) return undefined;
  const hi = parseInt(m[1] ?? '0', 16);
  const lo = parseInt(m[2] ?? '0', 16);
  return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
}
