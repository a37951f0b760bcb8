import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ReplyTokens } from '../../src/outbound/reply-address.js';
import { loadBrandsFile } from '../../src/config/brands.js';
import { DEFAULT_BRANDS_FILE } from '../../src/config/index.js';
import { SmtpError } from '../../src/smtp/errors.js';
import { RecipientRouter } from '../../src/smtp/recipients.js';

/**
 * Addresses from RCPT TO are the first thing a stranger controls. The reply
 * token check never throws and never lets a wrong token through; the router
 * never throws and never routes outside the brands' own domains, so the
 * server can never relay.
 */

const tokens = new ReplyTokens('property-test-secret');
const brands = loadBrandsFile(DEFAULT_BRANDS_FILE);
const ourDomains = new Set(brands.flatMap((brand) => brand.domains));
const router = new RecipientRouter(brands, tokens);

const ticket = fc
  .tuple(fc.constantFrom('ABU', 'CMP', 'FBK', 'abu', 'Xyz'), fc.integer({ min: 0, max: 9999 }), fc.integer({ min: 0, max: 999_999_999 }))
  .map(([prefix, year, number]) => `${prefix}-${String(year).padStart(4, '0')}-${String(number).padStart(6, '0')}`);
const hex = fc.string({ unit: fc.constantFrom(...'0123456789abcdefABCDEF'), minLength: 0, maxLength: 70 });
const addressChar = fc.constantFrom('a', 'Z', '0', '.', '-', '+', '@', '"', '\\', ' ', '\0', '\r', '\n', '<', '>', '%', '!', '[', ']', ':', '\u00e9', '\u0130', '\u212a');
const junk = fc.string({ unit: addressChar, maxLength: 80 });

/** Local parts near the real shape: right ticket and wrong token, case games, extra characters. */
const localPart = fc.oneof(
  junk,
  fc.string({ unit: 'binary', maxLength: 60 }),
  fc.tuple(ticket, hex).map(([t, token]) => `case+${t}.${token}`),
  fc.tuple(ticket, hex, junk).map(([t, token, extra]) => `case+${t}.${token}${extra}`),
  fc.tuple(junk, ticket).map(([extra, t]) => `${extra}case+${t.toLowerCase()}.${tokens.token(t)}`),
  ticket.map((t) => `CASE+${t.toUpperCase()}.${tokens.token(t).toUpperCase()}`),
);

function isRightToken(local: string, ticketFound: string): boolean {
  return local.toLowerCase() === `case+${ticketFound.toLowerCase()}.${tokens.token(ticketFound)}`;
}

describe('reply tokens on arbitrary local parts', () => {
  it('never throws, and accepts only the token made for that ticket', () => {
    fc.assert(
      fc.property(localPart, (local) => {
        const verified = tokens.verify(local);
        if (verified.ticket !== null) expect(isRightToken(local, verified.ticket)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('refuses every token but the right one for a real ticket', () => {
    fc.assert(
      fc.property(ticket, hex, (t, token) => {
        fc.pre(token.toLowerCase() !== tokens.token(t));
        expect(tokens.verify(`case+${t.toLowerCase()}.${token}`).ticket).toBeNull();
      }),
      { numRuns: 500 },
    );
  });

  it('accepts the address it makes, in any letter case', () => {
    fc.assert(
      fc.property(ticket, fc.boolean(), (t, upper) => {
        const local = tokens.address(t, 'example.net').split('@')[0] as string;
        expect(tokens.verify(upper ? local.toUpperCase() : local).ticket).toBe(t.toUpperCase());
      }),
      { numRuns: 200 },
    );
  });
});

describe('recipient routing on arbitrary addresses', () => {
  const domain = fc.oneof(
    fc.constantFrom(...ourDomains, 'EXAMPLE.NET', 'example.net.', 'example.net..', 'xample.net', 'example.net.evil.test', 'evil.test', 'example.net@evil.test', '[127.0.0.1]', ''),
    junk,
  );
  const address = fc.oneof(
    fc.tuple(localPart, domain).map(([local, d]) => `${local}@${d}`),
    fc.tuple(fc.constantFrom('abuse', 'Abuse', 'complaints', 'feedback', 'postmaster', 'abuse%evil.test', 'abuse@evil.test', '"abuse"', 'evil.test!abuse'), domain).map(([local, d]) => `${local}@${d}`),
    junk,
  );

  it('never throws and never routes to a domain that is not ours', () => {
    let routed = 0;
    fc.assert(
      fc.property(address, (rcpt) => {
        const route = router.route(rcpt);
        if (route instanceof SmtpError) {
          expect(route.responseCode).toBeGreaterThanOrEqual(500);
          return;
        }
        routed += 1;
        const routedDomain = route.address.slice(route.address.lastIndexOf('@') + 1);
        expect(ourDomains.has(routedDomain)).toBe(true);
        // The part after the last @ of what the client wrote names that same domain.
        expect(rcpt.slice(rcpt.lastIndexOf('@') + 1).toLowerCase().replace(/\.$/, '')).toBe(routedDomain);
        if (route.type === 'case') expect(isRightToken(rcpt.slice(0, rcpt.lastIndexOf('@')), route.ticket)).toBe(true);
        else expect(['abuse', 'complaints', 'feedback']).toContain(route.mailbox);
      }),
      // About one address in thirty routes; enough runs that "some did" never depends on the seed.
      { numRuns: 2_000 },
    );
    // Not vacuous: some of the generated addresses are ours and do route.
    expect(routed).toBeGreaterThan(10);
  });

  it('refuses every other domain as relaying', () => {
    fc.assert(
      fc.property(localPart, junk, (local, other) => {
        fc.pre(!ourDomains.has(other.toLowerCase().replace(/\.$/, '')));
        const route = router.route(`${local}@${other}`);
        expect(route).toBeInstanceOf(SmtpError);
      }),
      { numRuns: 300 },
    );
  });
});
