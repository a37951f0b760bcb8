import { createRequire } from 'node:module';

interface ParsedReply {
  getVisibleText(): string;
}
type ReplyParser = new () => { read(text: string): ParsedReply };

const EmailReplyParser = createRequire(import.meta.url)('email-reply-parser') as ReplyParser;

/**
 * The new words of a reply: quoted history ("On … wrote:", "> " lines) and
 * signatures trimmed by email-reply-parser, then any address or name the
 * writer must not reveal masked (a specialist's own address never reaches the
 * complainant).
 */
export function replyText(text: string, withhold: { addresses?: string[]; names?: string[] } = {}): string {
  let visible = new EmailReplyParser().read(text.replace(/\r\n/g, '\n')).getVisibleText();
  for (const address of withhold.addresses ?? []) {
    if (address) visible = visible.split(new RegExp(escapeRegExp(address), 'gi')).join('');
  }
  for (const name of withhold.names ?? []) {
    // Only a name of at least two words: a single first name may be ordinary text.
    if (name && /\s/.test(name.trim())) visible = visible.split(new RegExp(escapeRegExp(name.trim()), 'gi')).join('');
  }
  return visible.replace(/[ \t]+$/gm, '').replace(/\n{3,}/g, '\n\n').trim();
}

function escapeRegExp(value: string): string {
  return value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
