import { domainToASCII } from 'node:url';

/**
 * Header-section helpers that work on hostile input in linear time: no regex
 * with nested quantifiers, every loop advances, every size is capped.
 */

export interface HeaderField {
  name: string;
  /** Lower-case name. */
  key: string;
  /** Unfolded value: line breaks removed, the folding whitespace kept. */
  value: string;
}

const MAX_HEADER_BYTES = 1024 * 1024;
const MAX_FIELDS = 2000;
const MAX_FIELD_CHARS = 64 * 1024;
const FIELD_NAME = /^[\x21-\x39\x3b-\x7e]{1,100}$/;

/** Offset where the body starts (after the first empty line), or raw.length for a header-only block. */
export function bodyOffset(raw: Buffer): number {
  if (raw[0] === 0x0a) return 1;
  if (raw[0] === 0x0d && raw[1] === 0x0a) return 2;
  let pos = 0;
  while (pos < raw.length) {
    const lf = raw.indexOf(0x0a, pos);
    if (lf < 0) return raw.length;
    if (raw[lf + 1] === 0x0a) return lf + 2;
    if (raw[lf + 1] === 0x0d && raw[lf + 2] === 0x0a) return lf + 3;
    pos = lf + 1;
  }
  return raw.length;
}

/** The header section as text (UTF-8, capped). */
export function headerText(raw: Buffer): string {
  const end = Math.min(bodyOffset(raw), MAX_HEADER_BYTES);
  return raw.subarray(0, end).toString('utf8');
}

export function parseHeaderFields(text: string): { fields: HeaderField[]; malformed: number } {
  const fields: HeaderField[] = [];
  let malformed = 0;
  let current: HeaderField | null = null;
  for (const line of text.split(/\r?\n|\r/)) {
    if (line.length === 0) {
      if (fields.length > 0) break;
      continue;
    }
    const first = line.charCodeAt(0);
    if (first === 0x20 || first === 0x09) {
      if (current && current.value.length < MAX_FIELD_CHARS) current.value += line;
      else if (!current) malformed += 1;
      continue;
    }
    const colon = line.indexOf(':');
    const name = colon > 0 ? line.slice(0, colon).trimEnd() : '';
    if (!FIELD_NAME.test(name)) {
      malformed += 1;
      current = null;
      continue;
    }
    if (fields.length >= MAX_FIELDS) break;
    current = { name, key: name.toLowerCase(), value: line.slice(colon + 1, colon + 1 + MAX_FIELD_CHARS) };
    fields.push(current);
  }
  for (const field of fields) field.value = field.value.trim();
  return { fields, malformed };
}

export function headerFields(raw: Buffer): HeaderField[] {
  return parseHeaderFields(headerText(raw)).fields;
}

export function values(fields: HeaderField[], key: string): string[] {
  return fields.filter((f) => f.key === key).map((f) => f.value);
}

export function first(fields: HeaderField[], key: string): string | undefined {
  return fields.find((f) => f.key === key)?.value;
}

/** Collapses runs of whitespace to one space. */
export function collapse(value: string): string {
  return value.replace(/\s+/g, ' ').trim();
}

/** `<a@b>` or `a@b` → `a@b`; `<>` → null. Takes the first address of a list. */
export function bareAddress(value: string | undefined): string | null {
  if (!value) return null;
  let text = collapse(value);
  const open = text.indexOf('<');
  if (open >= 0) {
    const close = text.indexOf('>', open);
    text = close > open ? text.slice(open + 1, close) : text.slice(open + 1);
  } else {
    text = text.split(/[\s,]/)[0] ?? '';
  }
  text = text.trim();
  return text.length > 0 && text.length <= 320 ? text : null;
}

/** The lower-case domain of an address, or null. */
export function addressDomain(address: string | null | undefined): string | null {
  if (!address) return null;
  const at = address.lastIndexOf('@');
  if (at < 0 || at === address.length - 1) return null;
  const domain = domainToASCII(address.slice(at + 1).toLowerCase().replace(/\.$/, ''));
  return domain.length > 0 && domain.length <= 253 ? domain : null;
}

/** Header fields that make a block of text look like a mail's header section. */
export const MESSAGE_HEADER_KEYS = new Set([
  'received',
  'from',
  'to',
  'cc',
  'subject',
  'date',
  'message-id',
  'return-path',
  'reply-to',
  'sender',
  'dkim-signature',
  'authentication-results',
  'mime-version',
  'content-type',
  'x-mailer',
  'delivered-to',
  'list-unsubscribe',
]);

/**
 * "Full headers": the Received chain, or the set a mail client shows only when
 * asked for the original (From, Date and Message-ID together).
 */
export function hasFullHeaders(fields: HeaderField[]): boolean {
  const keys = new Set(fields.map((f) => f.key));
  if (keys.has('received')) return true;
  return keys.has('from') && keys.has('date') && keys.has('message-id');
}
