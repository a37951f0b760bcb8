import ipaddr from 'ipaddr.js';
import type { Brand } from '../config/brands.js';
import type { Db } from '../db/index.js';
import type { ManagedLookup } from '../mail/evidence/index.js';

interface Range {
  cidr: string;
  parsed: [ipaddr.IPv4 | ipaddr.IPv6, number];
  account: string | null;
}

function parseRange(cidr: string): [ipaddr.IPv4 | ipaddr.IPv6, number] | null {
  try {
    return ipaddr.parseCIDR(cidr);
  } catch {
    return null;
  }
}

function contains(range: [ipaddr.IPv4 | ipaddr.IPv6, number], ip: string): boolean {
  try {
    let address = ipaddr.parse(ip);
    if (address.kind() === 'ipv6' && (address as ipaddr.IPv6).isIPv4MappedAddress()) address = (address as ipaddr.IPv6).toIPv4Address();
    return address.kind() === range[0].kind() && address.match(range);
  } catch {
    return false;
  }
}

/**
 * Loads what we manage of the domains and IPs one report names: the domain
 * table can hold a registrar's whole portfolio, so only those rows are read;
 * the IP ranges are few and read whole.
 */
export function managedLookupLoader(db: Db, brand: Brand) {
  return async (candidates: { domains: string[]; ips: string[] }): Promise<ManagedLookup> => {
    const domains = candidates.domains.length
      ? await db.managedDomain.findMany({ where: { domain: { in: candidates.domains.slice(0, 500) } }, select: { domain: true, account: true, created: true } })
      : [];
    const byDomain = new Map(domains.map((row) => [row.domain, { account: row.account, created: row.created?.toISOString().slice(0, 10) ?? null }]));
    const ranges: Range[] = candidates.ips.length
      ? (await db.managedRange.findMany({ select: { cidr: true, account: true } })).flatMap((row) => {
          const parsed = parseRange(row.cidr);
          return parsed ? [{ cidr: row.cidr, parsed, account: row.account }] : [];
        })
      : [];
    return {
      domain: (registrable) => byDomain.get(registrable) ?? null,
      ip: (ip) => {
        const range = ranges.find((candidate) => contains(candidate.parsed, ip));
        return range ? { range: range.cidr, account: range.account } : null;
      },
      infrastructure: brand.infrastructure,
    };
  };
}

/** The managed range holding `ip`, if any (the ranges are few: read whole). */
export async function managedRangeOf(db: Pick<Db, 'managedRange'>, ip: string): Promise<{ cidr: string; account: string | null } | null> {
  const rows = await db.managedRange.findMany({ select: { cidr: true, account: true } });
  return (
    rows.find((row) => {
      const parsed = parseRange(row.cidr);
      return parsed !== null && contains(parsed, ip);
    }) ?? null
  );
}

export function isValidCidr(cidr: string): boolean {
  return parseRange(cidr) !== null;
}
