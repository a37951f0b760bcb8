import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { headerToken, readHeaderBlock } from '../../src/mail/headers.js';

const fixture = (name: string): Buffer => readFileSync(new URL(`../../fixtures/policy/${name}`, import.meta.url));
const crlf = (text: string): Buffer => Buffer.from(text.replace(/\r?\n/g, '\r\n'), 'utf8');

describe('readHeaderBlock', () => {
  it('reads the typed fields of an ordinary message', () => {
    const h = readHeaderBlock(fixture('person-plain.eml'));
    expect(h.from).toEqual([{ address: 'jane.doe@example.org', name: 'Jane Doe' }]);
    expect(h.subject).toBe('Phishing site hosted on a domain of yours');
    expect(h.messageId).toBe('<20260112091401.4f2a@example.org>');
    expect(h.inReplyTo).toBeUndefined();
    expect(h.references).toEqual([]);
    expect(h.contentType).toEqual({ value: 'text/plain', params: { charset: 'utf-8' } });
    expect(h.truncated).toBe(false);
    // Case-insensitive names, unfolded values.
    expect(h.first('RECEIVED')).toBe(
      'from mail.example.org (mail.example.org [192.0.2.10])\tby mx.registrar.test with ESMTPS id 4Xk2p1abcd\tfor <abuse@registrar.test>; Mon, 12 Jan 2026 09:14:03 +0100',
    );
    expect(h.get('x-missing')).toEqual([]);
    expect(h.first('x-missing')).toBeUndefined();
    expect(h.has('Mime-Version')).toBe(true);
  });

  it('reads only the top-level header section, not headers of attached messages', () => {
    const h = readHeaderBlock(fixture('person-multipart.eml'));
    expect(h.contentType.value).toBe('multipart/mixed');
    expect(h.contentType.params.boundary).toBe('=_b1_7d3f');
    expect(h.has('auto-submitted')).toBe(false);
    expect(h.has('list-unsubscribe')).toBe(false);
    expect(h.from.map((m) => m.address)).toEqual(['jane.doe@example.org']);
  });

  it('decodes ISO-8859-1 and windows-1252 encoded words, and threading ids', () => {
    const h = readHeaderBlock(fixture('person-latin1-from.eml'));
    expect(h.from).toEqual([{ address: 'juergen.mueller@example.de', name: 'Jürgen Müller' }]);
    expect(h.subject).toBe('Beschwerde – Spam von Ihrer Domain');
    expect(h.inReplyTo).toBe('<ABU-2026-000042.ack@registrar.test>');
    expect(h.references).toEqual(['<20260105101500.11aa@example.de>', '<ABU-2026-000042.ack@registrar.test>']);
    // get() decodes, getRaw() leaves structured values alone.
    expect(h.getRaw('subject')[0]).toBe('=?windows-1252?Q?Beschwerde_=96_Spam_von_Ihrer_Domain?=');
  });

  it('gives the same view for CRLF, LF-only and CR-only line ends', () => {
    const raw = fixture('person-latin1-from.eml').toString('latin1');
    const views = [raw, raw.replace(/\r\n/g, '\n'), raw.replace(/\r\n/g, '\r')].map((text) => {
      const h = readHeaderBlock(Buffer.from(text, 'latin1'));
      return { from: h.from, subject: h.subject, refs: h.references, received: h.get('received'), ct: h.contentType, mime: h.get('mime-version') };
    });
    expect(views[1]).toEqual(views[0]);
    expect(views[2]).toEqual(views[0]);
    expect(views[0]?.mime).toEqual(['1.0']);
  });

  it('takes raw 8-bit header bytes as UTF-8 when valid, else as windows-1252', () => {
    const utf8 = readHeaderBlock(crlf('From: Jürgen Grüße <j@exämple.de>\nSubject: Größe – ok\n\nbody'));
    expect(utf8.from).toEqual([{ address: 'j@exämple.de', name: 'Jürgen Grüße' }]);
    expect(utf8.subject).toBe('Größe – ok');
    const latin = readHeaderBlock(Buffer.concat([Buffer.from('Subject: Gr'), Buffer.from([0xf6, 0xdf, 0x65, 0x20, 0x96]), Buffer.from(' x\r\n\r\n')]));
    expect(latin.subject).toBe('Größe – x');
  });

  it('parses the From field before decoding, so decoded names cannot add addresses', () => {
    const h = readHeaderBlock(crlf('From: "Doe, Jane" <jane@example.org>\nFrom: =?utf-8?B?PGV2aWxAZXhhbXBsZS5uZXQ+?= <jane@example.org>\n\n'));
    expect(h.from).toEqual([
      { address: 'jane@example.org', name: 'Doe, Jane' },
      { address: 'jane@example.org', name: '<evil@example.net>' },
    ]);
    expect(h.get('from')).toHaveLength(2);
  });

  it('collects every address of every From field, flattening groups', () => {
    const h = readHeaderBlock(crlf('From: a@example.org, B <b@example.org>\nFrom: team: c@example.org;\n\n'));
    expect(h.from.map((m) => m.address)).toEqual(['a@example.org', 'b@example.org', 'c@example.org']);
  });

  it('parses Content-Type parameters: quoted, folded, RFC 2231 continuations, comments', () => {
    const h = readHeaderBlock(
      crlf('Content-Type: Multipart/Report (a comment);\n\treport-type="Delivery-Status";\n boundary="b; 1";\n title*0=a; title*1=b\n\n'),
    );
    expect(h.contentType.value).toBe('multipart/report');
    expect(h.contentType.params).toMatchObject({ 'report-type': 'Delivery-Status', boundary: 'b; 1', title: 'ab' });
  });

  it('falls back to text/plain for a missing or unreadable Content-Type', () => {
    expect(readHeaderBlock(crlf('Subject: x\n\n')).contentType).toEqual({ value: 'text/plain', params: { charset: 'us-ascii' } });
    expect(readHeaderBlock(crlf('Content-Type: ;;; ===\n\n')).contentType.value).toBe('text/plain');
    expect(readHeaderBlock(crlf('Content-Type: text\n\n')).contentType.value).toBe('text/plain');
  });

  it('treats the whole message as headers when the blank line is missing', () => {
    const h = readHeaderBlock(crlf('From: jane@example.org\nSubject: no body\nX-Last: yes'));
    expect(h.subject).toBe('no body');
    expect(h.first('x-last')).toBe('yes');
    expect(h.truncated).toBe(false);
  });

  it('skips lines that are not fields (mbox From_ line, broken folds) without losing later fields', () => {
    const h = readHeaderBlock(
      crlf(' leading continuation\nFrom MAILER-DAEMON Sat Oct  4 08:00:09 2025\nSubject: first\nthis line lost its fold\nFrom : Jane <jane@example.org>\n\t(via webmail)\nX-Ünicode: no\nTo: abuse@registrar.test\n\nBody: not a header\n'),
    );
    expect(h.subject).toBe('first');
    expect(h.from).toEqual([{ address: 'jane@example.org', name: 'Jane' }]);
    expect(h.get('from')).toEqual(['Jane <jane@example.org>\t(via webmail)']);
    expect(h.first('to')).toBe('abuse@registrar.test');
    expect(h.has('body')).toBe(false);
    expect(h.has('x-ünicode')).toBe(false);
  });

  it('does not end the section at a stray CR inside a CRLF message', () => {
    const h = readHeaderBlock(Buffer.from('Subject: a\r\r\nX-After: yes\r\n\r\nbody'));
    expect(h.first('x-after')).toBe('yes');
    expect(h.subject).toBe('a');
  });

  it('is bounded by maxBytes and drops a line the limit cut', () => {
    const head = 'Subject: kept\r\nX-Pad: ' + 'x'.repeat(100) + '\r\n';
    const raw = Buffer.from(head + 'X-Cut: this line is cut by the limit\r\n\r\nbody');
    const h = readHeaderBlock(raw, head.length + 10);
    expect(h.subject).toBe('kept');
    expect(h.has('x-pad')).toBe(true);
    expect(h.has('x-cut')).toBe(false);
    expect(h.truncated).toBe(true);
    expect(readHeaderBlock(raw).truncated).toBe(false);
    const cutAtLineEnd = readHeaderBlock(raw, head.length);
    expect(cutAtLineEnd.truncated).toBe(true);
    expect(cutAtLineEnd.has('x-pad')).toBe(true);
  });

  it('returns an empty view for garbage and never throws', () => {
    const inputs = [
      Buffer.alloc(0),
      Buffer.from('\r\n\r\n'),
      Buffer.from([0, 1, 2, 0xff, 0xfe, 10, 13, 0]),
      Buffer.alloc(300 * 1024, 0x41), // one endless line
      Buffer.from('no colon anywhere\nnor here\n'),
    ];
    for (const raw of inputs) {
      const h = readHeaderBlock(raw);
      expect(h.from).toEqual([]);
      expect(h.subject).toBe('');
      expect(h.messageId).toBeUndefined();
      expect(h.references).toEqual([]);
      expect(h.contentType.value).toBe('text/plain');
    }
  });

  it('stays fast on hostile values', () => {
    const hostile = [
      'Subject: ' + '=?'.repeat(60_000),
      'Subject: ' + '=?utf-8?Q?'.repeat(20_000),
      'From: ' + '<'.repeat(100_000),
      'From: ' + '"a'.repeat(50_000),
      'References: ' + '<a'.repeat(100_000),
      'Content-Type: text/plain' + '; a*0="x'.repeat(20_000),
    ];
    const started = performance.now();
    for (const line of hostile) {
      const h = readHeaderBlock(Buffer.from(`${line}\r\n\r\n`));
      void h.from;
      void h.subject;
    }
    expect(performance.now() - started).toBeLessThan(2_000);
  });

  it('never throws on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2_000 }), (bytes) => {
        const h = readHeaderBlock(Buffer.from(bytes), 1_000);
        expect(Array.isArray(h.from)).toBe(true);
        expect(typeof h.subject).toBe('string');
      }),
      { numRuns: 300 },
    );
    const headerish = fc.array(fc.oneof(fc.constantFrom('From: ', 'Subject: ', ' ', '\t', '\r', '\n', '\r\n', ':', '<', '>', '"', '(', ')', ',', ';', '=?utf-8?B?', '=?x?Q?', '?=', '@', 'ä'), fc.string()), { maxLength: 60 });
    fc.assert(
      fc.property(headerish, (parts) => {
        const h = readHeaderBlock(Buffer.from(parts.join(''), 'utf8'));
        expect(typeof h.contentType.value).toBe('string');
        expect(h.from.every((m) => typeof m.address === 'string')).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});

describe('headerToken', () => {
  it.each([
    ['auto-replied', 'auto-replied'],
    ['Auto-Replied (vacation)', 'auto-replied'],
    ['(c) no (nested (comment) here)', 'no'],
    ['auto-generated; owner-email="a@b"', 'auto-generated'],
    ['no \\(escaped', 'no (escaped'],
    ['  BULK  ', 'bulk'],
    ['((unclosed', ''],
    ['', ''],
  ])('%j gives %j', (value, token) => {
    expect(headerToken(value)).toBe(token);
  });
});
