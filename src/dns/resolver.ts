import { promises as dnsPromises } from 'node:dns';
import { LRUCache } from 'lru-cache';
import { dnsError, errorCode, isNegativeAnswer } from './errors.js';
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
  /** "ip", "ip:port" or "[ipv6]:port"; empty uses the system resolver. */
  servers: string[];
  /** Total time one lookup may take, retries included; then ETIMEOUT. */
  timeoutMs: number;
  /** Cached answers kept at most (default 10 000). */
  maxEntries?: number;
  /** Upper bound for caching an answer, and its lifetime when DNS gives no TTL (default 300). */
  maxTtlSeconds?: number;
  /** How long NXDOMAIN and NODATA are remembered (default 60). */
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

type Outcome = { ok: true; answer: unknown; ttlMs: number } | { ok: false; code: string; error: unknown };

interface CacheEntry {
  expiresAt: number;
  outcome: Outcome;
}

// c-ares retries inside the budget; our own timer is the hard bound, because
// c-ares timeouts grow per retry and cannot be cancelled one query at a time.
const TRIES = 2;

/**
 * mailauth makes several lookups per message (SPF, DKIM keys, DMARC, ARC,
 * PTR) and Node's resolver caches nothing, so answers are cached here with
 * their TTL bounded, NXDOMAIN/NODATA briefly, and temporary failures never:
 * a timeout must stay a 4xx for this message only, not for the next minute.
 */
export function createResolver(options: ResolverOptions): CachingResolver {
  if (!(options.timeoutMs > 0)) throw new RangeError(`DNS timeout must be positive, got ${options.timeoutMs}`);
  const budgetMs = options.timeoutMs;
  const maxTtlMs = (options.maxTtlSeconds ?? 300) * 1000;
  const negativeTtlMs = Math.min((options.negativeTtlSeconds ?? 60) * 1000, maxTtlMs);
  const now = options.now ?? Date.now;

  const resolver = new dnsPromises.Resolver({ timeout: Math.max(1, Math.floor(budgetMs / TRIES)), tries: TRIES });
  if (options.servers.length > 0) resolver.setServers(options.servers);

  const cache = new LRUCache<string, CacheEntry>({ max: options.maxEntries ?? 10_000 });
  const inflight = new Map<string, Promise<Outcome>>();
  const counters = { hits: 0, misses: 0, coalesced: 0 };

  async function query(name: string, rrtype: string): Promise<{ answer: unknown; ttlMs: number }> {
    if (rrtype === 'A' || rrtype === 'AAAA') {
      const records = rrtype === 'A' ? await resolver.resolve4(name, { ttl: true }) : await resolver.resolve6(name, { ttl: true });
      const ttlSeconds = records.reduce((min, record) => Math.min(min, record.ttl), Number.POSITIVE_INFINITY);
      return { answer: records.map((record) => record.address), ttlMs: Math.min(ttlSeconds * 1000, maxTtlMs) };
    }
    return { answer: await resolver.resolve(name, rrtype), ttlMs: maxTtlMs };
  }

  function withinBudget<T>(lookup: Promise<T>, name: string, rrtype: string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(dnsError('ETIMEOUT', name, rrtype)), budgetMs);
      lookup.then(
        (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        (error: unknown) => {
          clearTimeout(timer);
          reject(error);
        },
      );
    });
  }

  async function fetchOutcome(key: string, name: string, rrtype: string): Promise<Outcome> {
    counters.misses++;
    let outcome: Outcome;
    try {
      const { answer, ttlMs } = await withinBudget(query(name, rrtype), name, rrtype);
      outcome = { ok: true, answer, ttlMs };
      if (ttlMs > 0) cache.set(key, { expiresAt: now() + ttlMs, outcome });
    } catch (error) {
      const code = errorCode(error) ?? 'ESERVFAIL';
      outcome = { ok: false, code, error };
      if (isNegativeAnswer(code) && negativeTtlMs > 0) cache.set(key, { expiresAt: now() + negativeTtlMs, outcome });
    }
    return outcome;
  }

  // Each caller gets its own copy: mailauth annotates errors (err.spfResult)
  // and may sort answers, which must not leak between messages.
  function deliver(outcome: Outcome, name: string, rrtype: string): unknown {
    if (outcome.ok) return copyAnswer(outcome.answer);
    if (outcome.code === 'ERR_INVALID_ARG_VALUE') throw outcome.error;
    throw dnsError(outcome.code, name, rrtype);
  }

  const lookup = async (name: string, rrtype: string = 'A'): Promise<unknown> => {
    const type = rrtype.toUpperCase();
    const key = `${type} ${normalizeName(name)}`;

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
      pending = fetchOutcome(key, name, type).finally(() => inflight.delete(key));
      inflight.set(key, pending);
    }
    return deliver(await pending, name, type);
  };

  return Object.assign(lookup, {
    stats: (): ResolverStats => ({ ...counters, size: cache.size }),
    clear: (): void => cache.clear(),
  });
}
