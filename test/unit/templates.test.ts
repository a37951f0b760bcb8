import { describe, expect, it } from 'vitest';
import { LANGUAGES, type Language } from '../../src/config/brands.js';
import {
  ESCALATION_KEYWORD,
  TEMPLATE_NAMES,
  isStaffTemplate,
  renderTemplate,
  type TemplateName,
  type TemplateVars,
} from '../../src/outbound/templates/index.js';

const TICKET = 'ABU-2026-000042';
const BRAND = 'Example Registrar';
const TZ = 'Europe/Berlin';
const REPORTER = 'jane.reporter@victim.example';
// 23:30 UTC is already Wednesday in Berlin: the time zone must be applied.
const DUE = new Date('2027-01-05T23:30:00Z');

const DUE_TEXT: Record<Language, string> = {
  en: 'Wednesday, 6 January 2027',
  de: 'Mittwoch, 6. Januar 2027',
  fr: 'mercredi 6 janvier 2027',
  nl: 'woensdag 6 januari 2027',
};

const REPLY_HINT: Record<Language, RegExp> = {
  en: /reply to this email/,
  de: /auf diese E-Mail/,
  fr: /(répondre|répondez) à cet e-mail/,
  nl: /[Bb]eantwoord [^.]*deze e-mail/,
};

const WORKING_DAYS: Record<Language, string> = { en: 'working days', de: 'Werktag', fr: 'jours ouvrables', nl: 'werkdagen' };

/** One set of vars per template; the mapped type makes a missing template a compile error. */
const SAMPLES: { [N in TemplateName]: TemplateVars[N] } = {
  acknowledgement: { ticket: TICKET, brandName: BRAND, caseKind: 'abuse', originalSubject: 'Spam from shop.example', respondBy: DUE, timeZone: TZ },
  incomplete_report: { ticket: TICKET, brandName: BRAND, timeZone: TZ },
  escalation_received: { ticket: TICKET, brandName: BRAND, finalResponseBy: DUE, timeZone: TZ },
  escalation_missing_info: { ticket: TICKET, brandName: BRAND, missing: ['contact', 'keyword'], keyword: 'Complaint' },
  escalation_window_closed: { ticket: TICKET, brandName: BRAND, closedOn: DUE, timeZone: TZ, complaintsAddress: 'complaints@registrar.example' },
  extension_notice: { ticket: TICKET, brandName: BRAND, newDate: DUE, timeZone: TZ, reason: 'waiting for the hosting provider' },
  need_info: { ticket: TICKET, brandName: BRAND, text: 'Which address received the message?\nPlease include the date.' },
  response: { ticket: TICKET, brandName: BRAND, text: 'We have reviewed the domain and found no violation.' },
  outcome: { ticket: TICKET, brandName: BRAND, result: 'The complaint was justified.', measures: [{ measure: 'suspend-domain', target: 'shop.example' }] },
  feedback_thanks: { ticket: TICKET, brandName: BRAND },
  customer_hearing: {
    ticket: TICKET,
    brandName: BRAND,
    domain: 'shop.example',
    measure: 'suspend-domain',
    evidenceSummary: `Advertised URL: https://shop.example/?r=${encodeURIComponent(REPORTER)}\nTo: ${REPORTER.toUpperCase()}`,
    respondBy: DUE,
    timeZone: TZ,
    withhold: [REPORTER],
  },
  measure_applied: {
    ticket: TICKET,
    brandName: BRAND,
    measure: 'suspend-domain',
    target: 'shop.example',
    appliedAt: DUE,
    timeZone: TZ,
    abuseType: 'phishing',
    evidenceSummary: `Reported phishing URL: https://shop.example/login\nReported by ${REPORTER}`,
    withhold: [REPORTER],
  },
  measure_lifted: { ticket: TICKET, brandName: BRAND, measure: 'suspend-domain', target: 'shop.example', liftedAt: DUE, timeZone: TZ, reason: 'the owner removed the page' },
  customer_cleanup: {
    ticket: TICKET,
    brandName: BRAND,
    domain: 'bakery.example',
    abuseType: 'phishing',
    evidenceSummary: `Reported URL: https://bakery.example/wp-content/login.php\nReporter: ${REPORTER}`,
    respondBy: DUE,
    timeZone: TZ,
    withhold: [REPORTER],
  },
  specialist_notice: {
    ticket: TICKET,
    caseKind: 'abuse',
    complainant: REPORTER,
    verdictSummary: 'spf=pass dkim=pass dmarc=pass (aligned)',
    deadlines: [{ kind: 'respond', dueAt: DUE }, { kind: 'some_new_kind', dueAt: DUE }],
    language: 'de',
    evidenceSummary: 'Origin 192.0.2.7 (managed range)',
    timeZone: TZ,
    commandsHelp: true,
  },
  deadline_reminder: { ticket: TICKET, kind: 'respond', dueAt: DUE, timeZone: TZ },
  deadline_breached: { ticket: TICKET, kind: 'final_response', dueAt: DUE, timeZone: TZ },
  command_error: { ticket: TICKET, line: '#extnd 2027-01-10', reason: 'unknown command #extnd' },
  complainant_reply: { ticket: TICKET, text: 'Here is the full message.' },
  customer_reply: { ticket: TICKET, text: 'The recipient subscribed.', domain: 'shop.example' },
  decision_needed: { ticket: TICKET, domain: 'shop.example', reason: 'deadline_passed' },
  measure_failed: { ticket: TICKET, measure: 'suspend-domain', target: 'shop.example', error: 'HTTP 503 from platform' },
  associated_domains: { ticket: TICKET, domain: 'shop.example', domains: [{ domain: 'shop2.example', reasons: ['the same account (ACC-1)'], listed: ['dbl.spamhaus.org answered 127.0.1.2'] }] },
  incident_digest: {
    ticket: TICKET,
    target: 'shop.example',
    total: 4,
    state: 'open',
    timeZone: TZ,
    reports: [{ ticket: 'ABU-2026-000043', reporter: REPORTER, receivedAt: DUE, abuseType: 'phishing', language: 'de' }],
  },
};

function render<N extends TemplateName>(name: N, language: Language, vars: TemplateVars[N] = SAMPLES[name]) {
  return renderTemplate(name, language, vars);
}

const LEFTOVERS = /undefined|NaN|\[object|Invalid Date|\bnull\b|\$\{|\{\{|\}\}/;

describe('every template in every language', () => {
  for (const name of TEMPLATE_NAMES) {
    for (const language of LANGUAGES) {
      it(`${name} (${language})`, () => {
        const { subject, text } = render(name, language);
        expect(subject.trim()).not.toBe('');
        expect(subject).not.toMatch(/[\r\n]/);
        expect(subject).not.toContain(TICKET);
        expect(subject).not.toMatch(LEFTOVERS);
        expect(text).toContain(TICKET);
        expect(text).not.toMatch(LEFTOVERS);
        expect(text.endsWith('\n')).toBe(true);
        if (!isStaffTemplate(name)) {
          expect(text).toContain(`[${TICKET}]`);
          expect(text).toMatch(REPLY_HINT[language]);
          expect(text).toContain(BRAND);
        }
      });
    }
  }
});

describe('typing', () => {
  it('checks the vars of each template at compile time', () => {
    // @ts-expect-error need_info requires the specialist's text
    expect(() => renderTemplate('need_info', 'en', { ticket: TICKET, brandName: BRAND })).toThrow();
  });
});

describe('dates', () => {
  const dated = ['acknowledgement', 'escalation_received', 'escalation_window_closed', 'extension_notice', 'customer_hearing'] as const;
  for (const name of dated) {
    for (const language of LANGUAGES) {
      it(`${name} (${language}) shows the date in the brand's time zone and the language's format`, () => {
        expect(render(name, language).text).toContain(DUE_TEXT[language]);
      });
    }
  }

  it('formats the sample date from the brief', () => {
    const respondBy = new Date('2027-01-05T12:00:00Z');
    const expected: Record<Language, string> = {
      en: 'Tuesday, 5 January 2027',
      de: 'Dienstag, 5. Januar 2027',
      fr: 'mardi 5 janvier 2027',
      nl: 'dinsdag 5 januari 2027',
    };
    for (const language of LANGUAGES) {
      expect(render('acknowledgement', language, { ...SAMPLES.acknowledgement, respondBy }).text).toContain(expected[language]);
    }
  });

  it('refuses an invalid date instead of printing one', () => {
    expect(() => render('acknowledgement', 'en', { ...SAMPLES.acknowledgement, respondBy: new Date(Number.NaN) })).toThrow(/valid Date/);
  });
});

describe('acknowledgement', () => {
  it('speaks of working days in the seeds’ words', () => {
    for (const language of LANGUAGES) expect(render('acknowledgement', language).text).toContain(WORKING_DAYS[language]);
    expect(render('acknowledgement', 'de').text).toContain('Werktag');
  });

  it('promises to keep the case on file and to say in time if more time is needed', () => {
    const { text } = render('acknowledgement', 'en');
    expect(text).toContain('kept on file');
    expect(text).toContain('longer investigation');
  });

  it('asks for the complete message with headers for abuse only', () => {
    expect(render('acknowledgement', 'en').text).toContain('header information');
    expect(render('acknowledgement', 'en', { ...SAMPLES.acknowledgement, caseKind: 'complaint' }).text).not.toContain('header information');
    expect(render('acknowledgement', 'de').text).toContain('Header-Daten');
  });

  it('thanks for feedback and says where it went', () => {
    const vars = { ...SAMPLES.acknowledgement, caseKind: 'feedback' as const };
    expect(render('acknowledgement', 'en', vars).text).toContain('relevant department or project team');
    expect(render('acknowledgement', 'de', vars).text).toContain('zuständige Abteilung');
    expect(render('acknowledgement', 'fr', vars).text).toContain('service compétent');
    expect(render('acknowledgement', 'nl', vars).text).toContain('relevante afdeling');
  });

  it('keeps a hostile original subject on one line', () => {
    const { subject } = render('acknowledgement', 'en', { ...SAMPLES.acknowledgement, originalSubject: 'Hi\r\nBcc: victim@example.org' });
    expect(subject).toBe('Your abuse report has been received: Hi Bcc: victim@example.org');
  });

  it('uses French spacing before the colon', () => {
    expect(render('acknowledgement', 'fr').subject).toContain("d'abus : Spam");
  });

  it('starts the German letter in lower case after the salutation', () => {
    const lines = render('acknowledgement', 'de').text.split('\n');
    expect(lines[0]).toBe('Sehr geehrte Damen und Herren,');
    expect(lines[2]).toMatch(/^vielen Dank/);
  });
});

describe('incomplete_report', () => {
  it('explains how to send the message as an attachment and that From proves nothing', () => {
    for (const language of LANGUAGES) {
      const { text } = render('incomplete_report', language);
      expect(text).toContain('.eml');
      expect(text).toContain('message/rfc822');
      expect(text).toContain('From');
    }
  });
});

describe('incomplete_report for DNS abuse', () => {
  it.each(LANGUAGES)('asks a phishing reporter for the URL, never for a spam message (%s)', (language) => {
    const { subject, text } = render('incomplete_report', language, { ticket: TICKET, brandName: BRAND, missing: 'url', abuseType: 'phishing' });
    expect(`${subject}\n${text}`).not.toMatch(/spam/i);
    expect(text).toMatch(/URL/);
    expect(text).toContain('hxxps://example[.]com/login');
    expect(text).toContain(`[${TICKET}]`);
  });

  it.each(LANGUAGES)('asks a botnet reporter for a domain or an IP address (%s)', (language) => {
    expect(render('incomplete_report', language, { ticket: TICKET, brandName: BRAND, missing: 'domain_or_ip', abuseType: 'botnet' }).text).toMatch(/IP/);
  });

  it('keeps asking for the spam message by default', () => {
    expect(render('incomplete_report', 'en').subject).toBe('Please send us the complete spam message');
  });
});

describe('the statement of reasons (measure_applied)', () => {
  it.each(LANGUAGES)('says what was found, on which evidence, which measure from when, and how to contest, never who reported (%s)', (language) => {
    const { text } = render('measure_applied', language);
    expect(text).toContain('shop.example');
    expect(text).toContain('https://shop.example/login');
    expect(text).toContain(DUE_TEXT[language]);
    expect(text).not.toContain(REPORTER);
    expect(text).toContain(`[${TICKET}]`);
  });

  it('still reads without evidence or date, as older measures have none', () => {
    expect(render('measure_applied', 'en', { ticket: TICKET, brandName: BRAND, measure: 'block-account', target: 'customer-4711' }).text).toContain('blocking of the user account customer-4711');
  });
});

describe('customer_cleanup', () => {
  it.each(LANGUAGES)('asks the owner of a compromised site to clean it up, names no suspension and no reporter (%s)', (language) => {
    const { subject, text } = render('customer_cleanup', language);
    expect(subject).toContain('bakery.example');
    expect(text).toContain('https://bakery.example/wp-content/login.php');
    expect(text).not.toContain(REPORTER);
    expect(text).toContain(DUE_TEXT[language]);
  });
});

describe('escalations', () => {
  it('lists exactly what is missing, with the keyword to write', () => {
    const { text } = render('escalation_missing_info', 'en', { ...SAMPLES.escalation_missing_info, missing: ['keyword', 'domains'] });
    const items = text.split('\n').filter((line) => line.startsWith('- '));
    expect(items).toEqual(['- the domain name(s) concerned', '- the word “Complaint”, written clearly in the subject line of your email']);
  });

  it('echoes the seeds’ list in each language', () => {
    const all = { ...SAMPLES.escalation_missing_info, missing: ['contact', 'reference', 'domains', 'description', 'desired_steps', 'keyword'] as const };
    expect(render('escalation_missing_info', 'de', { ...all, keyword: 'Beschwerde' }).text).toContain('„Beschwerde“');
    expect(render('escalation_missing_info', 'fr', { ...all, keyword: 'plainte' }).text).toContain('« plainte »');
    expect(render('escalation_missing_info', 'nl', { ...all, keyword: 'klacht' }).text).toContain('domeinna(a)m(en)');
    expect(render('escalation_missing_info', 'en', all).text.split('\n').filter((line) => line.startsWith('- '))).toHaveLength(6);
  });

  it('refuses to say something is missing when nothing is', () => {
    expect(() => render('escalation_missing_info', 'en', { ...SAMPLES.escalation_missing_info, missing: [] })).toThrow();
  });

  it('tells how to file a new complaint once the window has closed', () => {
    for (const language of LANGUAGES) expect(render('escalation_window_closed', language).text).toContain('complaints@registrar.example');
    expect(render('escalation_window_closed', 'de').text).toContain('20 Werktagen');
  });

  it('mentions the step when there is one', () => {
    expect(render('escalation_received', 'fr', { ...SAMPLES.escalation_received, step: 2 }).text).toContain('étape 2');
  });
});

describe('response', () => {
  it('relays the text verbatim with the escalation keyword of the language', () => {
    for (const language of LANGUAGES) {
      const { text } = render('response', language);
      expect(text.startsWith(SAMPLES.response.text)).toBe(true);
      expect(text).toContain(ESCALATION_KEYWORD[language]);
      expect(text).toContain(`20 ${WORKING_DAYS[language].replace('Werktag', 'Werktagen')}`);
    }
  });

  it('takes the two-step marker instead of the keyword', () => {
    const { text } = render('response', 'fr', { ...SAMPLES.response, keyword: 'Transmission de réclamation - Etape 1' });
    expect(text).toContain('« Transmission de réclamation - Etape 1 »');
  });

  it('exports the keywords the seeds ask for', () => {
    expect(ESCALATION_KEYWORD).toEqual({ en: 'Complaint', de: 'Beschwerde', fr: 'plainte', nl: 'klacht' });
  });
});

describe('need_info, extension_notice, outcome', () => {
  it('inserts the specialist’s question verbatim', () => {
    for (const language of LANGUAGES) expect(render('need_info', language).text).toContain(SAMPLES.need_info.text);
  });

  it('leaves out the reason line when there is no reason', () => {
    const { reason: _reason, ...withoutReason } = SAMPLES.extension_notice;
    expect(render('extension_notice', 'en', withoutReason).text).not.toContain('Reason');
    expect(render('extension_notice', 'en').text).toContain('Reason: waiting for the hosting provider');
  });

  it('lists measures taken, or says none were', () => {
    expect(render('outcome', 'de').text).toContain('- Abschaltung der Domain shop.example');
    expect(render('outcome', 'en', { ...SAMPLES.outcome, measures: [] }).text).toContain('No measures have been taken.');
    expect(render('outcome', 'fr', { ...SAMPLES.outcome, measures: [] }).text).toContain("Aucune mesure n'a été prise.");
    expect(render('outcome', 'nl', { ...SAMPLES.outcome, measures: [] }).text).toContain('Er zijn geen maatregelen genomen.');
  });
});

describe('customer_hearing', () => {
  it('never shows the reporter’s address, even where the evidence names it', () => {
    const smuggled = { ...SAMPLES.customer_hearing, complainant: REPORTER, reporter: REPORTER } as TemplateVars['customer_hearing'];
    for (const language of LANGUAGES) {
      const { subject, text } = render('customer_hearing', language, smuggled);
      for (const output of [subject, text]) {
        expect(output.toLowerCase()).not.toContain(REPORTER);
        expect(output.toLowerCase()).not.toContain(encodeURIComponent(REPORTER).toLowerCase());
      }
      expect(text).toContain('https://shop.example/?r=');
    }
  });

  it('states the evidence, the measure and the deadline to disprove it', () => {
    const { text } = render('customer_hearing', 'de');
    expect(text).toContain('Advertised URL: https://shop.example/');
    expect(text).toContain('Abschaltung der Domain shop.example');
    expect(text).toContain('zweifelsfrei');
  });
});

describe('staff templates', () => {
  it('fall back to English whatever the language', () => {
    for (const name of TEMPLATE_NAMES.filter(isStaffTemplate)) {
      expect(render(name, 'de')).toEqual(render(name, 'en'));
    }
  });

  it('explain the commands when asked, and name the case language', () => {
    const { text } = render('specialist_notice', 'en');
    for (const command of ['#internal', '#assign me', '#assign <address>', '#extend YYYY-MM-DD', '#need-info', '#resolve', '#action', '#dismiss']) {
      expect(text).toContain(command);
    }
    expect(text).toContain('German');
    expect(text).toContain('some new kind');
    expect(render('specialist_notice', 'en', { ...SAMPLES.specialist_notice, commandsHelp: false }).text).not.toContain('#assign me');
  });

  it('shows deadlines with time and zone', () => {
    expect(render('deadline_reminder', 'en').text).toContain('Wednesday, 6 January 2027 at 00:30 CET');
  });
});

describe('response footers follow the escalation path', () => {
  const postWords = { en: /by post/, de: /per Post/, fr: /par courrier/, nl: /per post/ } as const;
  it.each(['en', 'de', 'fr', 'nl'] as const)('%s: by post for the two-step second step, none after the last step', (language) => {
    const base = { ticket: 'CMP-2026-000001', brandName: 'Example', text: 'Our answer.' };
    expect(renderTemplate('response', language, { ...base, escalation: 'post', keyword: 'Transmission de réclamation - Etape 2' }).text).toMatch(postWords[language]);
    const last = renderTemplate('response', language, { ...base, escalation: 'none' }).text;
    expect(last).not.toMatch(/ 20 /);
    const closed = renderTemplate('escalation_window_closed', language, { ...base, closedOn: new Date('2027-01-05T12:00:00Z'), timeZone: 'Europe/Berlin', complaintsAddress: 'complaints@example.net', closedBecause: 'other' }).text;
    expect(closed).not.toMatch(/ 20 /);
  });
});
