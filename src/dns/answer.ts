import type { Answer, DecodedPacket, OptAnswer, RecordType } from 'dns-packet';

type DataAnswer = Exclude<Answer, OptAnswer>;

/**
 * A DNS response read the way `dns.promises.resolve(name, type)` reports it
 * (the shapes mailauth expects), with the time it may be kept: the smallest TTL
 * on the way to the answer (every CNAME of the chain, every record), or for a
 * negative answer the SOA's (RFC 2308).
 */
export type ReadAnswer =
  | { ok: true; answer: unknown; ttlSeconds: number }
  /** `ttlSeconds` is null when the server gave no SOA to time a negative answer by. */
  | { ok: false; code: string; ttlSeconds: number | null };

/** The record types this resolver answers, as `dns.promises.resolve` shapes them. */
export const SUPPORTED_TYPES: ReadonlySet<string> = new Set(['A', 'AAAA', 'TXT', 'MX', 'PTR', 'CNAME', 'NS', 'SRV', 'SOA']);

// RCODE (RFC 1035 4.1.1) → the code Node's resolver rejects with.
const RCODE_ERRORS: Record<number, string> = { 1: 'EFORMERR', 2: 'ESERVFAIL', 3: 'ENOTFOUND', 4: 'ENOTIMP', 5: 'EREFUSED' };
const MAX_CNAME_HOPS = 16;

export function readAnswer(response: DecodedPacket, name: string, type: RecordType): ReadAnswer {
  const rcode = (response.flags ?? 0) & 0xf;
  if (rcode !== 0 && rcode !== 3) return { ok: false, code: RCODE_ERRORS[rcode] ?? 'ESERVFAIL', ttlSeconds: null };

  const answers = (response.answers ?? []).filter((record): record is DataAnswer => record.type !== 'OPT');
  const found: DataAnswer[] = [];
  let ttl = Number.POSITIVE_INFINITY;
  let owner = name.toLowerCase().replace(/\.$/, '');
  for (let hop = 0; hop <= MAX_CNAME_HOPS; hop++) {
    const here = answers.filter((record) => record.name.toLowerCase() === owner);
    const records = here.filter((record) => record.type === type);
    if (records.length > 0) {
      found.push(...records);
      break;
    }
    const alias = here.find((record) => record.type === 'CNAME');
    if (!alias || type === 'CNAME') break;
    ttl = Math.min(ttl, ttlOf(alias));
    owner = String(alias.data).toLowerCase().replace(/\.$/, '');
  }

  if (found.length === 0) {
    return { ok: false, code: rcode === 3 ? 'ENOTFOUND' : 'ENODATA', ttlSeconds: negativeTtl(response) };
  }
  for (const record of found) ttl = Math.min(ttl, ttlOf(record));
  return { ok: true, answer: shape(found, type), ttlSeconds: ttl };
}

function ttlOf(record: DataAnswer): number {
  return record.ttl ?? 0;
}

/** RFC 2308 section 5: the lesser of the SOA record's TTL and its MINIMUM field. */
function negativeTtl(response: DecodedPacket): number | null {
  const soa = (response.authorities ?? []).find((record) => record.type === 'SOA');
  if (!soa || soa.type !== 'SOA') return null;
  return Math.min(ttlOf(soa), soa.data.minimum ?? 0);
}

/**
 * TXT character-strings are bytes on the wire; Node's resolver hands them over
 * as latin1 strings (one character per byte, nothing lost), and so do we.
 */
function shape(records: DataAnswer[], type: RecordType): unknown {
  switch (type) {
    case 'TXT':
      return records.map((record) => {
        const data = record.data as Buffer | string | Array<Buffer | string>;
        return (Array.isArray(data) ? data : [data]).map((part) => (typeof part === 'string' ? part : part.toString('latin1')));
      });
    case 'MX':
      return records.map((record) => {
        const data = record.data as { exchange: string; preference: number };
        return { exchange: data.exchange, priority: data.preference };
      });
    case 'SRV':
      return records.map((record) => {
        const data = record.data as { target: string; port: number; priority?: number; weight?: number };
        return { name: data.target, port: data.port, priority: data.priority ?? 0, weight: data.weight ?? 0 };
      });
    case 'SOA': {
      const data = (records[0] as Extract<DataAnswer, { type: 'SOA' }>).data;
      return { nsname: data.mname, hostmaster: data.rname, serial: data.serial, refresh: data.refresh, retry: data.retry, expire: data.expire, minttl: data.minimum };
    }
    default:
      return records.map((record) => String(record.data));
  }
}
