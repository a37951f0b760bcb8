import { describe, expect, it } from 'vitest';
import { createZoneResolver } from '../../src/dns/resolver.js';
import { analyseReportedMessage } from '../../src/mail/evidence/analyse.js';
import { buildEvidence, gradeEvidence } from '../../src/mail/evidence/index.js';
import type { ManagedLookup, ReportedMessageEvidence } from '../../src/mail/evidence/types.js';

/**
 * Issue 22, item 8: the origin IP is the first hop handed over from outside
 * the reporter's own mail provider, and a domain seen in several roles is
 * graded by its strongest one.
 */

const resolver = createZoneResolver({
  'mailbox.example': { MX: [{ exchange: 'mx.provider-host.net', priority: 10 }] },
});

function spam(received: string[]): Buffer {
  return Buffer.from(
    [...received.map((line) => `Received: ${line}`), 'From: Prize <win@lottery.example>', 'To: jane@victim-mail.org', 'Subject: You won', 'Date: Mon, 7 Dec 2026 09:00:00 +0000', 'Message-ID: <x@lottery.example>', '', 'Claim it now.', ''].join('\r\n'),
  );
}

const PROVIDER_CHAIN = [
  'from mx-in.victim-mail.org (mx-in.victim-mail.org [203.0.113.200]) by store.victim-mail.org with LMTP; Mon, 7 Dec 2026 09:00:03 +0000',
  'from bulk.sender-host.org (bulk.sender-host.org [198.51.100.23]) by mx-in.victim-mail.org with ESMTP; Mon, 7 Dec 2026 09:00:02 +0000',
  'from [10.0.0.5] by bulk.sender-host.org; Mon, 7 Dec 2026 09:00:01 +0000',
];

describe('the origin past the reporter’s own provider', () => {
  it('skips hops the provider wrote about its own hosts', async () => {
    const inside = await analyseReportedMessage(spam(PROVIDER_CHAIN), { resolver, trustedRelays: [], providerDomains: ['victim-mail.org'] });
    expect(inside.originIp).toBe('198.51.100.23');
    // Without knowing the provider, its own relay looked like the origin.
    const blind = await analyseReportedMessage(spam(PROVIDER_CHAIN), { resolver, trustedRelays: [] });
    expect(blind.originIp).toBe('203.0.113.200');
  });

  it('does not take a HELO name for the provider: only the receiving server’s reverse lookup counts', async () => {
    const forged = ['from mx-in.victim-mail.org (unknown [203.0.113.66]) by mx-in.victim-mail.org with ESMTP; Mon, 7 Dec 2026 09:00:02 +0000', 'from fake (fake [192.0.2.99]) by mx-in.victim-mail.org; Mon, 7 Dec 2026 09:00:01 +0000'];
    const evidence = await analyseReportedMessage(spam(forged), { resolver, trustedRelays: [], providerDomains: ['victim-mail.org'] });
    expect(evidence.originIp).toBe('203.0.113.66');
  });

  it('knows the provider by the reporter’s MX hosts', async () => {
    const chain = [
      'from relay7.provider-host.net (relay7.provider-host.net [203.0.113.7]) by mx.provider-host.net; Mon, 7 Dec 2026 09:00:03 +0000',
      'from bulk.sender-host.org (bulk.sender-host.org [198.51.100.23]) by relay7.provider-host.net; Mon, 7 Dec 2026 09:00:02 +0000',
    ];
    const report = Buffer.concat([
      Buffer.from('From: Jane <jane@mailbox.example>\r\nTo: abuse@example.net\r\nSubject: spam\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nSpam attached.\r\n--b\r\nContent-Type: message/rfc822\r\n\r\n'),
      spam(chain),
      Buffer.from('\r\n--b--\r\n'),
    ]);
    const lookup: ManagedLookup = { domain: () => null, ip: () => null, infrastructure: [] };
    const evidence = await buildEvidence(report, { resolver, trustedRelays: [], lookup, reporter: 'jane@mailbox.example' });
    expect(evidence.reportedMessages[0]?.originIp).toBe('198.51.100.23');
  });
});

describe('a domain in several roles', () => {
  it('is graded by its strongest: a verified managed sender stays conclusive when it also names a Received server', () => {
    const message: ReportedMessageEvidence = {
      originIp: null, receivedChain: [], returnPath: null, fromAddress: 'news@kunde-shop.com', fromDomain: 'kunde-shop.com', fromVerified: true, dkim: [], spf: null, urls: [],
      domains: [
        { domain: 'kunde-shop.com', role: 'infrastructure' },
        { domain: 'kunde-shop.com', role: 'sender', verified: true, via: ['from', 'dkim'] },
      ],
      mailServers: [], attachmentNames: [], subject: null, messageId: null, date: null, problems: [],
    };
    const lookup: ManagedLookup = { domain: (d) => (d === 'kunde-shop.com' ? { account: 'ACC-2' } : null), ip: () => null, infrastructure: [] };
    const graded = gradeEvidence([message], lookup);
    expect(graded.domains).toEqual([expect.objectContaining({ domain: 'kunde-shop.com', role: 'sender', conclusive: true, roles: ['infrastructure', 'sender'] })]);
    expect(graded.grade).toBe('conclusive');
  });
});
