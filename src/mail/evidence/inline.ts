import { MESSAGE_HEADER_KEYS } from './headers.js';

/**
 * Header sections pasted into the body of a report ("show original", a
 * forward with headers, a quoted copy). A block qualifies when it has at least
 * two Received fields, or three different message header fields among which
 * From or Received. The text after the block is kept as the message body.
 */

const MAX_TEXT_CHARS = 512 * 1024;
const MAX_BLOCKS = 10;
const MAX_BODY_CHARS = 64 * 1024;
const NAME = /^[A-Za-z0-9][A-Za-z0-9-]{0,59}$/;

/** Removes "> " quoting, also nested ("> > "). */
function unquote(line: string): string {
  let i = 0;
  while (i < line.length && i < 40) {
    const ch = line.charAt(i);
    if (ch === '>' || (ch === ' ' && line.charAt(i + 1) === '>')) i += 1;
    else break;
  }
  if (i === 0) return line;
  return line.charAt(i) === ' ' ? line.slice(i + 1) : line.slice(i);
}

function fieldName(line: string): string | null {
  const colon = line.indexOf(':');
  if (colon <= 0 || colon > 60) return null;
  const name = line.slice(0, colon);
  return NAME.test(name) ? name.toLowerCase() : null;
}

interface Block {
  start: number;
  end: number; // exclusive
  keys: Set<string>;
  received: number;
}

function qualifies(block: Block): boolean {
  if (block.received >= 2) return true;
  const known = [...block.keys].filter((k) => MESSAGE_HEADER_KEYS.has(k));
  return known.length >= 3 && (block.keys.has('from') || block.keys.has('received'));
}

function findBlocks(lines: string[]): Block[] {
  const blocks: Block[] = [];
  let current: Block | null = null;
  const close = (end: number): void => {
    if (current) {
      current.end = end;
      if (qualifies(current)) blocks.push(current);
    }
    current = null;
  };
  for (let i = 0; i < lines.length && blocks.length < MAX_BLOCKS; i += 1) {
    const line = lines[i] ?? '';
    const name = fieldName(line);
    if (name) {
      if (!current) current = { start: i, end: i, keys: new Set(), received: 0 };
      current.keys.add(name);
      if (name === 'received') current.received += 1;
      continue;
    }
    const continuation = (line.startsWith(' ') || line.startsWith('\t')) && line.trim().length > 0;
    if (continuation && current) continue;
    close(i);
  }
  close(lines.length);
  return blocks;
}

/** Each pasted message as raw bytes: the header block, an empty line, the text after it. */
export function findInlineHeaders(text: string): Buffer[] {
  const lines = text.slice(0, MAX_TEXT_CHARS).split(/\r?\n|\r/).map(unquote);
  const blocks = findBlocks(lines);
  return blocks.map((block, index) => {
    const header = lines.slice(block.start, block.end).join('\r\n');
    const bodyEnd = blocks[index + 1]?.start ?? lines.length;
    let body = lines.slice(block.end, bodyEnd).join('\r\n').replace(/^(?:\r\n)+/, '');
    if (body.length > MAX_BODY_CHARS) body = body.slice(0, MAX_BODY_CHARS);
    return Buffer.from(`${header}\r\n\r\n${body}`, 'utf8');
  });
}
