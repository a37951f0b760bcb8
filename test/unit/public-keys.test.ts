import crypto, { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createZoneResolver } from '../../src/dns/resolver.js';
import { authenticateMessage } from '../../src/intake/authenticate.js';
import { cachePublicKeys, type PublicKeyCache } from '../../src/intake/public-keys.js';
import { buildMessage, dkimTxtRecord, SENDER_DOMAIN, SENDER_KEY, signMessage, testZone } from '../support/mail.js';

/**
 * DKIM keys are parsed once and shared: mailauth (patched) parses a key record
 * once, `crypto.verify` parses its PEM once, the verdicts stay exactly what
 * Node's own parsing gives, a rotated key record is parsed anew, and nothing
 * but PEM public keys is touched.
 */

const facts = { ip: '192.0.2.99', helo: 'mail.elsewhere.test', sender: 'bounces@elsewhere.test', mta: 'mx.example.net' };

function complaint(n: number): Buffer {
  return buildMessage({ from: `Complainant <c${n}@${SENDER_DOMAIN}>`, to: 'complaints@example.net', subject: `Complaint ${n}`, text: `Text ${n}\n`, messageId: `pk-${n}@${SENDER_DOMAIN}` });
}

describe('public keys parsed once (mailauth patched, node:crypto verify wrapped)', () => {
  let cache: PublicKeyCache;
  const rotated = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const rotatedPem = rotated.publicKey.export({ type: 'spki', format: 'pem' }).toString();

  beforeAll(() => {
    cache = cachePublicKeys();
  });

  afterAll(() => {
    cache.uninstall();
  });

  /** How many verify calls found their key kept, and how many parsed it, since `before`. */
  const after = (before: { hits: number; misses: number }) => {
    const now = cache.stats();
    return { hits: now.hits - before.hits, misses: now.misses - before.misses };
  };

  it('parses the sender key once for many messages, and every signature still passes', async () => {
    const resolver = createZoneResolver(testZone());
    const before = cache.stats();
    const originalCreate = crypto.createPublicKey;
    let recordsParsed = 0;
    crypto.createPublicKey = ((key: Parameters<typeof originalCreate>[0]) => {
      recordsParsed += 1;
      return originalCreate(key);
    }) as typeof originalCreate;
    try {
      for (let n = 0; n < 5; n++) {
        const verdict = await authenticateMessage(await signMessage(complaint(n), SENDER_KEY), facts, { resolver });
        expect(verdict.dkim[0]).toMatchObject({ domain: SENDER_DOMAIN, result: 'pass', aligned: true });
      }
    } finally {
      crypto.createPublicKey = originalCreate;
    }
    // mailauth turns the key record into a key at most once (not at all if an earlier test here did).
    expect(recordsParsed).toBeLessThanOrEqual(1);
    // verify parses the PEM it is given once.
    expect(after(before).misses).toBeLessThanOrEqual(1);
    expect(after(before).hits).toBeGreaterThanOrEqual(4);
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

  it('takes a revoked or broken key record at its word at once, and a repaired one too', async () => {
    const zone = testZone();
    const resolver = createZoneResolver(zone);
    const keyName = `s1._domainkey.${SENDER_DOMAIN}`;
    const good = zone[keyName];
    const result = async (n: number) => (await authenticateMessage(await signMessage(complaint(n), SENDER_KEY), facts, { resolver })).dkim[0]?.result;
    expect(await result(30)).toBe('pass');
    resolver.setZone({ ...zone, [keyName]: { TXT: ['v=DKIM1; k=rsa; p='] } });
    expect(await result(31)).not.toBe('pass');
    resolver.setZone({ ...zone, [keyName]: { TXT: ['v=DKIM1; k=rsa; p=!!!not-base64!!!'] } });
    expect(await result(32)).not.toBe('pass');
    expect(await result(33)).not.toBe('pass');
    resolver.setZone({ ...zone, [keyName]: good as NonNullable<typeof good> });
    expect(await result(34)).toBe('pass');
  });

  it('leaves everything but PEM public keys to Node, and keeps no PEM that Node refuses', () => {
    const data = Buffer.from('signed text');
    const signature = crypto.sign('sha256', data, rotated.privateKey);
    const size = cache.stats().size;
    const der = rotated.publicKey.export({ type: 'spki', format: 'der' });
    expect(crypto.verify('sha256', data, { key: der, format: 'der', type: 'spki' }, signature)).toBe(true);
    expect(crypto.verify('sha256', data, rotated.publicKey, signature)).toBe(true);
    expect(cache.stats().size).toBe(size);
    const broken = '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n';
    expect(() => crypto.verify('sha256', data, broken, signature)).toThrow();
    expect(cache.stats().size).toBe(size);
    // The same key for the same text, whether given as a string or a Buffer.
    const before = cache.stats();
    expect(crypto.verify('sha256', data, rotatedPem, signature)).toBe(true);
    expect(crypto.verify('sha256', data, Buffer.from(rotatedPem), signature)).toBe(true);
    expect(crypto.verify('sha256', Buffer.from('other text'), rotatedPem, signature)).toBe(false);
    expect(after(before)).toEqual({ hits: 2, misses: 1 });
    expect(cache.stats().size).toBe(size + 1);
  });

  it('puts Node back as it was when uninstalled, and can be installed again', () => {
    const wrapped = crypto.verify;
    cache.uninstall();
    expect(crypto.verify).not.toBe(wrapped);
    cache = cachePublicKeys();
    expect(crypto.verify).not.toBe(wrapped);
    const data = Buffer.from('x');
    const before = cache.stats();
    expect(crypto.verify('sha256', data, rotatedPem, crypto.sign('sha256', data, rotated.privateKey))).toBe(true);
    expect(after(before).misses).toBe(1);
  });
});
