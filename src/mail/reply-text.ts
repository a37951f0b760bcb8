import { createRequire } from 'node:module';
import { storableText, trimLineEnds } from '../lib/text.js';

interface ParsedReply {
  getVisibleText(): string;
  getFragments(): Array<{ isHidden(): boolean; isEmpty(): boolean }>;
}
type ReplyParser = new () => { read(text: string): ParsedReply };

const EmailReplyParser = createRequire(import.meta.url)('email-reply-parser') as ReplyParser;

/**
 * email-reply-parser's patterns backtrack polynomially (some cubically: 64 KiB
 * of "Op schreef" lines take minutes), and a reply may quote a stranger's
 * words, so it only ever sees this much of the reply. Past it, a linear rule
 * does its work.
 */
const PARSED_CHARS = 2_000;

/**
 * The new words of a reply: quoted history ("On … wrote:", "> " lines) and
 * signatures trimmed by email-reply-parser, then any address or name the
 * writer must not reveal masked (a specialist's own address never reaches the
 * complainant).
 */
export function replyText(text: string, withhold: { addresses?: string[]; names?: string[] } = {}): string {
  const normalized = collapseBlankLines(trimLineEnds(storableText(text).replace(/\r\n?/g, '\n')));
  const cut = windowEnd(normalized);
  const parsed = new EmailReplyParser().read(normalized.slice(0, cut));
  let visible = parsed.getVisibleText();
  const rest = normalized.slice(cut);
  // The parser hid nothing in what it saw: the reply goes on past it, up to where history begins.
  if (rest && !parsed.getFragments().some((fragment) => fragment.isHidden() && !fragment.isEmpty())) visible = `${visible}\n${beforeHistory(rest)}`;
  for (const address of withhold.addresses ?? []) {
    if (address) visible = visible.split(new RegExp(escapeRegExp(address), 'gi')).join('');
  }
  for (const name of withhold.names ?? []) {
    // Only a name of at least two words: a single first name may be ordinary text.
    if (name && /\s/.test(name.trim())) visible = visible.split(new RegExp(escapeRegExp(name.trim()), 'gi')).join('');
  }
  return collapseBlankLines(trimLineEnds(visible)).trim();
}

/** The window's end: the last line break within PARSED_CHARS, so no line is cut in two. */
function windowEnd(text: string): number {
  if (text.length <= PARSED_CHARS) return text.length;
  const lineEnd = text.lastIndexOf('\n', PARSED_CHARS);
  return lineEnd > 0 ? lineEnd + 1 : PARSED_CHARS;
}

/** The lines before the first quoted line (and its "… wrote:" line) or signature separator. */
function beforeHistory(text: string): string {
  const lines = text.split('\n');
  let end = lines.findIndex((line) => line.trimStart().startsWith('>') || line === '--' || line === '-- ');
  if (end < 0) return text;
  if (end > 0 && (lines[end - 1] as string).endsWith(':')) end -= 1;
  return lines.slice(0, end).join('\n');
}


function collapseBlankLines(text: string): string {
  return text.replace(/\n{3,}/g, '\n\n');
}


function escapeRegExp(value: string): string {
  return value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
