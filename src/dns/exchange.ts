import { randomInt } from 'node:crypto';
import dgram from 'node:dgram';
import net from 'node:net';
import dnsPacket, { type DecodedPacket, type Packet, type RecordType } from 'dns-packet';
import { dnsError } from './errors.js';
import type { NameServer } from './servers.js';

/**
 * One question to one name server, over the wire: UDP first, and TCP when the
 * answer came back truncated (RFC 7766). dns-packet encodes and decodes; the
 * rest is sockets. The caller bounds the time with `signal`.
 */

/** The EDNS0 payload we offer over UDP: DNS Flag Day 2020's size, safe from fragmentation. */
const UDP_PAYLOAD_BYTES = 1232;

export async function exchange(server: NameServer, name: string, type: RecordType, signal: AbortSignal): Promise<DecodedPacket> {
  const id = randomInt(0x10000);
  const query: Packet = {
    type: 'query',
    id,
    flags: dnsPacket.RECURSION_DESIRED,
    questions: [{ type, name, class: 'IN' }],
    additionals: [{ type: 'OPT', name: '.', udpPayloadSize: UDP_PAYLOAD_BYTES, extendedRcode: 0, ednsVersion: 0, flags: 0, flag_do: false, options: [] }],
  };
  const matches = (response: DecodedPacket): boolean => {
    const question = response.questions?.[0];
    return response.type === 'response' && response.id === id && question?.type === type && question.name.toLowerCase() === name.toLowerCase();
  };
  let datagram: Buffer;
  try {
    datagram = dnsPacket.encode(query);
  } catch (error) {
    // A label over 63 bytes, a name over 255: nothing a server could be asked.
    throw dnsError('EBADNAME', name, type, { cause: error });
  }
  const overUdp = await udpExchange(server, datagram, matches, name, type, signal);
  if (!overUdp.flag_tc) return overUdp;
  return tcpExchange(server, dnsPacket.streamEncode(query), matches, name, type, signal);
}

function aborted(signal: AbortSignal, name: string, type: string): Error {
  return dnsError('ETIMEOUT', name, type, { cause: signal.reason });
}

function decodeOrNull(message: Buffer): DecodedPacket | null {
  try {
    return dnsPacket.decode(message);
  } catch {
    return null;
  }
}

function udpExchange(
  server: NameServer,
  message: Buffer,
  matches: (response: DecodedPacket) => boolean,
  name: string,
  type: string,
  signal: AbortSignal,
): Promise<DecodedPacket> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(aborted(signal, name, type));
    // A socket of its own per query: a fresh random source port, and a connected
    // socket takes datagrams from the server's address only (RFC 5452).
    const socket = dgram.createSocket(server.family === 6 ? 'udp6' : 'udp4');
    let settled = false;
    const finish = (settle: () => void) => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      socket.close();
      settle();
    };
    const onAbort = () => finish(() => reject(aborted(signal, name, type)));
    signal.addEventListener('abort', onAbort, { once: true });
    socket.on('error', (error: NodeJS.ErrnoException) => finish(() => reject(dnsError(error.code ?? 'ECONNREFUSED', name, type, { cause: error }))));
    socket.on('message', (reply) => {
      const response = decodeOrNull(reply);
      // Anything else (a late answer to an earlier try, a forgery) is dropped; the wait goes on.
      if (response && matches(response)) finish(() => resolve(response));
    });
    socket.connect(server.port, server.host, () => socket.send(message));
  });
}

function tcpExchange(
  server: NameServer,
  message: Buffer,
  matches: (response: DecodedPacket) => boolean,
  name: string,
  type: string,
  signal: AbortSignal,
): Promise<DecodedPacket> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(aborted(signal, name, type));
    const socket = net.connect({ host: server.host, port: server.port });
    let received = Buffer.alloc(0);
    let settled = false;
    const finish = (settle: () => void) => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      socket.destroy();
      settle();
    };
    const onAbort = () => finish(() => reject(aborted(signal, name, type)));
    signal.addEventListener('abort', onAbort, { once: true });
    socket.on('error', (error: NodeJS.ErrnoException) => finish(() => reject(dnsError(error.code ?? 'ECONNREFUSED', name, type, { cause: error }))));
    socket.on('close', () => finish(() => reject(dnsError('ECONNREFUSED', name, type))));
    socket.on('connect', () => socket.write(message));
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (received.length < 2 || received.length < 2 + received.readUInt16BE(0)) return;
      const response = decodeOrNull(received.subarray(2, 2 + received.readUInt16BE(0)));
      if (response && matches(response)) finish(() => resolve(response));
      else finish(() => reject(dnsError('EBADRESP', name, type)));
    });
  });
}
