import { convert } from 'html-to-text';
import { simpleParser, type ParsedMail } from 'mailparser';
import { withTimeout } from '../lib/timeout.js';

export type { ParsedMail } from 'mailparser';

export class UnparseableMessageError extends Error {
  override readonly name = 'UnparseableMessageError';
}

/**
 * mailparser with a time bound: it holds the message in memory and has hung on
 * missing closing boundaries, so a message that does not parse in time is
 * reported as unparseable (the raw bytes stay stored) rather than blocking a worker.
 */
export async function parseMessage(raw: Buffer, timeoutMs = 20_000): Promise<ParsedMail> {
  try {
    return await withTimeout(
      simpleParser(raw, { skipImageLinks: true, maxHtmlLengthToParse: 2 * 1024 * 1024 }),
      timeoutMs,
      () => new UnparseableMessageError(`parsing took longer than ${timeoutMs} ms`),
    );
  } catch (error) {
    if (error instanceof UnparseableMessageError) throw error;
    throw new UnparseableMessageError((error as Error).message, { cause: error });
  }
}

/** The writer's own words: the text part, or the HTML part turned into text. */
export function bodyText(mail: ParsedMail): string {
  if (mail.text && mail.text.trim()) return mail.text;
  if (typeof mail.html === 'string') return convert(mail.html, { wordwrap: false });
  return '';
}
