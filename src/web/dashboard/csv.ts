import type { Db } from '../../db/index.js';
import { listCases, type CaseFilters, type CaseSummary } from '../../cases/view.js';

/**
 * The filtered case list as CSV (RFC 4180: quoted where needed, CRLF). Cells
 * are mail-derived, so one that a spreadsheet would read as a formula gets a
 * leading apostrophe: `=HYPERLINK(...)` in a subject stays text.
 */

const FORMULA_START = /^[=+\-@\t\r]/;

export function csvCell(value: string | null | undefined): string {
  let text = value ?? '';
  if (FORMULA_START.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csvRow(cells: Array<string | null | undefined>): string {
  return `${cells.map(csvCell).join(',')}\r\n`;
}

export const CSV_HEADER = ['ticket', 'kind', 'state', 'language', 'brand', 'subject', 'complainant_address', 'complainant_name', 'received_at', 'next_due_at'];

export function caseCsvRow(item: CaseSummary): string {
  return csvRow([item.ticket, item.kind, item.state, item.language, item.brand, item.subject, item.complainant.address, item.complainant.name, item.receivedAt, item.nextDueAt]);
}

const PAGE = 500;

/**
 * Streams every matching case, a page at a time, so an export of the whole
 * desk never holds more than one page in memory. The filters are checked
 * (first page) before the response starts, so a bad filter is a 400, not a
 * broken download.
 */
export async function caseCsvStream(db: Db, filters: CaseFilters, now: Date): Promise<ReadableStream<Uint8Array>> {
  const encoder = new TextEncoder();
  let page = await listCases(db, filters, { limit: PAGE }, now);
  let first = true;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (first) {
        first = false;
        controller.enqueue(encoder.encode(csvRow(CSV_HEADER) + page.items.map(caseCsvRow).join('')));
      } else if (page.nextCursor) {
        page = await listCases(db, filters, { cursor: page.nextCursor, limit: PAGE }, now);
        controller.enqueue(encoder.encode(page.items.map(caseCsvRow).join('')));
      }
      if (!page.nextCursor) controller.close();
    },
  });
}
