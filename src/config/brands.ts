import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ConfigError } from './env.js';
import { isEmailAddress } from '../lib/text.js';

export const LANGUAGES = ['en', 'de', 'fr', 'nl'] as const;
export type Language = (typeof LANGUAGES)[number];

export const MAILBOXES = ['abuse', 'complaints', 'feedback'] as const;
export type Mailbox = (typeof MAILBOXES)[number];

export const POLICIES = ['standard', 'two-step'] as const;
export type PolicyName = (typeof POLICIES)[number];

const domainName = z
  .string()
  .transform((value) => value.trim().toLowerCase())
  .refine((value) => /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}$/.test(value), 'not a domain name');

const address = z
  .string()
  .transform((value) => value.trim().toLowerCase())
  .refine(isEmailAddress, 'not an e-mail address');

const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'expected YYYY-MM-DD');

const timeZone = z.string().refine((zone) => {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}, 'unknown IANA time zone');

const mailboxSchema = z
  .object({
    /** Accept ARF / X-ARF feedback reports from verified reporters as silent cases. */
    machineReports: z.boolean().default(false),
  })
  .strict();

const brandSchema = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'lower-case letters, digits and -'),
    name: z.string().min(1),
    domains: z.array(domainName).min(1),
    mailboxes: z
      .object({ abuse: mailboxSchema.optional(), complaints: mailboxSchema.optional(), feedback: mailboxSchema.optional() })
      .strict(),
    languages: z.array(z.enum(LANGUAGES)).min(1),
    defaultLanguage: z.enum(LANGUAGES),
    timeZone,
    holidays: z.object({ country: z.string().length(2), region: z.string().min(1).optional() }).strict(),
    closureDays: z.array(isoDate).default([]),
    policy: z.enum(POLICIES),
    specialistAddress: address,
    staff: z.array(z.string().transform((value) => value.trim().toLowerCase())).min(1),
    reminderWorkingDays: z.number().int().min(0).max(10).default(2),
    customerResponseWorkingDays: z.number().int().min(1).max(30).default(2),
    measuresWebhook: z.string().url().optional(),
    /** Relays (CIDR) whose Received headers are trusted when finding a reported message's origin. */
    trustedRelays: z.array(z.string()).default([]),
    /** Our own sending infrastructure (CIDR): a reported message from here is evidence. */
    infrastructure: z.array(z.string()).default([]),
    /** How long machine reports from one source about one domain join one case. */
    reportGroupingHours: z.number().int().min(1).default(72),
    /** Reports joining an open incident reach the specialists as one digest per this many minutes. */
    incidentDigestMinutes: z.number().int().min(1).max(7 * 24 * 60).default(60),
    /**
     * National CERTs, law enforcement, reporting services: addresses, `*@domain`,
     * or a domain (and its subdomains). Their verified reports get the highest
     * priority and a 24-hour review.
     */
    trustedNotifiers: z.array(z.string().transform((value) => value.trim().toLowerCase())).default([]),
    /** DNS abuse (phishing, malware, botnet, pharming) about a managed domain: ICANN's 2024 advisory's examples. */
    dnsAbuse: z
      .object({
        /** A specialist reviews the report within this many hours. */
        reviewHours: z.number().int().min(1).max(720).default(24),
        /** The mitigation decision is taken within this many working days. */
        decisionWorkingDays: z.number().int().min(1).max(30).default(2),
        /** A managed domain younger than this is newly registered (a sign of one registered to abuse). */
        newDomainDays: z.number().int().min(1).max(3650).default(30),
      })
      .strict()
      .default({ reviewHours: 24, decisionWorkingDays: 2, newDomainDays: 30 }),
  })
  .strict()
  .superRefine((brand, ctx) => {
    if (!brand.languages.includes(brand.defaultLanguage)) {
      ctx.addIssue({ code: 'custom', path: ['defaultLanguage'], message: 'must be one of the brand languages' });
    }
    for (const [index, entry] of brand.staff.entries()) {
      if (entry.includes('*', 1) || !isEmailAddress(entry.startsWith('*@') ? `x${entry.slice(1)}` : entry)) {
        ctx.addIssue({ code: 'custom', path: ['staff', index], message: 'expected an address or *@domain' });
      }
    }
    for (const [index, entry] of brand.trustedNotifiers.entries()) {
      const valid = entry.includes('@') ? !entry.includes('*', 1) && isEmailAddress(entry.startsWith('*@') ? `x${entry.slice(1)}` : entry) : domainName.safeParse(entry).success;
      if (!valid) ctx.addIssue({ code: 'custom', path: ['trustedNotifiers', index], message: 'expected an address, *@domain or a domain' });
    }
  });

const brandsFileSchema = z
  .object({ brands: z.array(brandSchema).min(1) })
  .strict()
  .superRefine((file, ctx) => {
    const seenDomains = new Map<string, string>();
    const seenIds = new Set<string>();
    for (const [index, brand] of file.brands.entries()) {
      if (seenIds.has(brand.id)) ctx.addIssue({ code: 'custom', path: ['brands', index, 'id'], message: `duplicate brand id ${brand.id}` });
      seenIds.add(brand.id);
      for (const domain of brand.domains) {
        const other = seenDomains.get(domain);
        if (other) ctx.addIssue({ code: 'custom', path: ['brands', index, 'domains'], message: `${domain} already belongs to brand ${other}` });
        seenDomains.set(domain, brand.id);
      }
    }
  });

export type Brand = z.infer<typeof brandSchema>;

/** The brand's primary domain: where its mailboxes and case reply addresses live. */
export function brandDomain(brand: Brand): string {
  return brand.domains[0] as string;
}

export function parseBrands(text: string, source: string): Brand[] {
  let document: unknown;
  try {
    document = parseYaml(text);
  } catch (error) {
    throw new ConfigError(`brands file ${source}: not valid YAML: ${(error as Error).message}`);
  }
  const result = brandsFileSchema.safeParse(document);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`brands file ${source}:\n  ${lines.join('\n  ')}`);
  }
  return result.data.brands;
}

export function loadBrandsFile(path: string): Brand[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`BRANDS_FILE: cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  return parseBrands(text, path);
}

/** Whether a verified sender is one of the brand's trusted notifiers (an address, `*@domain`, or a domain and its subdomains). */
export function isTrustedNotifier(brand: Brand, address: string): boolean {
  const lower = address.toLowerCase();
  const domain = lower.slice(lower.lastIndexOf('@') + 1);
  return brand.trustedNotifiers.some((entry) => entry === lower || entry === `*@${domain}` || (!entry.includes('@') && (domain === entry || domain.endsWith(`.${entry}`))));
}

/** Whether a verified sender address is on the brand's staff list. */
export function isStaff(brand: Brand, address: string): boolean {
  const lower = address.toLowerCase();
  const domain = lower.slice(lower.lastIndexOf('@') + 1);
  return brand.staff.some((entry) => entry === lower || entry === `*@${domain}`);
}
