import { franc } from 'franc';
import type { Language } from '../config/brands.js';

const ISO639_3: Record<string, Language> = { eng: 'en', deu: 'de', fra: 'fr', nld: 'nl' };
const TO_ISO639_3: Record<Language, string> = { en: 'eng', de: 'deu', fr: 'fra', nl: 'nld' };

/**
 * The writer's language among the brand's languages, from subject and body,
 * or the brand's default when the text is too short or unclear to tell.
 * Quoted lines are left out: they are usually our own words, not the writer's.
 */
export function detectLanguage(subject: string, body: string, languages: readonly Language[], fallback: Language): Language {
  const own = body
    .split(/\r?\n/)
    .filter((line) => !line.startsWith('>'))
    .join('\n')
    .slice(0, 4_000);
  const text = `${subject}\n${own}`.trim();
  const code = franc(text, { only: languages.map((language) => TO_ISO639_3[language]), minLength: 10 });
  return ISO639_3[code] ?? fallback;
}
