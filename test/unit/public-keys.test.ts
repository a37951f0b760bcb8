import crypto, { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createZoneResolver } from '../../src/dns/resolver.js';
import { authenticateMessage } from '../../src/intake/authenticate.js';
import { cachePublicKeys, type PublicKeyCache } from '../../src/intake/public-keys.js';
import { buildMessage, dkimTxtRecord, SENDER_DOMAIN, SENDER_KEY, signMessage, testZone } from '../support/mail.js';

/**
 * DKIM keys are parsed once and shared: the verdicts stay exactly what Node's
 * own parsing gives, a rotated key record is parsed anew, and nothing but PEM
 * public keys is touched.
 */

const facts = { ip: '192.0.2.99', helo: 'mail.elsewhere.test', sender: 'bounces@elsewhere.test', mta: 'mx.example.net' };

function complaint(n: number): Buffer {
  return buildMessage({ from: `Complainant <c${n}@${SENDER_DOMAIN}>`, to: 'complaints@example.net', subject: `Complaint ${n}`, text: `Text ${n}\n`, messageId: `pk-${n}@${SENDER_DOMAIN}` });
}

describe('public keys parsed once (node:crypto wrapped for mailauth)', () => {
  let cache: PublicKeyCache;
  const rotated = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const rotatedPem = rotated.publicKey.export({ type: 'spki', format: 'pem' }).toString();

  beforeAll(() => {
    cache = cachePublicKeys();
  });

  afterAll(() => {
    cache.uninstall();
  });

  it('parses the sender key once for many messages, and every signature still passes', async () => {
    const resolver = createZoneResolver(testZone());
    const before = cache.stats();
    for (let n = 0; n < 5; n++) {
      const verdict = await authenticateMessage(await signMessage(complaint(n), SENDER_KEY), facts, { resolver });
      expect(verdict.dkim[0]).toMatchObject({ domain: SENDER_DOMAIN, result: 'pass', aligned: true });
    }
    const after = cache.stats();
    // createPublicKey (SPKI) and verify (PKCS#1) each parse their form once.
    expect(after.misses - before.misses).toBeLessThanOrEqual(2);
    expect(after.hits - before.hits).toBeGreaterThanOrEqual(8);
  });

  it('still fails a message changed after signing', async () => {
    const signed = await signMessage(complaint(10), SENDER_KEY);
    const tampered = Buffer.from(signed.toString('latin1').replace('Subject: Complaint 10', 'Subject: Complaint 11'), 'latin1');
    const verdict = await authenticateMessage(tampered, facts, { resolver: createZoneResolver(testZone()) });
    expect(verdict.dkim[0]?.result).toBe('fail');
    expect(verdict.verified).toBe(false);
  });

  it('parses a rotated key record anew: the new key passes, a message signed with the old one fails', async () => {
    const zone = testZone();
    zone[`s1._domainkey.${SENDER_DOMAIN}`] = { TXT: [dkimTxtRecord(rotatedPem)] };
    const resolver = createZoneResolver(zone);
    const oldSigned = await signMessage(complaint(20), SENDER_KEY);
    const newSigned = await signMessage(complaint(21), { ...SENDER_KEY, privateKey: rotated.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() });
    expect((await authenticateMessage(newSigned, facts, { resolver })).dkim[0]?.result).toBe('pass');
    expect((await authenticateMessage(oldSigned, facts, { resolver })).dkim[0]?.result).toBe('fail');
  });

  it('leaves everything but PEM public keys to Node, and keeps no PEM that Node refuses', () => {
    const size = cache.stats().size;
    const der = rotated.publicKey.export({ type: 'spki', format: 'der' });
    expect(crypto.createPublicKey({ key: der, format: 'der', type: 'spki' }).asymmetricKeyType).toBe('rsa');
    // A public key derived from a private one, as Node does it.
    expect(crypto.createPublicKey(rotated.privateKey).asymmetricKeyType).toBe('rsa');
    const broken = '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n';
    expect(() => crypto.createPublicKey(broken)).toThrow();
    expect(() => crypto.verify('sha256', Buffer.from('x'), broken, Buffer.alloc(256))).toThrow();
    expect(cache.stats().size).toBe(size);
    // The same key object for the same text, as an immutable value.
    expect(crypto.createPublicKey(rotatedPem)).toBe(crypto.createPublicKey(Buffer.from(rotatedPem)));
  });

  it('puts Node back as it was when uninstalled, and can be installed again', () => {
    const wrapped = crypto.createPublicKey;
    cache.uninstall();
    expect(crypto.createPublicKey).not.toBe(wrapped);
    expect(crypto.createPublicKey(rotatedPem)).not.toBe(crypto.createPublicKey(rotatedPem));
    cache = cachePublicKeys();
    expect(crypto.createPublicKey(rotatedPem)).toBe(crypto.createPublicKey(rotatedPem));
  });
});
