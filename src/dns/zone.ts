/**
 * In-memory DNS zone data, shared by the zone resolver (unit tests) and the
 * loopback DNS server (smtp, e2e and bench runs), so both answer alike.
 */

export interface MxRecord {
  exchange: string;
  priority: number;
}

/** How a name fails instead of answering; see `ZoneEntry.fail`. */
export type ZoneFailure = 'timeout' | 'servfail' | 'refused';

export interface ZoneEntry {
  /** One entry per record: a string, or the record's character-strings (joined without spaces by readers). */
  TXT?: Array<string | string[]>;
  A?: string[];
  AAAA?: string[];
  MX?: MxRecord[];
  PTR?: string[];
  CNAME?: string;
  /**
   * Queries of this name for a type it has no records of fail this way
   * (a name with only `fail` fails every query). `timeout` means no answer.
   */
  fail?: ZoneFailure;
  /** TTL in seconds the server gives this name's records (default 300). */
  ttl?: number;
}

/** Names are case-insensitive, written without the trailing dot. */
export type Zone = Record<string, ZoneEntry>;

export type ZoneRecordType = 'TXT' | 'A' | 'AAAA' | 'MX' | 'PTR' | 'CNAME';

export const ZONE_RECORD_TYPES: readonly ZoneRecordType[] = ['TXT', 'A', 'AAAA', 'MX', 'PTR', 'CNAME'];

/** One answer record: `data` is a string[] of character-strings for TXT. */
export interface ZoneRecord {
  name: string;
  type: ZoneRecordType;
  ttl: number;
  data: string | string[] | MxRecord;
}

export type ZoneLookup =
  | { rcode: 'NOERROR'; answers: ZoneRecord[] }
  | { rcode: 'NXDOMAIN'; answers: ZoneRecord[] }
  | { rcode: 'TIMEOUT' | 'SERVFAIL' | 'REFUSED'; answers: [] };

const DEFAULT_TTL = 300;
const MAX_CNAME_HOPS = 8;
const MAX_CHARACTER_STRING = 255;

export function normalizeName(name: string): string {
  return name.trim().toLowerCase().replace(/\.$/, '');
}

/** A zone with lower-cased keys, so lookups are one map access. */
export type IndexedZone = ReadonlyMap<string, ZoneEntry>;

export function indexZone(zone: Zone): IndexedZone {
  const index = new Map<string, ZoneEntry>();
  for (const [name, entry] of Object.entries(zone)) index.set(normalizeName(name), entry);
  return index;
}

/**
 * Splits a TXT string into character-strings of at most 255 bytes, never
 * inside a UTF-8 sequence (RFC 1035 3.3; DKIM keys are longer than one).
 */
export function splitTxt(value: string): string[] {
  const bytes = Buffer.from(value, 'utf8');
  if (bytes.length <= MAX_CHARACTER_STRING) return [value];
  const chunks: string[] = [];
  let start = 0;
  while (start < bytes.length) {
    let end = Math.min(start + MAX_CHARACTER_STRING, bytes.length);
    // step back off UTF-8 continuation bytes (10xxxxxx)
    while (end < bytes.length && end > start + 1 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end--;
    chunks.push(bytes.subarray(start, end).toString('utf8'));
    start = end;
  }
  return chunks;
}

function txtRecords(txt: Array<string | string[]>): string[][] {
  return txt.map((record) => (Array.isArray(record) ? record.flatMap(splitTxt) : splitTxt(record)));
}

function recordsOf(name: string, entry: ZoneEntry, type: ZoneRecordType): ZoneRecord[] {
  const ttl = entry.ttl ?? DEFAULT_TTL;
  const make = (data: ZoneRecord['data']): ZoneRecord => ({ name, type, ttl, data });
  switch (type) {
    case 'TXT':
      return entry.TXT ? txtRecords(entry.TXT).map(make) : [];
    case 'MX':
      return (entry.MX ?? []).map((mx) => make({ exchange: normalizeName(mx.exchange), priority: mx.priority }));
    case 'CNAME':
      return entry.CNAME ? [make(normalizeName(entry.CNAME))] : [];
    case 'PTR':
      return (entry.PTR ?? []).map((ptr) => make(normalizeName(ptr)));
    case 'A':
    case 'AAAA':
      return (entry[type] ?? []).map(make);
  }
}

/**
 * Answers one question from the zone the way a recursive resolver would:
 * CNAMEs are followed (a loop is SERVFAIL), an unknown name is NXDOMAIN, a
 * known name without the type is NOERROR with no answers.
 */
export function lookupZone(zone: IndexedZone, qname: string, type: ZoneRecordType): ZoneLookup {
  const answers: ZoneRecord[] = [];
  let name = normalizeName(qname);
  for (let hop = 0; hop <= MAX_CNAME_HOPS; hop++) {
    const entry = zone.get(name);
    if (!entry) return { rcode: 'NXDOMAIN', answers };
    const records = recordsOf(name, entry, type);
    if (records.length > 0) return { rcode: 'NOERROR', answers: [...answers, ...records] };
    if (entry.CNAME && type !== 'CNAME') {
      const [alias] = recordsOf(name, entry, 'CNAME');
      if (alias) answers.push(alias);
      name = normalizeName(entry.CNAME);
      continue;
    }
    if (entry.fail) return { rcode: entry.fail === 'timeout' ? 'TIMEOUT' : entry.fail === 'servfail' ? 'SERVFAIL' : 'REFUSED', answers: [] };
    return { rcode: 'NOERROR', answers };
  }
  return { rcode: 'SERVFAIL', answers: [] };
}
