import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { headerToken, readHeaderBlock, type HeaderView } from '../../src/mail/headers.js';

/**
 * The header reader is what intake decides on before anything else has
 * looked at a message, so it must take any bytes: it never throws, its
 * values never carry a line break or NUL, and it finishes in time however
 * the header section is folded, broken or stuffed.
 */

const NAMES = ['From', 'To', 'Subject', 'Message-ID', 'In-Reply-To', 'References', 'Content-Type', 'Auto-Submitted', 'Received', 'X-Arf', 'List-Id', 'Precedence'];
const LINE_ENDS = ['\r\n', '\n', '\r', '\r\r\n', ''];

/** Characters that break naive header code: line ends, NUL, 8-bit, MIME and address syntax. */
const hostileChar = fc.constantFrom(
  'a', 'Z', '0', ' ', '\t', '\r', '\n', '\0', '\x0b', '\x7f', '\x80', '\x9f', '\xa0', '\xe9', '\xff',
  ':', ';', ',', '<', '>', '@', '"', '\\', '(', ')', '=', '?', '.', '[', ']', '\u2028', '\ud800', '\u00e9', '\u{1f600}',
);
const hostileText = fc.string({ unit: hostileChar, maxLength: 120 });
const encodedWord = fc
  .tuple(fc.constantFrom('utf-8', 'iso-8859-1', 'ISO-2022-JP', 'x-unknown', 'utf-16', ''), fc.constantFrom('B', 'Q', 'b', 'x'), hostileText)
  .map(([charset, encoding, text]) => `=?${charset}?${encoding}?${encoding.toLowerCase() === 'b' ? Buffer.from(text, 'latin1').toString('base64') : text}?=`);
const fieldName = fc.oneof(fc.constantFrom(...NAMES), fc.string({ unit: hostileChar, minLength: 1, maxLength: 12 }));
const fieldValue = fc.array(fc.oneof(hostileText, encodedWord), { maxLength: 4 }).map((parts) => parts.join(' '));
const field = fc
  .tuple(fieldName, fc.constantFrom(':', ' :', ':\t', ''), fieldValue, fc.array(fc.tuple(fc.constantFrom(' ', '\t'), fieldValue), { maxLength: 3 }), fc.constantFrom(...LINE_ENDS))
  .map(([name, colon, value, folds, end]) => `${name}${colon}${value}${folds.map(([ws, more]) => `${end}${ws}${more}`).join('')}${end}`);
const message = fc
  .tuple(fc.array(field, { maxLength: 12 }), fc.constantFrom('', '\r\n', '\n', '\r'), hostileText)
  .map(([fields, blank, body]) => Buffer.from(`${fields.join('')}${blank}${body}`, 'utf8'));
const bytes = fc.uint8Array({ maxLength: 2048 }).map((array) => Buffer.from(array));

const LINE_BREAK_OR_NUL = /[\r\n\0]/;
/** PostgreSQL's json refuses these; the view's values end up in case events. */
const UNPAIRED_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Every accessor, as intake and the case handlers use them; each string checked for line breaks. */
function touch(view: HeaderView, names: string[]): void {
  const strings = [
    ...names.flatMap((name) => [...view.get(name), ...view.getRaw(name), view.first(name) ?? '']),
    ...view.from.flatMap((mailbox) => [mailbox.address, mailbox.name]),
    view.messageId ?? '',
    view.inReplyTo ?? '',
    ...view.references,
    view.subject,
    view.contentType.value,
    ...Object.values(view.contentType.params),
  ];
  for (const name of names) view.has(name);
  // Plain loops, not one expect per value: a view may hold 100k references.
  expect(strings.filter((value) => LINE_BREAK_OR_NUL.test(value) || UNPAIRED_SURROGATE.test(value))).toEqual([]);
  const ids = [view.messageId, view.inReplyTo, ...view.references].filter((id): id is string => id !== undefined);
  expect(ids.filter((id) => /\s/.test(id))).toEqual([]);
  expect(typeof view.truncated).toBe('boolean');
}

function timed<T>(fn: () => T): { value: T; ms: number } {
  const started = performance.now();
  const value = fn();
  return { value, ms: performance.now() - started };
}

describe('readHeaderBlock on arbitrary input', () => {
  it('never throws on structured hostile headers, and its values carry no line break, NUL or half surrogate pair', () => {
    fc.assert(
      fc.property(message, fc.array(fieldName, { maxLength: 3 }), (raw, names) => {
        touch(readHeaderBlock(raw), [...NAMES, ...names]);
      }),
      { numRuns: 500 },
    );
  });

  it('never throws on arbitrary bytes, with any byte limit', () => {
    fc.assert(
      fc.property(bytes, fc.integer({ min: -10, max: 4096 }), (raw, limit) => {
        touch(readHeaderBlock(raw, limit), NAMES);
      }),
      { numRuns: 500 },
    );
  });

  it('never throws on arbitrary Unicode written as UTF-8', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 500 }), (text) => {
        touch(readHeaderBlock(Buffer.from(text, 'utf8')), NAMES);
      }),
      { numRuns: 300 },
    );
  });

  it('headerToken never throws and never returns a line break', () => {
    fc.assert(
      fc.property(fc.string({ unit: hostileChar, maxLength: 300 }), (value) => {
        expect(headerToken(value)).not.toMatch(/[\r\n]/);
      }),
      { numRuns: 500 },
    );
  });

  it('turns encoded words that decode to half surrogate pairs into U+FFFD (sisimai lhost-postfix-09)', () => {
    const broken = '=?ISO-2022-JP?B?gaGL2Yt9kmyJuoKwgUmBSYGhiWaJ5oFFg0GDaoOBgUWDWIN8gVuDY4FFibmKeYH0jouSrpe/lrOXv4LFjKmV+pHogaE=?=';
    const utf16 = `=?utf-16le?B?${Buffer.from([0x00, 0xd8, 0x41, 0x00, 0x00, 0xdc]).toString('base64')}?=`;
    const view = readHeaderBlock(Buffer.from(`From: ${broken} <a@sender.test>\r\nSubject: ${broken} ${utf16}\r\n\r\n`));
    expect(view.subject).toContain('\ufffd');
    touch(view, NAMES);
  });

  const MB = 1024 * 1024;
  const shapes: Array<[string, () => Buffer]> = [
    ['one huge folded Subject', () => Buffer.from(`Subject: start\r\n${' folded more words\r\n'.repeat(60_000)}\r\nbody`)],
    ['one 1 MiB line', () => Buffer.from(`Subject: ${'a'.repeat(MB)}\r\n\r\n`)],
    ['a 1 MiB field name', () => Buffer.from(`${'X'.repeat(MB)}: value\r\n\r\n`)],
    ['a 1 MiB name with blanks before no colon', () => Buffer.from(`${'X'.repeat(MB / 2)}${' '.repeat(MB / 2)}\r\n\r\n`)],
    ['1 MiB of lone CR', () => Buffer.alloc(MB, '\r')],
    ['1 MiB of LF', () => Buffer.alloc(MB, '\n')],
    ['1 MiB of NUL', () => Buffer.alloc(MB, 0)],
    ['1 MiB of 8-bit', () => Buffer.alloc(MB, 0xe9)],
    ['many short fields', () => Buffer.from('X-A: b\r\n'.repeat(40_000))],
    ['References of 100k brackets', () => Buffer.from(`References: ${'<'.repeat(100_000)}${'>'.repeat(100_000)}\r\n\r\n`)],
    ['References of 50k ids', () => Buffer.from(`References: ${'<a@b> '.repeat(40_000)}\r\n\r\n`)],
    ['References without brackets', () => Buffer.from(`References: ${'a, '.repeat(80_000)}\r\n\r\n`)],
    ['an unterminated encoded word', () => Buffer.from(`Subject: =?utf-8?q?${'a'.repeat(200_000)}\r\n\r\n`)],
    ['100k encoded words', () => Buffer.from(`Subject: ${'=?utf-8?b?YQ==?= '.repeat(14_000)}\r\n\r\n`)],
    ['From with 50k addresses', () => Buffer.from(`From: ${'a@b.c, '.repeat(35_000)}\r\n\r\n`)],
    ['From of quotes and angles', () => Buffer.from(`From: ${'"<'.repeat(100_000)}\r\n\r\n`)],
    ['Content-Type with 20k parameters', () => Buffer.from(`Content-Type: text/plain${'; a*0*=x'.repeat(20_000)}\r\n\r\n`)],
    ['Content-Type of nested comments', () => Buffer.from(`Content-Type: ${'('.repeat(100_000)}text/plain\r\n\r\n`)],
  ];

  it.each(shapes)('finishes in bounded time on %s', (_name, make) => {
    const raw = make();
    const { value: view, ms } = timed(() => {
      const headerView = readHeaderBlock(raw);
      touch(headerView, NAMES);
      return headerView;
    });
    expect(view).toBeDefined();
    // Linear work on at most 256 KiB of header: far below this even on a busy machine.
    expect(ms).toBeLessThan(2_000);
  });
});
