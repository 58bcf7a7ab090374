import { describe, expect, it } from 'vitest';
import { cidrContains, formatCidr, formatIp, isStrictSubset, parseCidr, parseIp, type Cidr } from '../src/cidr.js';

const cidr = (text: string): Cidr => {
  const parsed = parseCidr(text);
  if (typeof parsed === 'string') throw new Error(parsed);
  return parsed;
};
const ip = (text: string) => {
  const parsed = parseIp(text);
  if (!parsed) throw new Error(`bad ip ${text}`);
  return parsed;
};

describe('IP addresses', () => {
  it.each([
    ['10.0.0.1', '10.0.0.1'],
    ['0.0.0.0', '0.0.0.0'],
    ['2001:DB8::1', '2001:db8::1'],
    ['::', '::'],
    ['::1', '::1'],
    ['fe80:0:0:0:0:0:0:1', 'fe80::1'],
    ['::ffff:10.0.0.1', '::ffff:a00:1'],
    ['1:0:0:2:0:0:0:3', '1:0:0:2::3'],
  ])('parses %s', (text, formatted) => expect(formatIp(ip(text))).toBe(formatted));

  it.each(['', '10.0.0', '10.0.0.256', '010.0.0.1', '10.0.0.1.2', '1::2::3', '1:2:3:4:5:6:7:8:9', 'fe80::1%eth0', 'g::1', ' 10.0.0.1', '1:2:3:4:5:6:7::8'])(
    'rejects %j',
    (text) => expect(parseIp(text)).toBeUndefined(),
  );
});

describe('CIDR blocks', () => {
  it.each([
    ['10.0.0.0/8', '10.0.0.0/8', true],
    ['10.0.0.1/4', '0.0.0.0/4', false],
    ['192.168.1.77/23', '192.168.0.0/23', false],
    ['0.0.0.0/0', '0.0.0.0/0', true],
    ['2001:db8::/32', '2001:db8::/32', true],
    ['2001:db8:1:2::/35', '2001:db8::/35', false],
  ])('parses %s as %s (canonical: %s)', (text, formatted, canonical) => {
    expect(formatCidr(cidr(text))).toBe(formatted);
    expect(cidr(text).canonical).toBe(canonical);
  });

  it.each(['10.0.0.0', '10.0.0.0/33', '10.0.0.0/08', '10.0.0.0/-1', '::/129', 'x/8', '10.0.0.0/'])('rejects %j with a reason', (text) => {
    expect(typeof parseCidr(text)).toBe('string');
  });

  it.each([
    ['10.0.0.0/8', '10.255.255.255', true],
    ['10.0.0.0/8', '11.0.0.0', false],
    ['10.0.0.0/9', '10.127.255.255', true],
    ['10.0.0.0/9', '10.128.0.0', false],
    ['0.0.0.0/0', '203.0.113.1', true],
    ['0.0.0.0/0', '2001:db8::1', false],
    ['10.0.0.2/32', '10.0.0.2', true],
    ['10.0.0.2/32', '10.0.0.3', false],
    ['2001:db8::/32', '2001:db8:ffff::1', true],
    ['2001:db8::/32', '2001:db9::', false],
    ['::/0', '::1', true],
    ['::/0', '10.0.0.1', false],
  ])('%s contains %s: %s', (block, address, expected) => expect(cidrContains(cidr(block), ip(address))).toBe(expected));

  it.each([
    ['10.0.0.0/8', '10.1.0.0/16', true],
    ['10.0.0.0/8', '10.0.0.0/8', false],
    ['10.0.0.0/16', '10.1.0.0/24', false],
    ['10.0.0.0/16', '10.0.0.0/8', false],
    ['2001:db8::/32', '2001:db8:1::/48', true],
    ['10.0.0.0/8', '::/64', false],
  ])('%s has %s as a strict subset: %s', (outer, inner, expected) => expect(isStrictSubset(cidr(outer), cidr(inner))).toBe(expected));
});
