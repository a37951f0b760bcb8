import { readFileSync } from 'node:fs';
import { LANGUAGES, type Language } from '../../src/config/brands.js';

/** One labelled short mail of fixtures/language/short/. */
export interface ShortMail {
  language: Language;
  /** Line number in its language's file, from 1. */
  line: number;
  subject: string;
  text: string;
  /** Every fifth mail of each file: kept out of tuning the function-word lists. */
  heldOut: boolean;
}

export function loadShortMails(): ShortMail[] {
  return LANGUAGES.flatMap((language) =>
    readFileSync(new URL(`../../fixtures/language/short/${language}.jsonl`, import.meta.url), 'utf8')
      .trimEnd()
      .split('\n')
      .map((line, index) => {
        const { subject, text } = JSON.parse(line) as { subject: string; text: string };
        return { language, line: index + 1, subject, text, heldOut: index % 5 === 4 };
      }),
  );
}

/** A brand default that is wrong for this mail, so that a detector that falls back to it is counted wrong. */
export function wrongDefault(language: Language): Language {
  return LANGUAGES[(LANGUAGES.indexOf(language) + 1) % LANGUAGES.length] as Language;
}
