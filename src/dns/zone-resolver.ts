import { setTimeout as sleep } from 'node:timers/promises';
import { dnsError } from './errors.js';
import type { DnsResolver } from './resolver.js';
import { indexZone, lookupZone, normalizeName, ZONE_RECORD_TYPES, type IndexedZone, type MxRecord, type Zone, type ZoneRecordType } from './zone.js';

export interface ZoneResolverOptions {
  /** How long a `fail: 'timeout'` name takes to give up (default 0: at once). */
  timeoutDelayMs?: number;
}

export interface ZoneResolver extends DnsResolver {
  /** Replaces the zone data for later lookups. */
  setZone(zone: Zone): void;
}

const OTHER_RRTYPES = new Set(['NS', 'SOA', 'SRV', 'CAA', 'NAPTR', 'TLSA', 'ANY']);

/**
 * A resolver that answers from in-memory zone data with the shapes and error
 * codes of `dns.promises.resolve`, for unit tests: no sockets, no waiting.
 */
export function createZoneResolver(zone: Zone, options: ZoneResolverOptions = {}): ZoneResolver {
  let index: IndexedZone = indexZone(zone);
  const timeoutDelayMs = options.timeoutDelayMs ?? 0;

  const resolve = async (name: string, rrtype: string = 'A'): Promise<unknown> => {
    const type = rrtype.toUpperCase();
    if (!isZoneType(type)) {
      if (!OTHER_RRTYPES.has(type)) throw Object.assign(new TypeError(`unknown rrtype ${rrtype}`), { code: 'ERR_INVALID_ARG_VALUE' });
      throw dnsError(index.has(normalizeName(name)) ? 'ENODATA' : 'ENOTFOUND', name, type);
    }
    const result = lookupZone(index, name, type);
    switch (result.rcode) {
      case 'TIMEOUT':
        if (timeoutDelayMs > 0) await sleep(timeoutDelayMs);
        throw dnsError('ETIMEOUT', name, type);
      case 'SERVFAIL':
        throw dnsError('ESERVFAIL', name, type);
      case 'REFUSED':
        throw dnsError('EREFUSED', name, type);
      case 'NXDOMAIN':
        throw dnsError('ENOTFOUND', name, type);
      case 'NOERROR': {
        const answers = result.answers.filter((record) => record.type === type).map((record) => record.data);
        if (answers.length === 0) throw dnsError('ENODATA', name, type);
        return type === 'MX' ? answers.map((mx) => ({ ...(mx as MxRecord) })) : answers.map((data) => (Array.isArray(data) ? [...data] : data));
      }
    }
  };

  return Object.assign(resolve, {
    setZone(next: Zone): void {
      index = indexZone(next);
    },
  });
}

function isZoneType(type: string): type is ZoneRecordType {
  return (ZONE_RECORD_TYPES as readonly string[]).includes(type);
}
