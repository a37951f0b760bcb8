import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildEvidence, type EvidenceDeps } from '../../src/mail/evidence/index.js';
import { bodyText, parseMessage, UnparseableMessageError } from '../../src/mail/parse.js';

/**
 * MIME as strangers write it: nested multiparts whose boundaries are
 * missing, repeated or clashing, unknown charsets and encodings, NUL and
 * 8-bit bodies, forwarded messages inside reports. Parsing either succeeds
 * or says the message is unparseable; evidence is always worked out, and is
 * always storable (PostgreSQL's json takes no NUL and no half surrogate pair).
 */

const deps: EvidenceDeps = {
  resolver: async (name) => {
    throw Object.assign(new Error(`queryA ENOTFOUND ${name}`), { code: 'ENOTFOUND' });
  },
  trustedRelays: [],
  lookup: { domain: () => null, ip: () => null, infrastructure: [] },
  now: new Date('2026-12-01T00:00:00Z'),
  limits: { timeoutMs: 5_000 },
};

const bodyChar = fc.constantFrom('a', ' ', '\r\n', '\n', '\r', '\0', '\xe9', '\xff', '=', '=\r\n', '-', '--', '.', 'http://spam.example/x ', '<a href="http://x.example">', '\ud800');
const body = fc.string({ unit: bodyChar, maxLength: 80 });
const charset = fc.constantFrom('utf-8', 'us-ascii', 'iso-8859-1', 'utf-16', 'utf-16le', 'iso-2022-jp', 'x-unknown', '"', '');
const encoding = fc.constantFrom('7bit', '8bit', 'base64', 'quoted-printable', 'x-uuencode', 'binary', 'bogus');
const leafType = fc.constantFrom('text/plain', 'text/html', 'application/octet-stream', 'message/rfc822', 'message/feedback-report', 'application/json', 'image/png', '', 'text');
const boundaryName = fc.constantFrom('b', 'b1', 'a b', '', '"', '--', 'x'.repeat(80), '=_?');

type Part = { kind: 'leaf'; type: string; charset: string; encoding: string; filename: string | null; body: string } | { kind: 'multi'; subtype: string; boundary: string; parts: Part[]; close: boolean; preamble: string };

const part: fc.Arbitrary<Part> = fc.letrec<{ part: Part }>((tie) => ({
  part: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.record({ kind: fc.constant('leaf' as const), type: leafType, charset, encoding, filename: fc.option(fc.constantFrom('spam.eml', '../x', 'a\r\nb', ''), { nil: null }), body }),
    fc.record({
      kind: fc.constant('multi' as const),
      subtype: fc.constantFrom('mixed', 'alternative', 'report; report-type=feedback-report', 'digest', 'related'),
      boundary: boundaryName,
      parts: fc.array(tie('part'), { maxLength: 3 }),
      close: fc.boolean(),
      preamble: body,
    }),
  ),
})).part;

function render(node: Part): string {
  if (node.kind === 'leaf') {
    const disposition = node.filename === null ? '' : `Content-Disposition: attachment; filename="${node.filename}"\r\n`;
    return `Content-Type: ${node.type}; charset=${node.charset}\r\nContent-Transfer-Encoding: ${node.encoding}\r\n${disposition}\r\n${node.body}`;
  }
  const inner = node.parts.map((child) => `\r\n--${node.boundary}\r\n${render(child)}`).join('');
  return `Content-Type: multipart/${node.subtype}; boundary="${node.boundary}"\r\n\r\n${node.preamble}${inner}${node.close ? `\r\n--${node.boundary}--\r\n` : ''}`;
}

const message = fc
  .tuple(part, fc.constantFrom('Spam report', '=?utf-8?b?/w==?=', '=?x-unknown?q?a?=', ''))
  .map(([root, subject]) => Buffer.from(`From: Rita <rita@sender.test>\r\nTo: abuse@example.net\r\nSubject: ${subject}\r\nMIME-Version: 1.0\r\n${render(root)}`, 'latin1'));

/** JSON.stringify escapes a NUL and a half pair (and only those, of what is checked here); whole pairs it writes as they are. */
const UNSTORABLE = /\\u0000|\\ud[89a-f][0-9a-f]{2}/i;

describe('MIME handling on generated hostile structures', () => {
  it('parseMessage resolves or says unparseable; bodyText never throws', async () => {
    await fc.assert(
      fc.asyncProperty(message, async (raw) => {
        try {
          const parsed = await parseMessage(raw, 5_000);
          expect(typeof bodyText(parsed)).toBe('string');
        } catch (error) {
          expect(error).toBeInstanceOf(UnparseableMessageError);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('buildEvidence never throws, and its JSON is storable', async () => {
    await fc.assert(
      fc.asyncProperty(message, async (raw) => {
        const evidence = await buildEvidence(raw, deps);
        expect(JSON.stringify(evidence)).not.toMatch(UNSTORABLE);
      }),
      { numRuns: 150 },
    );
  });
});
