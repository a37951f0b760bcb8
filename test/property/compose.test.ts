import fc from 'fast-check';
import { simpleParser } from 'mailparser';
import { describe, expect, it } from 'vitest';
import { loadBrandsFile } from '../../src/config/brands.js';
import { DEFAULT_BRANDS_FILE } from '../../src/config/index.js';
import { composeMessage, headerSafe, type OutgoingMessage } from '../../src/outbound/compose.js';
import { LoopMarker } from '../../src/outbound/loop-marker.js';

/**
 * CR/LF from mail never reaches an outgoing header. Subjects, message ids
 * and attachment names taken from received mail go into what we send; for
 * any of them the composed message has exactly the header fields we write,
 * every header line is a field or a fold of one, and no decoded value holds
 * a line break or NUL.
 */

const brand = loadBrandsFile(DEFAULT_BRANDS_FILE)[0] as OutgoingMessage['brand'];
const deps = { hostname: 'mx.example.net', loopMarker: new LoopMarker('property-secret'), now: new Date('2026-12-01T10:00:00Z') };

const hostileChar = fc.constantFrom(
  'a', 'Z', '0', ' ', '\t', '\r', '\n', '\r\n', '\0', '\x0b', '\x0c', '\x1b', '\x7f', '\u0085', '\u2028', '\u2029', '\u00e9', '\u{1f600}', '\ud800',
  ':', ';', ',', '<', '>', '@', '"', '\\', '(', ')', '=', '?', '/', '..', '%0d%0a',
);
const hostile = fc.string({ unit: hostileChar, maxLength: 120 });
/** Header injection as people try it. */
const injection = fc
  .tuple(fc.constantFrom('\r\n', '\n', '\r', '\r\n\r\n', '\n\t', '\u2028'), fc.constantFrom('Bcc: victim@evil.test', 'Content-Type: text/html', 'X-Injected: 1', 'To: evil@evil.test'))
  .map(([lineEnd, field]) => `${lineEnd}${field}${lineEnd}`);
const fromMail = fc.oneof(hostile, fc.tuple(hostile, injection, hostile).map(([a, b, c]) => a + b + c));
const messageId = fc.oneof(fromMail, fromMail.map((id) => `<${id}@sender.test>`));

const BASE_FIELDS = ['x-ticket-id', 'x-abuse-desk-loop', 'from', 'to', 'reply-to', 'subject', 'message-id', 'date', 'mime-version', 'content-type'];

/** Field names of a header section, in order; undefined when a line is neither a field nor a fold. */
function fieldNames(section: string): string[] | undefined {
  const names: string[] = [];
  for (const line of section.split('\r\n')) {
    if (/[\r\n]/.test(line)) return undefined;
    if (/^[ \t]/.test(line)) continue;
    const name = /^([!-9;-~]+):/.exec(line)?.[1];
    if (!name) return undefined;
    names.push(name.toLowerCase());
  }
  return names;
}

const headerSection = (raw: string, from = 0): string => raw.slice(from, raw.indexOf('\r\n\r\n', from));

describe('composed messages from hostile mail-derived strings', () => {
  it('headerSafe leaves no line break or control character', () => {
    fc.assert(
      fc.property(fromMail, (value) => {
        // eslint-disable-next-line no-control-regex -- control characters are what is checked for
        expect(headerSafe(value)).not.toMatch(/[\x00-\x1f\x7f\u0085\u2028\u2029]/);
      }),
      { numRuns: 500 },
    );
  });

  it('writes exactly our header fields, whatever the subject, ids and attachment names', async () => {
    await fc.assert(
      fc.asyncProperty(
        fromMail,
        fc.option(messageId, { nil: null }),
        fc.array(messageId, { maxLength: 4 }),
        fc.array(fromMail, { maxLength: 2 }),
        fc.constantFrom<OutgoingMessage['autoSubmitted']>('auto-replied', 'auto-generated', null),
        async (subject, inReplyTo, references, filenames, autoSubmitted) => {
          const composed = await composeMessage(
            {
              caseId: 'case-1',
              ticket: 'ABU-2026-000123',
              brand,
              kind: 'relay',
              role: 'specialist',
              to: 'paul@sender.test',
              subject,
              text: `Body with ${subject}`,
              autoSubmitted,
              fromMailbox: 'abuse',
              replyTo: 'case+abu-2026-000123.0123456789abcdef@example.net',
              inReplyTo,
              references,
              attachments: filenames.map((filename) => ({ filename, content: Buffer.from('evidence'), contentType: 'text/plain' })),
            },
            deps,
          );
          const raw = composed.raw.toString('latin1');
          const names = fieldNames(headerSection(raw));
          const threaded = Boolean(inReplyTo && headerSafe(inReplyTo)) || references.some((ref) => headerSafe(ref) !== '');
          const expected = [
            ...BASE_FIELDS,
            ...(autoSubmitted ? ['auto-submitted', 'x-auto-response-suppress'] : []),
            ...(inReplyTo && headerSafe(inReplyTo) ? ['in-reply-to'] : []),
            ...(threaded ? ['references'] : []),
            ...(filenames.length === 0 ? ['content-transfer-encoding'] : []),
          ];
          expect(names?.slice().sort()).toEqual(expected.sort());

          // Each part: Content-Type, Content-Transfer-Encoding, Content-Disposition, nothing else.
          const boundary = /boundary="([^"]+)"/.exec(headerSection(raw))?.[1];
          if (filenames.length > 0) {
            const parts = raw.split(`\r\n--${boundary}`).slice(1, -1);
            expect(parts).toHaveLength(filenames.length + 1);
            for (const part of parts) {
              const partNames = fieldNames(headerSection(part, 2));
              expect(partNames?.filter((name) => !['content-type', 'content-transfer-encoding', 'content-disposition'].includes(name))).toEqual([]);
            }
          }

          const parsed = await simpleParser(composed.raw);
          const values = [parsed.subject ?? '', parsed.inReplyTo ?? '', ...[parsed.references ?? []].flat(), ...parsed.attachments.map((a) => a.filename ?? '')];
          expect(values.filter((v) => /[\r\n\0]/.test(v))).toEqual([]);
          expect(parsed.attachments).toHaveLength(filenames.length);
          expect(parsed.headers.get('x-ticket-id')).toBe('ABU-2026-000123');
          expect(parsed.to && !Array.isArray(parsed.to) ? parsed.to.value.map((a) => a.address) : []).toEqual(['paul@sender.test']);
          expect(parsed.bcc).toBeUndefined();
        },
      ),
      { numRuns: 300 },
    );
  });
});
