import { Readable } from 'node:stream';
import fc from 'fast-check';
import { dkimVerify, type DNSResolver } from 'mailauth';
import { describe, expect, it } from 'vitest';
import { createZoneResolver } from '../../src/dns/resolver.js';
import { buildMessage, SENDER_DOMAIN, SENDER_KEY, signMessage, testZone } from '../support/mail.js';

/**
 * mailauth finds where the header ends while the message streams in, and our
 * patch (`patches/mailauth+*.patch`) changed how it carries the last bytes
 * from one chunk to the next. Wherever the chunks are cut, and with CRLF or
 * bare LF line ends, a signed message must verify exactly as it does in one
 * piece: a header end found one byte early or late breaks the body hash or the
 * header hash. An unsigned copy with a changed body must still fail.
 */

const resolver = createZoneResolver(testZone()) as unknown as DNSResolver;

const headerValue = fc.string({ unit: fc.constantFrom('a', 'B', ' ', '-', ':', ';', '=', '\r', '\n'), maxLength: 60 }).map((value) =>
  // keep each extra field one (possibly folded) field: a line break must be followed by white space
  value.replace(/\r?\n|\r/g, '\r\n ').trimEnd(),
);
const bodyText = fc.string({ unit: fc.constantFrom('x', 'Y', ' ', '\t', '.', '\n', '\r\n', '\n\n', '\r\n\r\n'), maxLength: 200 });

const message = fc.record({
  extra: fc.array(fc.tuple(fc.constantFrom('X-Note', 'Comments', 'Keywords'), headerValue), { maxLength: 4 }),
  text: bodyText,
  bareLf: fc.boolean(),
});

/** Cut points inside the message, as sorted distinct offsets. */
const cuts = fc.array(fc.nat(), { maxLength: 12 });

function chunked(raw: Buffer, at: number[]): Readable {
  const points = [...new Set(at.map((point) => point % (raw.length + 1)))].sort((a, b) => a - b);
  const pieces: Buffer[] = [];
  let from = 0;
  for (const point of points) {
    pieces.push(raw.subarray(from, point));
    from = point;
  }
  pieces.push(raw.subarray(from));
  return Readable.from(pieces.filter((piece) => piece.length > 0));
}

async function verdict(input: Buffer | Readable): Promise<string[]> {
  const result = await dkimVerify(input, { resolver });
  return (result.results ?? []).map((row) => `${row.status?.result}:${row.status?.comment ?? ''}`);
}

describe('DKIM verification does not depend on how the message is cut into chunks', () => {
  it('a signed message verifies the same in one piece and in any chunks, with CRLF or bare LF', async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(message, cuts, async (spec, at) => {
        n += 1;
        const plain = buildMessage({
          from: `Complainant <c${n}@${SENDER_DOMAIN}>`,
          to: 'complaints@example.net',
          subject: `Chunking ${n}`,
          text: spec.text,
          headers: spec.extra,
          messageId: `chunk-${n}@${SENDER_DOMAIN}`,
        });
        const signed = await signMessage(plain, SENDER_KEY);
        const raw = spec.bareLf ? Buffer.from(signed.toString('latin1').replace(/\r\n/g, '\n'), 'latin1') : signed;
        const whole = await verdict(raw);
        expect(whole[0]).toMatch(/^pass:/);
        expect(await verdict(chunked(raw, at))).toEqual(whole);
      }),
      { numRuns: 150 },
    );
  });

  it('a body changed after signing fails however it is cut', async () => {
    const signed = await signMessage(buildMessage({ from: `C <c@${SENDER_DOMAIN}>`, to: 'complaints@example.net', subject: 'Tampered', text: 'original text\n' }), SENDER_KEY);
    const tampered = Buffer.from(signed.toString('latin1').replace('original text', 'changed text!'), 'latin1');
    await fc.assert(
      fc.asyncProperty(cuts, async (at) => {
        expect((await verdict(chunked(tampered, at)))[0]).toBe('neutral:body hash did not verify');
      }),
      { numRuns: 60 },
    );
  });
});
