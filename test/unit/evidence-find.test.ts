import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { findReportedMessages } from '../../src/mail/evidence/find.js';
import { headerFields } from '../../src/mail/evidence/headers.js';

const fixture = (name: string): Buffer => readFileSync(new URL(`../../fixtures/reports/${name}`, import.meta.url));

function subjectOf(raw: Buffer): string | undefined {
  return headerFields(raw).find((f) => f.key === 'subject')?.value;
}

function report(headers: string, body: string): Buffer {
  return Buffer.from(`From: someone@complainant.example\r\nTo: abuse@desk-registrar.net\r\nSubject: report\r\nMIME-Version: 1.0\r\n${headers}\r\n\r\n${body}`);
}

const SPAM = [
  'Received: from mail.bulk-sender.net (mail.bulk-sender.net [203.0.113.45]) by mx.example.org; Tue, 14 May 2024 09:12:01 +0200',
  'From: deals@bulk-sender.net',
  'Subject: the spam',
  'Date: Tue, 14 May 2024 07:11:57 +0000',
  'Message-ID: <spam@bulk-sender.net>',
  '',
  'buy now at https://cheap-watches.shop/',
  '',
].join('\r\n');

describe('findReportedMessages: the shapes of a report', () => {
  it('finds an attached message/rfc822', async () => {
    const result = await findReportedMessages(fixture('rfc822-attachment.eml'));
    expect(result.messages).toHaveLength(1);
    expect(result.messages[0]).toMatchObject({ source: 'rfc822', headersOnly: false });
    expect(subjectOf(result.messages[0]!.raw)).toBe('Luxury watches -80% today only');
    expect(result.complete).toBe(true);
    expect(result.reportText).toContain('anbei eine Spam-Mail');
    expect(result.problems).toEqual([]);
  });

  it('opens a forward of a forward down to the innermost message', async () => {
    const result = await findReportedMessages(fixture('nested-forward.eml'));
    expect(result.messages.map((m) => m.source)).toEqual(['rfc822']);
    expect(subjectOf(result.messages[0]!.raw)).toBe('Your mailbox is full');
    expect(result.complete).toBe(true);
  });

  it('takes an .eml attachment sent as application/octet-stream (base64)', async () => {
    const result = await findReportedMessages(fixture('eml-octet-stream.eml'));
    expect(result.messages).toHaveLength(1);
    expect(result.messages[0]!.source).toBe('eml');
    expect(subjectOf(result.messages[0]!.raw)).toBe('Snel geld lenen zonder BKR');
    expect(result.complete).toBe(true);
  });

  it('reads an ARF report and its original message', async () => {
    const result = await findReportedMessages(fixture('arf-report.eml'));
    expect(result.messages.map((m) => [m.source, m.headersOnly])).toEqual([['arf', false]]);
    expect(result.arf).toMatchObject({
      feedbackType: 'abuse',
      userAgent: 'ExampleFBL/2.1',
      version: '1',
      sourceIp: '203.0.113.45',
      originalMailFrom: 'bounce-88@bulk-sender.net',
      originalRcptTo: ['user1@mailbox-provider.example'],
      arrivalDate: '2024-05-18T05:55:00.000Z',
      reportingMta: 'mx1.mailbox-provider.example',
      reportedDomains: ['bulk-sender.net'],
      reportedUris: ['https://pills-shop.biz/buy'],
    });
    expect(result.complete).toBe(true);
  });

  it('reads an X-ARF JSON attachment and the message in its samples', async () => {
    const result = await findReportedMessages(fixture('xarf-report.eml'));
    expect(result.xarf).toMatchObject({ valid: true, errors: [], format: 'legacy', class: 'Activity', type: 'Spam', sourceIp: '203.0.113.99' });
    expect(result.messages.map((m) => m.source)).toEqual(['xarf']);
    expect(subjectOf(result.messages[0]!.raw)).toBe('Crypto profits guaranteed');
    expect(result.complete).toBe(true);
  });

  it('reads X-ARF sent as the whole body and records why it does not validate', async () => {
    const result = await findReportedMessages(fixture('xarf-v4-invalid-body.eml'));
    expect(result.xarf).toMatchObject({ valid: false, format: 'v4', class: 'messaging', type: 'spam', sourceIp: '203.0.113.99' });
    expect(result.xarf?.errors.join(' ')).toContain('/reporter/contact');
    expect(result.problems.some((p) => p.includes('does not validate'))).toBe(true);
    expect(result.messages).toEqual([]);
    expect(result.complete).toBe(false);
  });

  it('reads X-ARF in a text/plain body', async () => {
    const body = JSON.stringify({
      Version: '2',
      ReporterInfo: { ReporterOrg: 'Trap Org', ReporterOrgDomain: 'trap.example', ReporterOrgEmail: 'r@trap.example' },
      Disclosure: true,
      Report: { ReportClass: 'Activity', ReportType: 'Spam', Date: '2024-05-01T00:00:00Z', SourceIp: '2001:db8::25' },
    });
    const result = await findReportedMessages(report('Content-Type: text/plain', body));
    expect(result.xarf).toMatchObject({ valid: true, type: 'Spam', sourceIp: '2001:db8::25' });
  });

  it('finds header blocks pasted into the text', async () => {
    const result = await findReportedMessages(fixture('inline-headers.eml'));
    expect(result.messages).toHaveLength(1);
    const pasted = result.messages[0]!;
    expect(pasted).toMatchObject({ source: 'inline', headersOnly: true });
    expect(subjectOf(pasted.raw)).toBe('Gagnez un iPhone');
    expect(headerFields(pasted.raw).filter((f) => f.key === 'received')).toHaveLength(2);
    expect(pasted.raw.toString()).toContain('http://gagner-iphone.biz/jeu');
    expect(result.complete).toBe(true);
  });

  it('finds quoted pasted headers too', async () => {
    const quoted = SPAM.split('\r\n').map((l) => `> ${l}`).join('\r\n');
    const result = await findReportedMessages(report('Content-Type: text/plain', `Look at this:\r\n\r\n${quoted}`));
    expect(result.messages.map((m) => m.source)).toEqual(['inline']);
    expect(subjectOf(result.messages[0]!.raw)).toBe('the spam');
  });

  it('a client-style forward without Received or Message-ID is found but not complete', async () => {
    const body = 'FYI\r\n\r\n---------- Forwarded message ---------\r\nFrom: Deals <deals@bulk-sender.net>\r\nDate: Mon, 13 May 2024 at 10:00\r\nSubject: Watches\r\nTo: <me@example.org>\r\n\r\nbuy at cheap-watches.shop\r\n';
    const result = await findReportedMessages(report('Content-Type: text/plain', body));
    expect(result.messages.map((m) => m.source)).toEqual(['inline']);
    expect(result.complete).toBe(false);
  });

  it('a report without the spam is not complete', async () => {
    const result = await findReportedMessages(fixture('no-spam.eml'));
    expect(result.messages).toEqual([]);
    expect(result.complete).toBe(false);
    expect(result.reportText).toContain('I got spam from example.biz');
  });

  it('a text/rfc822-headers part outside ARF is a header-only message', async () => {
    const body = `--b\r\nContent-Type: text/plain\r\n\r\nheaders below\r\n--b\r\nContent-Type: text/rfc822-headers\r\n\r\n${SPAM.split('\r\n\r\n')[0]}\r\n--b--\r\n`;
    const result = await findReportedMessages(report('Content-Type: multipart/mixed; boundary="b"', body));
    expect(result.messages.map((m) => [m.source, m.headersOnly])).toEqual([['rfc822-headers', true]]);
    expect(result.complete).toBe(true);
  });

  it('a redirected message (Resent-From) is itself the reported message', async () => {
    const raw = Buffer.from(`Resent-From: someone@complainant.example\r\nResent-To: abuse@desk-registrar.net\r\n${SPAM}`);
    const result = await findReportedMessages(raw);
    expect(result.messages.map((m) => m.source)).toEqual(['resent']);
  });
});

describe('findReportedMessages: malformed and hostile input', () => {
  it('records a feedback-report without Feedback-Type and a JSON part that is not X-ARF', async () => {
    const body = [
      '--b',
      'Content-Type: message/feedback-report',
      '',
      'User-Agent: broken/1.0',
      '--b',
      'Content-Type: application/json; name="data.json"',
      'Content-Disposition: attachment; filename="data.json"',
      '',
      '{"not": "xarf"',
      '--b--',
      '',
    ].join('\r\n');
    const result = await findReportedMessages(report('Content-Type: multipart/report; report-type=feedback-report; boundary="b"', body));
    expect(result.arf).toBeUndefined();
    expect(result.problems).toContain('message/feedback-report part without Feedback-Type');
    expect(result.problems.some((p) => p.includes('not an X-ARF report'))).toBe(true);
  });

  it('records a multipart whose closing boundary is missing', async () => {
    const body = `--b\r\nContent-Type: text/plain\r\n\r\nhello\r\n--b\r\nContent-Type: message/rfc822\r\n\r\n${SPAM}`;
    const result = await findReportedMessages(report('Content-Type: multipart/mixed; boundary="b"', body));
    expect(result.messages).toHaveLength(1);
    expect(result.problems.some((p) => p.includes('never closed'))).toBe(true);
  });

  it('stops at maxDepth', async () => {
    let raw: Buffer = Buffer.from(SPAM);
    for (let i = 0; i < 8; i += 1) {
      raw = report(`Content-Type: multipart/mixed; boundary="d${i}"`, `--d${i}\r\nContent-Type: message/rfc822\r\n\r\n${raw.toString()}\r\n--d${i}--\r\n`);
    }
    const result = await findReportedMessages(raw, { maxDepth: 3 });
    expect(result.messages).toHaveLength(1);
    expect(result.problems.some((p) => p.includes('nesting deeper than 3'))).toBe(true);
  });

  it('stops at maxParts', async () => {
    const parts = Array.from({ length: 30 }, (_, i) => `--b\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename="f${i}.bin"\r\n\r\nxx\r\n`).join('');
    const result = await findReportedMessages(report('Content-Type: multipart/mixed; boundary="b"', `${parts}--b--\r\n`), { maxParts: 10 });
    // Our own count, or mailsplit's hard stop on nodes, whichever comes first.
    expect(result.problems.some((p) => /more than 10 parts|child nodes exceeded/.test(p))).toBe(true);
  });

  it('refuses a report over maxBytes without reading it', async () => {
    const result = await findReportedMessages(fixture('rfc822-attachment.eml'), { maxBytes: 100 });
    expect(result.messages).toEqual([]);
    expect(result.problems[0]).toMatch(/larger than 100/);
  });

  it('gives up at the deadline instead of hanging', async () => {
    const parts = Array.from({ length: 150 }, () => `--b\r\nContent-Type: message/rfc822\r\n\r\n${SPAM}\r\n`).join('');
    const started = Date.now();
    const result = await findReportedMessages(report('Content-Type: multipart/mixed; boundary="b"', `${parts}--b--\r\n`), { timeoutMs: 1 });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(result.problems.some((p) => p.includes('time limit') || p.includes('did not finish'))).toBe(true);
  });

  it('never throws on garbage', async () => {
    for (const raw of [Buffer.alloc(0), Buffer.from('\r\n\r\n'), Buffer.from([0, 255, 1, 254, 10, 10, 0]), Buffer.from('no colon here\n\n{')]) {
      const result = await findReportedMessages(raw);
      expect(result.complete).toBe(false);
    }
  });
});
