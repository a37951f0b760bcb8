import { domainToASCII } from 'node:url';
import { getDomain } from 'tldts';

/**
 * Relaxed DMARC alignment (RFC 7489 3.1, 3.2): two domains align when they
 * share an organizational domain, the registrable domain under the public
 * suffix list.
 *
 * Private PSL entries count as public suffixes (github.io, uk.com,
 * blogspot.com, ...): each name under them belongs to a different party, so
 * `victim.github.io` must not align with `attacker.github.io`. The PSL's own
 * test cases (publicsuffix/list tests.txt, e.g. `uk.com` → none) assume the
 * same, as does OpenDMARC.
 */

/**
 * The registrable domain (public suffix plus one label), lower-cased; null
 * for a public suffix itself or a malformed name (empty label, leading dot).
 */
export function registrableDomain(domain: string): string | null {
  const name = normalize(domain);
  if (!name) return null;
  return getDomain(name, { allowPrivateDomains: true, extractHostname: false, validateHostname: false });
}

/**
 * The organizational domain for alignment; a name without one (a public
 * suffix, a malformed name) is its own, so it aligns only with itself.
 */
export function organizationalDomain(domain: string): string {
  return registrableDomain(domain) ?? normalize(domain) ?? domain.trim().toLowerCase();
}

/** Relaxed alignment of the From domain with an SPF or DKIM domain; U-labels and A-labels compare equal. */
export function isAligned(fromDomain: string, authDomain: string): boolean {
  const from = normalize(fromDomain);
  const auth = normalize(authDomain);
  if (!from || !auth) return false;
  if (ascii(from) === ascii(auth)) return true;
  const fromOrg = registrableDomain(from);
  const authOrg = registrableDomain(auth);
  return fromOrg !== null && authOrg !== null && ascii(fromOrg) === ascii(authOrg);
}

/**
 * Lower case, one trailing dot dropped; null when a label is empty or the
 * name is no host name at all (a domain literal such as `[192.0.2.1]`).
 */
function normalize(domain: string): string | null {
  const name = domain.trim().toLowerCase().replace(/\.$/, '');
  if (name === '' || name.split('.').some((label) => label === '')) return null;
  if (domainToASCII(name) === '') return null;
  return name;
}

function ascii(domain: string): string {
  return domainToASCII(domain);
}
