import { pathToFileURL } from 'node:url';
import { readFileSync } from 'node:fs';
import { spf, type DNSResolver } from 'mailauth';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { createZoneResolver } from '../../src/dns/resolver.js';
import type { MxRecord, Zone, ZoneEntry } from '../../src/dns/zone.js';
import {  corpusPath } from '../support/corpora.js';

/**
 * The openspf RFC 7208 test suite (pyspf test/rfc7208-tests.yml) through
 * mailauth's SPF check, each scenario's zone data served by our zone
 * resolver. The cases mailauth's own runner skips are listed, with reasons,
 * in mailauth-known-deviations.txt beside the suite; exactly those are
 * skipped here.
 */

const corpus = pathToFileURL(corpusPath('openspf-rfc7208/'));

interface SpfCase {
  description?: string;
  helo: string;
  host: string;
  mailfrom: string;
  result: string | string[];
}

interface Scenario {
  description: string;
  tests: Record<string, SpfCase>;
  zonedata?: Record<string, Array<string | Record<string, unknown>>>;
}

interface Deviation {
  pattern: RegExp;
  reason: string;
}

function loadDeviations(): Deviation[] {
  return readFileSync(new URL('mailauth-known-deviations.txt', corpus), 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.startsWith('#'))
    .map((line) => {
      const [pattern = '', reason = ''] = line.split('\t');
      return { pattern: new RegExp(pattern), reason };
    });
}

/** The suite escapes bytes as \0 and \xNN in some values (as mailauth's runner decodes them). */
const unescapeValue = (value: string): string =>
  value.replace(/\\0/g, '\x00').replace(/\\x([0-9A-F]{2})/gi, (_match, hex: string) => String.fromCharCode(parseInt(hex, 16)));

/**
 * The suite's zone notation → our Zone. RFC 7208 dropped the SPF RR type, so
 * SPF records stand in for TXT when a name lists no TXT (the suite's
 * "auto-magic duplication"); `TXT: NONE` means no TXT at all, and a bare
 * `TIMEOUT` makes the name's other lookups time out.
 */
function toZone(zonedata: Scenario['zonedata']): Zone {
  const zone: Zone = {};
  for (const [name, entries] of Object.entries(zonedata ?? {})) {
    const txt: string[][] = [];
    const spfRecords: string[][] = [];
    let txtNone = false;
    const entry: ZoneEntry & { A: string[]; AAAA: string[]; MX: MxRecord[]; PTR: string[] } = { A: [], AAAA: [], MX: [], PTR: [] };
    for (const item of entries) {
      if (item === 'TIMEOUT') {
        entry.fail = 'timeout';
        continue;
      }
      if (typeof item !== 'object' || item === null) throw new Error(`unexpected zone entry ${JSON.stringify(item)} for ${name}`);
      for (const [type, value] of Object.entries(item)) {
        const strings = (): string[] => [value].flat().map((part) => unescapeValue(String(part)));
        switch (type) {
          case 'TXT':
            if (value === 'NONE') txtNone = true;
            else txt.push(strings());
            break;
          case 'SPF':
            if (value !== 'NONE') spfRecords.push(strings());
            break;
          case 'A':
          case 'AAAA':
          case 'PTR':
            entry[type].push(String(value));
            break;
          case 'MX': {
            const [priority, exchange] = value as [number, string];
            entry.MX.push({ priority, exchange });
            break;
          }
          case 'CNAME':
            entry.CNAME = String(value);
            break;
          default:
            throw new Error(`unexpected record type ${type} for ${name}`);
        }
      }
    }
    const records = txt.length > 0 ? txt : txtNone ? [] : spfRecords;
    zone[name] = {
      ...(records.length > 0 ? { TXT: records } : {}),
      ...(entry.A.length > 0 ? { A: entry.A } : {}),
      ...(entry.AAAA.length > 0 ? { AAAA: entry.AAAA } : {}),
      ...(entry.MX.length > 0 ? { MX: entry.MX } : {}),
      ...(entry.PTR.length > 0 ? { PTR: entry.PTR } : {}),
      ...(entry.CNAME ? { CNAME: entry.CNAME } : {}),
      ...(entry.fail ? { fail: entry.fail } : {}),
    };
  }
  return zone;
}

const scenarios = parseAllDocuments(readFileSync(new URL('rfc7208-tests.yml', corpus), 'utf8')).map((doc) => doc.toJS() as Scenario);
const deviations = loadDeviations();
const deviationOf = (name: string): Deviation | undefined => deviations.find((deviation) => deviation.pattern.test(name));
const allNames = scenarios.flatMap((scenario) => Object.keys(scenario.tests));

describe('RFC 7208 suite', () => {
  it('is the whole suite, and the known deviations match the 23 cases they name', () => {
    expect(allNames).toHaveLength(203);
    expect(allNames.filter((name) => deviationOf(name))).toHaveLength(23);
  });

  for (const scenario of scenarios) {
    describe(scenario.description, () => {
      // mailauth's declaration only names TXT's answer shape; ours returns every type's
      const resolver = createZoneResolver(toZone(scenario.zonedata)) as DNSResolver;
      for (const [name, spec] of Object.entries(scenario.tests)) {
        const deviation = deviationOf(name);
        if (deviation) {
          it.skip(`${name} — known mailauth deviation: ${deviation.reason}`, () => undefined);
          continue;
        }
        it(name, async () => {
          const result = await spf({ ip: spec.host, sender: spec.mailfrom, helo: spec.helo, mta: 'mx.conformance.test', resolver });
          expect([spec.result].flat()).toContain(result.status.result);
        });
      }
    });
  }
});
