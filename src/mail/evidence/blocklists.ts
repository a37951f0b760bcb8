import ipaddr from 'ipaddr.js';

/**
 * Reading a domain blocklist's answer (RFC 5782 style: the domain under the
 * list's zone, an A record when listed). Each list documents its own codes:
 *
 * - Spamhaus DBL: 127.0.1.2–127.0.1.99 a domain registered for abuse,
 *   127.0.1.102–127.0.1.199 a legitimate domain that was compromised or
 *   abused; 127.255.255.x means the query itself was refused (public
 *   resolver, over the free limit), which is no evidence either way.
 * - Any other list: an answer in 127.0.0.0/24 means listed.
 */

export type BlocklistMeaning = 'malicious' | 'compromised' | 'listed' | 'not_listed' | 'refused' | 'unavailable';

export interface BlocklistFinding {
  zone: string;
  meaning: BlocklistMeaning;
  /** The A records the list answered with. */
  codes: string[];
  /** What the meaning rests on, for the specialist. */
  source: string;
}

export function isSpamhausDbl(zone: string): boolean {
  const name = zone.toLowerCase();
  return name === 'dbl.spamhaus.org' || name.endsWith('.dbl.dq.spamhaus.net') || name.endsWith('.dbl.spamhaus.org');
}

function octets(code: string): number[] | null {
  if (!ipaddr.IPv4.isValidFourPartDecimal(code)) return null;
  return code.split('.').map(Number);
}

function dblMeaning(code: string): BlocklistMeaning | null {
  const o = octets(code);
  if (!o) return null;
  const [a, b, c, d] = o as [number, number, number, number];
  if (a !== 127) return null;
  if (b === 255 && c === 255) return 'refused';
  if (b === 0 && c === 1 && d >= 2 && d <= 99) return 'malicious';
  if (b === 0 && c === 1 && d >= 102 && d <= 199) return 'compromised';
  return null;
}

function genericMeaning(code: string): BlocklistMeaning | null {
  const o = octets(code);
  return o && o[0] === 127 && o[1] === 0 && o[2] === 0 ? 'listed' : null;
}

// The strongest reading wins when a list answers with several codes.
const STRENGTH: BlocklistMeaning[] = ['unavailable', 'refused', 'not_listed', 'listed', 'compromised', 'malicious'];

/** The meaning of a list's answer; codes outside its documented ranges are ignored. */
export function readBlocklistAnswer(zone: string, codes: string[]): BlocklistFinding {
  const dbl = isSpamhausDbl(zone);
  let meaning: BlocklistMeaning = 'not_listed';
  let known = false;
  for (const code of codes) {
    const read = dbl ? dblMeaning(code) : genericMeaning(code);
    if (!read) continue;
    if (!known || STRENGTH.indexOf(read) > STRENGTH.indexOf(meaning)) meaning = read;
    known = true;
  }
  const source = codes.length === 0 ? zone : `${zone} answered ${codes.slice(0, 5).join(', ')}`;
  return { zone, meaning, codes: codes.slice(0, 10), source: known || codes.length === 0 ? source : `${source} (codes outside the list's documented ranges)` };
}
