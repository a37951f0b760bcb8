import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { detectLanguage } from '../../src/mail/language.js';
import { bodyText, parseMessage } from '../../src/mail/parse.js';

const ALL = ['en', 'de', 'fr', 'nl'] as const;
const fixture = (name: string) => readFileSync(new URL(`../../fixtures/language/${name}`, import.meta.url));

describe('language of the writer', () => {
  it.each([
    ['en.eml', 'en'],
    ['de.eml', 'de'],
    ['fr.eml', 'fr'],
    ['nl.eml', 'nl'],
    ['de-latin1-multipart.eml', 'de'],
  ])('%s is %s', async (name, expected) => {
    const mail = await parseMessage(fixture(name));
    expect(detectLanguage(mail.subject ?? '', bodyText(mail), ALL, 'en')).toBe(expected);
  });

  it('falls back to the brand default when the text is too short to tell', () => {
    expect(detectLanguage('Hi', 'ok', ALL, 'fr')).toBe('fr');
  });

  it('ignores quoted lines (our own words)', () => {
    const body = '> Vielen Dank für Ihre Nachricht. Wir haben Ihre Beschwerde erhalten und werden sie prüfen.\n> Mit freundlichen Grüßen\nThank you, but I am still waiting for an answer to my request about the domain.';
    expect(detectLanguage('Re: Ihre Beschwerde', body, ALL, 'nl')).toBe('en');
  });

  it('only answers in the brand languages', () => {
    expect(detectLanguage('Beschwerde', 'Ich bin mit Ihrem Kundendienst überhaupt nicht zufrieden und erwarte eine Antwort.', ['en', 'fr'], 'en')).not.toBe('de');
  });
});
