import type { Language, PolicyName } from '../config/brands.js';

/**
 * How a complainant marks an escalated complaint in the subject line. The
 * standard policy (seeds 000–003) asks for one word ("Complaint",
 * "Beschwerde", "plainte", "klacht"); the two-step policy (seed 004) asks
 * for "Transmission de réclamation - Etape 1" or "- Etape 2". The markers
 * only say what the subject asks for: whether it is an escalation depends on
 * the case (we must already have answered), which the case module knows.
 */

export type EscalationStep = 1 | 2;

export interface EscalationMarker {
  step: EscalationStep;
  language: Language;
  text: string;
}

export interface EscalationMatch {
  step: EscalationStep;
  marker: EscalationMarker;
}

export const ESCALATION_MARKERS: Readonly<Record<PolicyName, readonly EscalationMarker[]>> = {
  standard: [
    { step: 1, language: 'en', text: 'Complaint' },
    { step: 1, language: 'de', text: 'Beschwerde' },
    { step: 1, language: 'fr', text: 'plainte' },
    // Seed 004's word for the same thing; French writers use both.
    { step: 1, language: 'fr', text: 'réclamation' },
    { step: 1, language: 'nl', text: 'klacht' },
  ],
  'two-step': [
    { step: 1, language: 'fr', text: 'Transmission de réclamation - Etape 1' },
    { step: 2, language: 'fr', text: 'Transmission de réclamation - Etape 2' },
    // Seed 004 only gives the French wording; these are our equivalents for
    // the brand's other languages, and what our templates tell people to write.
    { step: 1, language: 'en', text: 'Complaint escalation - Step 1' },
    { step: 2, language: 'en', text: 'Complaint escalation - Step 2' },
    { step: 1, language: 'de', text: 'Beschwerdeeskalation - Stufe 1' },
    { step: 2, language: 'de', text: 'Beschwerdeeskalation - Stufe 2' },
    { step: 1, language: 'de', text: 'Beschwerde-Eskalation - Stufe 1' },
    { step: 2, language: 'de', text: 'Beschwerde-Eskalation - Stufe 2' },
    { step: 1, language: 'nl', text: 'Klachtescalatie - Stap 1' },
    { step: 2, language: 'nl', text: 'Klachtescalatie - Stap 2' },
  ],
};

/**
 * Subjects and markers compared as sequences of words: case, accents and
 * punctuation are ignored ("TRANSMISSION DE RECLAMATION – ÉTAPE 1" matches),
 * but a marker must be whole words, so "Complaints" is not "Complaint" and
 * "Step 10" is not "Step 1".
 */
function words(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

const normalisedMarkers = Object.fromEntries(
  Object.entries(ESCALATION_MARKERS).map(([policy, markers]) => [
    policy,
    // Step 2 first: a subject quoting both steps is the later one.
    [...markers].sort((a, b) => b.step - a.step).map((marker) => ({ marker, words: ` ${words(marker.text)} ` })),
  ]),
) as Record<PolicyName, { marker: EscalationMarker; words: string }[]>;

/**
 * The two-step policy's marker for `step` in `language` (the French wording
 * when the language has none), or undefined when there is no such step.
 */
export function twoStepMarker(language: string, step: number): string | undefined {
  const markers = ESCALATION_MARKERS['two-step'].filter((marker) => marker.step === step);
  return (markers.find((marker) => marker.language === language) ?? markers[0])?.text;
}

export function detectEscalation(subject: string, policy: PolicyName): EscalationMatch | null {
  const haystack = ` ${words(subject)} `;
  for (const candidate of normalisedMarkers[policy]) {
    if (haystack.includes(candidate.words)) return { step: candidate.marker.step, marker: candidate.marker };
  }
  return null;
}
