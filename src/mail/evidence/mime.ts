import { MailParser, type MailParserOptions } from 'mailparser';

/**
 * A bounded MIME parse of one message level. Embedded message/rfc822 parts are
 * kept as attachments with their raw bytes (mailsplit's ignoreEmbedded), so the
 * caller decides how deep to go and DKIM can re-verify the exact bytes.
 *
 * Never rejects: a parser error, a part limit or the deadline ends the parse
 * with what was read so far and a line in `problems`. Every attachment stream
 * is drained, because an unread stream stalls mailparser for good.
 */

export interface MimeAttachment {
  /** As mailparser reports it: application/octet-stream is refined from the file name. */
  contentType: string;
  /** As the part's Content-Type header says. */
  declaredType: string | null;
  filename: string | null;
  disposition: string | null;
  content: Buffer;
  truncated: boolean;
}

export interface ParsedMime {
  headers: Map<string, unknown>;
  text: string;
  html: string;
  attachments: MimeAttachment[];
  problems: string[];
  /** False when the parse was cut short (error, deadline). */
  finished: boolean;
}

export interface MimeLimits {
  timeoutMs: number;
  maxParts: number;
  /** Bytes kept per attachment; the rest is drained and dropped. */
  maxAttachmentBytes: number;
  /** Characters of body text kept. */
  maxTextChars?: number;
}

interface AttachmentData {
  type: 'attachment';
  content: NodeJS.ReadableStream;
  contentType?: unknown;
  filename?: unknown;
  contentDisposition?: unknown;
  headers?: Map<string, unknown>;
  release: (() => void) | null;
}

interface TextData {
  type: 'text';
  text?: string;
  html?: string | false;
}

// Splitter options are passed through by MailParser but are not in its types.
type ParserOptions = MailParserOptions & { ignoreEmbedded?: boolean; maxChildNodes?: number; maxHeadSize?: number };

const MAX_HTML_TO_TEXT = 2 * 1024 * 1024;

export function parseMime(raw: Buffer, limits: MimeLimits): Promise<ParsedMime> {
  const maxText = limits.maxTextChars ?? 1024 * 1024;
  const result: ParsedMime = { headers: new Map(), text: '', html: '', attachments: [], problems: [], finished: false };
  const options: ParserOptions = {
    ignoreEmbedded: true,
    // mailsplit's own hard stop, above ours: containers count as nodes too.
    maxChildNodes: limits.maxParts * 2 + 10,
    skipImageLinks: true,
    skipTextToHtml: true,
    skipTextLinks: true,
    maxHtmlLengthToParse: MAX_HTML_TO_TEXT,
  };
  const parser = new MailParser(options);
  let partCount = 0;
  let pending = 0;
  let ended = false;

  return new Promise<ParsedMime>((resolve) => {
    let settled = false;
    const finish = (finished: boolean): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      result.finished = finished;
      resolve(result);
    };
    const maybeFinish = (): void => {
      if (ended && pending === 0) finish(true);
    };
    const timer = setTimeout(() => {
      result.problems.push(`mime: parse did not finish within ${limits.timeoutMs} ms`);
      parser.destroy();
      finish(false);
    }, limits.timeoutMs);

    parser.on('headers', (headers: Map<string, unknown>) => {
      result.headers = headers;
    });
    parser.on('data', (data: AttachmentData | TextData) => {
      if (data.type === 'text') {
        result.text = (data.text ?? '').slice(0, maxText);
        result.html = typeof data.html === 'string' ? data.html.slice(0, maxText) : '';
        return;
      }
      partCount += 1;
      const keep = partCount <= limits.maxParts;
      if (partCount === limits.maxParts + 1) result.problems.push(`mime: more than ${limits.maxParts} parts, the rest ignored`);
      pending += 1;
      collectAttachment(data, keep, limits.maxAttachmentBytes, (attachment) => {
        if (attachment) result.attachments.push(attachment);
        pending -= 1;
        maybeFinish();
      });
    });
    parser.on('error', (err: Error) => {
      result.problems.push(`mime: ${err.message}`);
    });
    parser.on('end', () => {
      ended = true;
      maybeFinish();
    });
    // A fatal error destroys the stream without 'end'.
    parser.on('close', () => {
      if (!ended) finish(false);
    });
    parser.end(raw);
  });
}

function collectAttachment(
  data: AttachmentData,
  keep: boolean,
  maxBytes: number,
  done: (attachment: MimeAttachment | null) => void,
): void {
  const chunks: Buffer[] = [];
  let size = 0;
  let truncated = false;
  let called = false;
  const complete = (): void => {
    if (called) return;
    called = true;
    data.release?.();
    if (!keep) return done(null);
    // mailparser passes what the headers held, not always a string (false for
    // "Content-Type: ;"): a throw here would escape, from a stream callback, as
    // an uncaught exception.
    done({
      contentType: stringOr(data.contentType, 'application/octet-stream').toLowerCase(),
      declaredType: declaredType(data.headers),
      filename: stringOr(data.filename, null),
      disposition: stringOr(data.contentDisposition, null),
      content: Buffer.concat(chunks, size),
      truncated,
    });
  };
  data.content.on('data', (chunk: Buffer | string) => {
    if (!keep) return;
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    const room = maxBytes - size;
    if (room <= 0) {
      truncated = true;
      return;
    }
    const part = buf.length > room ? buf.subarray(0, room) : buf;
    if (part.length < buf.length) truncated = true;
    chunks.push(part);
    size += part.length;
  });
  data.content.on('end', complete);
  data.content.on('error', complete);
}

function declaredType(headers: Map<string, unknown> | undefined): string | null {
  const value = (headers?.get('content-type') as { value?: unknown } | undefined)?.value;
  return typeof value === 'string' ? value.toLowerCase() : null;
}

function stringOr<T extends string | null>(value: unknown, fallback: T): string | T {
  return typeof value === 'string' ? value : fallback;
}
