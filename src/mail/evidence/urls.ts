import { LinkifyIt } from 'linkify-it';
import { getDomain } from 'tldts';

/**
 * URLs a message advertises: links in its text (linkify-it, also bare
 * "example.biz" and "www.example.biz") and link targets in its HTML
 * (href/src attributes). Input is hostile, so the text is scanned one
 * whitespace-delimited segment at a time, overlong segments are skipped and
 * the number of URLs is capped.
 */

export const MAX_URLS = 200;
const MAX_SCAN_CHARS = 1024 * 1024;
const MAX_SEGMENT_CHARS = 2048;
const MAX_URL_CHARS = 2048;

// linkify-it knows only a short list of TLDs for links without a scheme;
// add the newer ones spam favours.
const EXTRA_TLDS = [
  'xyz', 'top', 'online', 'site', 'club', 'store', 'app', 'dev', 'link', 'click', 'live', 'icu', 'vip', 'win', 'bid',
  'loan', 'work', 'space', 'website', 'tech', 'fun', 'life', 'world', 'today', 'email', 'digital', 'cloud', 'page',
  'buzz', 'rest', 'cyou', 'sbs', 'cfd', 'monster', 'quest', 'bond', 'shop', 'best', 'support', 'services', 'help',
];

const linkify = new LinkifyIt({ fuzzyLink: true, fuzzyEmail: false, fuzzyIP: true });
linkify.tlds(EXTRA_TLDS, true);

/** http(s) URL with a lower-cased punycode host, or null. */
export function normaliseUrl(candidate: string): string | null {
  if (candidate.length > MAX_URL_CHARS) return null;
  let url: URL;
  try {
    url = new URL(/^[a-z][a-z0-9+.-]{0,20}:/i.test(candidate) ? candidate : `http://${candidate}`);
  } catch {
    return null;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
  if (!url.hostname) return null;
  return url.href;
}

/** The registrable domain of a URL's host (public suffix list), or null for IPs and bare suffixes. */
export function urlDomain(url: string): string | null {
  try {
    const host = new URL(url).hostname;
    return getDomain(host) ?? null;
  } catch {
    return null;
  }
}

export function textUrls(text: string, into: Set<string>): void {
  const scan = text.length > MAX_SCAN_CHARS ? text.slice(0, MAX_SCAN_CHARS) : text;
  for (const segment of scan.split(/\s+/)) {
    if (into.size >= MAX_URLS) return;
    if (segment.length < 4 || segment.length > MAX_SEGMENT_CHARS || !segment.includes('.')) continue;
    for (const match of linkify.match(segment) ?? []) {
      const url = normaliseUrl(match.url);
      if (url) into.add(url);
      if (into.size >= MAX_URLS) return;
    }
  }
}

/** Values of href= and src= attributes, found by plain string search. */
export function htmlLinkTargets(html: string, into: Set<string>): void {
  const scan = html.length > MAX_SCAN_CHARS ? html.slice(0, MAX_SCAN_CHARS) : html;
  const lower = scan.toLowerCase();
  for (const attribute of ['href', 'src', 'action']) {
    let pos = 0;
    while (into.size < MAX_URLS) {
      const found = lower.indexOf(attribute, pos);
      if (found < 0) break;
      pos = found + attribute.length;
      const value = attributeValue(scan, pos);
      if (!value) continue;
      const url = normaliseUrl(decodeEntities(value.trim()));
      if (url) into.add(url);
    }
  }
}

/** After `href`: optional spaces, '=', optional spaces, then a quoted or bare value. */
function attributeValue(html: string, from: number): string | null {
  let i = from;
  while (html.charAt(i) === ' ' || html.charAt(i) === '\t' || html.charAt(i) === '\n' || html.charAt(i) === '\r') i += 1;
  if (html.charAt(i) !== '=') return null;
  i += 1;
  while (html.charAt(i) === ' ' || html.charAt(i) === '\t' || html.charAt(i) === '\n' || html.charAt(i) === '\r') i += 1;
  const quote = html.charAt(i);
  if (quote === '"' || quote === "'") {
    const end = html.indexOf(quote, i + 1);
    return end < 0 ? null : html.slice(i + 1, Math.min(end, i + 1 + MAX_URL_CHARS));
  }
  let end = i;
  while (end < html.length && end - i < MAX_URL_CHARS && !' \t\r\n>'.includes(html.charAt(end))) end += 1;
  return end > i ? html.slice(i, end) : null;
}

function decodeEntities(value: string): string {
  return value.replace(/&amp;/gi, '&').replace(/&#0*58;|&colon;/gi, ':').replace(/&#0*47;|&sol;/gi, '/');
}
