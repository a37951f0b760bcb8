import ipaddr from 'ipaddr.js';

/** Address ranges that never identify a sender on the Internet: internal hops. */
const INTERNAL_RANGES = new Set(['unspecified', 'loopback', 'private', 'linkLocal', 'uniqueLocal', 'carrierGradeNat', 'multicast', 'broadcast']);

/**
 * A literal from a header, `[192.0.2.1]`, `IPv6:2001:db8::1`, `(::ffff:192.0.2.1)`,
 * as a canonical string (IPv4-mapped IPv6 becomes IPv4), or null.
 */
export function normaliseIp(text: string): string | null {
  let value = text.trim();
  if (value.startsWith('[') || value.startsWith('(')) value = value.slice(1);
  if (value.endsWith(']') || value.endsWith(')')) value = value.slice(0, -1);
  if (value.slice(0, 5).toLowerCase() === 'ipv6:') value = value.slice(5);
  if (value.length === 0 || value.length > 45) return null;
  // isValid() also takes "127.1" and hex forms; a header literal is four decimal parts.
  if (!ipaddr.IPv4.isValidFourPartDecimal(value) && !ipaddr.IPv6.isValid(value)) return null;
  try {
    return ipaddr.process(value).toString();
  } catch {
    return null;
  }
}

/** False for loopback, private, link-local and similar internal addresses. */
export function isExternal(ip: string): boolean {
  try {
    return !INTERNAL_RANGES.has(ipaddr.process(ip).range());
  } catch {
    return false;
  }
}

type Cidr = [ipaddr.IPv4 | ipaddr.IPv6, number];

function parseCidr(cidr: string): Cidr | null {
  try {
    if (cidr.includes('/')) return ipaddr.parseCIDR(cidr.trim());
    const addr = ipaddr.parse(cidr.trim());
    return [addr, addr.kind() === 'ipv4' ? 32 : 128];
  } catch {
    return null;
  }
}

/** The first CIDR (or single address) of the list that contains ip, or null. */
export function matchCidr(ip: string, cidrs: readonly string[]): string | null {
  let addr: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    addr = ipaddr.process(ip);
  } catch {
    return null;
  }
  for (const cidr of cidrs) {
    const parsed = parseCidr(cidr);
    if (!parsed || parsed[0].kind() !== addr.kind()) continue;
    if (addr.match(parsed)) return cidr;
  }
  return null;
}
