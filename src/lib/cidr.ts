import ipaddr from 'ipaddr.js';

/**
 * Whether an address lies in one of the given CIDR ranges (validated at
 * start-up by the config). An IPv4-mapped IPv6 address is matched as IPv4;
 * anything unparsable matches nothing.
 */
export function cidrMatcher(ranges: readonly string[]): (ip: string) => boolean {
  const parsed = ranges.map((cidr) => ipaddr.parseCIDR(cidr));
  return (ip) => {
    try {
      let address = ipaddr.parse(ip);
      if (address.kind() === 'ipv6' && (address as ipaddr.IPv6).isIPv4MappedAddress()) address = (address as ipaddr.IPv6).toIPv4Address();
      return parsed.some((range) => address.kind() === range[0].kind() && address.match(range));
    } catch {
      return false;
    }
  };
}
