import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createZoneResolver } from '../../src/dns/resolver.js';
import { isAligned } from '../../src/intake/alignment.js';
import { checkMessage, verifySender } from '../../src/intake/authenticate.js';
import { verdictRefusal } from '../../src/intake/ingest.js';
import { normaliseAddress } from '../../src/intake/sender-identity.js';
import { classifySender } from '../../src/intake/sender-policy.js';
import { readHeaderBlock } from '../../src/mail/headers.js';
import { dkimTxtRecord, signMessage, testKeys } from '../support/mail.js';

/**
 * One reading of From (issue 27, item 1). The attacker passes SPF and DKIM for
 * their own domain and writes a From that names the desk's staff as well. For
 * every From the generator makes (control characters, comments, quoting,
 * encoded words, groups, folding, raw 8-bit bytes), the message is either
 * refused, or the identity the case will use is in the domain that was
 * verified, and mailauth read the same address.
 */

const ATTACKER = 'mallory@customer.example';
const STAFF = 'abuse-team@example.com';
const ATTACKER_KEY = { domain: 'customer.example', selector: 's1', privateKey: testKeys.rsa.privateKey };
const resolver = createZoneResolver({
  'customer.example': { TXT: ['v=spf1 ip4:127.0.0.0/8 -all'] },
  's1._domainkey.customer.example': { TXT: [dkimTxtRecord(testKeys.rsa.publicKey)] },
  'example.com': { TXT: ['v=spf1 -all'] },
  '_dmarc.example.com': { TXT: ['v=DMARC1; p=reject'] },
});
const facts = { ip: '127.0.0.1', helo: 'mail.customer.example', sender: ATTACKER, mta: 'mx.example.net' };
const now = () => new Date();

const controls = [...Array.from({ length: 32 }, (_, i) => String.fromCharCode(i)), '\x7f', '\u0080', '\u0085', '\u009f'];
const piece = fc.oneof(
  fc.constantFrom(STAFF, ATTACKER, `<${STAFF}>`, `<${ATTACKER}>`, 'abuse-team', '@example.com', '@customer.example', 'mallory'),
  fc.constantFrom(...controls),
  fc.constantFrom(' ', '\t', '\r\n ', '\r\n\t', ',', ';', ':', '<', '>', '"', '\\', '(', ')', '@', '.', '[', ']'),
  fc.constantFrom('(comment)', `(${STAFF})`, `"${STAFF}"`, '"Abuse Team"', `"a\\"b"`, '=?utf-8?q?Abuse_Team?=', `=?utf-8?b?${Buffer.from(STAFF).toString('base64')}?=`),
  fc.constantFrom('=?utf-8?q?=01?=', '=?iso-8859-1?q?=E9?=', '\u00e9', '\u00ff', '\ufeff', '\u202e', 'Undisclosed:', ';'),
);
const fromValue = fc.array(piece, { minLength: 1, maxLength: 8 }).map((pieces) => pieces.join(''));

function message(from: string, raw8bit: boolean): Buffer {
  const head = `From: ${from}\r\nTo: abuse@example.net\r\nSubject: report\r\nMessage-ID: <p@customer.example>\r\n`;
  return Buffer.concat([Buffer.from(head, raw8bit ? 'latin1' : 'utf8'), Buffer.from('\r\nA report.\r\n')]);
}

type Outcome = { kind: 'refused'; reason: string } | { kind: 'accepted'; identity: string; mailauthFrom: string[]; ourFrom: string[] };

/** The listener's decision, step by step as `ingest` takes it: sender policy, checks, verdict. */
async function decide(raw: Buffer): Promise<Outcome> {
  const headers = readHeaderBlock(raw);
  const senderClass = classifySender({ envelopeFrom: ATTACKER, headers, acceptMachineReports: false });
  if (senderClass.kind === 'refused') return { kind: 'refused', reason: senderClass.error.reason };
  const checks = await checkMessage(raw, facts, { resolver, now });
  const verdict = await verifySender(checks, senderClass.identity, facts, { resolver, now });
  const refusal = verdictRefusal(verdict, senderClass.identity);
  if (refusal) return { kind: 'refused', reason: refusal.reason };
  return {
    kind: 'accepted',
    identity: verdict.fromAddresses[0] as string,
    mailauthFrom: checks.mailauthFrom.map((address) => normaliseAddress(address) ?? address),
    ourFrom: headers.from.map((mailbox) => normaliseAddress(mailbox.address) ?? mailbox.address),
  };
}

describe('From is read once for verification and identity', () => {
  it('accepts an ordinary From of the verified domain in its usual spellings', async () => {
    for (const from of [ATTACKER, `Mallory <${ATTACKER}>`, `"Mallory, M." <${ATTACKER}>`, `${ATTACKER} (Mallory)`, `=?utf-8?q?M=C3=A4llory?= <${ATTACKER}>`, `Mallory\r\n <${ATTACKER}>`]) {
      const outcome = await decide(await signMessage(message(from, false), ATTACKER_KEY));
      expect(outcome, from).toMatchObject({ kind: 'accepted', identity: ATTACKER });
    }
  });

  it('refuses the forged staff From of the probe, with a control character between the two addresses', async () => {
    for (const sign of [false, true]) {
      const raw = message(`${STAFF}\x01${ATTACKER}`, true);
      const outcome = await decide(sign ? await signMessage(raw, ATTACKER_KEY) : raw);
      expect(outcome).toEqual({ kind: 'refused', reason: 'from_control_characters' });
    }
  });

  it('never verifies one domain and uses another, whatever the From holds', async () => {
    let accepted = 0;
    await fc.assert(
      fc.asyncProperty(fromValue, fc.boolean(), fc.boolean(), async (from, raw8bit, sign) => {
        const raw = message(from, raw8bit);
        const outcome = await decide(sign ? await signMessage(raw, ATTACKER_KEY) : raw);
        if (outcome.kind === 'refused') return;
        accepted += 1;
        // The identity the case uses is in the only domain anything vouched for...
        expect(isAligned(outcome.identity.slice(outcome.identity.lastIndexOf('@') + 1), 'customer.example'), `${JSON.stringify(from)} → ${outcome.identity}`).toBe(true);
        expect(outcome.identity).not.toBe(STAFF);
        // ...and mailauth, our header reader and the verdict all read that one address.
        expect(outcome.mailauthFrom).toEqual([outcome.identity]);
        expect(outcome.ourFrom).toEqual([outcome.identity]);
      }),
      { numRuns: 400 },
    );
    // Not a property that holds because everything is refused.
    expect(accepted).toBeGreaterThan(0);
  });
});
