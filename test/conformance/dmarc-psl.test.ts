import { pathToFileURL } from 'node:url';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isAligned, organizationalDomain, registrableDomain } from '../../src/intake/alignment.js';
import {  corpusPath } from '../support/corpora.js';

/**
 * The public suffix list's own test cases (publicsuffix/list tests.txt and
 * test_psl.txt, the same 78 cases in two notations): "input expected", where
 * null means the input has no registrable domain.
 */

const corpus = pathToFileURL(corpusPath('dmarc-psl/'));

interface PslCase {
  input: string | null;
  expected: string | null;
  line: number;
}

const nullable = (value: string): string | null => (value === 'null' ? null : value);

function parseTestsTxt(text: string): PslCase[] {
  return text
    .split('\n')
    .map((raw, index) => ({ raw: raw.trim(), line: index + 1 }))
    .filter(({ raw }) => raw !== '' && !raw.startsWith('//'))
    .map(({ raw, line }) => {
      const [input = '', expected = ''] = raw.split(/\s+/);
      return { input: nullable(input), expected: nullable(expected), line };
    });
}

function parseTestPsl(text: string): PslCase[] {
  const cases: PslCase[] = [];
  text.split('\n').forEach((raw, index) => {
    const match = /^checkPublicSuffix\((null|'[^']*'),\s*(null|'[^']*')\);/.exec(raw.trim());
    if (match) cases.push({ input: nullable(unquote(match[1] ?? '')), expected: nullable(unquote(match[2] ?? '')), line: index + 1 });
  });
  return cases;
}

const unquote = (value: string): string => value.replace(/^'|'$/g, '');

const suites = [
  { file: 'tests.txt', cases: parseTestsTxt(readFileSync(new URL('tests.txt', corpus), 'utf8')) },
  { file: 'test_psl.txt', cases: parseTestPsl(readFileSync(new URL('test_psl.txt', corpus), 'utf8')) },
];

describe.each(suites)('PSL $file', ({ cases }) => {
  it('has every case of the corpus', () => {
    expect(cases).toHaveLength(78);
  });

  // a null input has no counterpart in a typed string API
  const real = cases.filter((entry): entry is PslCase & { input: string } => entry.input !== null);

  it.each(real)('registrableDomain($input) = $expected (line $line)', ({ input, expected }) => {
    expect(registrableDomain(input)).toBe(expected);
  });

  it.each(real)('organizationalDomain($input) (line $line)', ({ input, expected }) => {
    // without a registrable domain, a name is its own organizational domain
    expect(organizationalDomain(input)).toBe(expected ?? input.toLowerCase());
  });
});

describe('isAligned (relaxed)', () => {
  it.each([
    ['example.com', 'example.com', true],
    ['Example.COM', 'mail.example.com.', true],
    ['news.example.com', 'bounce.example.com', true],
    ['example.com', 'example.net', false],
    ['example.co.uk', 'other.co.uk', false],
    ['a.example.co.uk', 'b.example.co.uk', true],
    // private PSL entries are suffixes: tenants of one platform never align
    ['victim.github.io', 'attacker.github.io', false],
    ['www.victim.github.io', 'victim.github.io', true],
    ['github.io', 'attacker.github.io', false],
    ['example.uk.com', 'evil.uk.com', false],
    // a public suffix aligns only with itself
    ['co.uk', 'example.co.uk', false],
    // U-labels and A-labels are the same name
    ['www.食狮.中国', 'xn--85x722f.xn--fiqs8s', true],
    ['', 'example.com', false],
    // domain literals and IP addresses have no organizational domain
    ['[192.0.2.1]', '[198.51.100.1]', false],
    ['192.0.2.1', '198.51.100.1', false],
    ['192.0.2.1', '192.0.2.1', true],
    ['.example.com', 'example.com', false],
  ])('isAligned(%s, %s) = %s', (from, auth, expected) => {
    expect(isAligned(from, auth)).toBe(expected);
  });
});
