import dgram from 'node:dgram';
import net from 'node:net';
import dnsPacket, { type Answer, type DecodedPacket, type Packet } from 'dns-packet';
import { indexZone, lookupZone, normalizeName, ZONE_RECORD_TYPES, type IndexedZone, type MxRecord, type Zone, type ZoneRecord, type ZoneRecordType } from './zone.js';

/**
 * A real DNS server on loopback (UDP and TCP) answering from zone data, for
 * tests, the bench and `npm run demo`: the product's resolver talks to it over
 * sockets exactly as it would to a recursive resolver. The product itself
 * never starts one.
 *
 * Unknown name → NXDOMAIN; known name without the type → NOERROR, no answers
 * (with an SOA timing the negative answer when `negativeTtlSeconds` is set);
 * CNAMEs are followed; `fail: 'timeout'` names get no answer at all; records
 * carry their zone entry's TTL; answers too big for the client's UDP size come
 * back truncated, for it to ask again over TCP.
 */

/** normal: answer from the zone; silent: drop every query; refuse/servfail: that RCODE. */
export type DnsServerMode = 'normal' | 'silent' | 'refuse' | 'servfail';

export interface DnsServerOptions {
  zone: Zone;
  host?: string;
  /** 0 (default) picks a free port, the same one for UDP and TCP. */
  port?: number;
  /** Negative answers carry an SOA with this TTL and MINIMUM (RFC 2308); none when unset. */
  negativeTtlSeconds?: number;
}

export interface DnsQueryLogEntry {
  name: string;
  type: string;
  transport: 'udp' | 'tcp';
}

export interface ZoneDnsServer {
  host: string;
  port: number;
  /** "host:port", the form DNS_SERVERS takes. */
  address: string;
  setZone(zone: Zone): void;
  setMode(mode: DnsServerMode): void;
  /** The TTL negative answers' SOA gives, or null for negative answers without an SOA. */
  setNegativeTtl(seconds: number | null): void;
  /** Queries received so far, oldest first (a copy; the latest 10 000 at most). */
  queries(): DnsQueryLogEntry[];
  resetQueries(): void;
  /** Closes both sockets; safe to call twice. */
  stop(): Promise<void>;
}

const RCODES = { NOERROR: 0, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;
type Rcode = keyof typeof RCODES;
const CLASSIC_UDP_LIMIT = 512;
const BIND_ATTEMPTS = 5;
// the bench sends millions of queries; tests look at a handful
const QUERY_LOG_LIMIT = 10_000;

export async function startDnsServer(options: DnsServerOptions): Promise<ZoneDnsServer> {
  const host = options.host ?? '127.0.0.1';
  let zone: IndexedZone = checkedZone(options.zone);
  let mode: DnsServerMode = 'normal';
  let negativeTtl: number | null = options.negativeTtlSeconds ?? null;
  const log: DnsQueryLogEntry[] = [];

  const answer = (query: DecodedPacket, transport: 'udp' | 'tcp'): Packet | null => {
    const question = query.questions?.[0];
    if (question) {
      if (log.length >= QUERY_LOG_LIMIT) log.splice(0, QUERY_LOG_LIMIT / 2);
      log.push({ name: question.name, type: question.type, transport });
    }
    if (mode === 'silent') return null;
    const reply = (rcode: Rcode, answers: Answer[] = []): Packet => ({
      type: 'response',
      id: query.id ?? 0,
      flags: dnsPacket.AUTHORITATIVE_ANSWER | dnsPacket.RECURSION_AVAILABLE | ((query.flags ?? 0) & dnsPacket.RECURSION_DESIRED) | RCODES[rcode],
      questions: query.questions ?? [],
      answers,
      authorities: answers.length === 0 && (rcode === 'NOERROR' || rcode === 'NXDOMAIN') && negativeTtl !== null && question ? [negativeSoa(question.name, negativeTtl)] : [],
    });
    if (mode === 'refuse') return reply('REFUSED');
    if (mode === 'servfail') return reply('SERVFAIL');
    if (!question || query.questions?.length !== 1) return reply('NOTIMP');

    const type = question.type as string;
    if (!(ZONE_RECORD_TYPES as readonly string[]).includes(type)) {
      return reply(zone.has(normalizeName(question.name)) ? 'NOERROR' : 'NXDOMAIN');
    }
    const result = lookupZone(zone, question.name, type as ZoneRecordType);
    if (result.rcode === 'TIMEOUT') return null;
    return reply(result.rcode, result.answers.map(toAnswer));
  };

  const createUdp = (): dgram.Socket => {
    const socket = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
    socket.on('message', (message, remote) => {
      const query = decode(message);
      const response = query && answer(query, 'udp');
      if (query && response) socket.send(fitUdp(response, udpLimit(query)), remote.port, remote.address);
    });
    return socket;
  };

  const sockets = new Set<net.Socket>();
  const tcp = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    let buffered = Buffer.alloc(0);
    socket.on('data', (chunk) => {
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= 2) {
        const length = buffered.readUInt16BE(0);
        if (buffered.length < 2 + length) break;
        const query = decode(buffered.subarray(2, 2 + length));
        buffered = buffered.subarray(2 + length);
        const response = query && answer(query, 'tcp');
        if (response) socket.write(dnsPacket.streamEncode(response));
      }
    });
  });

  const { udp, port } = await bindBoth(createUdp, tcp, host, options.port ?? 0);
  let stopped: Promise<void> | undefined;
  return {
    host,
    port,
    address: host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`,
    setZone: (next) => {
      zone = checkedZone(next);
    },
    setMode: (next) => {
      mode = next;
    },
    setNegativeTtl: (seconds) => {
      negativeTtl = seconds;
    },
    queries: () => log.map((entry) => ({ ...entry })),
    resetQueries: () => {
      log.length = 0;
    },
    stop: () => {
      stopped ??= (async () => {
        for (const socket of sockets) socket.destroy();
        await Promise.all([
          new Promise<void>((resolve) => udp.close(() => resolve())),
          new Promise<void>((resolve) => tcp.close(() => resolve())),
        ]);
      })();
      return stopped;
    },
  };
}

/** Bad zone data fails here, naming the record, rather than inside a socket handler. */
function checkedZone(zone: Zone): IndexedZone {
  const index = indexZone(zone);
  for (const name of index.keys()) {
    for (const type of ZONE_RECORD_TYPES) {
      const result = lookupZone(index, name, type);
      for (const record of result.answers.filter((answer) => answer.name === name && answer.type === type)) {
        const problem =
          (type === 'A' && net.isIPv4(record.data as string) === false) || (type === 'AAAA' && net.isIPv6(record.data as string) === false)
            ? 'not an IP address'
            : encodes(record);
        if (problem) throw new Error(`DNS test zone: ${type} record of ${name} (${JSON.stringify(record.data)}): ${problem}`);
      }
    }
  }
  return index;
}

function encodes(record: ZoneRecord): string | null {
  try {
    dnsPacket.encode({ type: 'response', answers: [toAnswer(record)] });
    return null;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

function decode(message: Buffer): DecodedPacket | null {
  try {
    const packet = dnsPacket.decode(message);
    return packet.type === 'query' ? packet : null;
  } catch {
    return null; // not DNS: a real server drops it too
  }
}

function toAnswer(record: ZoneRecord): Answer {
  const base = { name: record.name, ttl: record.ttl, class: 'IN' as const };
  switch (record.type) {
    case 'TXT':
      return { ...base, type: 'TXT', data: record.data as string[] };
    case 'MX': {
      const mx = record.data as MxRecord;
      return { ...base, type: 'MX', data: { preference: mx.priority, exchange: mx.exchange } };
    }
    default:
      return { ...base, type: record.type, data: record.data as string };
  }
}

/** The SOA of the name's top-level zone, timing a negative answer (RFC 2308 section 3). */
function negativeSoa(name: string, ttl: number): Answer {
  const zone = normalizeName(name).split('.').at(-1) || '.';
  return { name: zone, type: 'SOA', ttl, class: 'IN', data: { mname: `ns.${zone}`, rname: `hostmaster.${zone}`, serial: 1, refresh: 3600, retry: 600, expire: 86_400, minimum: ttl } };
}

/** The UDP payload the client accepts: its EDNS0 size, else 512 bytes. */
function udpLimit(query: DecodedPacket): number {
  const opt = query.additionals?.find((record) => record.type === 'OPT');
  return opt && 'udpPayloadSize' in opt ? Math.max(CLASSIC_UDP_LIMIT, opt.udpPayloadSize) : CLASSIC_UDP_LIMIT;
}

/** Too big for UDP: answer with TC set and no records, so the client asks over TCP. */
function fitUdp(response: Packet, limit: number): Buffer {
  const encoded = dnsPacket.encode(response);
  if (encoded.length <= limit) return encoded;
  return dnsPacket.encode({ ...response, flags: (response.flags ?? 0) | dnsPacket.TRUNCATED_RESPONSE, answers: [] });
}

async function bindBoth(
  createUdp: () => dgram.Socket,
  tcp: net.Server,
  host: string,
  port: number,
): Promise<{ udp: dgram.Socket; port: number }> {
  for (let attempt = 1; ; attempt++) {
    const udp = createUdp();
    const udpPort = await new Promise<number>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind(port, host, () => {
        udp.off('error', reject);
        resolve(udp.address().port);
      });
    });
    try {
      await new Promise<void>((resolve, reject) => {
        tcp.once('error', reject);
        tcp.listen(udpPort, host, () => {
          tcp.off('error', reject);
          resolve();
        });
      });
      return { udp, port: udpPort };
    } catch (error) {
      // the free UDP port was taken for TCP: try another pair (only when we chose it)
      await new Promise<void>((resolve) => udp.close(() => resolve()));
      if (port !== 0 || attempt >= BIND_ATTEMPTS) throw error;
    }
  }
}
