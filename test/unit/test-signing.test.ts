import { dkimVerify } from 'mailauth';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createZoneResolver } from '../../src/dns/resolver.js';
import { buildMessage, SENDER_DOMAIN, SENDER_KEY, signMessage, testZone } from '../support/mail.js';

/**
 * The tests' own signatures must always verify: the SMTP tests refuse mail from
 * senders that vouch by DKIM alone when it fails. mailauth 4.13 reads the clock
 * twice while signing when it is given no signing time (once for the header it
 * signs, once for the header it writes), so a signature that straddled a half
 * second carried a `t=` it had not signed. Under load that was often enough to
 * fail a customer's answer with 550 and grade a valid signature `fail` in CI.
 */
describe('DKIM signatures made by the test helpers', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('verify even when the clock moves on while mailauth signs', async () => {
    let clock = Date.now();
    vi.spyOn(Date, 'now').mockImplementation(() => (clock += 1_000));
    const raw = await signMessage(buildMessage({ from: `A <a@${SENDER_DOMAIN}>`, to: 'abuse@example.net', subject: 'clock', text: 'hello\n' }), SENDER_KEY);
    vi.restoreAllMocks();

    const verdict = await dkimVerify(raw, { resolver: createZoneResolver(testZone()) as never });
    expect(verdict.results.map((row) => row.status.result)).toEqual(['pass']);
  });
});
