import { getServers } from 'node:dns';
import net from 'node:net';

export interface NameServer {
  host: string;
  port: number;
  family: 4 | 6;
}

const DNS_PORT = 53;

/** "ip", "ip:port" or "[ipv6]:port" (the forms DNS_SERVERS and `dns.getServers()` use). */
export function parseNameServer(entry: string): NameServer {
  const text = entry.trim();
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  let host: string;
  let port: number;
  if (bracketed) {
    host = bracketed[1] as string;
    port = bracketed[2] === undefined ? DNS_PORT : Number(bracketed[2]);
  } else if (net.isIPv6(text)) {
    host = text;
    port = DNS_PORT;
  } else {
    const [address, portText] = text.split(':');
    host = address ?? '';
    port = portText === undefined ? DNS_PORT : Number(portText);
  }
  const family = net.isIP(host);
  if (family === 0 || !Number.isInteger(port) || port < 1 || port > 65_535) throw new RangeError(`not a name server address: "${entry}"`);
  return { host, port, family: family as 4 | 6 };
}

/**
 * The configured servers, or the system's: those of /etc/resolv.conf as Node's
 * resolver read them at start-up.
 */
export function nameServers(configured: string[]): NameServer[] {
  const entries = configured.length > 0 ? configured : getServers();
  if (entries.length === 0) throw new Error('no DNS servers: set DNS_SERVERS or list nameservers in /etc/resolv.conf');
  return entries.map(parseNameServer);
}
