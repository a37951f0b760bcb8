import { pathToFileURL } from 'node:url';
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dkimVerify, type DKIMResult, type DNSResolver } from 'mailauth';
import { describe, expect, it } from 'vitest';
import { createZoneResolver } from '../../src/dns/resolver.js';
import type { Zone } from '../../src/dns/zone.js';
import { buildMessage, dkimTxtRecord, SENDER_KEY, signMessage, testZone, type SigningKey } from '../support/mail.js';
import { CORPORA_DIR } from '../support/corpora.js';

/**
 * DKIM verification through mailauth's `dkimVerify` with an injected
 * resolver, against two public corpora:
 *
 * - Mail::DKIM (t/corpus + FAKE_DNS.dat, expected results of its verifier.t);
 * - dkimpy's data files, in the cases its test_dkim*.py builds from them.
 *
 * Where mailauth legitimately answers differently the case is listed below
 * with the reason and mailauth's actual answer, and that answer is asserted:
 * a change in mailauth shows up here either way. None of the differences
 * lets a message pass for a domain whose DNS did not publish the key that
 * verified it, which is what sender verification rests on.
 */

const corpora = pathToFileURL(CORPORA_DIR);
const readCorpus = (path: string): string => readFileSync(new URL(path, corpora), 'latin1');
/** The corpora store messages with LF line ends; on the wire they are CRLF. */
const wire = (text: string): Buffer => Buffer.from(text.replace(/\r?\n/g, '\r\n'), 'latin1');
const asMailauth = (zone: Zone): DNSResolver => createZoneResolver(zone) as DNSResolver;

/** Mail::DKIM's verdict classes. */
type Outcome = 'pass' | 'fail' | 'invalid' | 'none';

/** mailauth result → Mail::DKIM class; a message's verdict is its best signature (pass > fail > invalid > none). */
function outcomeOf(results: DKIMResult[]): Outcome {
  const classes = results.map((row): Outcome => {
    switch (row.status.result) {
      case 'pass':
        return 'pass';
      case 'fail':
        return 'fail';
      case 'none':
        return 'none';
      default: // neutral, policy, permerror, temperror: the signature could not be used
        return 'invalid';
    }
  });
  return (['pass', 'fail', 'invalid', 'none'] as const).find((outcome) => classes.includes(outcome)) ?? 'none';
}

const DOMAINKEYS = 'DomainKeys (RFC 4870, historic) is not DKIM; mailauth ignores DomainKey-Signature, so the message counts as unsigned';

/** Mail::DKIM cases where mailauth answers otherwise: file → mailauth's outcome and why. */
const MAIL_DKIM_DEVIATIONS: Record<string, { mailauth: Outcome; reason: string }> = {
  // signatures from drafts before RFC 4871: RFC 6376 requires v=1 and bh=
  'good_ietf00_1.txt': { mailauth: 'invalid', reason: 'draft-00 signature without v= and bh=; RFC 6376 3.5 makes both required (PERMFAIL)' },
  'good_ietf00_2.txt': { mailauth: 'invalid', reason: 'draft-00 signature without v= and bh=' },
  'good_ietf00_3.txt': { mailauth: 'invalid', reason: 'draft-00 signature without v= and bh=' },
  'good_ietf00_4.txt': { mailauth: 'invalid', reason: 'draft-00 signature without v= and bh=' },
  'good_ietf00_5.txt': { mailauth: 'invalid', reason: 'draft-00 signature without v= and bh=' },
  // DomainKeys
  'good_dk_gmail.txt': { mailauth: 'none', reason: DOMAINKEYS },
  'good_dk_yahoo.txt': { mailauth: 'none', reason: DOMAINKEYS },
  'good_dk_1.txt': { mailauth: 'none', reason: DOMAINKEYS },
  'good_dk_2.txt': { mailauth: 'none', reason: DOMAINKEYS },
  'good_dk_3.txt': { mailauth: 'none', reason: DOMAINKEYS },
  'good_dk_4.txt': { mailauth: 'none', reason: DOMAINKEYS },
  'good_dk_5.txt': { mailauth: 'none', reason: DOMAINKEYS },
  'good_dk_6.txt': { mailauth: 'none', reason: DOMAINKEYS },
  'good_dk_7.txt': { mailauth: 'none', reason: DOMAINKEYS },
  'dk_headers_1.txt': { mailauth: 'none', reason: DOMAINKEYS },
  'dk_headers_2.txt': { mailauth: 'none', reason: DOMAINKEYS },
  'dk_multiple_1.txt': { mailauth: 'none', reason: DOMAINKEYS },
  'bad_dk_1.txt': { mailauth: 'none', reason: DOMAINKEYS },
  'bad_dk_2.txt': { mailauth: 'none', reason: DOMAINKEYS },
  'bad_dk_3.txt': { mailauth: 'none', reason: DOMAINKEYS },
  'bad_dk_4.txt': { mailauth: 'none', reason: DOMAINKEYS },
  'bad_dk_5.txt': { mailauth: 'none', reason: DOMAINKEYS },
  // a header-only message (no empty line, no body): mailauth never sees the end of the header
  'no_body_1.txt': { mailauth: 'none', reason: 'message without the empty line after the header: mailauth finds no signature; such mail is unverified, not wrongly verified' },
  // body hash mismatch: mailauth says neutral ("body hash did not verify"), RFC 8601 2.7.1 says fail
  'bad_ietf01_1.txt': { mailauth: 'invalid', reason: 'body hash mismatch reported as neutral rather than fail; neither passes' },
  'bad_1878954.txt': { mailauth: 'invalid', reason: 'body hash mismatch reported as neutral rather than fail; neither passes' },
  'badkey3_ed25519.txt': { mailauth: 'invalid', reason: 'body hash mismatch reported as neutral rather than fail; neither passes' },
  // unsupported algorithm/canonicalization: the signature is dropped rather than reported as permerror
  'ignore_2.txt': { mailauth: 'none', reason: 'a=rsa-md5 signature dropped as unsupported (no result row) rather than permerror; neither passes' },
  'ignore_3.txt': { mailauth: 'none', reason: 'a=dsa-sha1 signature dropped as unsupported rather than permerror; neither passes' },
  'ignore_4.txt': { mailauth: 'none', reason: 'c=future signature dropped as unsupported rather than permerror; neither passes' },
  // RFC 6376 removed the key g= tag (appendix C.1): verifiers ignore it, so these verify
  'badkey_8.txt': { mailauth: 'pass', reason: 'key g= granularity is RFC 4871 only; RFC 6376 dropped it, so it is ignored' },
  'badkey_9.txt': { mailauth: 'pass', reason: 'key g= granularity is RFC 4871 only; RFC 6376 dropped it' },
  'badkey_12.txt': { mailauth: 'pass', reason: 'key g= granularity is RFC 4871 only; RFC 6376 dropped it' },
  'badkey_13.txt': { mailauth: 'pass', reason: 'key g= granularity is RFC 4871 only; RFC 6376 dropped it' },
  // mailauth is laxer than RFC 6376 here; the key still comes from the d= domain's own DNS and
  // alignment uses d=, so none of these lets one domain pass for another
  'ignore_5.txt': { mailauth: 'pass', reason: 'q=http not checked (RFC 6376 3.5): mailauth fetches the key by DNS anyway' },
  'ignore_6.txt': { mailauth: 'pass', reason: 'q=dns/special not checked: mailauth fetches the key by DNS anyway' },
  'ignore_8.txt': { mailauth: 'pass', reason: 'i= outside d= not checked (RFC 6376 6.1.1); we align on d=, never on i=' },
  'badkey_10.txt': { mailauth: 'pass', reason: 'key flag t=s (i= domain must equal d=) not enforced; we align on d=' },
  'badkey_11.txt': { mailauth: 'pass', reason: 'key h= (acceptable hashes) not enforced (RFC 6376 6.1.2): rsa-sha256 accepted under h=md5:sha1' },
};

/** FAKE_DNS.dat: "name  record", or NXDOMAIN, ~~Query timed out~~, ~~SERVFAIL~~. */
function mailDkimZone(): Zone {
  const zone: Zone = {};
  for (const line of readCorpus('dkim-mail-dkim-perl/t/FAKE_DNS.dat').split('\n')) {
    const match = /^(\S+)\s+(.+)$/.exec(line.trim());
    if (!match || line.startsWith('#')) continue;
    const [, name = '', value = ''] = match;
    if (value === 'NXDOMAIN') continue;
    if (value === '~~Query timed out~~') zone[name] = { fail: 'timeout' };
    else if (value === '~~SERVFAIL~~') zone[name] = { fail: 'servfail' };
    else zone[name] = { TXT: [value === '""' ? '' : value] };
  }
  return zone;
}

const mailDkimCases = readCorpus('dkim-mail-dkim-perl/expected-results.tsv')
  .split('\n')
  .map((line) => line.split('\t'))
  .filter((fields) => fields.length >= 3)
  .map(([, file = '', expected = '', note = '']) => ({ file, expected: expected as Outcome, note }));

describe('Mail::DKIM corpus', () => {
  const resolver = asMailauth(mailDkimZone());

  it('has every case, and each listed deviation names one', () => {
    expect(mailDkimCases).toHaveLength(79);
    const files = new Set(mailDkimCases.map((entry) => entry.file));
    expect(Object.keys(MAIL_DKIM_DEVIATIONS).filter((file) => !files.has(file))).toEqual([]);
  });

  it.each(mailDkimCases)('$file: $expected $note', async ({ file, expected }) => {
    const raw = wire(readCorpus(`dkim-mail-dkim-perl/t/corpus/${file}`));
    // the corpus uses 512-bit keys from 2005-2008; the product keeps mailauth's 1024-bit floor
    const { results } = await dkimVerify(raw, { resolver, minBitLength: 512 });
    const deviation = MAIL_DKIM_DEVIATIONS[file];
    if (deviation) {
      expect(deviation.mailauth).not.toBe(expected);
      expect(outcomeOf(results), deviation.reason).toBe(deviation.mailauth);
    } else {
      expect(outcomeOf(results)).toBe(expected);
    }
  });
});

describe('dkimpy cases', () => {
  const dkimpy = (file: string): string => readCorpus(`dkim-dkimpy/${file}`);
  /** dkimpy keeps Ed25519 private keys as the bare base64 seed (RFC 8032). */
  const ed25519Seed = (base64: string): KeyObject =>
    createPrivateKey({ key: Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), Buffer.from(base64.trim(), 'base64')]), format: 'der', type: 'pkcs8' });
  const pem = (key: KeyObject): string => key.export({ format: 'pem', type: 'pkcs8' }).toString();

  const rsaPrivate = dkimpy('test.private');
  const edPrivate = pem(ed25519Seed(dkimpy('ed25519test.key')));
  const brisbane = dkimTxtRecord(createPublicKey(ed25519Seed(dkimpy('rfc8032_7_1.key'))).export({ format: 'pem', type: 'spki' }));

  const zone: Zone = {
    // RFC 8463 appendix A: the Ed25519 key is RFC 8032's test 1 key; test.txt holds the RSA one
    'brisbane._domainkey.football.example.com': { TXT: [brisbane] },
    'test._domainkey.football.example.com': { TXT: [dkimpy('test.txt').trim()] },
    'sed._domainkey.test.ex': { TXT: [dkimpy('eximtest.dns').trim()] },
    'test._domainkey.example.com': { TXT: [dkimpy('test.txt').trim()] },
    'implicit._domainkey.example.com': { TXT: [dkimpy('test2.txt').trim()] },
    'ed._domainkey.example.com': { TXT: [dkimpy('ed25519test.dns').trim()] },
    'badk._domainkey.example.com': { TXT: [dkimpy('badk.txt').trim()] },
    'badversion._domainkey.example.com': { TXT: [dkimpy('badversion.txt').trim()] },
    'truncated._domainkey.example.com': { TXT: [dkimpy('test_bad.txt').trim()] },
    'tlsrpt._domainkey.example.com': { TXT: [dkimpy('test_tlsrpt.txt').trim()] },
    // gmail's published 2012 key, as dkimpy's test_dkim.py serves it for test2.message
    '20120113._domainkey.gmail.com': {
      TXT: [
        'k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA1Kd87/UeJjenpabgbFwh+eBCsSTrqmwIYYvywlbhbqoo2DymndFkbjOVIPIldNs/m40KF+yzMn1skyoxcTUGCQs8g3FgD2Ap3ZB5DekAo5wMmk4wimDO+U8QzI3SD07y2+07wlNWwIt8svnxgdxGkVbbhzY8i+RQ9DpSVpPbF7ykQxtKXkv/ahW3KjViiAH+ghvvIhkx4xYSIc9oSwVmAl5OctMEeWUwg8Istjqz8BZeTWbf41fbNhte7Y+YqZOwq1Sd0DbvYAD9NOZK9vlfuac0598HY+vtSBczUiKERHv1yRbcaQtZFh5wtiRrN04BLUTD21MycBX5jYchHjPY/wIDAQAB',
      ],
    },
  };
  const resolver = asMailauth(zone);
  const verify = async (raw: Buffer): Promise<string[]> => (await dkimVerify(raw, { resolver })).results.map((row) => row.status.result);
  const key = (selector: string, privateKey: string, canonicalization = 'relaxed/relaxed'): SigningKey => ({
    domain: 'example.com',
    selector,
    privateKey,
    canonicalization,
  });
  const canonicalizations = ['simple/simple', 'simple/relaxed', 'relaxed/simple', 'relaxed/relaxed'];

  it('RFC 8463 example: Ed25519 and RSA signatures both verify', async () => {
    expect(await verify(wire(dkimpy('rfc6376.signed.msg')))).toEqual(['pass', 'pass']);
  });

  it('third-party Ed25519 signature (Exim prototype) verifies', async () => {
    expect(await verify(wire(dkimpy('ed25519test2.msg')))).toEqual(['pass']);
  });

  it('degenerate folding in the signature header verifies (Debian bug 711751)', async () => {
    expect(await verify(wire(dkimpy('test2.message')))).toEqual(['pass']);
  });

  it.each(canonicalizations)('RSA sign then verify, %s', async (canonicalization) => {
    const signed = await signMessage(wire(dkimpy('test.message')), key('test', rsaPrivate, canonicalization));
    expect(await verify(signed)).toEqual(['pass']);
  });

  it.each(canonicalizations)('Ed25519 sign then verify, %s', async (canonicalization) => {
    const signed = await signMessage(wire(dkimpy('ed25519test.msg')), key('ed', edPrivate, canonicalization));
    expect(await verify(signed)).toEqual(['pass']);
  });

  it('key record without k= means RSA', async () => {
    expect(await verify(await signMessage(wire(dkimpy('test.message')), key('implicit', rsaPrivate)))).toEqual(['pass']);
  });

  it('a body changed after signing does not pass', async () => {
    const signed = await signMessage(wire(dkimpy('test.message')), key('test', rsaPrivate));
    // mailauth reports a body hash mismatch as neutral
    expect(await verify(Buffer.concat([signed, Buffer.from('foo')]))).toEqual(['neutral']);
  });

  it('repeated Received headers above From are signed and verify (dkimpy bug 737311)', async () => {
    const signed = await signMessage(wire(dkimpy('message.mbox')), {
      ...key('test', rsaPrivate, 'simple/simple'),
      headerList: ['received', 'received', 'from', 'to', 'subject', 'date', 'message-id'],
    });
    // the message's own 2011 signature has no key in this zone
    expect(await verify(signed)).toEqual(['pass', 'neutral']);
  });

  it('a From added below the signed one fails; an unknown header does not matter', async () => {
    const signed = (await signMessage(wire(dkimpy('test.message')), key('test', rsaPrivate))).toString('latin1');
    const end = signed.indexOf('\r\n\r\n');
    const insert = (header: string): Buffer => Buffer.from(`${signed.slice(0, end)}\r\n${header}${signed.slice(end)}`, 'latin1');
    expect(await verify(insert('From: "Resident Evil" <sales@spammer.com>'))).toEqual(['fail']);
    expect(await verify(insert('X-Foo: bar'))).toEqual(['pass']);
  });

  it('deviation: a From added above the signed one still passes', async () => {
    // dkimpy fails this on purpose; RFC 6376 5.4.2 signs the bottom-most instance, which is
    // unchanged. The intake rejects mail with more than one From as anonymous anyway.
    const signed = (await signMessage(wire(dkimpy('test.message')), key('test', rsaPrivate))).toString('latin1');
    const at = signed.indexOf('\r\nFrom:') + 2;
    const raw = Buffer.from(`${signed.slice(0, at)}From: "Resident Evil" <sales@spammer.com>\r\n${signed.slice(at)}`, 'latin1');
    expect(await verify(raw)).toEqual(['pass']);
  });

  it.each([
    ['badk', 'k=ed25519-sha256 is not a key type'],
    ['badversion', 'v=DKIM1: (colon) is not a version'],
    ['truncated', 'the key data is cut short'],
  ])('unusable key record %s does not pass (%s)', async (selector) => {
    expect(await verify(await signMessage(wire(dkimpy('test.message')), key(selector, rsaPrivate)))).toEqual(['neutral']);
  });

  it('deviation: a key restricted to s=tlsrpt still verifies mail', async () => {
    // RFC 6376 3.6.1: a verifier for email MUST ignore a key whose s= does not list email or *.
    // mailauth does not look at s=; the key is still the d= domain's own, so alignment holds.
    expect(await verify(await signMessage(wire(dkimpy('test.message')), key('tlsrpt', rsaPrivate)))).toEqual(['pass']);
  });

  it('deviation: a signature that does not cover From passes; the result shows h=', async () => {
    // RFC 6376 6.1.1: PERMFAIL (From field not signed). mailauth passes it; its result carries
    // the signed header names, so a caller that needs From covered can check signingHeaders.
    const signed = await signMessage(wire(dkimpy('test.message')), { ...key('test', rsaPrivate), headerList: ['to', 'subject'] });
    const { results } = await dkimVerify(signed, { resolver });
    expect(results.map((row) => row.status.result)).toEqual(['pass']);
    const signedNames = (results[0] as DKIMResult & { signingHeaders?: { keys?: string } }).signingHeaders?.keys ?? '';
    expect(signedNames.toLowerCase()).not.toContain('from');
  });
});

describe('DKIM key lookup failures', () => {
  const message = buildMessage({
    from: 'Alice <alice@sender.test>',
    to: 'abuse@registrar.test',
    subject: 'Spam report',
    text: 'See the attached message.',
    date: new Date('2026-03-02T10:00:00Z'),
    messageId: 'report-1@sender.test',
  });
  const keyName = `${SENDER_KEY.selector}._domainkey.${SENDER_KEY.domain}`;
  const verifyWith = async (zone: Zone): Promise<string[]> =>
    (await dkimVerify(await signMessage(message, SENDER_KEY), { resolver: asMailauth(zone) })).results.map((row) => row.status.result);

  it('our test key verifies', async () => {
    expect(await verifyWith(testZone())).toEqual(['pass']);
  });

  // a DNS failure must stay temporary (451, the sender retries), never a rejection
  it.each([
    ['timeout', 'temperror'],
    ['servfail', 'temperror'],
    ['refused', 'temperror'],
  ] as const)('key lookup %s → %s', async (fail, result) => {
    expect(await verifyWith({ ...testZone(), [keyName]: { fail } })).toEqual([result]);
  });

  it('a missing key (NXDOMAIN) is neutral, not temporary', async () => {
    const zone = testZone();
    delete zone[keyName];
    expect(await verifyWith(zone)).toEqual(['neutral']);
  });
});
