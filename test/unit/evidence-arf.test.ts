import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseFeedbackReport } from '../../src/mail/evidence/arf.js';
import { findReportedMessages } from '../../src/mail/evidence/find.js';
import { collapse } from '../../src/mail/evidence/headers.js';
import { CORPORA_DIR } from '../support/corpora.js';

const corpora = CORPORA_DIR;
const stalwartDir = `${corpora}stalwart-mail-auth/resources/arf/`;
const sisimaiDir = `${corpora}sisimai-set-of-emails/`;

/** stalwart's enum spelling ("AuthFailure", "BodyHash") against ours ("auth-failure", "bodyhash"). */
const norm = (value: string | null | undefined): string | null => (value ? value.toLowerCase().replace(/[^a-z0-9]/g, '') : null);
const unbracket = (value: string | null): string | null => (value ? value.replace(/^<|>$/g, '') : null);

interface StalwartArf {
  feedback_type: string;
  arrival_date: number | null;
  authentication_results: string[];
  incidents: number;
  original_envelope_id: string | null;
  original_mail_from: string | null;
  original_rcpt_to: string | null;
  reported_domain: string[];
  reported_uri: string[];
  reporting_mta: string | null;
  source_ip: string | null;
  user_agent: string | null;
  version: number;
  auth_failure: string;
  delivery_result: string;
  dkim_domain: string | null;
  dkim_identity: string | null;
  dkim_selector: string | null;
  headers: string | null;
}

describe('ARF: stalwart mail-auth cases with expected results', () => {
  const cases = readdirSync(stalwartDir).filter((f) => f.endsWith('.eml'));

  it('has the cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(5);
  });

  it.each(cases)('%s matches the expected fields', async (name) => {
    const expected = JSON.parse(readFileSync(`${stalwartDir}${name.replace('.eml', '.json')}`, 'utf8')) as StalwartArf;
    const result = await findReportedMessages(readFileSync(`${stalwartDir}${name}`));
    const arf = result.arf!;
    expect(arf).toBeDefined();
    expect(norm(arf.feedbackType)).toBe(norm(expected.feedback_type));
    expect(arf.arrivalDate ? Date.parse(arf.arrivalDate) / 1000 : null).toBe(expected.arrival_date);
    expect(arf.authenticationResults.map(collapse)).toEqual(expected.authentication_results.map(collapse));
    expect(arf.incidents ?? 1).toBe(expected.incidents);
    expect(arf.originalEnvelopeId ?? null).toBe(expected.original_envelope_id);
    expect(arf.originalMailFrom ?? null).toBe(unbracket(expected.original_mail_from));
    expect(arf.originalRcptTo[0] ?? null).toBe(unbracket(expected.original_rcpt_to));
    expect(arf.reportedDomains).toEqual(expected.reported_domain);
    expect(arf.reportedUris).toEqual(expected.reported_uri);
    expect(arf.reportingMta ?? null).toBe(expected.reporting_mta);
    expect(arf.sourceIp ?? null).toBe(expected.source_ip);
    expect(arf.userAgent ?? null).toBe(expected.user_agent);
    expect(Number(arf.version)).toBe(expected.version);
    expect(norm(arf.authFailure) ?? 'unspecified').toBe(norm(expected.auth_failure));
    expect(norm(arf.deliveryResult) ?? 'unspecified').toBe(norm(expected.delivery_result));
    expect(arf.dkimDomain ?? null).toBe(expected.dkim_domain);
    expect(arf.dkimIdentity ?? null).toBe(expected.dkim_identity);
    expect(arf.dkimSelector ?? null).toBe(expected.dkim_selector);

    // The third part: the original message, or only its headers (text/rfc822-headers).
    expect(result.messages).toHaveLength(1);
    const original = result.messages[0]!;
    expect(original.source).toBe('arf');
    expect(original.headersOnly).toBe(expected.headers !== null);
    if (expected.headers !== null) expect(collapse(original.raw.toString())).toBe(collapse(expected.headers));
  });
});

describe('ARF: sisimai set-of-emails feedback types', () => {
  const rows = readFileSync(`${sisimaiDir}expected-arf-feedback-types.tsv`, 'utf8')
    .split('\n')
    .filter((line) => line.trim() && !line.startsWith('#'))
    .map((line) => line.split('\t') as [string, string, string]);

  it('has the expectations', () => {
    expect(rows.length).toBeGreaterThanOrEqual(15);
  });

  // sisimai reports one result per Original-Rcpt-To; we keep one report with the list of recipients.
  it.each(rows)('%s is %s', async (file, types) => {
    const result = await findReportedMessages(readFileSync(`${sisimaiDir}maildir/bsd/${file}`));
    const expected = types.split(',');
    expect(result.arf).toBeDefined();
    const count = Math.max(1, result.arf!.originalRcptTo.length);
    expect(Array.from({ length: count }, () => result.arf!.feedbackType)).toEqual(expected);
  });

  it('finds the complained-about message in the reports that carry one', async () => {
    for (const [file] of rows) {
      const result = await findReportedMessages(readFileSync(`${sisimaiDir}maildir/bsd/${file}`));
      // arf-26 is Apple Mail's unsubscribe: the mail itself is the request, nothing is attached.
      if (file === 'arf-26.eml') expect(result.messages).toEqual([]);
      else expect(result.messages.length, file).toBeGreaterThan(0);
    }
  });
});

describe('parseFeedbackReport', () => {
  it('reads folded fields, repeated fields and the older Received-Date', () => {
    const arf = parseFeedbackReport(
      [
        'Feedback-Type: Fraud',
        'User-Agent: Example/1.0',
        'Version: 1',
        'Source-IP: 2001:db8::1 (mx.example)',
        'Received-Date: Wed, 14 Apr 2010 12:15:31 -0700 (PDT)',
        'Reported-Domain: Example.NET',
        'Reported-Domain: example.org',
        'Authentication-Results: mx.example;',
        '    spf=fail smtp.mailfrom=a@example.net',
        'Incidents: 3',
        '',
      ].join('\r\n'),
    );
    expect(arf).toMatchObject({
      feedbackType: 'fraud',
      sourceIp: '2001:db8::1',
      arrivalDate: '2010-04-14T19:15:31.000Z',
      reportedDomains: ['example.net', 'example.org'],
      authenticationResults: ['mx.example; spf=fail smtp.mailfrom=a@example.net'],
      incidents: 3,
    });
  });

  it('is null without Feedback-Type, and ignores a Source-IP that is not an address', () => {
    expect(parseFeedbackReport('User-Agent: x\r\n')).toBeNull();
    expect(parseFeedbackReport('Feedback-Type: abuse\r\nSource-IP: mail.example\r\n')?.sourceIp).toBeUndefined();
  });
});
