import { generateKeyPairSync } from 'node:crypto';
import type { Zone } from '../dns/zone.js';

/**
 * The little world `npm run demo` plays in: a sender domain whose SPF allows
 * this machine and whose DKIM key the demo holds, and the registrar's staff
 * domain, whose specialists are verified by their DKIM signature alone (as
 * the desk requires of staff). Everything ends in .test and exists only in
 * the demo's DNS server on loopback; the keys are made afresh for each run.
 */

export const BRAND_DOMAIN = 'demo-registrar.test';
export const SENDER_DOMAIN = 'demo-sender.test';
export const STAFF_DOMAIN = `staff.${BRAND_DOMAIN}`;
/** The HELO name and PTR of 127.0.0.1 in the demo's DNS. */
export const SENDER_HOST = `mail.${SENDER_DOMAIN}`;

export interface DkimKey {
  domainName: string;
  keySelector: string;
  privateKey: string;
}

export interface DemoWorld {
  zone: Zone;
  sender: DkimKey;
  staff: DkimKey;
}

export function demoWorld(): DemoWorld {
  const sender = dkimKey(SENDER_DOMAIN, 'demo');
  const staff = dkimKey(STAFF_DOMAIN, 'desk');
  const zone: Zone = {
    [SENDER_DOMAIN]: { TXT: ['v=spf1 ip4:127.0.0.0/8 -all'], MX: [{ exchange: SENDER_HOST, priority: 10 }], A: ['127.0.0.1'] },
    [SENDER_HOST]: { A: ['127.0.0.1'] },
    [`demo._domainkey.${SENDER_DOMAIN}`]: { TXT: [sender.record] },
    [`_dmarc.${SENDER_DOMAIN}`]: { TXT: ['v=DMARC1; p=reject'] },
    // No host may send for the staff domain: only a specialist's own DKIM signature verifies them.
    [STAFF_DOMAIN]: { TXT: ['v=spf1 -all'] },
    [`desk._domainkey.${STAFF_DOMAIN}`]: { TXT: [staff.record] },
    [`_dmarc.${STAFF_DOMAIN}`]: { TXT: ['v=DMARC1; p=none'] },
    '1.0.0.127.in-addr.arpa': { PTR: [SENDER_HOST] },
  };
  return { zone, sender: sender.key, staff: staff.key };
}

function dkimKey(domainName: string, keySelector: string): { key: DkimKey; record: string } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const record = `v=DKIM1; k=rsa; p=${publicKey.export({ format: 'der', type: 'spki' }).toString('base64')}`;
  return { key: { domainName, keySelector, privateKey: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString() }, record };
}
