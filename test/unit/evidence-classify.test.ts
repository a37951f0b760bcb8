import { describe, expect, it } from 'vitest';
import { classifyAbuse } from '../../src/mail/evidence/classify.js';

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
    [{ xarfClass: 'Activity', xarfType: 'Botnet' }, 'malware'],
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
});
