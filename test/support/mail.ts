import { createPublicKey, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dkimSign } from 'mailauth';
import type { Zone } from '../../src/dns/zone.js';
import { testNow } from './clock.js';

/**
 * Test mail: build RFC 5322 messages, DKIM-sign them with the committed
 * test-only keys, and the DNS zone that makes them verify.
 *
 *   const raw = await signMessage(buildMessage({ from: 'alice@sender.test', ... }), SENDER_KEY);
 *   const resolver = createZoneResolver(testZone());
 */

export const SENDER_DOMAIN = 'sender.test';
/** Publishes its own SPF and DKIM key, and forges sender.test in From. */
export const FORGER_DOMAIN = 'forger.test';

const fixture = (name: string): string => readFileSync(new URL(`../../fixtures/dkim/${name}`, import.meta.url), 'utf8');

/** Test-only key pairs from fixtures/dkim (PEM). */
export const testKeys = {
  rsa: { privateKey: fixture('rsa-2048.private.pem'), publicKey: fixture('rsa-2048.public.pem') },
  ed25519: { privateKey: fixture('ed25519.private.pem'), publicKey: fixture('ed25519.public.pem') },
} as const;

export interface SigningKey {
  domain: string;
  selector: string;
  privateKey: string | Buffer;
  /** Default relaxed/relaxed. */
  canonicalization?: string;
  /** Header fields to sign; mailauth's default list otherwise. */
  headerList?: string[];
  /** t= of the signature (default now). */
  signTime?: Date;
  /** Signature expiry (x=). */
  expires?: Date;
}

/** sender.test's RSA key, selector s1: signatures aligned with From @sender.test. */
export const SENDER_KEY: SigningKey = { domain: SENDER_DOMAIN, selector: 's1', privateKey: testKeys.rsa.privateKey };
/** sender.test's Ed25519 key, selector s2. */
export const SENDER_ED25519_KEY: SigningKey = { domain: SENDER_DOMAIN, selector: 's2', privateKey: testKeys.ed25519.privateKey };
/** A valid signature by forger.test: passes DKIM, never aligns with sender.test. */
/** The desk's own staff (verified senders at example.com) sign with this key. */
export const STAFF_KEY: SigningKey = { domain: 'example.com', selector: 'desk', privateKey: testKeys.rsa.privateKey };

export const FORGER_KEY: SigningKey = { domain: FORGER_DOMAIN, selector: 's1', privateKey: testKeys.rsa.privateKey };

export interface MessageSpec {
  /** Header value as written, e.g. `Alice <alice@sender.test>`. */
  from: string;
  to: string | string[];
  subject: string;
  text: string;
  /** Extra header fields, after the standard ones; an array allows repeats. */
  headers?: Record<string, string> | Array<[string, string]>;
  /** Default now. */
  date?: Date;
  /** With or without angle brackets; default a random id at the From domain. */
  messageId?: string;
}

/** A plain-text RFC 5322 message with CRLF line ends; UTF-8 text is sent 8bit. */
export function buildMessage(spec: MessageSpec): Buffer {
  const fromDomain = /@([^>\s]+)>?\s*$/.exec(spec.from)?.[1] ?? 'localhost';
  const messageId = spec.messageId ?? `${randomUUID()}@${fromDomain}`;
  const ascii = (value: string): boolean => /^[\x20-\x7e]*$/.test(value);
  const extra = Array.isArray(spec.headers) ? spec.headers : Object.entries(spec.headers ?? {});
  const lines = [
    `From: ${spec.from}`,
    `To: ${[spec.to].flat().join(', ')}`,
    `Subject: ${ascii(spec.subject) ? spec.subject : `=?UTF-8?B?${Buffer.from(spec.subject, 'utf8').toString('base64')}?=`}`,
    `Date: ${rfc5322Date(spec.date ?? testNow())}`,
    `Message-ID: <${messageId.replace(/^<|>$/g, '')}>`,
    'MIME-Version: 1.0',
    `Content-Type: text/plain; charset=${ascii(spec.text.replace(/\r?\n/g, '')) ? 'us-ascii' : 'utf-8'}`,
    `Content-Transfer-Encoding: ${ascii(spec.text.replace(/\r?\n/g, '')) ? '7bit' : '8bit'}`,
    ...extra.map(([name, value]) => `${name}: ${value}`),
  ];
  const body = spec.text.replace(/\r?\n/g, '\r\n');
  return Buffer.from(`${lines.join('\r\n')}\r\n\r\n${body}${body.endsWith('\r\n') ? '' : '\r\n'}`, 'utf8');
}

/** Prepends a DKIM-Signature made with mailauth's signer. */
export async function signMessage(raw: Buffer, key: SigningKey): Promise<Buffer> {
  const signer = { signingDomain: key.domain, selector: key.selector, privateKey: key.privateKey };
  const result = await dkimSign(raw, {
    // mailauth signs with signatureData; its type declaration also wants the fields at the top
    ...signer,
    canonicalization: key.canonicalization ?? 'relaxed/relaxed',
    // mailauth 4.13 reads a colon-separated string here although its declaration says string[]
    headerList: key.headerList?.join(':') as unknown as string[] | undefined,
    // Always a fixed t=: without one, mailauth 4.13 reads the clock (rounded to the
    // second) once for the header it signs and again for the header it writes, so
    // a signature that straddles a half second carries a t= it did not sign and
    // fails verification (more often the busier the machine).
    signTime: key.signTime ?? testNow(),
    expires: key.expires,
    signatureData: [signer],
  });
  if (result.errors.length > 0) {
    const first = result.errors[0] as unknown as { err?: Error };
    throw new Error(`DKIM signing for ${key.selector}._domainkey.${key.domain} failed: ${first.err?.message ?? 'unknown error'}`);
  }
  return Buffer.concat([Buffer.from(result.signatures, 'utf8'), raw]);
}

/** The `selector._domainkey` TXT record for a public key (RSA or Ed25519, PEM). */
export function dkimTxtRecord(publicKeyPem: string | Buffer): string {
  const key = createPublicKey(publicKeyPem);
  if (key.asymmetricKeyType === 'ed25519') {
    // RFC 8463: the bare 32-byte key, not the SPKI structure
    const raw = key.export({ format: 'der', type: 'spki' }).subarray(-32);
    return `v=DKIM1; k=ed25519; p=${raw.toString('base64')}`;
  }
  if (key.asymmetricKeyType === 'rsa') {
    return `v=DKIM1; k=rsa; p=${key.export({ format: 'der', type: 'spki' }).toString('base64')}`;
  }
  throw new Error(`unsupported DKIM key type ${key.asymmetricKeyType ?? 'unknown'}`);
}

/**
 * DNS for the test senders. Mail from 127.0.0.0/8 passes SPF for both
 * domains; sender.test signs with s1 (RSA) or s2 (Ed25519) and publishes
 * DMARC p=reject, so a message From @sender.test that only forger.test
 * vouches for (its SPF or its signature) is unverified and a DMARC failure.
 */
/**
 * DNS for the desk's staff domain: it vouches by DKIM only, so a message from
 * this machine that merely claims to be staff is not verified. Merge into a zone.
 */
export function staffZoneRecords(): Zone {
  return {
    'example.com': { TXT: ['v=spf1 -all'] },
    'desk._domainkey.example.com': { TXT: [dkimTxtRecord(testKeys.rsa.publicKey)] },
    '_dmarc.example.com': { TXT: ['v=DMARC1; p=none'] },
  };
}

export function testZone(): Zone {
  const spf = 'v=spf1 ip4:127.0.0.0/8 -all';
  const rsaKey = dkimTxtRecord(testKeys.rsa.publicKey);
  return {
    [SENDER_DOMAIN]: { TXT: [spf], MX: [{ exchange: `mail.${SENDER_DOMAIN}`, priority: 10 }], A: ['127.0.0.1'] },
    [`mail.${SENDER_DOMAIN}`]: { A: ['127.0.0.1'], AAAA: ['::1'] },
    [`s1._domainkey.${SENDER_DOMAIN}`]: { TXT: [rsaKey] },
    [`s2._domainkey.${SENDER_DOMAIN}`]: { TXT: [dkimTxtRecord(testKeys.ed25519.publicKey)] },
    [`_dmarc.${SENDER_DOMAIN}`]: { TXT: ['v=DMARC1; p=reject'] },
    [FORGER_DOMAIN]: { TXT: [spf], A: ['127.0.0.1'] },
    [`s1._domainkey.${FORGER_DOMAIN}`]: { TXT: [rsaKey] },
    '1.0.0.127.in-addr.arpa': { PTR: [`mail.${SENDER_DOMAIN}`] },
  };
}

function rfc5322Date(date: Date): string {
  return date.toUTCString().replace(/GMT$/, '+0000');
}
