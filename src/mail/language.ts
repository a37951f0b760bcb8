import { francAll } from 'franc';
import type { Language } from '../config/brands.js';
import { replyText } from './reply-text.js';

// Chosen on a measurement (bench/language.ts, docs/performance.md): on short
// mails franc's trigrams alone named the right language 93 % of the time, a
// vote of each language's own function words, with franc to break a tie, 99.8 %.

const ISO639_3: Record<string, Language> = { eng: 'en', deu: 'de', fra: 'fr', nld: 'nl' };
const TO_ISO639_3: Record<Language, string> = { en: 'eng', de: 'deu', fr: 'fra', nl: 'nld' };

/** Subject and body without what the writer did not write themselves. */
export interface WritersText {
  subject: string;
  body: string;
  /** A reply's or a forward's subject: someone else's words (often ours, in the language we answered). */
  quotedSubject: boolean;
}

const REPLY_PREFIX = /^\s*(?:(?:re|aw|wg|fwd?|tr|antw|sv|vs)[ \t]*(?:\[\d+\])?:[ \t]*)+/i;
const TICKET_TAG = /\[[A-Z]{2,5}-\d{4}-\d+\]/g;
/** A link, an e-mail address or a domain name: "://", "@" or a dot between a name and two letters. */
const NOT_A_WORD = /:\/\/|@|[\p{L}\d-]\.\p{L}{2}/u;
const NUMBER = /\d[\d.,:/-]*/g;

/**
 * Where a forwarded or Outlook-quoted message begins, as the four languages'
 * mail programs write it: below it are someone else's words, unmarked by ">".
 */
const HISTORY = new RegExp(
  [
    String.raw`^[ \t]*-{2,}[ \t]*(?:original message|ursprüngliche nachricht|message d'origine|oorspronkelijk bericht|forwarded message|weitergeleitete nachricht|message transféré|doorgestuurd bericht)[ \t]*-{2,}`,
    String.raw`^[ \t]*(?:begin forwarded message|anfang der weitergeleiteten nachricht|début du message réexpédié|begin doorgestuurd bericht)[ \t]*:`,
    // Outlook's header block: "From:" with "Sent:" on the next line.
    String.raw`^[ \t]*(?:from|von|de|van) ?:.*\r?\n[ \t]*(?:sent|gesendet|envoyé|verzonden|date|datum) ?:`,
  ].join('|'),
  'im',
);

/** Pasted log lines and mail headers: the machine's words, in English whatever the writer's language. */
const MACHINE_LINE = /\d{1,2}:\d{2}:\d{2}|^(?:received|from|to|subject|date|return-path|message-id|dkim-signature|authentication-results|x-[\w-]+):/i;

/** URLs, addresses, domain names, ticket tags and numbers are in no language, and on a two-line mail they outweigh the words. */
function scrub(text: string): string {
  return text
    .replace(TICKET_TAG, ' ')
    .replace(/\S+/g, (token) => (NOT_A_WORD.test(token) ? ' ' : token))
    .replace(NUMBER, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

/** The writer's own words: quoted and forwarded history, signatures and pasted headers or logs left out, then scrubbed. */
export function writersText(subject: string, body: string): WritersText {
  const head = body.slice(0, 8_000);
  const history = HISTORY.exec(head);
  const own = replyText(history ? head.slice(0, history.index) : head)
    .split('\n')
    .filter((line) => !line.trimStart().startsWith('>') && !MACHINE_LINE.test(line))
    .join('\n');
  const line = subject.slice(0, 1_000);
  return { subject: scrub(line.replace(REPLY_PREFIX, '')), body: scrub(own.slice(0, 4_000)), quotedSubject: REPLY_PREFIX.test(line) };
}

/** The text to judge: a reply's subject only when the body has no words of its own. */
export function textToJudge(own: WritersText): string {
  if (own.quotedSubject && /\p{L}{2}/u.test(own.body)) return own.body;
  return `${own.subject}\n${own.body}`.trim();
}

/** franc's trigram ranking among `languages`, best first (score 1 for the best); empty when the text is too short to tell. */
export function francRanking(text: string, languages: readonly Language[], minLength = 10): Array<[Language, number]> {
  const ranked = francAll(text, { only: languages.map((language) => TO_ISO639_3[language]), minLength });
  return ranked.flatMap(([code, score]) => {
    const language = ISO639_3[code];
    return language ? [[language, score] as [Language, number]] : [];
  });
}

// Function words of one of the four languages only. A word two of them share
// ("die", "de", "en", "is", "was", "we", "je", "du", "des", "hier", "met") or
// that is also a common word of another ("door", "plus", "ca.") is left out,
// so that each one found is a vote for exactly one language.
const words = (list: string): ReadonlySet<string> => new Set(list.split(/\s+/).filter(Boolean));
const FUNCTION_WORDS: Record<Language, ReadonlySet<string>> = {
  en: words(`
    the and are were you your my i it its this that to for with have has not please thanks thank still can could would
    should what why how when which who from but be been they there here our us any about just yet do does did don't
    doesn't didn't isn't it's i'm i've can't won't again since got anyone someone nobody their them`),
  de: words(`
    der das und ist nicht ich mit ein eine einen einem einer sie ihr ihre ihnen ihrer mein meine meinen meiner mir mich
    wir uns unser unsere auf bei für fuer von zu zum zur dem noch schon auch aber oder wenn dass daß warum bitte danke
    nur immer keine kein seit sind habe hat haben wurde wird werden kann können koennen möchte moechte bin es nach über
    ueber um heute gestern jetzt vor sehr dieser diese dieses sich ob doch weil gibt nichts etwas einfach endlich`),
  fr: words(`
    le la les une un et est pas que qui ne pour dans sur avec mon ma mes votre vos nous vous il elle ce cette ces au aux
    mais ou où merci bonjour toujours depuis déjà deja été ete ai sont suis très tres rien aucun aucune encore se sa ses
    leur cela ça peut pouvez pourquoi comment quand avez fait faire aujourd'hui aussi`),
  nl: words(`
    het een van ik niet dat wat zijn op voor mijn jullie u uw ook nog al maar om bij naar geen wel heb hebben heeft kan
    kunnen kunt wil graag bedankt alstublieft alsjeblieft nu waarom hoe wordt werd deze dit dan zo toch omdat sinds
    gisteren vandaag onze ons ze zij hem hun mij nee weer steeds alleen hebt bent ben zou moet zal gaat geleden`),
};

const WORD = /[\p{L}']+/gu;
/** French elides articles and pronouns into the next word: "l'en-tête", "j'ai", "qu'il". */
const ELISION = /^(?:j|l|d|n|qu|c|s)'(?=\p{L})/u;

/** How many of each language's own function words the text has. */
export function functionWordVotes(text: string, languages: readonly Language[]): Map<Language, number> {
  const votes = new Map<Language, number>(languages.map((language) => [language, 0]));
  const vote = (language: Language) => votes.set(language, (votes.get(language) ?? 0) + 1);
  for (const token of text.toLowerCase().replace(/[\u2018\u2019]/g, "'").match(WORD) ?? []) {
    let word = token.replace(/^'+|'+$/g, '');
    const elided = ELISION.exec(word);
    if (elided && votes.has('fr')) {
      vote('fr');
      word = word.slice(elided[0].length);
    }
    for (const language of languages) if (FUNCTION_WORDS[language].has(word)) vote(language);
  }
  return votes;
}

/** The languages with the most votes, when any language has one. */
function leaders(votes: Map<Language, number>): Language[] {
  const most = Math.max(0, ...votes.values());
  return most === 0 ? [] : [...votes].filter(([, count]) => count === most).map(([language]) => language);
}

/**
 * The writer's language among the brand's languages. Their own words decide:
 * the language with the most of its function words; on a tie, or with none,
 * the language of the writer's earlier message in the case (`previous`) when
 * it is still in the running, else franc's trigrams among those in the
 * running, else the brand's default (`fallback`).
 */
export function detectLanguage(subject: string, body: string, languages: readonly Language[], fallback: Language, previous?: Language): Language {
  const text = textToJudge(writersText(subject, body));
  const ahead = leaders(functionWordVotes(text, languages));
  const [only] = ahead;
  if (only && ahead.length === 1) return only;
  const running = ahead.length > 0 ? ahead : languages;
  if (previous && running.includes(previous)) return previous;
  return francRanking(text, running)[0]?.[0] ?? fallback;
}
