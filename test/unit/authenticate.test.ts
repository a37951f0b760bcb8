import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createZoneResolver } from '../../src/dns/resolver.js';
import { authenticateMessage } from '../../src/intake/authenticate.js';
import { testZone } from '../support/mail.js';

/** The verdict on .eml fixtures, with DNS from zone data and the clock fixed at signing time. */
const fixture = (name: string) => readFileSync(new URL(`../../fixtures/auth/${name}`, import.meta.url));
const now = () => new Date('2026-11-16T09:31:00Z');
const zone = { ...testZone(), 'plain.test': { A: ['192.0.2.1'] }, 'slow.test': { fail: 'timeout' as const } };
const facts = (sender: string, ip = '127.0.0.1') => ({ ip, helo: 'mail.sender.test', sender, mta: 'mx.example.net' });

describe('authentication verdict', () => {
  const resolver = createZoneResolver(zone, { timeoutDelayMs: 20 });

  it('verifies a From domain that its own DKIM signature vouches for', async () => {
    const verdict = await authenticateMessage(fixture('verified-dkim.eml'), facts('bounces@forger.test', '192.0.2.99'), { resolver, now });
    expect(verdict).toMatchObject({ verified: true, alignedBy: 'dkim', fromDomain: 'sender.test', temperror: false });
    expect(verdict.spf.result).toBe('fail');
    expect(verdict.dkim[0]).toMatchObject({ domain: 'sender.test', result: 'pass', aligned: true });
  });

  it('verifies by SPF alone when the envelope domain aligns', async () => {
    const verdict = await authenticateMessage(Buffer.from(fixture('unsigned.eml').toString().replace(/plain\.test/g, 'sender.test')), facts('erika@sender.test'), { resolver, now });
    expect(verdict).toMatchObject({ verified: true, alignedBy: 'spf' });
  });

  it('does not verify a forged From: the signature is another domain, and DMARC says reject', async () => {
    const verdict = await authenticateMessage(fixture('forged-from.eml'), facts('mailer@forger.test'), { resolver, now });
    expect(verdict.verified).toBe(false);
    expect(verdict.dkim[0]).toMatchObject({ domain: 'forger.test', result: 'pass', aligned: false });
    expect(verdict.dmarc).toMatchObject({ result: 'fail', policy: 'reject' });
  });

  it('does not verify a sender nothing vouches for, without a DMARC policy', async () => {
    const verdict = await authenticateMessage(fixture('unsigned.eml'), facts('someone@plain.test'), { resolver, now });
    expect(verdict).toMatchObject({ verified: false, alignedBy: null, temperror: false });
    expect(verdict.dmarc.result).toBe('none');
  });

  it('reports a temporary failure when DNS does not answer', async () => {
    const raw = fixture('unsigned.eml').toString().replace(/plain\.test/g, 'slow.test');
    const verdict = await authenticateMessage(Buffer.from(raw), facts('someone@slow.test'), { resolver, now });
    expect(verdict.verified).toBe(false);
    expect(verdict.temperror).toBe(true);
  });

  it('judges signature expiry by the injected clock', async () => {
    const raw = fixture('expiring-dkim.eml');
    const within = await authenticateMessage(raw, facts('x@forger.test', '192.0.2.99'), { resolver, now });
    expect(within.verified).toBe(true);
    const after = await authenticateMessage(raw, facts('x@forger.test', '192.0.2.99'), { resolver, now: () => new Date('2026-11-18T09:30:00Z') });
    expect(after.verified).toBe(false);
  });
});
