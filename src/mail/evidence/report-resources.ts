import { parse as parseHost } from 'tldts';
import { refang } from './defang.js';
import { isExternal, normaliseIp } from './ip.js';
import type { ArfReport, ReportResources } from './types.js';
import { htmlLinkTargets, MAX_URLS, normaliseUrl, textUrls } from './urls.js';

/**
 * What a report names by itself, without any attached message: the URLs,
 * domains, IP addresses and times in its text and HTML, in attached text files
 * and in a machine report's fields (X-ARF / XARF v4, ARF Reported-Domain and
 * Reported-Uri). Defanged notation is read as meant. The reporter's own domain
 * and ours are left out: a signature or a quoted acknowledgement names nothing.
 */

export interface ReportSources {
  text: string;
  html: string;
  /** Text of attached text files (.txt, .csv, text/html...). */
  files: string[];
  /** The parsed X-ARF JSON, when the report is one. */
  xarf?: unknown;
  arf?: ArfReport;
  /** Registrable domains never taken as reported (the brand's, the reporter's). */
  exclude: readonly string[];
}

const MAX_DOMAINS = 50;
const MAX_IPS = 50;
const MAX_TIMES = 20;
const MAX_SCAN_CHARS = 512 * 1024;

// Addresses name their writer's mail domain, not what is reported.
const EMAIL = /[^\s<>()[\]"',;:@]{1,64}@[a-z0-9.-]{1,253}/gi;
// A host name outside a URL: labels of letters, digits and '-', at least one dot.
const BARE_HOST = /(?<![\w.@/-])(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.){1,10}[a-z][a-z0-9-]{0,61}[a-z0-9](?![\w-]|\.[a-z0-9])/gi;
const IPV4 = /(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d.]*\d)/g;
const IPV6 = /(?<![\w:])[0-9a-f]{0,4}(?::[0-9a-f]{0,4}){2,7}(?![\w:])/gi;
const ISO_TIME = /\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?: ?(?:Z|UTC|GMT)|[+-]\d{2}:?\d{2})?/g;
const MAIL_TIME = /\b(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{1,2} (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}(?::\d{2})? (?:[+-]\d{4}|GMT|UTC)/g;

class Collected {
  readonly urls = new Set<string>();
  readonly hosts = new Set<string>();
  readonly ips = new Set<string>();
  readonly times = new Set<string>();

  constructor(private readonly exclude: ReadonlySet<string>) {}

  /**
   * `named`: written as a URL or in a machine field, so surely a host. A bare
   * word in the text must end in a real public suffix: "index.html" or "e.g"
   * are not hosts.
   */
  host(name: string, named = false): void {
    const parsed = parseHost(name.toLowerCase().replace(/\.$/, ''), { allowPrivateDomains: true });
    if (!parsed.domain || !parsed.hostname || !(named || parsed.isIcann || parsed.isPrivate)) return;
    if (this.exclude.has(parsed.domain) || this.hosts.size >= MAX_DOMAINS * 3) return;
    this.hosts.add(parsed.hostname);
  }

  url(candidate: string): void {
    const url = normaliseUrl(candidate);
    if (!url || this.urls.size >= MAX_URLS) return;
    const host = new URL(url).hostname;
    const ip = normaliseIp(host);
    if (ip) {
      if (!isExternal(ip)) return;
      this.ip(ip);
      this.urls.add(url);
      return;
    }
    const before = this.hosts.size;
    this.host(host, true);
    if (this.hosts.size > before || this.hosts.has(host)) this.urls.add(url);
  }

  ip(candidate: string): void {
    const ip = normaliseIp(candidate);
    if (ip && isExternal(ip) && this.ips.size < MAX_IPS) this.ips.add(ip);
  }

  time(candidate: string): void {
    const at = Date.parse(candidate.replace(/ UTC$| GMT$/, 'Z').replace(' ', 'T'));
    if (!Number.isNaN(at) && this.times.size < MAX_TIMES) this.times.add(new Date(at).toISOString());
  }
}

function scanText(text: string, into: Collected): void {
  const plain = refang(text.length > MAX_SCAN_CHARS ? text.slice(0, MAX_SCAN_CHARS) : text);
  const urls = new Set<string>();
  textUrls(plain.replace(EMAIL, ' '), urls);
  for (const url of urls) into.url(url);
  // URLs first, then what is left: a bare host name, or an IP address.
  const rest = plain.replace(/\b[a-z][a-z0-9+.-]{1,20}:\/\/\S+/gi, ' ').replace(EMAIL, ' ');
  for (const match of rest.matchAll(BARE_HOST)) into.host(match[0]);
  for (const match of rest.matchAll(IPV4)) into.ip(match[0]);
  for (const match of rest.matchAll(IPV6)) if (match[0].includes('::') || match[0].split(':').length === 8) into.ip(match[0]);
  for (const match of plain.matchAll(ISO_TIME)) into.time(match[0]);
  for (const match of plain.matchAll(MAIL_TIME)) into.time(match[0]);
}

/** Field names of the X-ARF layouts whose values name a URL, host or address. */
const XARF_LOCATORS = ['url', 'source_url', 'SourceUrl', 'c2_server', 'domain', 'Domain', 'SourceDomain', 'hostname', 'host', 'source_identifier', 'SourceIp', 'IP', 'URL'];
const XARF_TIMES = ['timestamp', 'first_seen', 'last_seen', 'Date', 'date'];

function scanXarf(value: unknown, into: Collected, depth = 0): void {
  if (depth > 4 || typeof value !== 'object' || value === null) return;
  if (Array.isArray(value)) {
    for (const item of value.slice(0, 50)) scanXarf(item, into, depth + 1);
    return;
  }
  for (const [key, field] of Object.entries(value as Record<string, unknown>)) {
    if (typeof field === 'string' && field.length <= 2048) {
      if (XARF_LOCATORS.includes(key)) locator(field, into);
      else if (XARF_TIMES.includes(key)) into.time(field);
    } else if (key !== 'evidence' && key !== 'Samples' && key !== 'Attachment') {
      // Evidence payloads are base64 samples, read as reported messages elsewhere.
      scanXarf(field, into, depth + 1);
    }
  }
}

/** A value that is a URL, an IP address or a host name. */
function locator(value: string, into: Collected): void {
  const text = refang(value.trim());
  if (/^[a-z][a-z0-9+.-]{1,20}:\/\//i.test(text)) into.url(text);
  else if (normaliseIp(text)) into.ip(text);
  else into.host(text, true);
}

export function reportResources(sources: ReportSources): ReportResources {
  const into = new Collected(new Set(sources.exclude.map((domain) => domain.toLowerCase())));
  scanText(sources.text, into);
  if (sources.html) {
    const targets = new Set<string>();
    htmlLinkTargets(refang(sources.html), targets);
    for (const url of targets) into.url(url);
  }
  for (const file of sources.files) scanText(file, into);
  if (sources.xarf) scanXarf(sources.xarf, into);
  for (const domain of sources.arf?.reportedDomains ?? []) locator(domain, into);
  for (const uri of sources.arf?.reportedUris ?? []) into.url(refang(uri));

  const domains = new Set<string>();
  for (const host of into.hosts) {
    const domain = parseHost(host, { allowPrivateDomains: true }).domain;
    if (domain && domains.size < MAX_DOMAINS) domains.add(domain);
  }
  return { urls: [...into.urls], domains: [...domains], hosts: [...into.hosts], ips: [...into.ips], times: [...into.times].sort() };
}
