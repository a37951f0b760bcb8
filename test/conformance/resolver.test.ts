import { dkimVerify, spf, type DNSResolver } from 'mailauth';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createResolver, createZoneResolver, type ResolverOptions } from '../../src/dns/resolver.js';
import type { Zone } from '../../src/dns/zone.js';
import { startDnsServer, type ZoneDnsServer } from '../../src/dns/zone-server.js';
import { buildMessage, SENDER_KEY, signMessage, testZone } from '../support/mail.js';

/**
 * The caching resolver against a real DNS server on loopback: answers and
 * their shapes, caching, negative caching, time budget, error codes and
 * coalescing, as mailauth will see them in production.
 */

/** Over 1232 bytes, the largest UDP answer c-ares takes, so it has to come over TCP. */
const LONG_TXT = `v=spf1 ${Array.from({ length: 100 }, (_, i) => `ip4:192.0.2.${i}`).join(' ')} -all`;

const zone = (): Zone => ({
  ...testZone(),
  'long.test': { TXT: [LONG_TXT] },
  'multi.test': { TXT: ['first', ['two', ' parts']] },
  'short-ttl.test': { A: ['192.0.2.7'], ttl: 5 },
  'one-second.test': { TXT: ['v=DKIM1; p=first'], MX: [{ exchange: 'mx1.one-second.test', priority: 10 }], ttl: 1 },
  'zero.test': { TXT: ['v=spf1 ip4:127.0.0.0/8 -all'], MX: [{ exchange: 'mx.zero.test', priority: 10 }], ttl: 0 },
  'alias.sender.test': { CNAME: 'mail.sender.test' },
  'short-alias.test': { CNAME: 'mail.sender.test', ttl: 2 },
  'slow.test': { fail: 'timeout' },
  'broken.test': { fail: 'servfail' },
  'closed.test': { fail: 'refused' },
});

let server: ZoneDnsServer;
let clock = 0;
const now = (): number => clock;

const resolverFor = (options: Partial<ResolverOptions> = {}) => createResolver({ servers: [server.address], timeoutMs: 300, now, ...options });
const sent = (name: string, type: string): number => server.queries().filter((query) => query.name.toLowerCase() === name && query.type === type).length;
const codeOf = async (promise: Promise<unknown>): Promise<string | undefined> =>
  promise.then(
    () => undefined,
    (error: { code?: string }) => error.code,
  );

// Negative answers come with an SOA (RFC 2308), as from any real zone, unless a test takes it away.
const SOA_NEGATIVE_TTL = 45;

beforeAll(async () => {
  server = await startDnsServer({ zone: zone(), negativeTtlSeconds: SOA_NEGATIVE_TTL });
});

afterAll(async () => {
  await server.stop();
});

beforeEach(() => {
  server.setZone(zone());
  server.setMode('normal');
  server.setNegativeTtl(SOA_NEGATIVE_TTL);
  server.resetQueries();
  clock = 1_000_000;
});

describe('answers', () => {
  it('has the shapes of dns.promises.resolve', async () => {
    const resolve = resolverFor();
    expect(await resolve('sender.test', 'TXT')).toEqual([['v=spf1 ip4:127.0.0.0/8 -all']]);
    expect(await resolve('multi.test', 'TXT')).toEqual([['first'], ['two', ' parts']]);
    expect(await resolve('sender.test', 'MX')).toEqual([{ exchange: 'mail.sender.test', priority: 10 }]);
    expect(await resolve('mail.sender.test', 'A')).toEqual(['127.0.0.1']);
    expect(await resolve('mail.sender.test', 'AAAA')).toEqual(['::1']);
    expect(await resolve('1.0.0.127.in-addr.arpa', 'PTR')).toEqual(['mail.sender.test']);
    expect(await resolve('alias.sender.test', 'A')).toEqual(['127.0.0.1']);
  });

  it('splits long TXT strings into 255-byte character-strings (and answers over TCP when UDP is too small)', async () => {
    const answer = (await resolverFor()('long.test', 'TXT')) as string[][];
    expect(answer).toHaveLength(1);
    expect(answer[0]?.every((chunk) => Buffer.byteLength(chunk) <= 255)).toBe(true);
    expect(answer[0]?.join('')).toBe(LONG_TXT);
    expect(server.queries()).toContainEqual({ name: 'long.test', type: 'TXT', transport: 'tcp' });
  });

  it('reports NXDOMAIN as ENOTFOUND and a missing type as ENODATA', async () => {
    const resolve = resolverFor();
    expect(await codeOf(resolve('nowhere.test', 'TXT'))).toBe('ENOTFOUND');
    expect(await codeOf(resolve('mail.sender.test', 'TXT'))).toBe('ENODATA');
  });

  it('reports SERVFAIL and REFUSED with their codes', async () => {
    const resolve = resolverFor();
    expect(await codeOf(resolve('broken.test', 'TXT'))).toBe('ESERVFAIL');
    expect(await codeOf(resolve('closed.test', 'TXT'))).toBe('EREFUSED');
    server.setMode('refuse');
    expect(await codeOf(resolve('sender.test', 'MX'))).toBe('EREFUSED');
  });

  it('answers like the zone resolver the unit tests use', async () => {
    const network = resolverFor();
    const memory = createZoneResolver(zone());
    const questions: Array<[string, string]> = [
      ['sender.test', 'TXT'],
      ['s1._domainkey.sender.test', 'TXT'],
      ['long.test', 'TXT'],
      ['multi.test', 'TXT'],
      ['SENDER.test', 'MX'],
      ['alias.sender.test', 'A'],
      ['mail.sender.test', 'AAAA'],
      ['1.0.0.127.in-addr.arpa', 'PTR'],
      ['nowhere.test', 'A'],
      ['mail.sender.test', 'MX'],
      ['broken.test', 'A'],
      ['closed.test', 'A'],
    ];
    for (const [name, type] of questions) {
      const settle = (promise: Promise<unknown>) => promise.then((answer) => ({ answer }), (error: { code?: string }) => ({ code: error.code }));
      expect(await settle(network(name, type)), `${type} ${name}`).toEqual(await settle(memory(name, type)));
    }
  });
});

describe('caching', () => {
  it('answers a repeated lookup from the cache, names case-insensitive', async () => {
    const resolve = resolverFor();
    await resolve('sender.test', 'TXT');
    expect(await resolve('Sender.TEST.', 'txt')).toEqual([['v=spf1 ip4:127.0.0.0/8 -all']]);
    expect(sent('sender.test', 'TXT')).toBe(1);
    expect(resolve.stats()).toMatchObject({ hits: 1, misses: 1, size: 1 });
  });

  it('keeps answers no longer than maxTtlSeconds, and A records no longer than their TTL', async () => {
    const resolve = resolverFor({ maxTtlSeconds: 60 });
    await resolve('sender.test', 'TXT');
    await resolve('short-ttl.test', 'A');
    clock += 6_000;
    await resolve('sender.test', 'TXT');
    await resolve('short-ttl.test', 'A');
    expect(sent('sender.test', 'TXT')).toBe(1);
    expect(sent('short-ttl.test', 'A')).toBe(2);
    clock += 60_000;
    await resolve('sender.test', 'TXT');
    expect(sent('sender.test', 'TXT')).toBe(2);
  });

  it('keeps TXT and MX answers no longer than their TTL: a changed key is seen once it expires', async () => {
    const resolve = resolverFor();
    expect(await resolve('one-second.test', 'TXT')).toEqual([['v=DKIM1; p=first']]);
    expect(await resolve('one-second.test', 'MX')).toEqual([{ exchange: 'mx1.one-second.test', priority: 10 }]);
    server.setZone({ ...zone(), 'one-second.test': { TXT: ['v=DKIM1; p='], MX: [{ exchange: 'mx2.one-second.test', priority: 10 }], ttl: 1 } });
    clock += 900;
    expect(await resolve('one-second.test', 'TXT')).toEqual([['v=DKIM1; p=first']]);
    clock += 200;
    expect(await resolve('one-second.test', 'TXT')).toEqual([['v=DKIM1; p=']]);
    expect(await resolve('one-second.test', 'MX')).toEqual([{ exchange: 'mx2.one-second.test', priority: 10 }]);
    expect(sent('one-second.test', 'TXT')).toBe(2);
  });

  it('never caches an answer with TTL 0, and never serves one while DNS is down', async () => {
    const resolve = resolverFor();
    expect(await resolve('zero.test', 'TXT')).toEqual([['v=spf1 ip4:127.0.0.0/8 -all']]);
    expect(await resolve('zero.test', 'MX')).toEqual([{ exchange: 'mx.zero.test', priority: 10 }]);
    expect(await resolve('zero.test', 'TXT')).toEqual([['v=spf1 ip4:127.0.0.0/8 -all']]);
    expect(sent('zero.test', 'TXT')).toBe(2);
    expect(resolve.stats().size).toBe(0);
    server.setMode('silent');
    expect(await codeOf(resolve('zero.test', 'TXT'))).toBe('ETIMEOUT');
  });

  it('keeps an answer no longer than the TTL of a CNAME on the way to it', async () => {
    const resolve = resolverFor();
    expect(await resolve('short-alias.test', 'A')).toEqual(['127.0.0.1']);
    clock += 1_500;
    await resolve('short-alias.test', 'A');
    expect(sent('short-alias.test', 'A')).toBe(1);
    clock += 1_000;
    await resolve('short-alias.test', 'A');
    expect(sent('short-alias.test', 'A')).toBe(2);
  });

  it('gives each caller its own copy of a cached answer', async () => {
    const resolve = resolverFor();
    const first = (await resolve('sender.test', 'MX')) as Array<{ exchange: string }>;
    first.length = 0;
    expect(await resolve('sender.test', 'MX')).toEqual([{ exchange: 'mail.sender.test', priority: 10 }]);
    // Down to the records and their parts: mailauth sorts and edits what it gets.
    const mx = (await resolve('sender.test', 'MX')) as Array<{ exchange: string }>;
    (mx[0] as { exchange: string }).exchange = 'changed.test';
    const txt = (await resolve('sender.test', 'TXT')) as string[][];
    const expected = structuredClone(txt);
    (txt[0] as string[]).push('v=spf1 +all');
    txt.reverse();
    expect(await resolve('sender.test', 'MX')).toEqual([{ exchange: 'mail.sender.test', priority: 10 }]);
    expect(await resolve('sender.test', 'TXT')).toEqual(expected);
  });

  it('remembers NXDOMAIN and NODATA as long as the SOA says, at most negativeTtlSeconds', async () => {
    const resolve = resolverFor({ negativeTtlSeconds: 30 });
    expect(await codeOf(resolve('new.test', 'TXT'))).toBe('ENOTFOUND');
    expect(await codeOf(resolve('mail.sender.test', 'TXT'))).toBe('ENODATA');
    server.setZone({ ...zone(), 'new.test': { TXT: ['hello'] } });
    clock += 29_000;
    expect(await codeOf(resolve('new.test', 'TXT'))).toBe('ENOTFOUND');
    expect(await codeOf(resolve('mail.sender.test', 'TXT'))).toBe('ENODATA');
    expect(sent('new.test', 'TXT')).toBe(1);
    expect(sent('mail.sender.test', 'TXT')).toBe(1);
    clock += 2_000;
    expect(await resolve('new.test', 'TXT')).toEqual([['hello']]);
  });

  it("keeps a negative answer no longer than the SOA's TTL", async () => {
    server.setNegativeTtl(5);
    const resolve = resolverFor();
    expect(await codeOf(resolve('new.test', 'TXT'))).toBe('ENOTFOUND');
    server.setZone({ ...zone(), 'new.test': { TXT: ['published'] } });
    clock += 4_000;
    expect(await codeOf(resolve('new.test', 'TXT'))).toBe('ENOTFOUND');
    clock += 1_500;
    expect(await resolve('new.test', 'TXT')).toEqual([['published']]);
    expect(sent('new.test', 'TXT')).toBe(2);
  });

  it('does not remember a negative answer that comes without an SOA (RFC 2308 section 5)', async () => {
    server.setNegativeTtl(null);
    const resolve = resolverFor();
    expect(await codeOf(resolve('new.test', 'TXT'))).toBe('ENOTFOUND');
    expect(await codeOf(resolve('new.test', 'TXT'))).toBe('ENOTFOUND');
    expect(sent('new.test', 'TXT')).toBe(2);
    expect(resolve.stats().size).toBe(0);
  });

  it('never caches temporary failures', async () => {
    const resolve = resolverFor();
    server.setMode('servfail');
    expect(await codeOf(resolve('sender.test', 'TXT'))).toBe('ESERVFAIL');
    server.setMode('refuse');
    expect(await codeOf(resolve('sender.test', 'TXT'))).toBe('EREFUSED');
    server.setMode('normal');
    expect(await resolve('sender.test', 'TXT')).toEqual([['v=spf1 ip4:127.0.0.0/8 -all']]);
    expect(resolve.stats().size).toBe(1);
  });

  it('evicts the least recently used answer beyond maxEntries', async () => {
    const resolve = resolverFor({ maxEntries: 2 });
    await resolve('sender.test', 'TXT');
    await resolve('sender.test', 'MX');
    await resolve('mail.sender.test', 'A');
    await resolve('sender.test', 'TXT');
    expect(sent('sender.test', 'TXT')).toBe(2);
    expect(resolve.stats().size).toBe(2);
  });

  it('sends concurrent identical lookups once', async () => {
    const resolve = resolverFor();
    const answers = await Promise.all(Array.from({ length: 5 }, () => resolve('s1._domainkey.sender.test', 'TXT')));
    expect(new Set(answers.map((answer) => JSON.stringify(answer))).size).toBe(1);
    expect(sent('s1._domainkey.sender.test', 'TXT')).toBe(1);
    expect(resolve.stats()).toMatchObject({ misses: 1, coalesced: 4 });
  });

  it('gives coalesced callers separate errors (mailauth annotates them)', async () => {
    const resolve = resolverFor();
    const errors = await Promise.all([resolve('broken.test', 'TXT'), resolve('broken.test', 'TXT')].map((lookup) => lookup.catch((error: unknown) => error)));
    expect(errors[0]).not.toBe(errors[1]);
    expect(errors.map((error) => (error as { code: string }).code)).toEqual(['ESERVFAIL', 'ESERVFAIL']);
  });
});

describe('loopback server', () => {
  it('refuses bad zone data up front, naming the record', async () => {
    await expect(startDnsServer({ zone: { 'bad.test': { A: ['not-an-ip'] } } })).rejects.toThrow(/A record of bad\.test/);
    expect(() => server.setZone({ 'bad.test': { AAAA: ['1.2.3.4'] } })).toThrow(/AAAA record of bad\.test/);
  });

  it('stops twice without complaint', async () => {
    const extra = await startDnsServer({ zone: {} });
    await extra.stop();
    await extra.stop();
  });
});

describe('time budget', () => {
  it('gives up with ETIMEOUT within the budget when the server is silent, and does not cache it', async () => {
    const resolve = resolverFor({ timeoutMs: 300 });
    server.setMode('silent');
    const started = performance.now();
    expect(await codeOf(resolve('sender.test', 'TXT'))).toBe('ETIMEOUT');
    const elapsed = performance.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(250);
    expect(elapsed).toBeLessThan(1_000);
    server.setMode('normal');
    expect(await resolve('sender.test', 'TXT')).toEqual([['v=spf1 ip4:127.0.0.0/8 -all']]);
  });

  it('times out a single name the server never answers', async () => {
    const started = performance.now();
    expect(await codeOf(resolverFor({ timeoutMs: 200 })('slow.test', 'A'))).toBe('ETIMEOUT');
    expect(performance.now() - started).toBeLessThan(1_000);
  });

  it('asks the next server when one does not answer, within the same budget', async () => {
    const silent = await startDnsServer({ zone: zone() });
    silent.setMode('silent');
    try {
      const resolve = resolverFor({ servers: [silent.address, server.address], timeoutMs: 600 });
      expect(await resolve('sender.test', 'TXT')).toEqual([['v=spf1 ip4:127.0.0.0/8 -all']]);
      expect(silent.queries()).toHaveLength(1);
      expect(sent('sender.test', 'TXT')).toBe(1);
    } finally {
      await silent.stop();
    }
  });

  it('rejects a budget that is not positive', () => {
    expect(() => createResolver({ servers: [], timeoutMs: 0 })).toThrow(/timeout/);
  });
});

describe('with mailauth', () => {
  it('SPF passes, and a silent server is temperror', async () => {
    const resolve = resolverFor() as DNSResolver;
    const check = () => spf({ ip: '127.0.0.1', sender: 'alice@sender.test', helo: 'mail.sender.test', mta: 'mx.test', resolver: resolve });
    expect((await check()).status.result).toBe('pass');
    const cold = resolverFor() as DNSResolver;
    server.setMode('silent');
    const result = await spf({ ip: '127.0.0.1', sender: 'alice@sender.test', helo: 'mail.sender.test', mta: 'mx.test', resolver: cold });
    expect(result.status.result).toBe('temperror');
  });

  it('DKIM verifies with a 2048-bit key served in several character-strings', async () => {
    const raw = await signMessage(buildMessage({ from: 'alice@sender.test', to: 'abuse@registrar.test', subject: 'Report', text: 'Hello.' }), SENDER_KEY);
    const { results } = await dkimVerify(raw, { resolver: resolverFor() as DNSResolver });
    expect(results.map((row) => row.status.result)).toEqual(['pass']);
  });
});
