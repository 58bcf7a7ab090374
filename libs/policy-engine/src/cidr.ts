/**
 * IPv4 and IPv6 addresses and CIDR blocks, parsed strictly (no leading zeros in IPv4 octets or prefix lengths,
 * no zones), as current Kubernetes validation does. A CIDR with host bits set is accepted and means its network.
 */

export interface IpAddress {
  readonly family: 4 | 6;
  /** 4 or 16 bytes, network order. */
  readonly bytes: Uint8Array;
}

export interface Cidr {
  readonly family: 4 | 6;
  /** The network address (host bits cleared). */
  readonly bytes: Uint8Array;
  readonly prefix: number;
  /** False when the text had host bits set (for example 10.0.0.1/4). */
  readonly canonical: boolean;
}

const OCTET = /^(0|[1-9][0-9]{0,2})$/;
const HEXTET = /^[0-9a-fA-F]{1,4}$/;

function parseIpv4(text: string): Uint8Array | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  const bytes = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const part = parts[i] as string;
    if (!OCTET.test(part)) return undefined;
    const value = Number(part);
    if (value > 255) return undefined;
    bytes[i] = value;
  }
  return bytes;
}

function parseHextets(text: string): number[] | undefined {
  if (text === '') return [];
  const words: number[] = [];
  const parts = text.split(':');
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i] as string;
    if (i === parts.length - 1 && part.includes('.')) {
      const v4 = parseIpv4(part);
      if (!v4) return undefined;
      words.push(((v4[0] as number) << 8) | (v4[1] as number), ((v4[2] as number) << 8) | (v4[3] as number));
    } else {
      if (!HEXTET.test(part)) return undefined;
      words.push(parseInt(part, 16));
    }
  }
  return words;
}

function parseIpv6(text: string): Uint8Array | undefined {
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const head = parseHextets(halves[0] as string);
  const tail = halves.length === 2 ? parseHextets(halves[1] as string) : [];
  if (!head || !tail) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  const words = [...head, ...new Array<number>(halves.length === 2 ? missing : 0).fill(0), ...tail];
  const bytes = new Uint8Array(16);
  words.forEach((word, i) => {
    bytes[2 * i] = word >> 8;
    bytes[2 * i + 1] = word & 0xff;
  });
  return bytes;
}

/** Parses an IPv4 or IPv6 address; undefined when it is not one. */
export function parseIp(text: string): IpAddress | undefined {
  if (text.includes(':')) {
    const bytes = parseIpv6(text);
    return bytes && { family: 6, bytes };
  }
  const bytes = parseIpv4(text);
  return bytes && { family: 4, bytes };
}

/** Parses `address/prefix`; returns the reason when the text is not a CIDR. */
export function parseCidr(text: string): Cidr | string {
  const slash = text.indexOf('/');
  if (slash === -1) return 'must be an address and a prefix length, like 10.0.0.0/8 or fd00::/8';
  const ip = parseIp(text.slice(0, slash));
  if (!ip) return `"${text.slice(0, slash)}" is not a valid IPv4 or IPv6 address`;
  const prefixText = text.slice(slash + 1);
  const max = ip.family === 4 ? 32 : 128;
  if (!/^(0|[1-9][0-9]{0,2})$/.test(prefixText) || Number(prefixText) > max) {
    return `prefix length must be a number from 0 to ${max}`;
  }
  const prefix = Number(prefixText);
  const bytes = maskBytes(ip.bytes, prefix);
  const canonical = bytes.every((b, i) => b === ip.bytes[i]);
  return { family: ip.family, bytes, prefix, canonical };
}

function maskBytes(bytes: Uint8Array, prefix: number): Uint8Array {
  const out = new Uint8Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) {
    const bits = Math.max(0, Math.min(8, prefix - 8 * i));
    out[i] = (bytes[i] as number) & ((0xff << (8 - bits)) & 0xff);
  }
  return out;
}

/** Whether the address lies in the block. Addresses of the other family never do. */
export function cidrContains(cidr: Cidr, ip: IpAddress): boolean {
  if (cidr.family !== ip.family) return false;
  const full = cidr.prefix >> 3;
  for (let i = 0; i < full; i++) {
    if (cidr.bytes[i] !== ip.bytes[i]) return false;
  }
  const rest = cidr.prefix & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return ((ip.bytes[full] as number) & mask) === cidr.bytes[full];
}

/** Whether `inner` is a strict subset of `outer` (same family, longer prefix, inside it): the rule for `except`. */
export function isStrictSubset(outer: Cidr, inner: Cidr): boolean {
  return outer.family === inner.family && inner.prefix > outer.prefix && cidrContains(outer, inner);
}

/** The canonical text of a block (network address and prefix). */
export function formatCidr(cidr: Cidr): string {
  return `${formatIp({ family: cidr.family, bytes: cidr.bytes })}/${cidr.prefix}`;
}

/** Dotted quad for IPv4; for IPv6, lower-case hextets with the longest run of zeros compressed. */
export function formatIp(ip: IpAddress): string {
  if (ip.family === 4) return Array.from(ip.bytes).join('.');
  const words: number[] = [];
  for (let i = 0; i < 16; i += 2) words.push(((ip.bytes[i] as number) << 8) | (ip.bytes[i + 1] as number));
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLength) [bestStart, bestLength] = [i, j - i];
    i = j;
  }
  const hex = words.map((w) => w.toString(16));
  if (bestStart === -1) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}
