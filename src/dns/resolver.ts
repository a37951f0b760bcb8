import type { RecordType } from 'dns-packet';
import { LRUCache } from 'lru-cache';
import { readAnswer, SUPPORTED_TYPES, type ReadAnswer } from './answer.js';
import { dnsError, errorCode, isNegativeAnswer } from './errors.js';
import { exchange } from './exchange.js';
import { nameServers, type NameServer } from './servers.js';
import { normalizeName } from './zone.js';

export { createZoneResolver, type ZoneResolver, type ZoneResolverOptions } from './zone-resolver.js';

/**
 * The shape of `dns.promises.resolve(name, rrtype)`, which mailauth calls for
 * every lookup: TXT answers as string[][], MX as {exchange, priority}[], A,
 * AAAA and PTR as string[]; failures reject with `code` set (ENOTFOUND,
 * ENODATA, ETIMEOUT, ESERVFAIL, EREFUSED, ...).
 */
export type DnsResolver = (name: string, rrtype: string) => Promise<unknown>;

export interface ResolverOptions {
  /** "ip", "ip:port" or "[ipv6]:port"; empty uses the system's (/etc/resolv.conf). */
  servers: string[];
  /** Total time one lookup may take, retries included; then ETIMEOUT. */
  timeoutMs: number;
  /** Cached answers kept at most (default 10 000). */
  maxEntries?: number;
  /** Upper bound for caching an answer, whatever its TTL (default 300). */
  maxTtlSeconds?: number;
  /** Upper bound for remembering NXDOMAIN and NODATA, which the zone's SOA times (default 60). */
  negativeTtlSeconds?: number;
  /** Clock in milliseconds, for cache expiry (tests). */
  now?: () => number;
}

export interface ResolverStats {
  /** Lookups answered from the cache (answers and remembered NXDOMAIN/NODATA). */
  hits: number;
  /** Lookups sent to the DNS servers. */
  misses: number;
  /** Lookups that joined an identical one already in flight. */
  coalesced: number;
  /** Entries in the cache now. */
  size: number;
}

/**
 * A copy of a cached answer. The common shapes (A, AAAA, PTR: strings; TXT:
 * lists of strings; MX: flat records) are copied one level down, several times
 * faster than structuredClone, which is per lookup on every message; anything
 * else is cloned whole.
 */
function copyAnswer(answer: unknown): unknown {
  if (!Array.isArray(answer)) return structuredClone(answer);
  return answer.map((record: unknown) => {
    if (typeof record === 'string') return record;
    if (Array.isArray(record) && record.every((part) => typeof part === 'string')) return [...(record as string[])];
    if (record && typeof record === 'object' && Object.values(record).every((value) => typeof value !== 'object')) return { ...record };
    return structuredClone(record);
  });
}

export interface CachingResolver extends DnsResolver {
  stats(): ResolverStats;
  /** Forgets every cached answer. */
  clear(): void;
}

type Outcome = { ok: true; answer: unknown } | { ok: false; code: string; error: unknown };

interface CacheEntry {
  expiresAt: number;
  outcome: Outcome;
}

/** Attempts per lookup at least; with more servers, one each. They share the time budget. */
const TRIES = 2;

/** Answers that say something about the name; anything else is the server's trouble, and the next one is asked. */
const FINAL_CODES = new Set(['ENOTFOUND', 'ENODATA', 'EBADNAME']);

/**
 * mailauth makes several lookups per message (SPF, DKIM keys, DMARC, ARC,
 * PTR), so answers are cached here for as long as their TTL allows (bounded
 * by maxTtlSeconds; TTL 0 is never cached), NXDOMAIN/NODATA for as long as the
 * zone's SOA says (RFC 2308; bounded by negativeTtlSeconds, not at all without
 * an SOA), and temporary failures never: a timeout must stay a 4xx for this
 * message only, not for the next minute. Node's resolver reports no TTL for
 * TXT or MX, so the questions go out over the wire here (exchange.ts).
 */
export function createResolver(options: ResolverOptions): CachingResolver {
  if (!(options.timeoutMs > 0)) throw new RangeError(`DNS timeout must be positive, got ${options.timeoutMs}`);
  const budgetMs = options.timeoutMs;
  const maxTtlMs = (options.maxTtlSeconds ?? 300) * 1000;
  const negativeTtlMs = Math.min((options.negativeTtlSeconds ?? 60) * 1000, maxTtlMs);
  const now = options.now ?? Date.now;
  const servers = nameServers(options.servers);
  const attempts = Math.max(TRIES, servers.length);

  const cache = new LRUCache<string, CacheEntry>({ max: options.maxEntries ?? 10_000 });
  const inflight = new Map<string, Promise<Outcome>>();
  const counters = { hits: 0, misses: 0, coalesced: 0 };

  /** Asks the servers in turn until one gives an answer about the name, all within the budget. */
  async function ask(name: string, type: RecordType): Promise<ReadAnswer> {
    const deadline = performance.now() + budgetMs;
    let last: ReadAnswer = { ok: false, code: 'ETIMEOUT', ttlSeconds: null };
    for (let attempt = 0; attempt < attempts; attempt++) {
      const remaining = deadline - performance.now();
      if (remaining <= 0) break;
      const slice = attempt === attempts - 1 ? remaining : Math.min(remaining, budgetMs / attempts);
      const server = servers[attempt % servers.length] as NameServer;
      try {
        const read = readAnswer(await exchange(server, name, type, AbortSignal.timeout(Math.max(1, Math.round(slice)))), name, type);
        if (read.ok || FINAL_CODES.has(read.code)) return read;
        last = read;
      } catch (error) {
        const code = errorCode(error) ?? 'ESERVFAIL';
        last = { ok: false, code, ttlSeconds: null };
        if (FINAL_CODES.has(code)) return last;
      }
    }
    return last;
  }

  async function fetchOutcome(key: string, name: string, type: RecordType): Promise<Outcome> {
    counters.misses++;
    const read = await ask(name, type);
    if (read.ok) {
      const ttlMs = Math.min(read.ttlSeconds * 1000, maxTtlMs);
      const outcome: Outcome = { ok: true, answer: read.answer };
      if (ttlMs > 0) cache.set(key, { expiresAt: now() + ttlMs, outcome });
      return outcome;
    }
    const outcome: Outcome = { ok: false, code: read.code, error: dnsError(read.code, name, type) };
    if (isNegativeAnswer(read.code) && read.ttlSeconds !== null) {
      const ttlMs = Math.min(read.ttlSeconds * 1000, negativeTtlMs);
      if (ttlMs > 0) cache.set(key, { expiresAt: now() + ttlMs, outcome });
    }
    return outcome;
  }

  // Each caller gets its own copy: mailauth annotates errors (err.spfResult)
  // and may sort answers, which must not leak between messages.
  function deliver(outcome: Outcome, name: string, rrtype: string): unknown {
    if (outcome.ok) return copyAnswer(outcome.answer);
    throw dnsError(outcome.code, name, rrtype);
  }

  const lookup = async (name: string, rrtype: string = 'A'): Promise<unknown> => {
    const type = rrtype.toUpperCase();
    if (!SUPPORTED_TYPES.has(type)) {
      throw Object.assign(new TypeError(`The argument 'rrtype' is invalid. Received '${rrtype}'`), { code: 'ERR_INVALID_ARG_VALUE' });
    }
    const qname = normalizeName(name);
    const key = `${type} ${qname}`;

    const cached = cache.get(key);
    if (cached && cached.expiresAt > now()) {
      counters.hits++;
      return deliver(cached.outcome, name, type);
    }
    if (cached) cache.delete(key);

    let pending = inflight.get(key);
    if (pending) {
      counters.coalesced++;
    } else {
      pending = fetchOutcome(key, qname, type as RecordType).finally(() => inflight.delete(key));
      inflight.set(key, pending);
    }
    return deliver(await pending, name, type);
  };

  return Object.assign(lookup, {
    stats: (): ResolverStats => ({ ...counters, size: cache.size }),
    clear: (): void => cache.clear(),
  });
}
