import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DateTime } from 'luxon';
import { brandDomain, loadBrandsFile, type Brand } from '../config/brands.js';
import { ConfigError, DEFAULT_BRANDS_FILE } from '../config/index.js';
import { calendarForBrand } from './calendar.js';
import { DEADLINE_POLICIES, deadlineRule, describeRule, dueDatesFor } from './policies.js';

/**
 * Ops command: when is a complaint received at a given moment due?
 *
 *   npm run -s deadlines -- --brand example.net --received 2026-12-18T10:00:00Z [--json]
 *   npm run -s deadlines -- --brand example.net --holidays 2027
 *
 * Exit codes: 0 done, 1 brands file unusable, 2 bad arguments.
 */

const USAGE =
  'usage: deadlines --brand DOMAIN [--received ISO-8601] [--holidays YEAR] [--json]\n' +
  '  --brand     a domain (or id) of a brand in the brands file (BRANDS_FILE, default config/brands.yaml)\n' +
  '  --received  when the complaint arrived; without an offset it is the brand\'s local time; default now\n' +
  '  --holidays  list the days of YEAR that are not working days, instead of due dates\n' +
  '  --json      machine-readable output, instants in UTC\n';

class UsageError extends Error {}

interface Arguments {
  brand: string;
  received?: string;
  holidays?: number;
  json: boolean;
}

const OPTIONS = {
  brand: { type: 'string' },
  received: { type: 'string' },
  holidays: { type: 'string' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

function parseArguments(argv: string[]): Arguments | 'help' {
  let parsed: ReturnType<typeof parseArgs<{ args: string[]; options: typeof OPTIONS; strict: true }>>;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values } = parsed;
  if (values.help) return 'help';
  if (values.brand === undefined || values.brand.trim() === '') throw new UsageError('--brand DOMAIN is required');
  if (values.holidays !== undefined && !/^\d{4}$/.test(values.holidays)) {
    throw new UsageError(`--holidays expects a year such as 2027, got ${JSON.stringify(values.holidays)}`);
  }
  return {
    brand: values.brand.trim().toLowerCase(),
    received: values.received,
    holidays: values.holidays === undefined ? undefined : Number(values.holidays),
    json: values.json,
  };
}

function findBrand(brands: Brand[], wanted: string): Brand {
  const brand = brands.find((candidate) => candidate.domains.includes(wanted) || candidate.id === wanted);
  if (brand) return brand;
  const known = brands.flatMap((candidate) => candidate.domains).join(', ');
  throw new UsageError(`unknown brand domain ${wanted}; known domains: ${known}`);
}

function parseReceived(value: string | undefined, brand: Brand): Date {
  if (value === undefined) return new Date();
  // An offset in the value wins; a bare local time is read in the brand's zone, as ops would mean it.
  const parsed = DateTime.fromISO(value, { zone: brand.timeZone });
  if (!parsed.isValid) throw new UsageError(`--received expects an ISO-8601 date-time such as 2026-12-18T10:00:00Z, got ${JSON.stringify(value)}`);
  return parsed.toJSDate();
}

function localTime(instant: Date, brand: Brand): string {
  return DateTime.fromJSDate(instant, { zone: brand.timeZone }).toFormat('ccc yyyy-MM-dd HH:mm:ss ZZ');
}

function dueDatesReport(brand: Brand, receivedAt: Date, json: boolean): string {
  const due = dueDatesFor(brand, receivedAt);
  if (json) {
    const { policy, receivedAt: _received, acknowledge, respond, ...days } = due;
    const report = { brand: brand.id, domain: brandDomain(brand), policy, timeZone: brand.timeZone, receivedAt: receivedAt.toISOString() };
    return `${JSON.stringify({ ...report, acknowledge: acknowledge.toISOString(), respond: respond.toISOString(), ...days })}\n`;
  }
  const steps = DEADLINE_POLICIES[brand.policy].escalationSteps;
  const rows: [string, string, string, string][] = [
    ['deadline', 'rule', `due (${brand.timeZone})`, 'due (UTC)'],
    ['acknowledge', describeRule(deadlineRule(brand, 'acknowledge')), localTime(due.acknowledge, brand), due.acknowledge.toISOString()],
    ['respond', describeRule(deadlineRule(brand, 'respond')), localTime(due.respond, brand), due.respond.toISOString()],
    ['escalation window', describeRule(deadlineRule(brand, 'escalation_window')), 'from our response', ''],
    ['final response', describeRule(deadlineRule(brand, 'final_response')), steps === 2 ? 'from each escalation step (2 steps)' : 'from the escalation', ''],
    ['customer response', describeRule(deadlineRule(brand, 'customer_response')), 'from our request to the customer', ''],
  ];
  const header = `brand     ${brand.id} (${brandDomain(brand)}), policy ${brand.policy}\nreceived  ${localTime(receivedAt, brand)}  ${receivedAt.toISOString()}\n\n`;
  return header + table(rows);
}

function holidaysReport(brand: Brand, year: number, json: boolean): string {
  const days = calendarForBrand(brand).holidays(year);
  if (json) return `${JSON.stringify({ brand: brand.id, year, timeZone: brand.timeZone, days })}\n`;
  const rows = days.map((day): [string, string, string] => [day.date, DateTime.fromISO(day.date).toFormat('ccc'), `${day.name}${day.reason === 'closure' ? ' (closure)' : ''}`]);
  return `brand     ${brand.id} (${brandDomain(brand)}): days of ${year} that are not working days besides weekends\n\n${table(rows)}`;
}

function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length))) ?? [];
  return rows.map((row) => `${row.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join('  ').trimEnd()}\n`).join('');
}

function main(argv: string[], brandsFile: string): number {
  try {
    const args = parseArguments(argv);
    if (args === 'help') {
      process.stdout.write(USAGE);
      return 0;
    }
    const brand = findBrand(loadBrandsFile(brandsFile), args.brand);
    const output =
      args.holidays !== undefined
        ? holidaysReport(brand, args.holidays, args.json)
        : dueDatesReport(brand, parseReceived(args.received, brand), args.json);
    process.stdout.write(output);
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`deadlines: ${error.message} (--help for usage)\n`);
      return 2;
    }
    // RangeError: the calendar refused the brand's zone, country, region or closure days.
    if (error instanceof ConfigError || error instanceof RangeError) {
      process.stderr.write(`deadlines: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}

// The entry point: the only place that reads the environment.
const brandsFile = resolve(process.env.BRANDS_FILE?.trim() || DEFAULT_BRANDS_FILE);
process.exitCode = main(process.argv.slice(2), brandsFile);
