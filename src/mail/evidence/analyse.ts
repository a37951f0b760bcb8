import { getDomain } from 'tldts';
import { aligned, checkSpf, recordingResolver, verifyDkim } from './auth.js';
import { addressDomain, bareAddress, bodyOffset, first, headerFields, values } from './headers.js';
import { parseMime } from './mime.js';
import { allServers, originOf, parseReceived, senderSideServers } from './received.js';
import type { DkimEvidence, EvidenceDomain, ReportedMessageEvidence, Resolver, SpfEvidence } from './types.js';
import { htmlLinkTargets, MAX_URLS, textUrls, urlDomain } from './urls.js';

/**
 * What one reported message says about its origin: the Received chain and
 * the first hop outside our trusted relays, the sender identities and whether
 * DKIM or SPF still vouch for them, and every domain it advertises.
 */

export interface AnalyseOptions {
  resolver: Resolver;
  /** CIDRs of relays whose Received lines we believe (the recipient's side). */
  trustedRelays: string[];
  /** Registrable domains of the reporter's own mail provider (their domain, their MX hosts'). */
  providerDomains?: string[];
  now?: Date;
  timeoutMs?: number;
}

const MAX_HOPS = 100;
const MAX_DOMAINS = 200;
const MAX_TEXT_CHARS = 64 * 1024;

interface AddressValue {
  value?: Array<{ address?: string }>;
}

function registrable(host: string): string {
  return (getDomain(host) ?? host).toLowerCase();
}

class DomainSet {
  private readonly byKey = new Map<string, EvidenceDomain>();

  add(host: string | null | undefined, role: EvidenceDomain['role'], via?: 'from' | 'return-path' | 'dkim', verified = false): void {
    if (!host || this.byKey.size >= MAX_DOMAINS) return;
    const domain = registrable(host);
    if (!domain.includes('.')) return;
    const key = `${role} ${domain}`;
    let entry = this.byKey.get(key);
    if (!entry) {
      entry = role === 'sender' ? { domain, role, verified: false, via: [] } : { domain, role };
      this.byKey.set(key, entry);
    }
    if (via && entry.via && !entry.via.includes(via)) entry.via.push(via);
    if (verified) entry.verified = true;
  }

  list(): EvidenceDomain[] {
    return [...this.byKey.values()];
  }
}

function fromAddressOf(headers: Map<string, unknown>, fallback: string | undefined): string | null {
  const from = headers.get('from') as AddressValue | undefined;
  const address = from?.value?.find((v) => v.address)?.address;
  return address ?? bareAddress(fallback);
}

function isoDate(value: unknown): string | null {
  return value instanceof Date && Number.isFinite(value.getTime()) ? value.toISOString() : null;
}

function isAligned(fromDomain: string | null, dkim: DkimEvidence[], spf: SpfEvidence | null): boolean {
  if (!fromDomain) return false;
  if (dkim.some((d) => d.result === 'pass' && aligned(d.domain, fromDomain))) return true;
  return spf?.result === 'pass' && aligned(spf.domain, fromDomain);
}

/** A header-only block needs the empty line that ends a header section before mailauth sees its headers. */
function withHeaderEnd(raw: Buffer): Buffer {
  if (bodyOffset(raw) < raw.length || raw.length === 0) return raw;
  const lineEnd = raw.includes('\r\n') ? '\r\n' : '\n';
  const last = raw[raw.length - 1];
  return Buffer.concat([raw, Buffer.from(last === 0x0a ? lineEnd : lineEnd + lineEnd)]);
}

export async function analyseReportedMessage(input: Buffer, opts: AnalyseOptions): Promise<ReportedMessageEvidence> {
  const raw = withHeaderEnd(input);
  const problems: string[] = [];
  const now = opts.now ?? new Date();
  const fields = headerFields(raw);
  const receivedChain = values(fields, 'received').slice(0, MAX_HOPS).map(parseReceived);
  const provider = new Set(opts.providerDomains ?? []);
  const origin = originOf(receivedChain, opts.trustedRelays, (host) => provider.has(registrable(host)));
  const returnPath = bareAddress(first(fields, 'return-path'));
  const envelopeDomain = addressDomain(returnPath);

  const parsed = await parseMime(raw, { timeoutMs: opts.timeoutMs ?? 10_000, maxParts: 100, maxAttachmentBytes: 1, maxTextChars: 1024 * 1024 });
  problems.push(...parsed.problems);
  const fromAddress = fromAddressOf(parsed.headers, first(fields, 'from'));
  const fromDomain = addressDomain(fromAddress);

  const resolver = recordingResolver(opts.resolver, problems);
  const [dkim, spf] = await Promise.all([
    verifyDkim(raw, resolver, now, problems),
    origin && returnPath && envelopeDomain ? checkSpf(origin.ip, returnPath, resolver, problems) : Promise.resolve(null),
  ]);
  const fromVerified = isAligned(fromDomain, dkim, spf);

  const urlSet = new Set<string>();
  textUrls(parsed.text, urlSet);
  htmlLinkTargets(parsed.html, urlSet);
  const urls = [...urlSet].slice(0, MAX_URLS);

  const domains = new DomainSet();
  for (const url of urls) domains.add(urlDomain(url), 'advertised');
  domains.add(fromDomain, 'sender', 'from', fromVerified);
  domains.add(envelopeDomain, 'sender', 'return-path', spf?.result === 'pass');
  for (const signature of dkim) domains.add(signature.domain, 'sender', 'dkim', signature.result === 'pass');
  for (const server of senderSideServers(receivedChain, origin?.index ?? null)) domains.add(server, 'infrastructure');

  const subject = parsed.headers.get('subject');
  const messageId = parsed.headers.get('message-id');
  return {
    originIp: origin?.ip ?? null,
    receivedChain,
    returnPath,
    fromAddress,
    fromDomain,
    fromVerified,
    dkim,
    spf,
    urls,
    domains: domains.list(),
    mailServers: allServers(receivedChain),
    attachmentNames: parsed.attachments.map((a) => a.filename).filter((n): n is string => !!n).slice(0, 50),
    subject: typeof subject === 'string' ? subject : null,
    messageId: typeof messageId === 'string' ? messageId : null,
    date: isoDate(parsed.headers.get('date')),
    text: parsed.text.slice(0, MAX_TEXT_CHARS),
    problems,
  };
}
