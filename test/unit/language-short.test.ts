import { describe, expect, it } from 'vitest';
import { LANGUAGES } from '../../src/config/brands.js';
import { detectLanguage } from '../../src/mail/language.js';
import { loadShortMails, wrongDefault, type ShortMail } from '../support/short-mails.js';

// The labelled short mails of fixtures/language/short/ (one to three
// sentences, written for this project): the rates README states. Each mail is
// judged with a brand default that is wrong for it, so a detector that cannot
// tell is counted wrong rather than lucky.

const mails = loadShortMails();

function rate(subset: readonly ShortMail[]): { rate: number; misses: string[] } {
  const misses = subset
    .map((mail) => ({ mail, got: detectLanguage(mail.subject, mail.text, LANGUAGES, wrongDefault(mail.language)) }))
    .filter(({ mail, got }) => got !== mail.language)
    .map(({ mail, got }) => `${mail.language}.jsonl:${mail.line} ${mail.language}→${got}: ${JSON.stringify(mail.subject)} ${JSON.stringify(mail.text)}`);
  if (misses.length > 0) console.log(`misses:\n${misses.join('\n')}`);
  return { rate: (subset.length - misses.length) / subset.length, misses };
}

describe('language of short mails', () => {
  it('has at least 50 labelled mails in each language, one in five held out', () => {
    for (const language of LANGUAGES) {
      const own = mails.filter((mail) => mail.language === language);
      expect(own.length).toBeGreaterThanOrEqual(50);
      expect(own.filter((mail) => mail.heldOut).length).toBe(Math.floor(own.length / 5));
    }
  });

  it('names the right language for at least 99 % of them', () => {
    expect(rate(mails).rate).toBeGreaterThanOrEqual(0.99);
  });

  it.each(LANGUAGES)('names %s right for at least 98 % of its mails', (language) => {
    expect(rate(mails.filter((mail) => mail.language === language)).rate).toBeGreaterThanOrEqual(0.98);
  });

  it('names the right language for at least 97 % of the held-out fifth, which did not tune the word lists', () => {
    expect(rate(mails.filter((mail) => mail.heldOut)).rate).toBeGreaterThanOrEqual(0.97);
  });
});

describe('when the words do not tell', () => {
  it("takes the language of the writer's earlier message in the case", () => {
    expect(detectLanguage('Re: [CMP-2026-000017]', 'Ok.', LANGUAGES, 'en', 'nl')).toBe('nl');
    expect(detectLanguage('Re: [CMP-2026-000017]', 'Ok.', LANGUAGES, 'en')).toBe('en');
  });

  it('but not over words that do tell', () => {
    expect(detectLanguage('Re: [CMP-2026-000017]', 'Vielen Dank, das hat mir sehr geholfen.', LANGUAGES, 'en', 'nl')).toBe('de');
  });

  it('nor a language the brand does not answer in', () => {
    expect(detectLanguage('Re: [CMP-2026-000017]', 'Ok.', ['en', 'fr'], 'fr', 'de')).toBe('fr');
  });

  it("does not let the particles of a name (\"van der\") outvote the writer's words", () => {
    expect(detectLanguage('Mr van der Berg', 'Your colleague Mr van der Berg promised me a credit note. I am still waiting.', LANGUAGES, 'fr')).toBe('en');
  });
});

describe("the writer's own words", () => {
  it("leave out the subject of a reply, which is ours, in the language we answered", () => {
    expect(detectLanguage('Re: [ABU-2026-000318] Eingangsbestätigung Ihrer Missbrauchsmeldung: Phishing', 'Sorry, wrong language. Please answer in English.', LANGUAGES, 'de')).toBe('en');
  });

  it('leave out a forwarded message and an Outlook-quoted one', () => {
    const forwarded = 'Je vous transfère ce mail reçu ce matin.\n\n---------- Forwarded message ---------\nFrom: Bank <x@bank.example>\nYour account has been suspended. Please verify your identity to continue using online banking.';
    expect(detectLanguage('Fwd: Your account has been suspended', forwarded, LANGUAGES, 'en')).toBe('fr');
    const outlook = 'Waarom krijg ik antwoord in het Duits?\n\nVan: Beschwerdestelle <complaints@example.net>\nVerzonden: maandag 2 maart 2026 09:14\n\nSehr geehrte Damen und Herren, wir haben Ihre Beschwerde erhalten und werden sie beantworten.';
    expect(detectLanguage('Re: Ihre Beschwerde', outlook, LANGUAGES, 'de')).toBe('nl');
  });

  it('leave out links, addresses, domain names and pasted log lines', () => {
    const body = 'Phishing: hxxps://login-secure-update.example/verify?user=info@bank.example\nMar 3 10:01:12 sshd[123]: Failed password for root from 192.0.2.77\nMerci de la fermer.';
    expect(detectLanguage('Signalement', body, LANGUAGES, 'en')).toBe('fr');
  });
});
