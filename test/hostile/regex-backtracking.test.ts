import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { classifySender } from '../../src/intake/sender-policy.js';
import { parseCommands } from '../../src/cases/commands.js';
import { detectLanguage } from '../../src/mail/language.js';
import { readHeaderBlock } from '../../src/mail/headers.js';
import { replyText } from '../../src/mail/reply-text.js';

/**
 * Catastrophic backtracking: V8's regular expressions backtrack, so a pattern
 * like /[ \t]+$/m is quadratic on a long run of blanks that does not end a
 * line, and mail is where such runs come from. Every regular expression
 * literal in src/ is found with the TypeScript parser and run against pumped
 * inputs — a prefix that matches the start of the pattern, one or two
 * characters repeated many times, then a character that makes it fail — and
 * each run must finish within a small time bound. The patterns built at run
 * time (subject heuristics, the reply parser's) are exercised through the
 * functions that own them.
 */

const root = fileURLToPath(new URL('../../', import.meta.url));
/** The sweep's size: every attack runs at this length first… */
const SWEEP = 5_000;
/** …and the slowest at this one, where a quadratic pattern takes hundreds of milliseconds. */
const PUMP = 20_000;
/** A linear pass over 20k characters takes well under a millisecond. */
const BUDGET_MS = 50;

/**
 * Slow patterns in files outside this work, each reported with its fix.
 * Listed so the sweep keeps guarding everything else; remove an entry once
 * its fix lands.
 */
// Patterns known to backtrack on hostile input, each with where it runs. Empty:
// every one found was replaced by a scan (src/lib/text.ts).
const KNOWN_SLOW: Record<string, string> = {};

interface Found {
  /** `path literal`, the key of KNOWN_SLOW. */
  key: string;
  line: number;
  regex: RegExp;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'generated' ? [] : sourceFiles(path);
    return /\.tsx?$/.test(entry.name) ? [path] : [];
  });
}

function regexLiterals(): Found[] {
  const found: Found[] = [];
  for (const file of [...sourceFiles(join(root, 'src')), ...sourceFiles(join(root, 'workers'))]) {
    const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
    const visit = (node: ts.Node): void => {
      if (node.kind === ts.SyntaxKind.RegularExpressionLiteral) {
        const text = node.getText(source);
        const slash = text.lastIndexOf('/');
        // One search per run: without g or y a pattern keeps no state between runs.
        const flags = text.slice(slash + 1).replace(/[gy]/g, '');
        const line = source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1;
        found.push({ key: `${relative(root, file)} ${text}`, line, regex: new RegExp(text.slice(1, slash), flags) });
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return found;
}

/** Characters that end or break the usual runs: blanks, line ends, mail syntax, digits, letters, 8-bit, NUL. */
const PUMP_CHARS = [' ', '\t', '\n', '\r', 'a', '1', '.', '-', '@', '<', ':', ',', '=', '&', '\u00e9', '\0'];
const SUFFIXES = ['!', '\n'];
const MAX_PREFIX = 8;

/**
 * A string the pattern matches, to pump at points of, and ''. fast-check
 * cannot build some (the i flag, lookarounds: matched without i here, else
 * just ''), and hangs on a lone negated class such as [^\x20-\x7e], which
 * needs no prefix anyway: every start position is tried.
 */
function samples(regex: RegExp): string[] {
  if (/^\[[^\]]*\][+*?]?\$?$/.test(regex.source)) return [''];
  try {
    return [...new Set(['', ...fc.sample(fc.stringMatching(new RegExp(regex.source, regex.flags.replace('i', ''))), { numRuns: 1, seed: 42 })])];
  } catch {
    return [''];
  }
}

interface Shape {
  prefix: string;
  pump: string;
  suffix: string;
}

/**
 * Prefix + pump + suffix: the prefix a start of a matching string (so an
 * anchored pattern gets past its anchor), the pump the next character(s) of
 * that string or a usual suspect, repeated, and a suffix that fails the match.
 */
function* shapes(regex: RegExp): Generator<Shape> {
  const seen = new Set<string>();
  for (const sample of samples(regex)) {
    for (let i = 0; i <= Math.min(sample.length, MAX_PREFIX); i++) {
      const prefix = sample.slice(0, i);
      const own = [sample.slice(i, i + 1), sample.slice(i, i + 2)].filter(Boolean);
      for (const pump of new Set([...own, ...PUMP_CHARS])) {
        const key = `${prefix}\u0001${pump}`;
        if (seen.has(key)) continue;
        seen.add(key);
        for (const suffix of SUFFIXES) yield { prefix, pump, suffix };
      }
    }
  }
}

const input = (shape: Shape, length: number) => shape.prefix + shape.pump.repeat(Math.ceil(length / shape.pump.length)) + shape.suffix;

/** The fastest of three runs: a garbage collection or the other test worker can stall one. */
function slowest(run: () => unknown, first: number): number {
  let best = first;
  for (let i = 0; i < 2 && best >= BUDGET_MS; i++) {
    const started = performance.now();
    run();
    best = Math.min(best, performance.now() - started);
  }
  return best;
}

function time(run: () => unknown): number {
  const started = performance.now();
  run();
  const ms = performance.now() - started;
  return ms < BUDGET_MS ? ms : slowest(run, ms);
}

const show = (shape: Shape) => JSON.stringify(`${shape.prefix}(${shape.pump})…${shape.suffix}`);

describe('regular expressions in src/ against pumped input', () => {
  const literals = regexLiterals();

  it('finds the literals', () => {
    // Fewer would mean the walk lost its way; the list grows with the code.
    expect(literals.length).toBeGreaterThan(80);
  });

  it(`every literal finishes each run on ${PUMP} pumped characters within ${BUDGET_MS} ms`, () => {
    const slow: string[] = [];
    for (const { key, line, regex } of literals) {
      if (KNOWN_SLOW[key]) continue;
      // All shapes at the sweep size, then the three slowest of them at full size.
      const timed = [...shapes(regex)].map((shape) => {
        const text = input(shape, SWEEP);
        const started = performance.now();
        regex.exec(text);
        return { shape, ms: performance.now() - started };
      });
      const worst = timed.sort((a, b) => b.ms - a.ms).slice(0, 3);
      for (const { shape } of worst) {
        const text = input(shape, PUMP);
        const ms = time(() => regex.exec(text));
        if (ms >= BUDGET_MS) {
          slow.push(`${key} (line ${line}) on ${show(shape)}: ${Math.round(ms)} ms`);
          break;
        }
      }
    }
    expect(slow).toEqual([]);
  }, 120_000);

  it('lists as known only patterns that exist', () => {
    const keys = new Set(literals.map((literal) => literal.key));
    expect(Object.keys(KNOWN_SLOW).filter((key) => !keys.has(key))).toEqual([]);
  });
});

describe('patterns built at run time, through their owners', () => {
  const big = (unit: string) => unit.repeat(Math.ceil(200_000 / unit.length));
  const hostile = ['out of office', 'undeliverable', ' ', '\t', 'a', 'returned mail', 'delivery failure', 'auto-reply', 're: ', '=?utf-8?q?a', ':', '\u00e9'];

  it.each(hostile)('sender policy subjects and names stay fast on %j repeated', (unit) => {
    const subject = big(unit);
    const raw = Buffer.from(`From: ${subject.slice(0, 100_000)} <a@b.example>\r\nSubject: ${subject}\r\n\r\n`);
    const ms = time(() => classifySender({ envelopeFrom: 'a@b.example', headers: readHeaderBlock(raw), acceptMachineReports: false }));
    expect(ms).toBeLessThan(1_000);
  });

  const replies = ['Op schreef\n', 'Op schreef:\n', '\n', ' \n', 'Dnia \n', 'W dniu pisze ', '>', '> \n', 'On a b ', '1234', '2024 from ', 'From: <', '在\n', ' ', '\t ', '-- \n', '\r'];
  it.each(replies)('reply text stays fast on %j repeated (email-reply-parser is bounded)', (unit) => {
    const text = big(unit);
    expect(time(() => replyText(text, { addresses: ['jane@example.com'], names: ['Jane Doe'] }))).toBeLessThan(1_000);
    expect(time(() => parseCommands(`#extend 2027-01-02 ${text}`, 'jane@example.com'))).toBeLessThan(1_000);
    expect(time(() => parseCommands(`#assign a@${text}@`, 'jane@example.com'))).toBeLessThan(1_000);
    expect(time(() => detectLanguage(text, text, ['en', 'de', 'fr', 'nl'], 'en'))).toBeLessThan(1_000);
  });
});
