import { matchCidr } from './ip.js';
import { readBlocklistAnswer, type BlocklistFinding } from './blocklists.js';
import type { ManagedLookup, Resolver } from './types.js';

/**
 * What DNS and our own tables say about each reported domain: its addresses
 * and whether they are in our ranges (then we host it), its name and mail
 * servers, the operator's blocklists, and whether we manage it and since when.
 * A lookup that fails is recorded as unavailable; it never stops the case.
 */

export interface HostAddress {
  host: string;
  ip: string;
  /** In a managed range or our own infrastructure. */
  range: string | null;
  ours: boolean;
  account: string | null;
  source: string;
}

export interface DomainFinding {
  domain: string;
  managed: boolean;
  account: string | null;
  /** ISO date from the managed-domain table's `created` column. */
  created: string | null;
  /** Younger than the brand's `newDomainDays`; null when the date is unknown. */
  newlyRegistered: boolean | null;
  addresses: HostAddress[];
  nameservers: string[];
  mailServers: string[];
  hostedByUs: boolean;
  blocklists: BlocklistFinding[];
  /** Lookups that failed (time-out, server failure): what they would have said is unknown. */
  unavailable: string[];
}

export interface EnrichOptions {
  resolver: Resolver;
  /** Loads the managed ranges holding the addresses found. */
  lookupIps(ips: string[]): Promise<ManagedLookup>;
  managed: ManagedLookup;
  blocklists: readonly string[];
  newDomainDays: number;
  now: Date;
  /** Total time for all of it; what has not answered by then is unavailable. */
  budgetMs: number;
}

const MAX_DOMAINS = 10;
const MAX_HOSTS_PER_DOMAIN = 3;
const NOTHING = new Set(['ENOTFOUND', 'ENODATA']);
const DAY_MS = 86_400_000;

type Answer<T> = { ok: true; value: T } | { ok: false; unavailable: string };

export async function enrichDomains(domains: Array<{ domain: string; hosts: string[] }>, options: EnrichOptions): Promise<DomainFinding[]> {
  const work = domains.slice(0, MAX_DOMAINS);
  const deadline = Date.now() + options.budgetMs;
  const ask = <T>(name: string, rrtype: string, read: (answer: unknown) => T, empty: T): Promise<Answer<T>> =>
    lookup(options.resolver, name, rrtype, deadline).then((answer) => (answer.ok ? { ok: true, value: answer.value === null ? empty : read(answer.value) } : answer));

  const raw = await Promise.all(
    work.map(async ({ domain, hosts }) => {
      // The hosts the report names first: their addresses are where the abuse is.
      const names = [...new Set([...hosts.filter((host) => host === domain || host.endsWith(`.${domain}`)), domain])].slice(0, MAX_HOSTS_PER_DOMAIN);
      const [addresses, nameservers, mailServers, listed] = await Promise.all([
        Promise.all(names.flatMap((host) => ['A', 'AAAA'].map(async (rrtype) => ({ host, rrtype, answer: await ask(host, rrtype, strings, []) })))),
        ask(domain, 'NS', strings, []),
        ask(domain, 'MX', exchanges, []),
        Promise.all(options.blocklists.map(async (zone) => ({ zone, answer: await ask(`${domain}.${zone}`, 'A', strings, []) }))),
      ]);
      return { domain, addresses, nameservers, mailServers, listed };
    }),
  );

  const ips = [...new Set(raw.flatMap((entry) => entry.addresses.flatMap((a) => (a.answer.ok ? a.answer.value : []))))];
  const ranges = ips.length > 0 ? await options.lookupIps(ips) : options.managed;

  return raw.map((entry) => {
    const unavailable: string[] = [];
    const value = <T>(answer: Answer<T>, fallback: T): T => {
      if (answer.ok) return answer.value;
      unavailable.push(answer.unavailable);
      return fallback;
    };
    const addresses: HostAddress[] = entry.addresses.flatMap(({ host, rrtype, answer }) =>
      value(answer, [] as string[]).map((ip) => {
        const ours = matchCidr(ip, ranges.infrastructure);
        const managed = ranges.ip(ip);
        return { host, ip, range: managed?.range ?? ours, ours: ours !== null, account: managed?.account ?? null, source: `DNS ${rrtype} ${host}` };
      }),
    );
    const blocklists = entry.listed.map(({ zone, answer }) =>
      answer.ok ? readBlocklistAnswer(zone, answer.value) : { zone, meaning: 'unavailable' as const, codes: [], source: `${zone}: ${answer.unavailable}` },
    );
    for (const finding of blocklists) if (finding.meaning === 'unavailable') unavailable.push(finding.source);
    const managed = options.managed.domain(entry.domain);
    const created = managed?.created ?? null;
    return {
      domain: entry.domain,
      managed: managed !== null,
      account: managed?.account ?? null,
      created,
      newlyRegistered: created ? options.now.getTime() - Date.parse(created) < options.newDomainDays * DAY_MS : null,
      addresses,
      nameservers: value(entry.nameservers, []),
      mailServers: value(entry.mailServers, []),
      hostedByUs: addresses.some((address) => address.range !== null),
      blocklists,
      unavailable,
    };
  });
}

/** One lookup: its answer, null for "no such name or record", or why it is unavailable. */
async function lookup(resolver: Resolver, name: string, rrtype: string, deadline: number): Promise<Answer<unknown | null>> {
  const left = deadline - Date.now();
  if (left <= 0) return { ok: false, unavailable: `${rrtype} ${name}: no time left` };
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error('time limit'), { code: 'ETIMEOUT' })), left);
  });
  try {
    return { ok: true, value: await Promise.race([resolver(name, rrtype), timeout]) };
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string' && NOTHING.has(code)) return { ok: true, value: null };
    return { ok: false, unavailable: `${rrtype} ${name}: ${typeof code === 'string' ? code : (error as Error).message}` };
  } finally {
    clearTimeout(timer);
  }
}

function strings(answer: unknown): string[] {
  return Array.isArray(answer) ? answer.filter((item): item is string => typeof item === 'string').map((item) => item.toLowerCase()).slice(0, 20) : [];
}

function exchanges(answer: unknown): string[] {
  if (!Array.isArray(answer)) return [];
  return answer
    .map((record: unknown) => (record && typeof record === 'object' && 'exchange' in record && typeof record.exchange === 'string' ? record.exchange.toLowerCase() : null))
    .filter((exchange): exchange is string => exchange !== null)
    .slice(0, 20);
}
