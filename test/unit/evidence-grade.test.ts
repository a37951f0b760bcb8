import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dkimSign } from 'mailauth/lib/dkim/sign.js';
import { describe, expect, it } from 'vitest';
import { buildEvidence, FROM_CAN_BE_FORGED, gradeEvidence, summariseEvidence, type CaseEvidence, type EvidenceDeps } from '../../src/mail/evidence/index.js';
import type { ManagedLookup, ReportedMessageEvidence, Resolver } from '../../src/mail/evidence/types.js';

const fixture = (name: string): Buffer => readFileSync(new URL(`../../fixtures/reports/${name}`, import.meta.url));
const NOW = new Date('2024-05-21T12:00:00Z');

/** The managed tables as the caller would preload them. */
const managedDomains = new Map<string, string | null>([
  ['pills-shop.biz', 'ACC-1'],
  ['kunde-shop.com', 'ACC-2'],
]);
const managedRanges = [{ range: '198.51.100.0/24', account: 'ACC-7' }];
const lookup: ManagedLookup = {
  domain: (domain) => (managedDomains.has(domain) ? { account: managedDomains.get(domain) ?? null } : null),
  ip: (ip) => (ip.startsWith('198.51.100.') ? (managedRanges[0] ?? null) : null),
  infrastructure: ['192.0.2.128/25'],
};

function zone(txt: Record<string, string>): Resolver {
  return async (name, rrtype) => {
    const record = txt[name.toLowerCase()];
    if (rrtype === 'TXT' && record !== undefined) return [[record]];
    throw Object.assign(new Error(`ENOTFOUND ${name}`), { code: 'ENOTFOUND' });
  };
}

const deps = (resolver: Resolver = zone({})): EvidenceDeps => ({ resolver, trustedRelays: ['192.0.2.0/28'], lookup, now: NOW });

function evidenceOf(partial: Partial<ReportedMessageEvidence>): ReportedMessageEvidence {
  return {
    originIp: null,
    receivedChain: [],
    returnPath: null,
    fromAddress: null,
    fromDomain: null,
    fromVerified: false,
    dkim: [],
    spf: null,
    urls: [],
    domains: [],
    mailServers: [],
    attachmentNames: [],
    subject: null,
    messageId: null,
    date: null,
    problems: [],
    ...partial,
  };
}

describe('gradeEvidence', () => {
  it('a managed domain advertised in the message is conclusive', () => {
    const result = gradeEvidence([evidenceOf({ domains: [{ domain: 'pills-shop.biz', role: 'advertised' }] })], lookup);
    expect(result.grade).toBe('conclusive');
    expect(result.domains).toEqual([
      { domain: 'pills-shop.biz', managed: true, account: 'ACC-1', role: 'advertised', conclusive: true, reason: 'managed domain advertised in the message' },
    ]);
    expect(result.suggestedMeasure).toMatchObject({ measure: 'suspend-domain', target: 'pills-shop.biz', account: 'ACC-1' });
  });

  it('a managed domain only in an unverified From is recorded, not conclusive', () => {
    const result = gradeEvidence([evidenceOf({ domains: [{ domain: 'kunde-shop.com', role: 'sender', verified: false, via: ['from'] }] })], lookup);
    expect(result.grade).toBe('inconclusive');
    expect(result.domains[0]).toMatchObject({ domain: 'kunde-shop.com', managed: true, account: 'ACC-2', conclusive: false, reason: 'not conclusive: From can be forged' });
    expect(FROM_CAN_BE_FORGED).toBe('not conclusive: From can be forged');
    expect(result.suggestedMeasure).toBeNull();
  });

  it('a verified managed sender domain is conclusive', () => {
    const result = gradeEvidence([evidenceOf({ domains: [{ domain: 'kunde-shop.com', role: 'sender', verified: true, via: ['from', 'dkim'] }] })], lookup);
    expect(result.grade).toBe('conclusive');
    expect(result.suggestedMeasure).toMatchObject({ measure: 'suspend-domain', target: 'kunde-shop.com', account: 'ACC-2' });
  });

  it('an origin in a managed range or our own infrastructure is conclusive', () => {
    const managed = gradeEvidence([evidenceOf({ originIp: '198.51.100.23' })], lookup);
    expect(managed.grade).toBe('conclusive');
    expect(managed.suggestedMeasure).toEqual({
      measure: 'deactivate-service',
      target: '198.51.100.23',
      account: 'ACC-7',
      reason: 'sent from 198.51.100.23 in managed range 198.51.100.0/24',
    });
    const ours = gradeEvidence([evidenceOf({ originIp: '192.0.2.200' })], lookup);
    expect(ours.origins[0]).toMatchObject({ ours: true, range: '192.0.2.128/25', conclusive: true });
    expect(ours.suggestedMeasure?.measure).toBe('deactivate-service');
  });

  it('a source IP the reporter only states is not conclusive', () => {
    const result = gradeEvidence([], lookup, [{ ip: '198.51.100.9', source: 'xarf' }]);
    expect(result.grade).toBe('inconclusive');
    expect(result.origins[0]).toMatchObject({ source: 'xarf', conclusive: false, reason: 'not conclusive: source IP stated by the reporter only' });
  });

  it('unmanaged domains, server names and outside origins grade none', () => {
    const result = gradeEvidence(
      [
        evidenceOf({
          originIp: '203.0.113.9',
          domains: [
            { domain: 'elsewhere.example', role: 'advertised' },
            { domain: 'kunde-shop.com', role: 'infrastructure' },
          ],
        }),
      ],
      { ...lookup, domain: (d) => (d === 'kunde-shop.com' ? { account: null } : null) },
    );
    expect(result.domains.find((d) => d.role === 'infrastructure')).toMatchObject({ managed: true, conclusive: false });
    expect(result.grade).toBe('inconclusive');
    expect(gradeEvidence([evidenceOf({ originIp: '203.0.113.9', domains: [{ domain: 'elsewhere.example', role: 'advertised' }] })], lookup).grade).toBe('none');
    expect(gradeEvidence([], lookup)).toMatchObject({ grade: 'none', suggestedMeasure: null, domains: [] });
  });

  it('merges the same domain across reports, conclusive wins', () => {
    const result = gradeEvidence(
      [
        evidenceOf({ domains: [{ domain: 'kunde-shop.com', role: 'sender', verified: false, via: ['from'] }] }),
        evidenceOf({ domains: [{ domain: 'kunde-shop.com', role: 'sender', verified: true, via: ['dkim'] }] }),
      ],
      lookup,
    );
    expect(result.domains).toHaveLength(1);
    expect(result.domains[0]?.conclusive).toBe(true);
    expect(result.perReport.map((r) => r.domains[0]?.conclusive)).toEqual([false, true]);
  });
});

describe('buildEvidence on the report fixtures', () => {
  it('forged From advertising a managed domain: advertised conclusive, From not', async () => {
    const evidence = await buildEvidence(fixture('forged-from-managed.eml'), deps());
    expect(evidence.grade).toBe('conclusive');
    expect(evidence.complete).toBe(true);
    const domains = evidence.reportedMessages[0]!.domains;
    expect(domains).toContainEqual(expect.objectContaining({ domain: 'pills-shop.biz', role: 'advertised', managed: true, account: 'ACC-1', conclusive: true }));
    expect(domains).toContainEqual(
      expect.objectContaining({ domain: 'kunde-shop.com', role: 'sender', managed: true, account: 'ACC-2', conclusive: false, reason: 'not conclusive: From can be forged' }),
    );
    expect(evidence.suggestedMeasure).toMatchObject({ measure: 'suspend-domain', target: 'pills-shop.biz', account: 'ACC-1' });
    expect(evidence.abuseType).toBe('spam');
  });

  it('spam sent from a managed IP range, past the trusted relay', async () => {
    const evidence = await buildEvidence(fixture('managed-ip-origin.eml'), deps());
    expect(evidence.reportedMessages[0]).toMatchObject({ originIp: '198.51.100.23', origin: { range: '198.51.100.0/24', account: 'ACC-7', conclusive: true } });
    expect(evidence.grade).toBe('conclusive');
    expect(evidence.suggestedMeasure).toMatchObject({ measure: 'deactivate-service', target: '198.51.100.23', account: 'ACC-7' });
  });

  it('a spam report without the spam: incomplete, asking for the message; the domain it names is not enough', async () => {
    const evidence = await buildEvidence(fixture('no-spam.eml'), deps());
    expect(evidence).toMatchObject({ complete: false, missing: 'message', reportedMessages: [], suggestedMeasure: null, abuseType: 'spam' });
    expect(evidence.resources?.domains).toEqual(['example.biz']);
    expect(evidence.grade).not.toBe('conclusive');
  });

  it('the nested forward is phishing, the ARF report spam with the reporter data kept', async () => {
    expect((await buildEvidence(fixture('nested-forward.eml'), deps())).abuseType).toBe('phishing');
    const arf = await buildEvidence(fixture('arf-report.eml'), deps());
    expect(arf.abuseType).toBe('spam');
    expect(arf.arf?.sourceIp).toBe('203.0.113.45');
    expect(arf.grade).toBe('conclusive');
  });

  it('X-ARF: reporter data kept without the raw report', async () => {
    const evidence = await buildEvidence(fixture('xarf-report.eml'), deps());
    expect(evidence.xarf).toEqual({ valid: true, errors: [], format: 'legacy', class: 'Activity', type: 'Spam', sourceIp: '203.0.113.99' });
    expect(evidence.reportedMessages[0]?.source).toBe('xarf');
  });

  it('a managed sender whose DKIM signature re-verifies is conclusive', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const record = `v=DKIM1; k=rsa; p=${publicKey.export({ type: 'spki', format: 'der' }).toString('base64')}`;
    const spam = [
      'Received: from out.kunde-shop.com (out.kunde-shop.com [203.0.113.30]) by mx.victim.example; Tue, 21 May 2024 10:00:00 +0000',
      'From: news@kunde-shop.com',
      'To: victim@victim.example',
      'Subject: Newsletter',
      'Date: Tue, 21 May 2024 09:59:00 +0000',
      'Message-ID: <n-1@kunde-shop.com>',
      '',
      'Unwanted news.',
      '',
    ].join('\r\n');
    const signature = { signingDomain: 'kunde-shop.com', selector: 'news', privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() };
    // A fixed signing time, as in test/support/mail.ts: mailauth reads the clock twice without one.
    const signed = (await dkimSign(spam, { ...signature, signatureData: [signature], signTime: new Date() })).signatures + spam;
    const report = `From: a@victim.example\r\nTo: abuse@desk-registrar.net\r\nSubject: spam\r\nContent-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n--b\r\nContent-Type: message/rfc822\r\n\r\n${signed}\r\n--b--\r\n`;
    const evidence = await buildEvidence(Buffer.from(report), deps(zone({ 'news._domainkey.kunde-shop.com': record })));
    const message = evidence.reportedMessages[0]!;
    expect(message.fromVerified).toBe(true);
    expect(message.dkim).toEqual([{ domain: 'kunde-shop.com', selector: 'news', result: 'pass' }]);
    expect(message.domains).toContainEqual(expect.objectContaining({ domain: 'kunde-shop.com', role: 'sender', conclusive: true, verified: true }));
    expect(evidence.suggestedMeasure).toMatchObject({ measure: 'suspend-domain', target: 'kunde-shop.com', account: 'ACC-2' });
  });

  it('is plain JSON in the shape the API returns', async () => {
    const evidence = await buildEvidence(fixture('forged-from-managed.eml'), deps());
    const stored = JSON.parse(JSON.stringify(evidence)) as CaseEvidence;
    expect(stored).toEqual(evidence);
    const message = stored.reportedMessages[0]!;
    for (const key of ['originIp', 'fromDomain', 'fromVerified', 'dkim', 'spf', 'urls', 'domains']) expect(message).toHaveProperty(key);
    for (const key of ['domain', 'managed', 'account', 'role', 'conclusive']) expect(message.domains[0]).toHaveProperty(key);
    expect(JSON.stringify(evidence)).not.toContain('"type":"Buffer"');
  });

  it('summarises for the specialist', async () => {
    const summary = summariseEvidence(await buildEvidence(fixture('forged-from-managed.eml'), deps()));
    expect(summary).toContain('Evidence: conclusive');
    expect(summary).toContain('Suggested measure: suspend-domain pills-shop.biz (account ACC-1)');
    expect(summary).toContain('kunde-shop.com (sender, managed (account ACC-2)): not conclusive: From can be forged');
    expect(summary.split('\n').length).toBeLessThan(20);
    expect(summariseEvidence(await buildEvidence(fixture('no-spam.eml'), deps()))).toContain('report incomplete');
  });
});
