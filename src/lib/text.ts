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

/**
 * NUL and halves of surrogate pairs (a body in a broken UTF-16) go: such words
 * end up in case events, and PostgreSQL takes neither.
 */
export function storableText(text: string): string {
  // eslint-disable-next-line no-control-regex -- NUL is what is removed
  return text.replace(/\u0000/g, '').replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');
}

/** At most `max` UTF-16 units, never cutting a surrogate pair in half. */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  const code = text.charCodeAt(max - 1);
  return text.slice(0, code >= 0xd800 && code <= 0xdbff ? max - 1 : max);
}
