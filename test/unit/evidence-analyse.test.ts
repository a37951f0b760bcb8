import { generateKeyPairSync } from 'node:crypto';
import { dkimSign } from 'mailauth/lib/dkim/sign.js';
import { describe, expect, it } from 'vitest';
import { analyseReportedMessage } from '../../src/mail/evidence/analyse.js';
import { originOf, parseReceived } from '../../src/mail/evidence/received.js';
import type { Resolver } from '../../src/mail/evidence/types.js';

const NOW = new Date('2024-05-21T12:00:00Z');

/** An in-memory DNS: TXT answers as dns.promises.resolve gives them, NXDOMAIN for everything else. */
function zone(txt: Record<string, string>): Resolver {
  return async (name, rrtype) => {
    const record = txt[name.toLowerCase()];
    if (rrtype === 'TXT' && record !== undefined) return [[record]];
    throw Object.assign(new Error(`queryTxt ENOTFOUND ${name}`), { code: 'ENOTFOUND' });
  };
}

const nxdomain = zone({});

function spam(opts: { from?: string; returnPath?: string; ip?: string; body?: string; html?: string } = {}): string {
  const headers = [
    `Return-Path: <${opts.returnPath ?? 'bounce@random-bulk.net'}>`,
    `Received: from mx-in.relay.example (mx-in.relay.example [192.0.2.5])\r\n\tby mx.victim.example (Postfix) with ESMTP id 1; Tue, 21 May 2024 10:15:01 +0200`,
    `Received: from sender.host.example (sender.host.example [${opts.ip ?? '203.0.113.200'}])\r\n\tby mx-in.relay.example (Postfix) with ESMTP id 2; Tue, 21 May 2024 10:15:00 +0200`,
    `From: "Shop" <${opts.from ?? 'sales@kunde-shop.com'}>`,
    'To: tom@victim.example',
    'Subject: Your order discount',
    'Date: Tue, 21 May 2024 08:14:58 +0000',
    'Message-ID: <rx-1@kunde-shop.com>',
    'MIME-Version: 1.0',
  ];
  if (opts.html) {
    return `${headers.join('\r\n')}\r\nContent-Type: text/html; charset=us-ascii\r\n\r\n${opts.html}\r\n`;
  }
  return `${headers.join('\r\n')}\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n${opts.body ?? 'Discount at https://www.pills-shop.biz/order now.'}\r\n`;
}

function dkimKey(): { privateKey: string; record: string } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const spki = publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
  return { privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), record: `v=DKIM1; k=rsa; p=${spki}` };
}

async function signed(message: string, domain: string, privateKey: string): Promise<string> {
  // mailauth signs with the entries of signatureData; the top-level key fields alone sign nothing.
  const signature = { signingDomain: domain, selector: 's1', privateKey };
  const result = await dkimSign(message, { ...signature, signatureData: [signature], signTime: NOW });
  expect(result.errors).toEqual([]);
  return result.signatures + message;
}

describe('Received parsing', () => {
  it.each([
    ['from mail.example.net (mail.example.net [192.0.2.1]) by mx.example.com with ESMTP id X; Thu, 08 Mar 2005 14:00:00 -0400', { from: 'mail.example.net', rdns: 'mail.example.net', by: 'mx.example.com', ip: '192.0.2.1', at: '2005-03-08T18:00:00.000Z' }],
    ['from [198.51.100.9] (helo=bad.example) by mx.example.com with esmtp (Exim 4.96); Mon, 1 Jan 2024 00:00:00 +0000', { by: 'mx.example.com', ip: '198.51.100.9' }],
    ['from unknown (HELO mail.example.org) (203.0.113.7) by mx.example.com with SMTP; 1 Jan 2024 00:00:00 -0000', { by: 'mx.example.com', ip: '203.0.113.7' }],
    ['from CAT-1.r.example.org ([198.51.100.1]) by CAT-2.example.com with Microsoft SMTPSVC(7.5); Thu, 29 Apr 2016 23:34:45 +0000', { from: 'cat-1.r.example.org', by: 'cat-2.example.com', ip: '198.51.100.1' }],
    ['from mail6.example.net (mail6.example.net [IPv6:2001:db8::25]) by mx.example.com; Mon, 1 Jan 2024 00:00:00 +0000', { ip: '2001:db8::25' }],
    ['from host.example (host.example [::ffff:203.0.113.8]) by mx.example.com; Mon, 1 Jan 2024 00:00:00 +0000', { ip: '203.0.113.8' }],
    ['(qmail 1234 invoked from network); 1 Jan 2024 00:00:00 -0000', {}],
    ['by 2002:a05:6a10:: with SMTP id x; Mon, 1 Jan 2024 00:00:00 -0800', {}],
  ])('%s', (header, expected) => {
    const hop = parseReceived(header);
    expect(hop).toMatchObject(expected);
    if (!('ip' in expected)) expect(hop.ip).toBeUndefined();
  });

  it('stays fast on hostile input', () => {
    const started = Date.now();
    parseReceived(`from ${'('.repeat(5000)}${')'.repeat(5000)} by ${'['.repeat(5000)} ${'a.'.repeat(5000)}`);
    parseReceived(`from x ${'[1.2.3'.repeat(3000)}`);
    expect(Date.now() - started).toBeLessThan(500);
  });

  it('walks from the top past internal hops and trusted relays', () => {
    const chain = [{ ip: '127.0.0.1' }, { ip: '192.0.2.5' }, { ip: '10.1.1.1' }, { ip: '203.0.113.200' }, { ip: '198.51.100.1' }];
    expect(originOf(chain, [])).toEqual({ ip: '192.0.2.5', index: 1 });
    expect(originOf(chain, ['192.0.2.0/28'])).toEqual({ ip: '203.0.113.200', index: 3 });
    expect(originOf(chain, ['0.0.0.0/0'])).toBeNull();
  });
});

describe('analyseReportedMessage', () => {
  it('extracts chain, origin, sender, URLs and domains', async () => {
    const evidence = await analyseReportedMessage(Buffer.from(spam()), { resolver: nxdomain, trustedRelays: ['192.0.2.0/28'], now: NOW });
    expect(evidence.originIp).toBe('203.0.113.200');
    expect(evidence.receivedChain).toHaveLength(2);
    expect(evidence.returnPath).toBe('bounce@random-bulk.net');
    expect(evidence.fromAddress).toBe('sales@kunde-shop.com');
    expect(evidence.fromDomain).toBe('kunde-shop.com');
    expect(evidence.fromVerified).toBe(false);
    expect(evidence.dkim).toEqual([]);
    expect(evidence.spf).toEqual({ domain: 'random-bulk.net', ip: '203.0.113.200', result: 'none' });
    expect(evidence.urls).toEqual(['https://www.pills-shop.biz/order']);
    expect(evidence.domains).toEqual(
      expect.arrayContaining([
        { domain: 'pills-shop.biz', role: 'advertised' },
        { domain: 'kunde-shop.com', role: 'sender', verified: false, via: ['from'] },
        { domain: 'random-bulk.net', role: 'sender', verified: false, via: ['return-path'] },
        { domain: 'host.example', role: 'infrastructure' },
      ]),
    );
    // The receiving side (trusted relay, the victim's MX) is not evidence against anyone.
    expect(evidence.domains.some((d) => d.domain === 'victim.example')).toBe(false);
    expect(evidence.mailServers).toContain('mx.victim.example');
    expect(evidence.subject).toBe('Your order discount');
    expect(evidence.messageId).toBe('<rx-1@kunde-shop.com>');
    expect(evidence.date).toBe('2024-05-21T08:14:58.000Z');
  });

  it('finds URLs in HTML link targets and in text, deduplicated', async () => {
    const html = `<a href="https://pills-shop.biz/a?x=1&amp;y=2">x</a><a HREF = 'https://pills-shop.biz/a?x=1&y=2'>y</a>
      <img src=http://img.tracker.example/p.gif><form action="https://collect.phish.example/post"></form>
      <p>visit www.second-shop.biz today</p><a href="javascript:alert(1)">no</a><a href="mailto:a@b.example">no</a>`;
    const evidence = await analyseReportedMessage(Buffer.from(spam({ html })), { resolver: nxdomain, trustedRelays: [], now: NOW });
    expect(evidence.urls).toEqual(
      expect.arrayContaining(['https://pills-shop.biz/a?x=1&y=2', 'http://img.tracker.example/p.gif', 'https://collect.phish.example/post', 'http://www.second-shop.biz/']),
    );
    expect(new Set(evidence.urls).size).toBe(evidence.urls.length);
    expect(evidence.urls.some((u) => u.startsWith('javascript:') || u.startsWith('mailto:'))).toBe(false);
    const advertised = evidence.domains.filter((d) => d.role === 'advertised').map((d) => d.domain);
    expect(advertised).toEqual(expect.arrayContaining(['pills-shop.biz', 'tracker.example', 'phish.example', 'second-shop.biz']));
  });

  it('caps the number of URLs', async () => {
    const body = Array.from({ length: 1000 }, (_, i) => `https://site${i}.example/`).join(' ');
    const evidence = await analyseReportedMessage(Buffer.from(spam({ body })), { resolver: nxdomain, trustedRelays: [], now: NOW });
    expect(evidence.urls.length).toBeLessThanOrEqual(200);
  });

  it('a DKIM signature that re-verifies makes the aligned From verified', async () => {
    const key = dkimKey();
    const resolver = zone({ 's1._domainkey.kunde-shop.com': key.record });
    const raw = await signed(spam(), 'kunde-shop.com', key.privateKey);
    const evidence = await analyseReportedMessage(Buffer.from(raw), { resolver, trustedRelays: [], now: NOW });
    expect(evidence.dkim).toEqual([{ domain: 'kunde-shop.com', selector: 's1', result: 'pass' }]);
    expect(evidence.fromVerified).toBe(true);
    expect(evidence.domains).toContainEqual({ domain: 'kunde-shop.com', role: 'sender', verified: true, via: ['from', 'dkim'] });
  });

  it('relaxed alignment: a signature of the parent domain verifies a From of a subdomain', async () => {
    const key = dkimKey();
    const resolver = zone({ 's1._domainkey.kunde-shop.com': key.record });
    const raw = await signed(spam({ from: 'news@mail.kunde-shop.com' }), 'kunde-shop.com', key.privateKey);
    const evidence = await analyseReportedMessage(Buffer.from(raw), { resolver, trustedRelays: [], now: NOW });
    expect(evidence.fromVerified).toBe(true);
  });

  it('a signature broken in transit, or of another domain, does not verify the From', async () => {
    const key = dkimKey();
    const resolver = zone({ 's1._domainkey.kunde-shop.com': key.record, 's1._domainkey.other-signer.net': key.record });
    const tampered = (await signed(spam(), 'kunde-shop.com', key.privateKey)).replace('Discount at', 'Huge discount at');
    const broken = await analyseReportedMessage(Buffer.from(tampered), { resolver, trustedRelays: [], now: NOW });
    expect(broken.dkim[0]?.result).not.toBe('pass');
    expect(broken.fromVerified).toBe(false);

    const foreign = await signed(spam(), 'other-signer.net', key.privateKey);
    const unaligned = await analyseReportedMessage(Buffer.from(foreign), { resolver, trustedRelays: [], now: NOW });
    expect(unaligned.dkim[0]).toMatchObject({ domain: 'other-signer.net', result: 'pass' });
    expect(unaligned.fromVerified).toBe(false);
    expect(unaligned.domains).toContainEqual({ domain: 'other-signer.net', role: 'sender', verified: true, via: ['dkim'] });
  });

  it('an SPF pass for the origin IP and an aligned envelope domain verifies the From', async () => {
    const resolver = zone({ 'kunde-shop.com': 'v=spf1 ip4:203.0.113.0/24 -all' });
    const raw = spam({ returnPath: 'bounce@kunde-shop.com' });
    const evidence = await analyseReportedMessage(Buffer.from(raw), { resolver, trustedRelays: ['192.0.2.0/28'], now: NOW });
    expect(evidence.spf).toEqual({ domain: 'kunde-shop.com', ip: '203.0.113.200', result: 'pass' });
    expect(evidence.fromVerified).toBe(true);

    const elsewhere = await analyseReportedMessage(Buffer.from(spam({ returnPath: 'bounce@kunde-shop.com', ip: '198.51.100.5' })), {
      resolver,
      trustedRelays: ['192.0.2.0/28'],
      now: NOW,
    });
    expect(elsewhere.spf?.result).toBe('fail');
    expect(elsewhere.fromVerified).toBe(false);
  });

  it('records DNS failures instead of throwing', async () => {
    const failing: Resolver = async (name) => {
      throw Object.assign(new Error(`queryTxt ESERVFAIL ${name}`), { code: 'ESERVFAIL' });
    };
    const key = dkimKey();
    const raw = await signed(spam(), 'kunde-shop.com', key.privateKey);
    const evidence = await analyseReportedMessage(Buffer.from(raw), { resolver: failing, trustedRelays: ['192.0.2.0/28'], now: NOW });
    expect(evidence.fromVerified).toBe(false);
    expect(evidence.dkim[0]?.result).toBe('temperror');
    expect(evidence.problems.some((p) => p.startsWith('dns:') && p.includes('ESERVFAIL'))).toBe(true);
  });

  it('reads a header-only block (no body, no empty line)', async () => {
    const headersOnly = spam().split('\r\n\r\n')[0]!;
    const evidence = await analyseReportedMessage(Buffer.from(headersOnly), { resolver: nxdomain, trustedRelays: [], now: NOW });
    expect(evidence.fromDomain).toBe('kunde-shop.com');
    expect(evidence.urls).toEqual([]);
    expect(evidence.originIp).toBe('192.0.2.5');
  });
});
