import { createRequire } from 'node:module';
import addressparser from 'nodemailer/lib/addressparser';

/**
 * A small typed view of a message's top-level header section, read from the
 * raw bytes before anything else parses the message. It is what the intake
 * policy decides on, so it must cope with anything a sender can put on the
 * wire: it never throws, and garbage gives an empty view.
 */

// libmime ships no type declarations; these are the two functions used here.
interface Libmime {
  decodeWords(value: string): string;
  parseHeaderValue(value: string): { value: string; params: Record<string, string> };
}
const libmime = createRequire(import.meta.url)('libmime') as Libmime;

export const DEFAULT_MAX_HEADER_BYTES = 256 * 1024;

export interface Mailbox {
  /** As written, e.g. `jane@example.org`; '' when the entry had no address. */
  address: string;
  /** Display name with encoded words decoded; '' when there was none. */
  name: string;
}

export interface ContentType {
  /** Lower-cased `type/subtype`, comments removed. */
  value: string;
  /** Parameter names lower-cased (RFC 2231 continuations joined), values as given. */
  params: Record<string, string>;
}

export interface HeaderView {
  /** Every value of the field, in order: unfolded, encoded words decoded, trimmed. */
  get(name: string): string[];
  first(name: string): string | undefined;
  /** Like `get`, but encoded words left alone: for structured fields. */
  getRaw(name: string): string[];
  has(name: string): boolean;
  /**
   * A value of the field holds a control character (C0 but tab, DEL, C1) as
   * sent, before the spaces that `get` and `getRaw` put in their place.
   */
  hasControlCharacters(name: string): boolean;
  /** Every mailbox of every From field (groups flattened). */
  readonly from: Mailbox[];
  /** With angle brackets, as mailparser gives it, so ids compare across modules. */
  readonly messageId: string | undefined;
  readonly inReplyTo: string | undefined;
  readonly references: string[];
  /** Decoded; '' when absent. */
  readonly subject: string;
  /** The RFC 2045 default `text/plain` when the field is absent or unreadable. */
  readonly contentType: ContentType;
  /** The header section did not end within the byte limit. */
  readonly truncated: boolean;
}

interface Field {
  name: string;
  raw: string;
}

/** Reads the header section of a raw message; never throws. */
export function readHeaderBlock(raw: Buffer, maxBytes = DEFAULT_MAX_HEADER_BYTES): HeaderView {
  try {
    const { fields, truncated } = splitFields(raw, maxBytes);
    return buildView(fields, truncated);
  } catch {
    // Defensive only: both work on a bounded string and should not throw; a
    // message we cannot read is one without headers, which the policy refuses.
    return buildView([], false);
  }
}

// Printable US-ASCII except ':' (RFC 5322 ftext); trailing blanks before the
// colon are the obsolete syntax some old mailers still write.
const FIELD_LINE = /^([!-9;-~]+)[ \t]*:/;

function splitFields(raw: Buffer, maxBytes: number): { fields: Field[]; truncated: boolean } {
  const limit = Math.max(0, Math.min(raw.length, maxBytes));
  // latin1 maps every byte to one char, so charset decoding can wait until a
  // field is whole, and the byte limit is the string length.
  const text = raw.subarray(0, limit).toString('latin1');
  // A file with no LF at all is CR-only (old Mac); otherwise a stray CR is part
  // of a line, not an end of one, so `\r\r\n` cannot end the header section.
  const lines = text.includes('\n') ? text.split('\n') : text.split('\r');
  // The text after the last line break is a whole last line only when the
  // limit did not cut the message; an empty one is just the end of the file.
  const tail = lines.pop() ?? '';
  if (raw.length <= limit && tail !== '') lines.push(tail);
  let ended = false;
  const fields: Field[] = [];
  let current: string[] | undefined;
  let currentName = '';

  const flush = (): void => {
    if (current) fields.push({ name: currentName, raw: current.join('') });
    current = undefined;
  };

  for (let i = 0; i < lines.length; i++) {
    const line = stripCr(lines[i] ?? '');
    if (line === '') {
      ended = true;
      break;
    }
    const firstChar = line.charCodeAt(0);
    if (firstChar === 0x20 || firstChar === 0x09) {
      // Folding: a continuation of the field before it (none yet: ignored).
      current?.push(line);
      continue;
    }
    const match = FIELD_LINE.exec(line);
    flush();
    if (!match) {
      // Not a field (an mbox "From " line, a broken fold): skipped rather than
      // ending the section, as mailsplit (mailparser's splitter) does.
      continue;
    }
    currentName = (match[1] ?? '').toLowerCase();
    current = [line.slice(match[0].length)];
  }
  flush();
  return { fields, truncated: !ended && raw.length > limit };
}

function stripCr(line: string): string {
  return line.endsWith('\r') ? line.slice(0, -1) : line;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

// Node's TextDecoder('windows-1252') decodes as ISO-8859-1, so the C1 range,
// where the two differ, is mapped here (WHATWG Encoding, index windows-1252).
const WINDOWS_1252_C1 =
  '\u20ac\u0081\u201a\u0192\u201e\u2026\u2020\u2021\u02c6\u2030\u0160\u2039\u0152\u008d\u017d\u008f' +
  '\u0090\u2018\u2019\u201c\u201d\u2022\u2013\u2014\u02dc\u2122\u0161\u203a\u0153\u009d\u017e\u0178';

/** Raw 8-bit header bytes: UTF-8 when valid (RFC 6532), else the usual Windows Latin-1. */
function decodeBytes(latin1: string): string {
  if (!/[\x80-\xff]/.test(latin1)) return latin1;
  try {
    return utf8.decode(Buffer.from(latin1, 'latin1'));
  } catch {
    return latin1.replace(/[\x80-\x9f]/g, (ch) => WINDOWS_1252_C1[ch.charCodeAt(0) - 0x80] ?? ch);
  }
}

/**
 * Line breaks are already gone; control characters (also ones decoded from
 * encoded words) become spaces. Halves of surrogate pairs, which broken
 * encoded words decode to, become U+FFFD: PostgreSQL's json refuses them.
 */
function cleanValue(value: string): string {
  return (
    value
      // eslint-disable-next-line no-control-regex -- removing control characters is the point
      .replace(/[\x00-\x08\x0a-\x1f\x7f]/g, ' ')
      .replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd')
      .trim()
  );
}

function decodeWords(value: string): string {
  try {
    return libmime.decodeWords(value);
  } catch {
    // An unknown charset or broken encoding: the undecoded text is the best we have.
    return value;
  }
}

// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROL_CHARACTER = /[\x00-\x08\x0a-\x1f\x7f-\x9f]/;

function buildView(fields: Field[], truncated: boolean): HeaderView {
  const raw = new Map<string, string[]>();
  const withControls = new Set<string>();
  for (const field of fields) {
    const sent = decodeBytes(field.raw);
    if (CONTROL_CHARACTER.test(sent)) withControls.add(field.name);
    const value = cleanValue(sent);
    const list = raw.get(field.name);
    if (list) list.push(value);
    else raw.set(field.name, [value]);
  }
  const decoded = new Map<string, string[]>();
  const getRaw = (name: string): string[] => [...(raw.get(name.toLowerCase()) ?? [])];
  const get = (name: string): string[] => {
    const key = name.toLowerCase();
    let values = decoded.get(key);
    if (!values) {
      values = (raw.get(key) ?? []).map((v) => cleanValue(decodeWords(v)));
      decoded.set(key, values);
    }
    return [...values];
  };
  const firstRaw = (name: string): string | undefined => raw.get(name)?.[0];

  return {
    get,
    getRaw,
    first: (name) => get(name)[0],
    has: (name) => raw.has(name.toLowerCase()),
    hasControlCharacters: (name) => withControls.has(name.toLowerCase()),
    from: (raw.get('from') ?? []).flatMap(parseMailboxes),
    messageId: firstMessageId(firstRaw('message-id')),
    inReplyTo: firstMessageId(firstRaw('in-reply-to')),
    references: messageIds(raw.get('references')?.join(' ') ?? ''),
    subject: get('subject')[0] ?? '',
    contentType: parseContentType(firstRaw('content-type')),
    truncated,
  };
}

function parseMailboxes(value: string): Mailbox[] {
  try {
    // Parse before decoding: a decoded display name may hold ',' or '<'.
    return addressparser(value, { flatten: true }).map((entry) => ({
      address: (entry.address ?? '').trim(),
      name: cleanValue(decodeWords(entry.name ?? '')),
    }));
  } catch {
    return [];
  }
}

/** Bracketed ids; a value without brackets counts as whitespace-separated ids. */
function messageIds(value: string): string[] {
  const bracketed = value.match(/<[^<>]*>/g);
  const ids = bracketed ?? value.split(/[\s,]+/).filter((id) => id !== '').map((id) => `<${id}>`);
  return ids.map((id) => id.replace(/\s+/g, '')).filter((id) => id.length > 2);
}

function firstMessageId(value: string | undefined): string | undefined {
  return value === undefined ? undefined : messageIds(value)[0];
}

const PLAIN_TEXT: ContentType = { value: 'text/plain', params: { charset: 'us-ascii' } };

function parseContentType(value: string | undefined): ContentType {
  if (value === undefined) return { value: PLAIN_TEXT.value, params: { ...PLAIN_TEXT.params } };
  try {
    const parsed = libmime.parseHeaderValue(value);
    const type = headerToken(parsed.value);
    if (!/^[a-z0-9!#$%&'*+.^_`{|}~-]+\/[a-z0-9!#$%&'*+.^_`{|}~-]+$/.test(type)) {
      return { value: PLAIN_TEXT.value, params: { ...PLAIN_TEXT.params } };
    }
    const params: Record<string, string> = {};
    for (const [key, param] of Object.entries(parsed.params)) params[key.toLowerCase()] = String(param);
    return { value: type, params };
  } catch {
    return { value: PLAIN_TEXT.value, params: { ...PLAIN_TEXT.params } };
  }
}

/**
 * The bare token of a structured value: RFC 5322 comments removed (nested and
 * quoted-pair aware, in one linear pass), anything after ';' dropped,
 * whitespace collapsed, lower-cased. `Auto-Submitted: Auto-Replied (vacation); x=1`
 * gives `auto-replied`.
 */
export function headerToken(value: string): string {
  let out = '';
  let depth = 0;
  for (let i = 0; i < value.length; i++) {
    const ch = value[i];
    if (ch === '\\') {
      if (depth === 0) out += value[i + 1] ?? '';
      i++;
    } else if (ch === '(') {
      depth++;
    } else if (ch === ')') {
      if (depth > 0) depth--;
    } else if (depth === 0) {
      if (ch === ';') break;
      out += ch;
    }
  }
  return out.replace(/\s+/g, ' ').trim().toLowerCase();
}
