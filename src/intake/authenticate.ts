import type { Readable } from 'node:stream';
import { arc, dkimVerify, dmarc, spf, type ARCData, type DNSResolver } from 'mailauth';
import type { DnsResolver } from '../dns/resolver.js';
import { readHeaderBlock } from '../mail/headers.js';
import { isAligned } from './alignment.js';
import { normaliseAddress, readSenderIdentity, type SenderIdentity } from './sender-identity.js';

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
  /** The sender identity (src/intake/sender-identity.ts): what the case uses, and what was verified. */
  fromAddresses: string[];
  fromDomain: string | null;
  /** mailauth read From differently from us: the message is refused, whatever else passed. */
  fromAmbiguous?: boolean;
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

/** What SPF, DKIM and ARC said about the message, before anyone asks whom it is from. */
export interface MessageChecks {
  /** The From addresses as mailauth read them, only to compare with our own reading. */
  mailauthFrom: string[];
  spf: { result: string; domain: string | null; info?: string };
  dkim: MailauthDkimRow[];
  arc: { result: string; raw: unknown; info?: string };
}

/**
 * Runs SPF, DKIM and ARC through mailauth's public checks (composed here
 * rather than through `authenticate()` so the clock can be injected and BIMI,
 * which nothing here uses, costs no lookups). Works on a stream, so a large
 * message is checked while it arrives.
 */
export async function checkMessage(raw: Buffer | Readable, facts: SessionFacts, deps: AuthenticateDeps): Promise<MessageChecks> {
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
  return {
    mailauthFrom: (dkimResult.headerFrom ?? []) as string[],
    spf: { result: spfResult?.status?.result ?? 'none', domain: spfResult?.domain ?? null, info: spfResult?.info },
    dkim: (dkimResult.results ?? []) as MailauthDkimRow[],
    arc: { result: arcResult?.status?.result ?? 'none', raw: arcResult, info: arcResult?.info },
  };
}

/**
 * Our rule, applied to the one reading of From (src/intake/sender-identity.ts):
 * a sender is verified when the identity's domain aligns with a passing SPF or
 * DKIM result, whether or not the domain publishes DMARC; DMARC is evaluated for
 * that same domain. `identity` is null when From could not be read.
 */
export async function verifySender(checks: MessageChecks, identity: SenderIdentity | null, facts: SessionFacts, deps: AuthenticateDeps): Promise<Verdict> {
  const resolver = deps.resolver as DNSResolver;
  const fromDomain = identity?.domain ?? null;
  const fromAddresses = identity ? [identity.address] : [];
  const mailauthFrom = checks.mailauthFrom.map((address) => normaliseAddress(address) ?? address.toLowerCase());
  const fromAmbiguous = mailauthFrom.length !== fromAddresses.length || mailauthFrom.some((address, i) => address !== fromAddresses[i]);

  const spfDomain = checks.spf.domain;
  const spfPass = checks.spf.result === 'pass';
  const spfAligned = Boolean(fromDomain && spfPass && spfDomain && isAligned(fromDomain, spfDomain));

  const dkim: DkimSignatureVerdict[] = checks.dkim.map((row) => {
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
  if (identity) {
    dmarcResult = await dmarc({
      headerFrom: identity.address,
      spfDomains: spfPass && spfDomain ? [spfDomain] : [],
      dkimDomains: dkim.filter((signature) => signature.result === 'pass').map((signature) => ({ domain: signature.domain })),
      arcResult: checks.arc.raw as Parameters<typeof dmarc>[0]['arcResult'],
      resolver,
    });
  }

  const dmarcVerdict = {
    result: (dmarcResult && dmarcResult.status?.result) || 'none',
    policy: (dmarcResult && dmarcResult.policy) || null,
    domain: (dmarcResult && dmarcResult.domain) || null,
  };
  const verified = !fromAmbiguous && (spfAligned || dkimAligned);
  const temperror =
    !verified &&
    (checks.spf.result === 'temperror' ||
      dkim.some((signature) => signature.result === 'temperror') ||
      dmarcVerdict.result === 'temperror');

  const rows = [
    ...checks.dkim.map((row) => row.info).filter(Boolean),
    checks.spf.info,
    checks.arc.info,
    dmarcResult ? dmarcResult.info : undefined,
  ].filter((row): row is string => typeof row === 'string' && row.length > 0);

  return {
    fromAddresses,
    fromDomain,
    fromAmbiguous,
    spf: { result: checks.spf.result, domain: spfDomain, aligned: spfAligned },
    dkim,
    dmarc: dmarcVerdict,
    arc: { result: checks.arc.result },
    verified,
    alignedBy: !verified ? null : dkimAligned ? 'dkim' : 'spf',
    temperror,
    authenticationResults: `${facts.mta}; ${rows.length ? rows.join('; ') : 'none'}`,
  };
}

/** Both steps for a message held in memory, with From read from its own header block. */
export async function authenticateMessage(raw: Buffer, facts: SessionFacts, deps: AuthenticateDeps): Promise<Verdict> {
  const reading = readSenderIdentity(readHeaderBlock(raw));
  return verifySender(await checkMessage(raw, facts, deps), reading.kind === 'identity' ? reading.identity : null, facts, deps);
}
