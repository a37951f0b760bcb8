import type { Language } from '../../config/brands.js';
import { trimLineEnds } from '../../lib/text.js';

/** Region-specific locales: en-GB writes "Tuesday, 5 January 2027", as a European registrar would. */
const LOCALE: Readonly<Record<Language, string>> = {
  en: 'en-GB',
  de: 'de-DE',
  fr: 'fr-FR',
  nl: 'nl-NL',
};

function checkedDate(date: Date): Date {
  // Intl throws a bare "Invalid time value"; name what went wrong instead.
  if (!(date instanceof Date) || Number.isNaN(date.getTime())) {
    throw new RangeError(`template date is not a valid Date: ${String(date)}`);
  }
  return date;
}

const DATE: Intl.DateTimeFormatOptions = { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' };
const DATE_TIME: Intl.DateTimeFormatOptions = { ...DATE, hour: '2-digit', minute: '2-digit', timeZoneName: 'short' };

/** Building a formatter costs far more than using one; every message formats dates. */
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(kind: 'date' | 'dateTime', language: Language, timeZone: string): Intl.DateTimeFormat {
  const key = `${kind}|${language}|${timeZone}`;
  let format = formatters.get(key);
  if (!format) {
    format = new Intl.DateTimeFormat(LOCALE[language], { ...(kind === 'date' ? DATE : DATE_TIME), timeZone });
    formatters.set(key, format);
  }
  return format;
}

/** "Tuesday, 5 January 2027" / "Dienstag, 5. Januar 2027" / "mardi 5 janvier 2027" / "dinsdag 5 januari 2027". */
export function formatDate(date: Date, language: Language, timeZone: string): string {
  return formatter('date', language, timeZone).format(checkedDate(date));
}

/** Date and time with the zone's abbreviation, for staff: "Tuesday, 5 January 2027 at 17:00 CET". */
export function formatDateTime(date: Date, language: Language, timeZone: string): string {
  return formatter('dateTime', language, timeZone).format(checkedDate(date));
}

const languageNames = new Intl.DisplayNames(['en'], { type: 'language' });

/** The language's name in English, for staff ("German"). */
export function languageName(language: Language): string {
  return languageNames.of(language) ?? language;
}

/** Subject fragments come from strangers: one line, no control characters, bounded. */
export function oneLine(text: string, max = 150): string {
  // eslint-disable-next-line no-control-regex
  const flat = text.replace(/[\u0000-\u001f\u007f]+/g, ' ').replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1).trimEnd()}…` : flat;
}

/** "Prefix: original subject", or just the prefix when the original had none. French passes " : ". */
export function withSubject(prefix: string, original: string, separator = ': '): string {
  const rest = oneLine(original);
  return rest ? `${prefix}${separator}${rest}` : prefix;
}

/** Text written by someone else (a specialist, the evidence module): kept as written, minus stray blank edges. */
export function verbatim(text: string): string {
  return trimLineEnds(text.replace(/\r\n?/g, '\n')).replace(/^\n+|\n+$/g, '');
}

/** Joins the parts that are present with blank lines and ends with a newline. */
export function paragraphs(...parts: ReadonlyArray<string | false | null | undefined>): string {
  return `${parts.filter((part): part is string => typeof part === 'string' && part.trim() !== '').join('\n\n')}\n`;
}

export function bullets(items: readonly string[]): string {
  return items.map((item) => `- ${item}`).join('\n');
}

export function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Masks each address wherever it appears, also percent-encoded as in
 * tracking links ("jane%40example.org"), ignoring case.
 */
export function maskAddresses(text: string, addresses: readonly string[], placeholder: string): string {
  let masked = text;
  for (const raw of addresses) {
    const address = raw.trim();
    if (!address.includes('@')) continue;
    const [local, domain] = [address.slice(0, address.lastIndexOf('@')), address.slice(address.lastIndexOf('@') + 1)];
    const pattern = `${escapeRegExp(local)}(?:@|%40)${escapeRegExp(domain)}`;
    masked = masked.replace(new RegExp(pattern, 'gi'), placeholder);
  }
  return masked;
}
