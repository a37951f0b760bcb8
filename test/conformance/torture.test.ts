import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildEvidence, type CaseEvidence, type EvidenceDeps } from '../../src/mail/evidence/index.js';
import { CORPORA_DIR } from '../support/corpora.js';

/**
 * Every message of the MIME torture corpora goes through buildEvidence as if
 * it had been sent to abuse@: it must finish within its own deadline, keep
 * memory bounded, never throw, come back as plain JSON, and flag the inputs
 * that are known to be broken.
 */

const corpora = CORPORA_DIR;
const PER_MESSAGE_MS = 20_000;
const MAX_HEAP_BYTES = 1024 * 1024 * 1024;

const deps: EvidenceDeps = {
  // NXDOMAIN for every name, at once.
  resolver: async (name) => {
    throw Object.assign(new Error(`queryA ENOTFOUND ${name}`), { code: 'ENOTFOUND' });
  },
  trustedRelays: [],
  lookup: { domain: () => null, ip: () => null, infrastructure: [] },
  now: new Date('2024-06-01T00:00:00Z'),
  limits: { timeoutMs: 10_000 },
};

function walk(dir: string, suffix: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return walk(path, suffix);
    return entry.name.endsWith(suffix) ? [path] : [];
  });
}

const files = [
  ...walk(`${corpora}mime4j-testmsgs`, '.msg'),
  ...walk(`${corpora}stalwart-mail-parser`, '.eml'),
  ...walk(`${corpora}mailparser-fixtures`, '.eml'),
].map((path) => [relative(corpora, path), path] as const);

/** Inputs whose damage (no header, missing or unclosed boundaries) must show in `problems`. */
const KNOWN_BROKEN = [
  'testmsgs/malformedHeader-noheader.msg',
  'testmsgs/malformedHeaderStartsBody-noheader.msg',
  'testmsgs/malformedHeader-nocrlfcrlf.msg',
  'testmsgs/basic-plain-with-bad-header-separator.msg',
  'testmsgs/missing-boundary.msg',
  'testmsgs/missing-inner-boundary.msg',
  'testmsgs/missing-inner-start-boundary.msg',
  'testmsgs/multipartnopart.msg',
  'mimetools-testmsgs/badbound.msg',
  'mimetools-testmsgs/multi-bad.msg',
  'stalwart-mail-parser/malformed/001.eml',
  'stalwart-mail-parser/malformed/002.eml',
  'stalwart-mail-parser/malformed/009.eml',
  'stalwart-mail-parser/malformed/016.eml',
  'stalwart-mail-parser/malformed/022.eml',
];

async function withDeadline(raw: Buffer): Promise<CaseEvidence> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`buildEvidence did not finish within ${PER_MESSAGE_MS} ms`)), PER_MESSAGE_MS);
  });
  try {
    return await Promise.race([buildEvidence(raw, deps), deadline]);
  } finally {
    clearTimeout(timer);
  }
}

function checkShape(evidence: CaseEvidence): void {
  expect(JSON.parse(JSON.stringify(evidence))).toEqual(evidence);
  expect(['conclusive', 'inconclusive', 'none']).toContain(evidence.grade);
  expect(['spam', 'phishing', 'malware', 'other']).toContain(evidence.abuseType);
  expect(evidence.problems.length).toBeLessThanOrEqual(100);
  for (const message of evidence.reportedMessages) expect(message.urls.length).toBeLessThanOrEqual(200);
}

describe('torture corpora through buildEvidence', () => {
  it('has the corpora', () => {
    expect(files.length).toBeGreaterThanOrEqual(140);
    for (const name of KNOWN_BROKEN) expect(files.some(([file]) => file.endsWith(name)), name).toBe(true);
  });

  it.each(files)('%s', async (name, path) => {
    const evidence = await withDeadline(readFileSync(path));
    checkShape(evidence);
    if (KNOWN_BROKEN.some((broken) => name.endsWith(broken))) expect(evidence.problems, name).not.toEqual([]);
  }, PER_MESSAGE_MS + 5_000);

  it('keeps memory bounded over the whole set', async () => {
    let peak = 0;
    for (const [, path] of files) {
      await withDeadline(readFileSync(path));
      peak = Math.max(peak, process.memoryUsage().heapUsed);
    }
    expect(peak).toBeLessThan(MAX_HEAP_BYTES);
  }, 300_000);
});

describe('hostile reports', () => {
  const head = 'From: a@b.example\r\nTo: abuse@desk-registrar.net\r\nSubject: x\r\nMIME-Version: 1.0\r\n';
  const cases: Array<[string, () => Buffer]> = [
    ['missing closing boundary everywhere', () => Buffer.from(`${head}Content-Type: multipart/mixed; boundary="a"\r\n\r\n--a\r\nContent-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\nContent-Type: message/rfc822\r\n\r\nFrom: x@y.example\r\n\r\nbody`)],
    ['a thousand nested multiparts', () => Buffer.from(head + Array.from({ length: 1000 }, (_, i) => `Content-Type: multipart/mixed; boundary="n${i}"\r\n\r\n--n${i}\r\n`).join(''))],
    ['a hundred nested messages', () => Buffer.from(head + 'Content-Type: message/rfc822\r\n\r\n'.repeat(100) + 'From: x@y.example\r\n\r\nbody')],
    ['five thousand parts', () => Buffer.from(`${head}Content-Type: multipart/mixed; boundary="p"\r\n\r\n${'--p\r\nContent-Type: message/rfc822\r\n\r\nFrom: x@y.example\r\n\r\nx\r\n'.repeat(5000)}--p--\r\n`)],
    ['a 2 MB header line', () => Buffer.from(`${head}X-Long: ${'a'.repeat(2 * 1024 * 1024)}\r\n\r\nbody`)],
    ['one long URL-ish run', () => Buffer.from(`${head}Content-Type: text/plain\r\n\r\n${'xn--a.'.repeat(200_000)}com http://${'a.'.repeat(100_000)}biz`)],
    ['deeply nested X-ARF JSON', () => Buffer.from(`${head}Content-Type: text/plain\r\n\r\n{"Version":"3","Report":${'{"a":'.repeat(50_000)}1${'}'.repeat(50_000)}}`)],
    ['binary garbage', () => Buffer.from(Array.from({ length: 200_000 }, (_, i) => (i * 7919) % 256))],
    ['pasted headers without end', () => Buffer.from(`${head}Content-Type: text/plain\r\n\r\n${'Received: from a ([192.0.2.1]) by b;\r\n'.repeat(20_000)}`)],
  ];

  it.each(cases)('%s', async (_name, make) => {
    const started = Date.now();
    const evidence = await withDeadline(make());
    checkShape(evidence);
    expect(Date.now() - started).toBeLessThan(PER_MESSAGE_MS);
  }, PER_MESSAGE_MS + 5_000);
});
