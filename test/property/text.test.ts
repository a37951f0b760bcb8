import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseCommands } from '../../src/cases/commands.js';
import { classifySender } from '../../src/intake/sender-policy.js';
import { readHeaderBlock, type ContentType, type HeaderView, type Mailbox } from '../../src/mail/headers.js';
import { detectLanguage } from '../../src/mail/language.js';
import { replyText } from '../../src/mail/reply-text.js';
import { storableJson, storableString } from '../../src/lib/text.js';

/**
 * The functions that read what people write — command lines, reply text,
 * language, the sender policy — take any text without throwing, and what
 * they pass on is storable (no NUL, no half surrogate pair: PostgreSQL's
 * json refuses both).
 */

const textChar = fc.constantFrom(
  'a', 'e', 'Z', ' ', '\t', '\n', '\r', '\0', '>', '#', '-', '_', '@', '.', ':', '*', '=', '\u00e9', '\u00fc', '\u2028', '\ud800', '\udc00', '\u{1f600}',
);
const lineStarts = ['#assign ', '#assign me', '#extend ', '#extend 2027-02-30 ', '#resolve ', '#action suspend-domain ', '#internal', '#need-info', '#dismiss', '#', '> ', 'On Mon, 1 Dec 2026, A <a@b.c> wrote:', '-- ', 'Op 1 jan schreef A:', 'Dnia ', ''];
const line = fc.tuple(fc.constantFrom(...lineStarts), fc.string({ unit: textChar, maxLength: 60 })).map(([start, rest]) => start + rest);
const text = fc.oneof(
  fc.array(line, { maxLength: 30 }).map((lines) => lines.join('\n')),
  fc.string({ unit: textChar, maxLength: 500 }),
  fc.string({ unit: 'binary', maxLength: 300 }),
);
const UNSTORABLE = /\0|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

describe('values kept as they came (the intake store, evidence)', () => {
  it('storableString leaves storable text alone and puts U+FFFD for each NUL and surrogate half, keeping the length', () => {
    fc.assert(
      fc.property(text, (value) => {
        const kept = storableString(value);
        expect(kept).not.toMatch(UNSTORABLE);
        expect(kept).toHaveLength(value.length);
        expect(storableString(kept)).toBe(kept);
        if (!UNSTORABLE.test(value)) expect(kept).toBe(value);
      }),
      { numRuns: 1000 },
    );
  });

  it('storableJson gives JSON that PostgreSQL takes, with the same shape', () => {
    fc.assert(
      fc.property(fc.dictionary(text, fc.oneof(text, fc.array(text, { maxLength: 3 }), fc.integer(), fc.boolean())), (value) => {
        const json = storableJson(value);
        // An escaped half pair ("\\ud800") is what PostgreSQL's jsonb refuses, as well as the raw one.
        expect(json).not.toMatch(/\\u0000|\\ud[89ab][0-9a-f](?!\\ud[c-f])|(?<!\\ud[89ab][0-9a-f]{2})\\ud[c-f][0-9a-f]{2}/i);
        // Keys are made storable too; two that differ only where U+FFFD goes would become one.
        fc.pre(new Set(Object.keys(value).map(storableString)).size === Object.keys(value).length);
        const back = JSON.parse(json) as Record<string, unknown>;
        const storable = Object.entries(value).every(([key, item]) => [key, item].flat().every((part) => typeof part !== 'string' || !UNSTORABLE.test(part)));
        if (storable) expect(json).toBe(JSON.stringify(value));
        expect(Object.keys(back).sort()).toEqual(Object.keys(value).map(storableString).sort());
        for (const [key, item] of Object.entries(value)) expect(typeof back[storableString(key)]).toBe(typeof item);
      }),
      { numRuns: 500 },
    );
  });
});

describe('command lines and reply text', () => {
  it('replyText never throws, masks what it is told to, and returns storable text', () => {
    fc.assert(
      fc.property(text, fc.constantFrom('jane@example.com', '', 'a.b+c@example.com'), fc.constantFrom('Jane Doe', '', 'J', '(.*)+ x'), (body, address, name) => {
        const visible = replyText(body, { addresses: [address], names: [name] });
        expect(visible).not.toMatch(UNSTORABLE);
        if (address) expect(visible.toLowerCase()).not.toContain(address);
      }),
      { numRuns: 400 },
    );
  });

  it('parseCommands never throws, and every command line is either understood or answered with an error', () => {
    fc.assert(
      fc.property(text, (body) => {
        const parsed = parseCommands(body, 'jane@example.com');
        for (const error of parsed.errors) expect(error.line.startsWith('#')).toBe(true);
        for (const command of parsed.commands) {
          expect(command.line.startsWith('#')).toBe(true);
          if (command.kind === 'action' && command.action.action === 'assign') expect(command.action.to).toMatch(/^[^@\s]+@[^@\s]+\.[^@\s]+$/);
        }
      }),
      { numRuns: 400 },
    );
  });

  it('reads #assign addresses exactly as the one-pattern check did', () => {
    const addressChar = fc.constantFrom('a', '.', '@', '-', ' ', '\t', '+');
    fc.assert(
      fc.property(fc.string({ unit: addressChar, minLength: 1, maxLength: 12 }), (args) => {
        const parsed = parseCommands(`#assign ${args}`, 'jane@example.com');
        // As parseLine sees it: words split at blanks and joined by one space, lower-cased.
        const to = args.trim().split(/\s+/).join(' ').toLowerCase();
        const expected = /^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(to);
        expect(parsed.commands.length === 1).toBe(expected);
      }),
      { numRuns: 500 },
    );
  });

  it('detectLanguage never throws and answers one of the brand languages', () => {
    fc.assert(
      fc.property(text, text, fc.subarray(['en', 'de', 'fr', 'nl'] as const, { minLength: 1 }), (subject, body, languages) => {
        const fallback = languages[0] as (typeof languages)[number];
        expect(languages).toContain(detectLanguage(subject, body, languages, fallback));
      }),
      { numRuns: 300 },
    );
  });
});

describe('the sender policy on arbitrary header views', () => {
  const value = fc.string({ unit: textChar, maxLength: 40 });
  /** A view built directly, so values can hold what readHeaderBlock would never give (line breaks, NUL, half pairs). */
  const view = fc
    .record({
      fields: fc.dictionary(
        fc.oneof(fc.constantFrom('auto-submitted', 'x-autoreply', 'precedence', 'list-id', 'x-arf', 'x-failed-recipients', 'from', 'subject'), fc.string({ maxLength: 8 })),
        fc.array(value, { maxLength: 3 }),
      ),
      from: fc.array(fc.record({ address: value, name: value }), { maxLength: 3 }),
      subject: value,
      contentType: fc.record({ value: fc.constantFrom('text/plain', 'multipart/report', 'message/delivery-status', 'x/y', ''), params: fc.dictionary(fc.constantFrom('report-type', 'charset', 'boundary'), value) }),
    })
    .map(({ fields, from, subject, contentType }): HeaderView => {
      const get = (name: string) => [...(fields[name.toLowerCase()] ?? [])];
      return {
        get,
        getRaw: get,
        first: (name) => get(name)[0],
        has: (name) => name.toLowerCase() in fields,
        // eslint-disable-next-line no-control-regex -- finding control characters is the point
        hasControlCharacters: (name) => get(name).some((v) => /[\x00-\x08\x0a-\x1f\x7f-\x9f]/.test(v)),
        from: from as Mailbox[],
        messageId: undefined,
        inReplyTo: undefined,
        references: [],
        subject,
        contentType: contentType as ContentType,
        truncated: false,
      };
    });

  it('classifySender never throws on built views', () => {
    fc.assert(
      fc.property(view, value, fc.boolean(), (headers, envelopeFrom, acceptMachineReports) => {
        const decision = classifySender({ envelopeFrom, headers, acceptMachineReports });
        expect(['person', 'machine_report', 'refused']).toContain(decision.kind);
        if (decision.kind === 'refused') expect(decision.error.responseCode).toBeGreaterThanOrEqual(500);
      }),
      { numRuns: 500 },
    );
  });

  it('classifySender never throws on views read from arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 1024 }), value, (bytes, envelopeFrom) => {
        const decision = classifySender({ envelopeFrom, headers: readHeaderBlock(Buffer.from(bytes)), acceptMachineReports: true });
        expect(['person', 'machine_report', 'refused']).toContain(decision.kind);
      }),
      { numRuns: 300 },
    );
  });
});
