import { describe, expect, it } from 'vitest';
import { classifyAbuse as classifyWithReasons, type ClassifyInput } from '../../src/mail/evidence/classify.js';

const classifyAbuse = (input: ClassifyInput) => classifyWithReasons(input).type;

const plain = { subject: 'Hello', text: 'Great offers for you', urls: ['https://offers.example/'] };

describe('classifyAbuse', () => {
  it.each([
    ['abuse', 'spam'],
    ['fraud', 'phishing'],
    ['virus', 'malware'],
    ['opt-out', 'other'],
    ['not-spam', 'other'],
  ] as const)('ARF Feedback-Type %s is %s', (arfFeedbackType, expected) => {
    expect(classifyAbuse({ ...plain, arfFeedbackType })).toBe(expected);
  });

  it('an ARF auth-failure falls through to the content', () => {
    expect(classifyAbuse({ ...plain, arfFeedbackType: 'auth-failure', text: 'Please verify your account' })).toBe('phishing');
  });

  it.each([
    [{ xarfClass: 'Activity', xarfType: 'Spam' }, 'spam'],
    [{ xarfClass: 'Content', xarfType: 'Phishing' }, 'phishing'],
    [{ xarfClass: 'Content', xarfType: 'Malware' }, 'malware'],
    [{ xarfClass: 'Activity', xarfType: 'Botnet' }, 'botnet'],
    [{ xarfClass: 'infrastructure', xarfType: 'botnet' }, 'botnet'],
    [{ xarfClass: 'connection', xarfType: 'infected-host' }, 'botnet'],
    [{ xarfClass: 'reputation', xarfType: 'blocklist', xarfThreatType: 'command_and_control' }, 'botnet'],
    [{ xarfClass: 'messaging', xarfType: 'bulk_messaging' }, 'spam'],
    [{ xarfClass: 'content', xarfType: 'fraud' }, 'phishing'],
    [{ xarfClass: 'Activity', xarfType: 'DDoS' }, 'other'],
    [{ xarfClass: 'copyright', xarfType: 'p2p' }, 'other'],
  ] as const)('X-ARF %o is %s', (xarf, expected) => {
    expect(classifyAbuse({ ...plain, ...xarf })).toBe(expected);
  });

  it.each([
    ['Your password expires today', 'en'],
    ['Please VERIFY YOUR ACCOUNT within 24 hours', 'en'],
    ['Bitte geben Sie Ihr Passwort ein', 'de'],
    ['Jetzt Konto bestätigen', 'de'],
    ['Saisissez votre mot de passe', 'fr'],
    ['Vérifiez votre compte', 'fr'],
    ['Voer uw wachtwoord in', 'nl'],
    ['Bevestig uw account', 'nl'],
  ])('"%s" (%s) is phishing', (text) => {
    expect(classifyAbuse({ subject: 'Notice', text, urls: [] })).toBe('phishing');
  });

  it('decomposed umlauts are matched too', () => {
    expect(classifyAbuse({ subject: 'Konto besta\u0308tigen', text: '', urls: [] })).toBe('phishing');
  });

  it('executable or archive attachments, download links and malware words mean malware', () => {
    expect(classifyAbuse({ ...plain, attachmentNames: ['Invoice.PDF.exe'] })).toBe('malware');
    expect(classifyAbuse({ ...plain, attachmentNames: ['rechnung.zip'] })).toBe('malware');
    expect(classifyAbuse({ ...plain, urls: ['https://files.example/setup.exe'] })).toBe('malware');
    expect(classifyAbuse({ ...plain, text: 'this mail carries a trojan' })).toBe('malware');
    // A script referenced by a page is not a download.
    expect(classifyAbuse({ ...plain, urls: ['https://cdn.example/app.js'] })).toBe('spam');
  });

  it('defaults to spam with a reported message, other without', () => {
    expect(classifyAbuse(plain)).toBe('spam');
    expect(classifyAbuse({ ...plain, hasReportedMessage: false })).toBe('other');
  });

  it('does not throw on odd URLs', () => {
    expect(classifyAbuse({ ...plain, urls: ['not a url', ''] })).toBe('spam');
  });

  it.each([
    ['The domain below is a botnet command and control server', 'botnet'],
    ['Der Steuerserver des Botnetz läuft unter dieser Domain', 'botnet'],
    ['Ce domaine est un serveur de commande d\'un réseau de zombies', 'botnet'],
    ['Our customers are sent to a fake site: DNS hijacking of the resolver', 'pharming'],
    ['Détournement DNS constaté sur ce domaine', 'pharming'],
    ['Dit domein verspreidt malware en een trojan', 'malware'],
    ['This URL is a phishing page imitating my bank', 'phishing'],
  ] as const)('"%s" is %s', (text, expected) => {
    expect(classifyAbuse({ subject: 'Abuse report', text, urls: [], hasReportedMessage: false })).toBe(expected);
  });

  it('names botnet and pharming before the malware and phishing they also mention', () => {
    expect(classifyAbuse({ subject: 'C2', text: 'This botnet spreads malware and steals passwords', urls: [], hasReportedMessage: false })).toBe('botnet');
    expect(classifyAbuse({ subject: 'Pharming', text: 'pharming: users land on a phishing copy', urls: [], hasReportedMessage: false })).toBe('pharming');
  });

  it('a report without a message is spam only when it says so', () => {
    expect(classifyAbuse({ subject: 'Spam from your customer', text: 'They keep sending me ads.', urls: [], hasReportedMessage: false })).toBe('spam');
    expect(classifyAbuse({ subject: 'Question', text: 'Please look at this site.', urls: ['https://x.example/'], hasReportedMessage: false })).toBe('other');
  });

  it('gives its reasons', () => {
    expect(classifyWithReasons({ ...plain, arfFeedbackType: 'fraud' }).reasons).toEqual(['ARF Feedback-Type: fraud']);
    expect(classifyWithReasons({ ...plain, attachmentNames: ['setup.exe'] }).reasons[0]).toContain('setup.exe');
    expect(classifyWithReasons({ subject: 'x', text: 'a phishing page', urls: [], hasReportedMessage: false }).reasons).toEqual(['the words "phishing"']);
  });
});
