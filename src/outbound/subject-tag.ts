/**
 * The subject tag `[ABU-2026-000042]`: every message of a case carries it, and
 * a message whose subject carries it may continue that case (SPEC section 2).
 */
const TAG = /\[((?:ABU|CMP|FBK)-\d{4}-\d{6,9})\]/gi;

/** More tags than any real thread carries; past it a subject is noise, not a clue. */
export const MAX_SUBJECT_TICKETS = 5;

/** The distinct ticket tags of a subject, in order, at most `max`. */
export function ticketsInSubject(subject: string, max = MAX_SUBJECT_TICKETS): string[] {
  const found = new Set<string>();
  for (const match of subject.matchAll(TAG)) {
    found.add((match[1] as string).toUpperCase());
    if (found.size === max) break;
  }
  return [...found];
}

export function tagSubject(ticket: string, subject: string): string {
  const clean = subject.replace(/\s+/g, ' ').trim();
  return clean.toUpperCase().includes(`[${ticket}]`) ? clean : `[${ticket}] ${clean}`.trim();
}

/** The subject with its ticket tags blanked out. */
export function withoutTags(subject: string): string {
  return subject.replace(TAG, ' ');
}
