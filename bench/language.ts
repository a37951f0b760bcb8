import { LANGUAGES, type Language } from '../src/config/brands.js';
import { detectLanguage, francRanking, functionWordVotes, textToJudge, writersText } from '../src/mail/language.js';
import { loadShortMails, wrongDefault, type ShortMail } from '../test/support/short-mails.js';

/**
 * `npx tsx bench/language.ts [--misses] [--held-out]`: how often each
 * candidate names the right language on the labelled short mails of
 * fixtures/language/short/, per language, overall and on the held-out fifth.
 *
 * A candidate answers a language or null when it cannot tell; null counts as
 * wrong, since the brand's default is then right only by luck (the chosen
 * detector is run with a wrong default for the same reason). The detectors
 * that are not dependencies are measured when installed, without saving them:
 * `npm i --no-save eld@2.1.0 tinyld@1.3.4 cld3-asm@4.0.0 cld@2.10.1` (cld
 * builds CLD2 with node-gyp; npm 11 leaves its build script to you:
 * `npx node-gyp rebuild --nodedir=/usr` in node_modules/cld). `--misses` lists
 * the misses on the tuning part; `--held-out` adds the held-out ones.
 */

type Answer = Language | null;
type Detect = (subject: string, body: string, languages: readonly Language[], label: Language) => Answer | Promise<Answer>;

interface Candidate {
  name: string;
  detect: Detect;
}

const ALL = LANGUAGES;

/** The unique leader of a vote, or null. */
function winner(votes: Map<Language, number>): Answer {
  const [first, second] = [...votes].sort((a, b) => b[1] - a[1]);
  if (!first || first[1] === 0 || (second && second[1] === first[1])) return null;
  return first[0];
}

/** Writer's words, with the subject even when it is a reply's. */
function withSubject(subject: string, body: string): string {
  const own = writersText(subject, body);
  return `${own.subject}\n${own.body}`.trim();
}

const judged = (subject: string, body: string) => textToJudge(writersText(subject, body));
const franc = (text: string, languages: readonly Language[], minLength = 10): Answer => francRanking(text, languages, minLength)[0]?.[0] ?? null;
const votesThen = (text: string, languages: readonly Language[], then: (text: string) => Answer): Answer => winner(functionWordVotes(text, languages)) ?? then(text);

const OWN: Candidate[] = [
  {
    name: 'franc, quoted lines dropped (before)',
    detect: (subject, body, languages) => franc(`${subject}\n${body.split(/\r?\n/).filter((line) => !line.startsWith('>')).join('\n')}`.trim(), languages),
  },
  { name: 'franc, writer\'s words', detect: (subject, body, languages) => franc(withSubject(subject, body), languages) },
  { name: 'franc, writer\'s words, minLength 3', detect: (subject, body, languages) => franc(withSubject(subject, body), languages, 3) },
  { name: 'franc, writer\'s words, no reply subject', detect: (subject, body, languages) => franc(judged(subject, body), languages) },
  { name: 'function words, writer\'s words', detect: (subject, body, languages) => winner(functionWordVotes(withSubject(subject, body), languages)) },
  {
    name: 'franc, then function words (writer\'s words)',
    detect: (subject, body, languages) => {
      const text = withSubject(subject, body);
      return franc(text, languages) ?? winner(functionWordVotes(text, languages));
    },
  },
  { name: 'function words, then franc (writer\'s words)', detect: (subject, body, languages) => votesThen(withSubject(subject, body), languages, (text) => franc(text, languages)) },
  {
    name: 'chosen: function words, then franc, no reply subject',
    detect: (subject, body, languages, label) => detectLanguage(subject, body, languages, wrongDefault(label)),
  },
];

/** A detector that is not a dependency: measured when it imports. */
async function optional(name: string, load: () => Promise<Array<[string, (text: string, languages: readonly Language[]) => Answer | Promise<Answer>]>>): Promise<Candidate[] | string> {
  try {
    return (await load()).flatMap(([variant, detect]) => [
      { name: `${name}${variant}, writer's words`, detect: (subject, body, languages) => detect(withSubject(subject, body), languages) },
      { name: `${name}${variant}, no reply subject`, detect: (subject, body, languages) => detect(judged(subject, body), languages) },
      {
        name: `function words, then ${name}${variant}, no reply subject`,
        detect: (subject, body, languages) => votesThen(judged(subject, body), languages, (text) => detect(text, languages) as Answer),
      },
    ]);
  } catch (error) {
    return `${name}: skipped (${(error as Error).message.split('\n')[0]})`;
  }
}

const among = (code: string | undefined, languages: readonly Language[]): Answer =>
  code && (languages as readonly string[]).includes(code) ? (code as Language) : null;

async function externalCandidates(): Promise<Array<Candidate[] | string>> {
  type Eld = { load(size: string): Promise<boolean>; detect(text: string): { getScores(): Record<string, number> } };
  return [
    await optional('eld', async () => {
      const { eld } = (await import('eld' as string)) as { eld: { newInstance(): Eld } };
      // Largest first; the smaller databases cost less memory (docs/performance.md).
      return Promise.all(
        ['large', 'extrasmall'].map(async (size): Promise<[string, (text: string, languages: readonly Language[]) => Answer]> => {
          const detector = eld.newInstance();
          await detector.load(size);
          return [
            ` ${size}`,
            (text, languages) => {
              const scores = detector.detect(text).getScores();
              return [...languages].filter((l) => scores[l] !== undefined).sort((a, b) => (scores[b] ?? 0) - (scores[a] ?? 0))[0] ?? null;
            },
          ];
        }),
      );
    }),
    await optional('CLD2 (cld)', async () => {
      const cld = ((await import('cld' as string)) as { default: { detect(text: string, options: object): Promise<{ languages: Array<{ code: string }> }> } }).default;
      return [
        [
          '',
          async (text, languages) => {
            // cld throws when it cannot tell.
            const result = await cld.detect(text, { bestEffort: true }).catch(() => ({ languages: [] }));
            return among(result.languages.find((l) => (languages as readonly string[]).includes(l.code))?.code, languages);
          },
        ],
      ];
    }),
    await optional('CLD3 (cld3-asm)', async () => {
      const { loadModule } = (await import('cld3-asm' as string)) as { loadModule(): Promise<{ create(min: number, max: number): { findLanguage(text: string): { language: string } } }> };
      const identifier = (await loadModule()).create(0, 4_000);
      return [['', (text, languages) => among(identifier.findLanguage(text).language, languages)]];
    }),
    await optional('tinyld', async () => {
      const tinyld = (await import('tinyld' as string)) as { detectAll(text: string, options: object): Array<{ lang: string }> };
      return [['', (text, languages) => among(tinyld.detectAll(text, { only: [...languages] })[0]?.lang, languages)]];
    }),
  ];
}

interface Tally {
  right: number;
  total: number;
}

async function measure(candidate: Candidate, mails: readonly ShortMail[], showHeldOut: boolean) {
  const tallies = new Map<string, Tally>();
  const count = (key: string, right: boolean) => {
    const tally = tallies.get(key) ?? { right: 0, total: 0 };
    tally.total++;
    if (right) tally.right++;
    tallies.set(key, tally);
  };
  const confusions = new Map<string, number>();
  const misses: string[] = [];
  for (const mail of mails) {
    const got = await candidate.detect(mail.subject, mail.text, ALL, mail.language);
    const right = got === mail.language;
    count(mail.language, right);
    count('all', right);
    if (mail.heldOut) count('held out', right);
    if (right) continue;
    const key = `${mail.language}→${got ?? 'unsure'}`;
    confusions.set(key, (confusions.get(key) ?? 0) + 1);
    if (!mail.heldOut || showHeldOut) misses.push(`  ${key} ${mail.language}.jsonl:${mail.line}${mail.heldOut ? ' (held out)' : ''} ${JSON.stringify(mail.subject)} ${JSON.stringify(mail.text.slice(0, 90))}`);
  }
  return { tallies, confusions, misses };
}

const percent = (tally: Tally | undefined) => (tally ? `${((100 * tally.right) / tally.total).toFixed(1)} %` : '—');

async function main() {
  const showHeldOut = process.argv.includes('--held-out');
  const listMisses = showHeldOut || process.argv.includes('--misses');
  const mails = loadShortMails();
  const candidates = [...OWN];
  for (const external of await externalCandidates()) {
    if (typeof external === 'string') console.log(external);
    else candidates.push(...external);
  }
  const perLanguage = ALL.map((language) => `${language} (${mails.filter((mail) => mail.language === language).length})`);
  console.log(`\n| configuration | ${perLanguage.join(' | ')} | all (${mails.length}) | held out (${mails.filter((mail) => mail.heldOut).length}) | wrong |`);
  console.log(`|---|${ALL.map(() => '---|').join('')}---|---|---|`);
  const details: string[] = [];
  for (const candidate of candidates) {
    const { tallies, confusions, misses } = await measure(candidate, mails, showHeldOut);
    const wrong = [...confusions].sort((a, b) => b[1] - a[1]).map(([key, n]) => `${key} ${n}`).join(', ');
    console.log(`| ${candidate.name} | ${ALL.map((l) => percent(tallies.get(l))).join(' | ')} | ${percent(tallies.get('all'))} | ${percent(tallies.get('held out'))} | ${wrong || '—'} |`);
    if (listMisses && misses.length > 0) details.push(`${candidate.name}:`, ...misses);
  }
  if (details.length > 0) console.log(`\n${details.join('\n')}`);
}

await main();
