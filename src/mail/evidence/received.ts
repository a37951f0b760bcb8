import { collapse } from './headers.js';
import { isExternal, matchCidr, normaliseIp } from './ip.js';
import type { ReceivedHop } from './types.js';

/**
 * Received header parsing (RFC 5321 section 4.4 and the common MTA variants):
 *   from helo (rdns [ip]) by host with proto id x for <rcpt>; date
 * Exim's "from [ip] (helo=x)", qmail's "from unknown (HELO x) (ip)" and
 * Microsoft's "from host ([ip]) by host with Microsoft SMTPSVC" read the same.
 * Tokens are walked once with a parenthesis depth; nothing backtracks.
 */

const MAX_RECEIVED_CHARS = 4096;
const CLAUSES = new Set(['from', 'by', 'via', 'with', 'id', 'for']);
const HOSTNAME = /^[a-z0-9_-]{1,63}(?:\.[a-z0-9_-]{1,63}){0,20}\.?$/i;

interface Clauses {
  from: string[];
  by: string[];
}

function splitClauses(text: string): Clauses {
  const clauses: Clauses = { from: [], by: [] };
  let current: string[] | null = null;
  let depth = 0;
  for (const token of text.split(' ')) {
    if (token.length === 0) continue;
    const keyword = token.toLowerCase();
    if (depth === 0 && CLAUSES.has(keyword)) {
      current = keyword === 'from' ? clauses.from : keyword === 'by' ? clauses.by : null;
      if (current && current.length > 0) current = null; // a second "from" is not the sending host
      continue;
    }
    current?.push(token);
    for (const ch of token) {
      if (ch === '(') depth += 1;
      else if (ch === ')' && depth > 0) depth -= 1;
    }
  }
  return clauses;
}

/** Strips any of `lead` from the start and `trail` from the end, without a regex. */
function trimEnds(text: string, lead: string, trail: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && lead.includes(text.charAt(start))) start += 1;
  while (end > start && trail.includes(text.charAt(end - 1))) end -= 1;
  return text.slice(start, end);
}

function hostName(token: string | undefined): string | undefined {
  if (!token || token.startsWith('(') || token.startsWith('[')) return undefined;
  const name = trimEnds(token, '', ';,').toLowerCase();
  return HOSTNAME.test(name) && name.includes('.') ? name.replace(/\.$/, '') : undefined;
}

/** The first address literal of the from clause: bracketed first, then bare tokens in comments. */
function clauseIp(tokens: string[]): string | undefined {
  const text = tokens.join(' ');
  let pos = 0;
  while (pos < text.length) {
    const open = text.indexOf('[', pos);
    if (open < 0) break;
    const close = text.indexOf(']', open);
    if (close < 0) break;
    const ip = normaliseIp(text.slice(open + 1, close));
    if (ip) return ip;
    pos = close + 1;
  }
  for (const token of tokens) {
    const bare = trimEnds(token, '([', ')],;');
    const at = bare.lastIndexOf('@'); // qmail: (user@192.0.2.1)
    const ip = normaliseIp(at >= 0 ? bare.slice(at + 1) : bare);
    if (ip) return ip;
  }
  return undefined;
}

/** The rDNS name a receiving server recorded: "(name [ip])". */
function clauseRdns(tokens: string[]): string | undefined {
  for (let i = 1; i < tokens.length; i += 1) {
    const token = tokens[i] ?? '';
    if (!token.startsWith('(')) continue;
    const name = hostName(token.slice(1));
    if (name && name !== 'unknown') return name;
  }
  return undefined;
}

export function parseReceived(value: string): ReceivedHop {
  const text = collapse(value.slice(0, MAX_RECEIVED_CHARS));
  const semicolon = text.lastIndexOf(';');
  const hop: ReceivedHop = {};
  if (semicolon >= 0) {
    const when = Date.parse(text.slice(semicolon + 1).trim());
    if (Number.isFinite(when)) hop.at = new Date(when).toISOString();
  }
  const clauses = splitClauses(semicolon >= 0 ? text.slice(0, semicolon) : text);
  const from = hostName(clauses.from[0]);
  if (from) hop.from = from;
  const rdns = clauseRdns(clauses.from);
  if (rdns) hop.rdns = rdns;
  const by = hostName(clauses.by[0]);
  if (by) hop.by = by;
  const ip = clauseIp(clauses.from);
  if (ip) hop.ip = ip;
  return hop;
}

/**
 * Walking from the top (the hop nearest the recipient), the sending IP of the
 * first hop handed over from outside: not internal, not one of our trusted
 * relays, and not a hop inside the reporter's own mail provider. A provider hop
 * is one written by a provider host (`by`) about a provider host, as the
 * receiving server's reverse lookup named it (the HELO name is the sender's
 * claim and proves nothing). Hops below the origin were written by machines we
 * cannot trust, so the walk stops there.
 */
export function originOf(chain: ReceivedHop[], trustedRelays: readonly string[], isProviderHost: (host: string) => boolean = () => false): { ip: string; index: number } | null {
  for (let index = 0; index < chain.length; index += 1) {
    const hop = chain[index];
    const ip = hop?.ip;
    if (!ip || !isExternal(ip)) continue;
    if (matchCidr(ip, trustedRelays)) continue;
    if (hop.by && hop.rdns && isProviderHost(hop.by) && isProviderHost(hop.rdns)) continue;
    return { ip, index };
  }
  return null;
}

/** Mail server names on the sending side: the origin hop and everything below it. */
export function senderSideServers(chain: ReceivedHop[], originIndex: number | null): string[] {
  const names = new Set<string>();
  const start = originIndex ?? 0;
  for (let i = start; i < chain.length; i += 1) {
    const hop = chain[i];
    if (!hop) continue;
    if (hop.from) names.add(hop.from);
    if (hop.rdns) names.add(hop.rdns);
    if (i > start && hop.by) names.add(hop.by);
  }
  return [...names];
}

export function allServers(chain: ReceivedHop[]): string[] {
  const names = new Set<string>();
  for (const hop of chain) {
    for (const name of [hop.from, hop.rdns, hop.by]) if (name) names.add(name);
  }
  return [...names];
}
