import type { CaseFilters } from '../../cases/view.js';

/** The list's filters as the GET form sends them, and back into links. */

export const FILTER_FIELDS = ['state', 'kind', 'brand', 'language', 'complainant'] as const;

export function filtersFromQuery(query: Record<string, string | undefined>): CaseFilters {
  const filters: CaseFilters = {};
  for (const field of FILTER_FIELDS) {
    const value = query[field]?.trim();
    if (value) filters[field] = value;
  }
  if (['1', 'true', 'on'].includes(query.overdue ?? '')) filters.overdue = true;
  return filters;
}

/** A query string for the same filters (and a cursor), without the leading `?`. */
export function filterQuery(filters: CaseFilters, extra: Record<string, string> = {}): string {
  const params = new URLSearchParams();
  for (const field of FILTER_FIELDS) {
    const value = filters[field];
    if (value) params.set(field, value);
  }
  if (filters.overdue) params.set('overdue', '1');
  for (const [key, value] of Object.entries(extra)) params.set(key, value);
  return params.toString();
}
