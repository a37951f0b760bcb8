import { dkimVerify, spf } from 'mailauth';
import { getDomain } from 'tldts';
import type { DkimEvidence, Resolver, SpfEvidence } from './types.js';

/**
 * DKIM re-verification and SPF evaluation through mailauth, all DNS through
 * the caller's resolver. Failures become results and problems, never throws.
 */

const DNS_TIMEOUT_MS = 5_000;
const AUTH_TIMEOUT_MS = 15_000;
const VOID_CODES = new Set(['ENOTFOUND', 'ENODATA']);

type MailauthResolver = (name: string, rrtype: string) => Promise<string[][] | string[]>;

/** Wraps the resolver with a per-query deadline; failures other than "no such name/data" are recorded. */
export function recordingResolver(resolver: Resolver, problems: string[]): MailauthResolver {
  return async (name, rrtype) => {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(Object.assign(new Error(`DNS ${rrtype} ${name} timed out`), { code: 'ETIMEOUT' })), DNS_TIMEOUT_MS);
    });
    try {
      return (await Promise.race([resolver(name, rrtype), deadline])) as string[][] | string[];
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      if (typeof code !== 'string' || !VOID_CODES.has(code)) {
        if (problems.length < 50) problems.push(`dns: ${rrtype} ${name}: ${typeof code === 'string' ? code : (err as Error).message}`);
      }
      throw err;
    } finally {
      clearTimeout(timer);
    }
  };
}

async function withDeadline<T>(work: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${AUTH_TIMEOUT_MS} ms`)), AUTH_TIMEOUT_MS);
  });
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

export async function verifyDkim(raw: Buffer, resolver: MailauthResolver, now: Date, problems: string[]): Promise<DkimEvidence[]> {
  try {
    const result = await withDeadline(dkimVerify(raw, { resolver, curTime: now }), 'DKIM verification');
    return result.results
      .filter((r) => r.signingDomain)
      .slice(0, 20)
      .map((r) => ({ domain: r.signingDomain.toLowerCase(), selector: r.selector ?? null, result: r.status.result }));
  } catch (err) {
    problems.push(`dkim: ${(err as Error).message}`);
    return [];
  }
}

export async function checkSpf(ip: string, sender: string, resolver: MailauthResolver, problems: string[]): Promise<SpfEvidence | null> {
  try {
    const result = await withDeadline(spf({ ip, sender, mta: 'abuse-desk', resolver }), 'SPF check');
    return { domain: result.domain, ip, result: result.status.result };
  } catch (err) {
    problems.push(`spf: ${(err as Error).message}`);
    return null;
  }
}

/** Relaxed alignment (RFC 7489 3.1): same organisational domain. */
export function aligned(a: string | null | undefined, b: string | null | undefined): boolean {
  if (!a || !b) return false;
  const orgA = getDomain(a) ?? a;
  const orgB = getDomain(b) ?? b;
  return orgA.toLowerCase() === orgB.toLowerCase();
}
