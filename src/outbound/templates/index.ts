import type { Language } from '../../config/brands.js';
import { de } from './de.js';
import { en } from './en.js';
import { oneLine } from './format.js';
import { fr } from './fr.js';
import { nl } from './nl.js';
import { staff } from './staff.js';
import type { RenderedMessage, StaffTemplateName, TemplateName, TemplateSet, TemplateVars } from './types.js';

export { formatDate, formatDateTime } from './format.js';
export {
  DEFAULT_ESCALATION_WORKING_DAYS,
  DEFAULT_RESPONSE_WORKING_DAYS,
  ESCALATION_ITEMS,
  ESCALATION_KEYWORD,
  MEASURES,
} from './types.js';
export type {
  CaseKind,
  ComplainantVars,
  CustomerVars,
  DeadlineSummary,
  EscalationItem,
  LanguageTexts,
  LocalizedTemplateName,
  Measure,
  MeasureTaken,
  RenderedMessage,
  StaffCaseKind,
  StaffTemplateName,
  StaffVars,
  TemplateName,
  TemplateVars,
} from './types.js';

// Staff texts exist in English only, so every language gets the same ones.
const CATALOG: Readonly<Record<Language, TemplateSet<TemplateName>>> = {
  en: { ...en, ...staff },
  de: { ...de, ...staff },
  fr: { ...fr, ...staff },
  nl: { ...nl, ...staff },
};

export const TEMPLATE_NAMES = Object.keys(CATALOG.en) as TemplateName[];

const STAFF_TEMPLATES: ReadonlySet<string> = new Set(Object.keys(staff));

/** Whether a template goes to the desk's staff (English) rather than to a complainant or customer. */
export function isStaffTemplate(name: TemplateName): name is StaffTemplateName {
  return STAFF_TEMPLATES.has(name);
}

/**
 * The subject and plain-text body of one outgoing message. The subject has
 * no ticket tag: the sender prefixes "[TICKET] ". Throws on an invalid Date
 * or an escalation_missing_info with nothing missing: both are bugs upstream,
 * and a message saying nonsense is worse than none.
 */
export function renderTemplate<N extends TemplateName>(name: N, language: Language, vars: TemplateVars[N]): RenderedMessage {
  // A language the texts do not cover (bad data from storage) gets English rather than a crash.
  const texts = CATALOG[language] ?? CATALOG.en;
  const render: (vars: TemplateVars[N]) => RenderedMessage = texts[name];
  if (name === 'escalation_missing_info' && (vars as TemplateVars['escalation_missing_info']).missing.length === 0) {
    throw new Error('escalation_missing_info rendered with nothing missing');
  }
  const { subject, text } = render(vars);
  return { subject: oneLine(subject, 200), text };
}
