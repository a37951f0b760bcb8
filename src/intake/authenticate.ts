import type { Readable } from 'node:stream';
import { arc, dkimVerify, dmarc, spf, type ARCData, type DNSResolver } from 'mailauth';
import type { DnsResolver } from '../dns/resolver.js';
import { isAligned } from './alignment.js';

export type { DnsResolver } from '../dns/resolver.js';

export interface SessionFacts {
  /** Connecting client IP. */
  ip: string;
  helo: string;
  /** MAIL FROM; '' for the null reverse-path. */
  sender: string;
  /** Our host name, for Authentication-Results. */
  mta: string;
}

export interface DkimSignatureVerdict {
  domain: string;
  selector: string;
  result: string;
  aligned: boolean;
}

/** What SPF, DKIM, DMARC and ARC said about a message, stored with it. */
export interface Verdict {
  fromAddresses: string[];
  fromDomain: string | null;
  spf: { result: string; domain: string | null; aligned: boolean };
  dkim: DkimSignatureVerdict[];
  dmarc: { result: string; policy: string | null; domain: string | null };
  arc: { result: string };
  /** The From domain is aligned (relaxed) with a passing SPF or DKIM result. */
  verified: boolean;
  alignedBy: 'dkim' | 'spf' | null;
  /** A DNS failure left the answer open: the sender should retry. */
  temperror: boolean;
  authenticationResults: string;
}

export interface AuthenticateDeps {
  resolver: DnsResolver;
  /** Fixes "now" for DKIM timestamp and expiry checks (tests). */
  now?: () => Date;
}

interface MailauthDkimRow {
  signingDomain?: string;
  selector?: string;
  info?: string;
  status?: { result?: string; underSized?: number };
  signingHeaders?: { keys?: string };
}

/**
 * A passing signature vouches for the sender only when it signs the From
 * header (mailauth passes signatures whose h= leaves it out, which RFC 6376
 * forbids) and the whole body (an l= limit lets anyone append text).
 */
function vouchesForFrom(row: MailauthDkimRow): boolean {
  return /(^|[:\s])from($|[:\s])/i.test(row.signingHeaders?.keys ?? '') && !row.status?.underSized;
}

/**
 * Runs SPF, DKIM, ARC and DMARC through mailauth's public checks (composed here
 * rather than through `authenticate()` so the clock can be injected and BIMI,
 * which nothing here uses, costs no lookups), then applies our rule: a sender is
 * verified when the From domain aligns with a passing SPF or DKIM result, whether
 * or not the domain publishes DMARC.
 */
export async function authenticateMessage(raw: Buffer | Readable, facts: SessionFacts, deps: AuthenticateDeps): Promise<Verdict> {
  const curTime = deps.now?.();
  // Our resolver returns every record type; mailauth's declaration only names TXT's shape.
  const resolver = deps.resolver as DNSResolver;
  const dkimResult = await dkimVerify(raw, { resolver, sender: facts.sender || undefined, curTime });
  const helo = facts.helo || facts.ip;
  const spfResult = await spf({
    sender: facts.sender,
    ip: facts.ip,
    helo: /^[\d.]+$|:/.test(helo) ? `[${helo}]` : helo,
    mta: facts.mta,
    resolver,
  });
  // dkimVerify collects the ARC chain while it parses; an absent chain is an empty one.
  const arcResult = await arc((dkimResult.arc ?? { chain: [] }) as ARCData, { resolver });

  const fromAddresses: string[] = (dkimResult.headerFrom ?? []).map((address: string) => address.toLowerCase());
  const fromDomain = fromAddresses.length === 1 ? domainOf(fromAddresses[0] as string) : null;

  const spfDomain: string | null = spfResult?.domain ?? null;
  const spfPass = spfResult?.status?.result === 'pass';
  const spfAligned = Boolean(fromDomain && spfPass && spfDomain && isAligned(fromDomain, spfDomain));

  const dkim: DkimSignatureVerdict[] = ((dkimResult.results ?? []) as MailauthDkimRow[]).map((row) => {
    const domain = (row.signingDomain ?? '').toLowerCase();
    const result = row.status?.result ?? 'none';
    return {
      domain,
      selector: row.selector ?? '',
      result,
      aligned: Boolean(fromDomain && result === 'pass' && domain && vouchesForFrom(row) && isAligned(fromDomain, domain)),
    };
  });
  const dkimAligned = dkim.some((signature) => signature.aligned);

  let dmarcResult: { status?: { result?: string }; policy?: string; domain?: string; info?: string } | false = false;
  if (fromAddresses.length === 1) {
    dmarcResult = await dmarc({
      headerFrom: fromAddresses[0] as string,
      spfDomains: spfPass && spfDomain ? [spfDomain] : [],
      dkimDomains: dkim.filter((signature) => signature.result === 'pass').map((signature) => ({ domain: signature.domain })),
      arcResult,
      resolver,
    });
  }

  const dmarcVerdict = {
    result: (dmarcResult && dmarcResult.status?.result) || 'none',
    policy: (dmarcResult && dmarcResult.policy) || null,
    domain: (dmarcResult && dmarcResult.domain) || null,
  };
  const verified = spfAligned || dkimAligned;
  const temperror =
    !verified &&
    (spfResult?.status?.result === 'temperror' ||
      dkim.some((signature) => signature.result === 'temperror') ||
      dmarcVerdict.result === 'temperror');

  const rows = [
    ...((dkimResult.results ?? []) as MailauthDkimRow[]).map((row) => row.info).filter(Boolean),
    spfResult?.info,
    arcResult?.info,
    dmarcResult ? dmarcResult.info : undefined,
  ].filter((row): row is string => typeof row === 'string' && row.length > 0);

  return {
    fromAddresses,
    fromDomain,
    spf: { result: spfResult?.status?.result ?? 'none', domain: spfDomain, aligned: spfAligned },
    dkim,
    dmarc: dmarcVerdict,
    arc: { result: arcResult?.status?.result ?? 'none' },
    verified,
    alignedBy: dkimAligned ? 'dkim' : spfAligned ? 'spf' : null,
    temperror,
    authenticationResults: `${facts.mta}; ${rows.length ? rows.join('; ') : 'none'}`,
  };
}

function domainOf(address: string): string | null {
  const at = address.lastIndexOf('@');
  return at > 0 && at < address.length - 1 ? address.slice(at + 1) : null;
}
