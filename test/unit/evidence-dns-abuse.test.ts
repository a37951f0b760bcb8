import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createZoneResolver } from '../../src/dns/resolver.js';
import { assessDomain } from '../../src/mail/evidence/assess.js';
import { readBlocklistAnswer } from '../../src/mail/evidence/blocklists.js';
import { refang } from '../../src/mail/evidence/defang.js';
import { enrichDomains, type DomainFinding } from '../../src/mail/evidence/enrich.js';
import { buildEvidence, type EvidenceDeps } from '../../src/mail/evidence/index.js';
import { reportResources } from '../../src/mail/evidence/report-resources.js';
import { missingEvidence } from '../../src/mail/evidence/requirements.js';
import type { ManagedLookup } from '../../src/mail/evidence/types.js';

/**
 * DNS abuse from the report itself (issue 20): defanged URLs and domains read
 * from the text, HTML, files and machine fields; each domain looked up in DNS
 * and the blocklists; the type's own requirements; malicious or compromised.
 */

const NOW = new Date('2026-12-10T10:00:00Z');
const DBL = 'dbl.spamhaus.org';
const OTHER_LIST = 'multi.uribl.example';

const managed: Record<string, { account: string; created: string | null }> = {
  'phish-login-bank.com': { account: 'ACC-NEW', created: '2026-12-01' },
  'bakery-of-anna.com': { account: 'ACC-OLD', created: '2015-04-02' },
  'quiet-shop.com': { account: 'ACC-Q', created: null },
};
const lookup: ManagedLookup = {
  domain: (domain) => managed[domain] ?? null,
  ip: (ip) => (ip.startsWith('198.51.100.') ? { range: '198.51.100.0/24', account: 'HOST-1' } : null),
  infrastructure: ['192.0.2.128/25'],
};

const resolver = createZoneResolver({
  'phish-login-bank.com': { A: ['203.0.113.10'] },
  'bakery-of-anna.com': { A: ['198.51.100.40'] },
  'www.bakery-of-anna.com': { A: ['198.51.100.41'] },
  [`phish-login-bank.com.${DBL}`]: { A: ['127.0.1.4'] },
  [`bakery-of-anna.com.${DBL}`]: { A: ['127.0.1.102'] },
  [`quiet-shop.com.${DBL}`]: { A: ['127.255.255.254'] },
  [`phish-login-bank.com.${OTHER_LIST}`]: { A: ['127.0.0.2'] },
  [`bakery-of-anna.com.${OTHER_LIST}`]: { fail: 'timeout' },
});

const deps = (overrides: Partial<EvidenceDeps> = {}): EvidenceDeps => ({
  resolver,
  trustedRelays: [],
  lookup,
  blocklists: [DBL, OTHER_LIST],
  ownDomains: ['example.net', 'reporter.example'],
  now: NOW,
  ...overrides,
});

function report(subject: string, text: string, from = 'jane@reporter.example'): Buffer {
  return Buffer.from(`From: ${from}\r\nTo: abuse@example.net\r\nSubject: ${subject}\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n${text.replace(/\n/g, '\r\n')}\r\n`);
}

describe('defanged notation', () => {
  it.each([
    ['hxxps://evil[.]example/login', 'https://evil.example/login'],
    ['hXXp://a(dot)b[.]com/x', 'http://a.b.com/x'],
    ['evil [dot] com', 'evil.com'],
    ['192.0.2[.]7', '192.0.2.7'],
    ['hxxps[://]bad[.]com', 'https://bad.com'],
    ['write to jane[at]example[.]org', 'write to jane@example.org'],
    ['the red dot here', 'the red dot here'],
  ])('%s → %s', (text, expected) => {
    expect(refang(text)).toBe(expected);
  });
});

describe('what a report names by itself', () => {
  it('reads URLs, bare domains, IPs and times from text, HTML, files and machine fields, defanged or not', () => {
    const found = reportResources({
      text: 'Phishing at hxxps://secure-login[.]phish-login-bank[.]com/auth since 2026-12-09T08:15:00Z. Also evil-twin.net and 203.0.113.77. Mail me at jane@reporter.example, see https://reporter.example/about',
      html: '<a href="http://html-only.org/x">x</a>',
      files: ['c2 list:\ncommand.botnet-c2.info\n198.51.100.9\n'],
      xarf: { category: 'content', type: 'phishing', url: 'http://xarf-url.com/p', first_seen: '2026-12-01T00:00:00Z', evidence: [{ payload: 'aHR0cDovL2hpZGRlbi5jb20=' }] },
      exclude: ['reporter.example', 'example.net'],
    });
    expect(found.urls).toEqual(expect.arrayContaining(['https://secure-login.phish-login-bank.com/auth', 'http://html-only.org/x', 'http://xarf-url.com/p']));
    expect(found.domains).toEqual(expect.arrayContaining(['phish-login-bank.com', 'evil-twin.net', 'html-only.org', 'botnet-c2.info', 'xarf-url.com']));
    expect(found.domains).not.toContain('reporter.example');
    expect(found.domains).not.toContain('hidden.com');
    expect(found.ips).toEqual(expect.arrayContaining(['203.0.113.77', '198.51.100.9']));
    expect(found.times).toEqual(['2026-12-01T00:00:00.000Z', '2026-12-09T08:15:00.000Z']);
  });

  it('takes any host written as a URL, but a bare word only under a real public suffix', () => {
    const found = reportResources({ text: 'Phishing at https://login.sicherheit-konto.test/anmelden and at plain-word.test too.', html: '', files: [], exclude: [] });
    expect(found.domains).toEqual(['sicherheit-konto.test']);
  });

  it('takes no file names, abbreviations, private addresses or version numbers for resources', () => {
    const found = reportResources({ text: 'See report.pdf and index.html, e.g. version 1.2.3.4.5 from 10.0.0.1 or 127.0.0.1.', html: '', files: [], exclude: [] });
    expect(found).toMatchObject({ domains: [], ips: [], urls: [] });
  });
});

describe('what each type needs', () => {
  const none = { completeMessage: false, urls: 0, domains: 0, ips: 0 };
  it.each([
    ['spam', none, 'message'],
    ['spam', { ...none, urls: 3 }, 'message'],
    ['spam', { ...none, completeMessage: true }, null],
    ['phishing', none, 'url'],
    ['phishing', { ...none, domains: 1 }, null],
    ['malware', { ...none, urls: 1 }, null],
    ['pharming', none, 'url'],
    ['botnet', { ...none, urls: 0 }, 'domain_or_ip'],
    ['botnet', { ...none, ips: 1 }, null],
    ['other', none, 'resource'],
  ] as const)('%s with %o misses %s', (type, contents, expected) => {
    expect(missingEvidence(type, contents)).toBe(expected);
  });
});

describe('blocklist answers', () => {
  it.each([
    [DBL, ['127.0.1.2'], 'malicious'],
    [DBL, ['127.0.1.99'], 'malicious'],
    [DBL, ['127.0.1.102'], 'compromised'],
    [DBL, ['127.0.1.199'], 'compromised'],
    [DBL, ['127.255.255.254'], 'refused'],
    [DBL, ['127.0.1.100'], 'not_listed'],
    [DBL, [], 'not_listed'],
    ['key.dbl.dq.spamhaus.net', ['127.0.1.5'], 'malicious'],
    [OTHER_LIST, ['127.0.0.2'], 'listed'],
    [OTHER_LIST, ['127.0.1.2'], 'not_listed'],
  ])('%s answering %o means %s', (zone, codes, meaning) => {
    expect(readBlocklistAnswer(zone, codes).meaning).toBe(meaning);
  });
});

describe('enrichment through DNS', () => {
  const enrich = (domains: Array<{ domain: string; hosts: string[] }>) =>
    enrichDomains(domains, { resolver, managed: lookup, lookupIps: async () => lookup, blocklists: [DBL, OTHER_LIST], newDomainDays: 30, now: NOW, budgetMs: 2_000 });

  it('finds addresses in our ranges, each list answer, the registration age and what was unavailable', async () => {
    const [phish, bakery, unknown] = await enrich([
      { domain: 'phish-login-bank.com', hosts: [] },
      { domain: 'bakery-of-anna.com', hosts: ['www.bakery-of-anna.com'] },
      { domain: 'nowhere-at-all.com', hosts: [] },
    ]);
    expect(phish).toMatchObject({ managed: true, account: 'ACC-NEW', newlyRegistered: true, hostedByUs: false });
    expect(phish?.blocklists.map((b) => b.meaning)).toEqual(['malicious', 'listed']);
    expect(bakery).toMatchObject({ managed: true, newlyRegistered: false, hostedByUs: true });
    expect(bakery?.addresses).toEqual(expect.arrayContaining([expect.objectContaining({ host: 'www.bakery-of-anna.com', ip: '198.51.100.41', range: '198.51.100.0/24', account: 'HOST-1', source: 'DNS A www.bakery-of-anna.com' })]));
    expect(bakery?.blocklists.map((b) => b.meaning)).toEqual(['compromised', 'unavailable']);
    expect(bakery?.unavailable).toEqual([expect.stringContaining(`bakery-of-anna.com.${OTHER_LIST}`)]);
    expect(unknown).toMatchObject({ managed: false, addresses: [], newlyRegistered: null, unavailable: [] });
  });
});

describe('maliciously registered or compromised', () => {
  const finding = (partial: Partial<DomainFinding>): DomainFinding => ({
    domain: 'x.com', managed: true, account: 'A', created: null, newlyRegistered: null, addresses: [], nameservers: [], mailServers: [], hostedByUs: false, blocklists: [], unavailable: [], ...partial,
  });
  const list = (meaning: 'malicious' | 'compromised') => ({ zone: DBL, meaning, codes: [], source: DBL });

  it('reads the list codes, the age and the account history', () => {
    expect(assessDomain(finding({ blocklists: [list('malicious')] }), null, NOW).verdict).toBe('malicious');
    expect(assessDomain(finding({ blocklists: [list('compromised')] }), null, NOW).verdict).toBe('compromised');
    expect(assessDomain(finding({ created: '2026-12-01', newlyRegistered: true }), null, NOW).verdict).toBe('malicious');
    expect(assessDomain(finding({ created: '2012-01-01', newlyRegistered: false }), null, NOW).verdict).toBe('compromised');
    expect(assessDomain(finding({}), { otherCases: 3, suspensions: 0 }, NOW).verdict).toBe('malicious');
    expect(assessDomain(finding({}), null, NOW)).toMatchObject({ verdict: 'unknown' });
    // A compromised listing outweighs a young age.
    expect(assessDomain(finding({ blocklists: [list('compromised')], newlyRegistered: true, created: '2026-12-01' }), null, NOW).verdict).toBe('compromised');
  });
});

describe('a phishing report without an attached message', () => {
  it('is phishing, complete, conclusive on the managed domain, and suggests suspending it', async () => {
    const evidence = await buildEvidence(report('Phishing site', 'Hello,\n\nthis URL on a domain you sponsor is a phishing page imitating my bank:\nhxxps://secure[.]phish-login-bank[.]com/login\n\nRegards, Jane'), deps());
    expect(evidence).toMatchObject({ abuseType: 'phishing', complete: true, missing: null, grade: 'conclusive' });
    expect(evidence.suggestedMeasure).toMatchObject({ measure: 'suspend-domain', target: 'phish-login-bank.com', account: 'ACC-NEW' });
    expect(evidence.assessment).toMatchObject({ verdict: 'malicious' });
    expect(evidence.enrichment?.[0]?.blocklists[0]).toMatchObject({ meaning: 'malicious', codes: ['127.0.1.4'] });
  });

  it('suggests a clean-up, not a suspension, for a compromised site we host', async () => {
    const evidence = await buildEvidence(report('Malware', 'The site http://www.bakery-of-anna.com/wp-content/x.exe serves malware.'), deps());
    expect(evidence).toMatchObject({ abuseType: 'malware', complete: true, grade: 'conclusive' });
    expect(evidence.suggestedMeasure).toMatchObject({ measure: 'clean-up', target: 'bakery-of-anna.com' });
    expect(evidence.origins).toEqual(expect.arrayContaining([expect.objectContaining({ source: 'dns', ip: '198.51.100.41', account: 'HOST-1', conclusive: true })]));
  });

  it('lacks the URL when it names none, and is never asked for a spam message', async () => {
    const evidence = await buildEvidence(report('Phishing', 'I received a phishing mail pretending to be my bank. Please act.'), deps());
    expect(evidence).toMatchObject({ abuseType: 'phishing', complete: false, missing: 'url' });
  });

  it('a botnet report with only an IP in our range is complete and conclusive', async () => {
    const evidence = await buildEvidence(report('Botnet C2', 'Botnet command and control server at 198.51.100.9 (seen 2026-12-09 10:00 UTC).'), deps());
    expect(evidence).toMatchObject({ abuseType: 'botnet', complete: true, grade: 'conclusive' });
    expect(evidence.suggestedMeasure).toMatchObject({ measure: 'deactivate-service', target: '198.51.100.9', account: 'HOST-1' });
    expect(evidence.resources?.times).toEqual(['2026-12-09T10:00:00.000Z']);
  });

  it('a blocklist that does not answer leaves the case to open, the finding recorded as unavailable', async () => {
    const evidence = await buildEvidence(report('Phishing', 'phishing at https://bakery-of-anna.com/'), deps({ blocklists: [OTHER_LIST] }));
    expect(evidence.complete).toBe(true);
    expect(evidence.enrichment?.[0]?.blocklists[0]).toMatchObject({ zone: OTHER_LIST, meaning: 'unavailable' });
  });

  it('a machine report (XARF v4 botnet) names its C2 domain', async () => {
    const xarf = JSON.parse(readFileSync(new URL('../../../shared/corpora/xarf/xarf-spec/samples/v4/infrastructure-botnet.json', import.meta.url), 'utf8')) as Record<string, unknown>;
    xarf.c2_server = 'c2.phish-login-bank.com';
    const raw = Buffer.from(`From: feed@reporter.example\r\nTo: abuse@example.net\r\nSubject: XARF\r\nX-XARF: PLAIN\r\nContent-Type: application/json\r\n\r\n${JSON.stringify(xarf)}\r\n`);
    const evidence = await buildEvidence(raw, deps());
    expect(evidence).toMatchObject({ abuseType: 'botnet', complete: true, grade: 'conclusive' });
    expect(evidence.resources?.domains).toContain('phish-login-bank.com');
  });
});
