/**
 * Small text helpers for strings that come from mail or from people, written
 * as scans where the obvious regular expression backtracks on hostile input.
 */

/**
 * local@domain with a dot inside the domain. The one-pattern form,
 * /^[^@\s]+@[^@\s]+\.[^@\s]+$/, backtracks quadratically on a long domain of
 * dots; this pattern cannot, and the dot is found by a scan.
 */
export function isEmailAddress(value: string): boolean {
  return value.length <= 320 && /^[^@\s]+@[^@\s]+$/.test(value) && value.slice(value.indexOf('@') + 2, -1).includes('.');
}

/** Trailing blanks removed by a scan: `/[ \t]+$/gm` is quadratic on a long run of blanks that does not end a line. */
export function trimLineEnds(text: string): string {
  return text
    .split('\n')
    .map((line) => {
      let end = line.length;
      while (end > 0 && (line[end - 1] === ' ' || line[end - 1] === '\t')) end--;
      return line.slice(0, end);
    })
    .join('\n');
}

// PostgreSQL's text and json types take neither NUL nor half of a surrogate
// pair, and broken or hostile mail brings both (a NUL in a header, a body in a
// broken UTF-16, an ISO-2022-JP word that is really Shift_JIS). Left in, the
// statement that stores them fails on every retry.
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
const UNSTORABLE = new RegExp(`\\u0000|${LONE_SURROGATE.source}`, 'g');

/** Text for reading (words that end up in case events): NUL removed, a lone surrogate half as U+FFFD. */
export function storableText(text: string): string {
  // eslint-disable-next-line no-control-regex -- NUL is what is removed
  return text.replace(/\u0000/g, '').replace(LONE_SURROGATE, '\ufffd');
}

/** A value kept as it came (an address, a Message-ID, a header word): NUL and lone surrogate halves as U+FFFD, nothing removed. */
export function storableString(text: string): string {
  return text.replace(UNSTORABLE, '\ufffd');
}

// JSON.stringify writes NUL and a lone surrogate half as escapes; without one the text is stored as it is.
const UNSTORABLE_ESCAPE = /\\u(0000|d[89a-f])/i;

/**
 * The JSON text of a value with `storableString` applied to every string in it,
 * keys too, for a json/jsonb column. Most values need nothing, and plain
 * JSON.stringify is several times faster than with a replacer, so that comes
 * first (an escaped backslash before "u0000" only costs the slow path).
 */
export function storableJson(value: unknown): string {
  const json = JSON.stringify(value);
  if (!UNSTORABLE_ESCAPE.test(json)) return json;
  return JSON.stringify(value, (_key, item: unknown) => {
    if (typeof item === 'string') return storableString(item);
    if (item === null || typeof item !== 'object' || Array.isArray(item)) return item;
    const entries = Object.entries(item);
    return entries.some(([key]) => storableString(key) !== key) ? Object.fromEntries(entries.map(([key, inner]) => [storableString(key), inner])) : item;
  });
}

/** At most `max` UTF-16 units, never cutting a surrogate pair in half. */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  const code = text.charCodeAt(max - 1);
  return text.slice(0, code >= 0xd800 && code <= 0xdbff ? max - 1 : max);
}
