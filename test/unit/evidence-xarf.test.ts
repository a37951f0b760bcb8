import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule, { type FormatsPlugin } from 'ajv-formats';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseXarf, validateXarf, xarfMessages } from '../../src/mail/evidence/xarf.js';
import {  corpusPath } from '../support/corpora.js';

/**
 * Our X-ARF schemas check the core fields. The corpus's negative samples that
 * are wrong only in type-specific details (a CVE pattern, an open-service
 * field, an account identifier) pass our core check; for those the test loads
 * the official schemas from the corpus path to confirm that the only reason
 * they are invalid is outside the core. The product never reads the corpus.
 */

const xarfDir = corpusPath('xarf/');
const abusix = `${xarfDir}abusix-xarf/`;
const versions = ['1', '2', '3', 'alpha', 'development'];
const addFormats = (addFormatsModule as unknown as { default: FormatsPlugin }).default;

const readJson = (path: string): Record<string, unknown> => JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
const samples = (kind: 'positive' | 'negative') =>
  versions.flatMap((v) => readdirSync(`${abusix}samples/${kind}/${v}`).filter((f) => f.endsWith('.json')).map((f) => [v, f] as const));

/** Negative samples whose fault is in a per-type schema, not in the core fields. */
const TYPE_SPECIFIC = new Set([
  'invalid_missing_url.json', // Malware without SourceUrl (versions 1, 2, alpha)
  'invalid_openservice4.json',
  'invalid_openservice_missing_service.json',
  'invalid_infringed_props.json',
  'invalid_email_as_identifier_potentially_compromised_account.json',
  'invalid_used_url_in_potentially_compromised_account.json',
  'invalid_exploit_wrong_cve.json',
  'invalid_exploit_wrong_vector.json',
  'invalid_exploit_wrong_version.json',
]);

const official = new Map<string, ValidateFunction>();
function officialValidator(version: string): ValidateFunction {
  let validate = official.get(version);
  if (!validate) {
    const ajv = new Ajv({ strict: false });
    addFormats(ajv);
    for (const file of readdirSync(`${abusix}schemas/${version}`)) ajv.addSchema(readJson(`${abusix}schemas/${version}/${file}`));
    validate = ajv.getSchema(`https://raw.githubusercontent.com/xarf/schema-discussion/master/schemas/${version}/xarf.schema.json`)!;
    official.set(version, validate);
  }
  return validate;
}

describe('X-ARF legacy layout (abusix samples)', () => {
  it.each(samples('positive'))('positive %s/%s validates', (version, file) => {
    const result = validateXarf(readJson(`${abusix}samples/positive/${version}/${file}`));
    expect(result.errors).toEqual([]);
    expect(result.valid).toBe(true);
    expect(result.format).toBe('legacy');
  });

  it.each(samples('negative'))('negative %s/%s does not validate', (version, file) => {
    const report = readJson(`${abusix}samples/negative/${version}/${file}`);
    const result = validateXarf(report);
    if (TYPE_SPECIFIC.has(file) && result.valid) {
      expect(officialValidator(version)(report)).toBe(false);
      return;
    }
    expect(result.valid).toBe(false);
    expect(result.errors.length).toBeGreaterThan(0);
  });

  it('extracts class, type and source IP', () => {
    const spam = validateXarf(readJson(`${abusix}samples/positive/3/spam_sample.json`));
    expect(spam).toMatchObject({ class: 'Activity', type: 'Spam', sourceIp: '192.0.2.55' });
  });

  it('decodes the message samples of a report', () => {
    const report = readJson(`${abusix}samples/positive/3/spam_sample.json`);
    const messages = xarfMessages(report, 1024 * 1024);
    expect(messages.length).toBeGreaterThan(0);
  });
});

describe('X-ARF v4 (xarf-spec samples)', () => {
  const dir = `${xarfDir}xarf-spec/samples/v4/`;
  const files = readdirSync(dir).filter((f) => f.endsWith('.json'));

  it.each(files)('%s validates and names its category, type and source', (file) => {
    const report = readJson(`${dir}${file}`);
    const result = validateXarf(report);
    expect(result.errors).toEqual([]);
    expect(result).toMatchObject({ valid: true, format: 'v4', class: report.category, type: report.type });
    const source = String(report.source_identifier);
    if (/^[0-9.]+$|:/.test(source)) expect(result.sourceIp).toBeDefined();
  });

  it('the spam sample carries its message as evidence', () => {
    const messages = xarfMessages(readJson(`${dir}messaging-spam.json`), 1024 * 1024);
    expect(messages[0]?.toString()).toContain('Subject: Urgent: Claim Your Prize Now!');
  });

  it('rejects broken core fields', () => {
    const good = readJson(`${dir}messaging-spam.json`);
    for (const broken of [
      { ...good, xarf_version: '3.0.0' },
      { ...good, report_id: 'not-a-uuid' },
      { ...good, category: 'messaging', type: 'ddos' },
      { ...good, reporter: { org: 'x' } },
      { ...good, source_port: 70000 },
    ]) {
      expect(validateXarf(broken).valid).toBe(false);
    }
  });
});

describe('X-ARF v3 drafts in xarf-spec (migration examples)', () => {
  const dir = `${xarfDir}xarf-spec/samples/v3/`;
  it.each(readdirSync(dir).filter((f) => f.endsWith('.json')))('%s is read for type and source', (file) => {
    const report = readJson(`${dir}${file}`);
    const result = validateXarf(report);
    // These drafts ("Version": "3.0.0", ReportClass "Messaging") match no published legacy schema.
    expect(result.format).toBe('legacy');
    expect(result.type).toBe((report.Report as { ReportType: string }).ReportType);
  });
});

describe('parseXarf', () => {
  it('accepts only JSON objects with X-ARF keys', () => {
    expect(parseXarf('{"Version":"3","Report":{}}')).toBeDefined();
    expect(parseXarf('{"xarf_version":"4.0.0"}')).toBeDefined();
    expect(parseXarf('{"hello":"world"}')).toBeUndefined();
    expect(parseXarf('[1,2]')).toBeUndefined();
    expect(parseXarf('{not json')).toBeUndefined();
    expect(parseXarf('plain text')).toBeUndefined();
  });
});
