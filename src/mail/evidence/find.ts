import { parseFeedbackReport } from './arf.js';
import { appleUnsubscribe, jmrpReport } from './feedback-loops.js';
import { bodyOffset, hasFullHeaders, headerFields, headerText, parseHeaderFields } from './headers.js';
import { findInlineHeaders } from './inline.js';
import { parseMime, type MimeAttachment, type ParsedMime } from './mime.js';
import type { ExtractionLimits, ReportExtraction, ReportedMessage, ReportedMessageSource } from './types.js';
import { parseXarf, validateXarf, xarfMessages } from './xarf.js';

/**
 * Finds the reported message(s) inside a report sent to abuse@: attached
 * messages (also a forward of a forward), .eml attachments, header-only parts,
 * ARF and X-ARF reports, or a header block pasted into the text.
 *
 * Bounded in depth, part count, size and time. Nothing here throws: a part we
 * cannot read is a line in `problems`.
 */

const DEFAULTS = { maxDepth: 5, maxParts: 200, maxBytes: 25 * 1024 * 1024, timeoutMs: 15_000 };
const MESSAGE_TYPES = new Set(['message/rfc822', 'message/global']);
const HEADER_TYPES = new Set(['text/rfc822-headers', 'text/rfc822-header', 'message/rfc822-headers', 'message/global-headers']);
const MAX_PROBLEMS = 50;

interface State {
  limits: Required<ExtractionLimits>;
  deadline: number;
  parts: number;
  /** Boundaries already checked, so a nested part does not report them again. */
  boundaries: Set<string>;
  out: ReportExtraction;
}

function problem(state: State, text: string): void {
  if (state.out.problems.length < MAX_PROBLEMS) state.out.problems.push(text);
}

function remaining(state: State): number {
  return state.deadline - Date.now();
}

async function parse(state: State, raw: Buffer, where: string): Promise<ParsedMime | null> {
  const timeoutMs = remaining(state);
  if (timeoutMs <= 0) {
    problem(state, `${where}: not read, the time limit of ${state.limits.timeoutMs} ms was reached`);
    return null;
  }
  const parsed = await parseMime(raw, {
    timeoutMs,
    maxParts: state.limits.maxParts,
    maxAttachmentBytes: state.limits.maxBytes,
  });
  for (const text of parsed.problems) problem(state, `${where}: ${text}`);
  for (const text of structureProblems(state, raw)) problem(state, `${where}: ${text}`);
  return parsed;
}

/** Damage mailparser silently repairs, worth telling the specialist about. */
function structureProblems(state: State, raw: Buffer): string[] {
  const problems: string[] = [];
  const { fields, malformed } = parseHeaderFields(headerText(raw));
  if (fields.length === 0) problems.push('no header fields');
  else if (malformed > 0) problems.push(`${malformed} malformed header line(s)`);
  for (const boundary of boundariesOf(raw)) {
    if (state.boundaries.has(boundary)) continue;
    state.boundaries.add(boundary);
    const { opened, closed } = delimiters(raw, boundary);
    if (!opened) problems.push(`multipart "${boundary.slice(0, 70)}" has no body part`);
    if (!closed) problems.push(`multipart boundary "${boundary.slice(0, 70)}" never closed`);
  }
  return problems;
}

const MAX_BOUNDARIES = 20;

/** boundary= parameters anywhere in the raw text (headers of nested parts too), by plain string search. */
function boundariesOf(raw: Buffer): string[] {
  const text = raw.toString('latin1');
  const lower = text.toLowerCase();
  const found = new Set<string>();
  let pos = 0;
  while (found.size < MAX_BOUNDARIES) {
    const at = lower.indexOf('boundary=', pos);
    if (at < 0) break;
    pos = at + 9;
    let end = pos;
    let value: string;
    if (text.charAt(pos) === '"') {
      end = text.indexOf('"', pos + 1);
      if (end < 0 || end - pos > 200) continue;
      // A quoted value may be folded: unfolding drops the line break, keeps the space.
      value = text.slice(pos + 1, end).replace(/[\r\n]/g, '');
    } else {
      while (end < text.length && end - pos <= 200 && !' \t\r\n;"'.includes(text.charAt(end))) end += 1;
      value = text.slice(pos, end);
    }
    if (value.length > 0 && value.length <= 200) found.add(value);
  }
  return [...found];
}

function delimiters(raw: Buffer, boundary: string): { opened: boolean; closed: boolean } {
  const delimiter = Buffer.from(`--${boundary}`, 'latin1');
  let opened = false;
  let closed = false;
  let pos = 0;
  while (!(opened && closed)) {
    const at = raw.indexOf(delimiter, pos);
    if (at < 0) break;
    const next = at + delimiter.length;
    if (raw[next] === 0x2d && raw[next + 1] === 0x2d) closed = true;
    else opened = true;
    pos = next;
  }
  return { opened, closed };
}

function endsWith(name: string | null, suffix: string): boolean {
  return !!name && name.toLowerCase().endsWith(suffix);
}

function pushMessage(state: State, source: ReportedMessageSource, raw: Buffer, headersOnly: boolean): void {
  if (raw.length === 0) return problem(state, `${source}: empty message part`);
  state.out.messages.push({ source, raw, headersOnly });
}

function handleXarf(state: State, text: string, where: string): boolean {
  const report = parseXarf(text);
  if (!report) return false;
  const result = validateXarf(report);
  if (!result.valid) problem(state, `${where}: X-ARF report does not validate: ${result.errors.slice(0, 3).join('; ')}`);
  state.out.xarf ??= result;
  for (const raw of xarfMessages(report, state.limits.maxBytes)) pushMessage(state, 'xarf', raw, !hasBody(raw));
  return true;
}

function hasBody(raw: Buffer): boolean {
  return bodyOffset(raw) < raw.length;
}

/** An attached message: a wrapper (a forward) when it holds reported messages itself, else the reported message. */
async function attachedMessage(state: State, raw: Buffer, source: ReportedMessageSource, depth: number): Promise<void> {
  if (depth >= state.limits.maxDepth) {
    problem(state, `${source}: nesting deeper than ${state.limits.maxDepth}, not opened further`);
    return pushMessage(state, source, raw, false);
  }
  const before = state.out.messages.length;
  const inner = await parse(state, raw, `${source} at depth ${depth + 1}`);
  if (inner) await scanLevel(state, inner, depth + 1);
  if (state.out.messages.length === before) pushMessage(state, source, raw, false);
}

async function scanLevel(state: State, level: ParsedMime, depth: number): Promise<void> {
  const attachments: MimeAttachment[] = [];
  for (const attachment of level.attachments) {
    state.parts += 1;
    if (state.parts > state.limits.maxParts) {
      problem(state, `more than ${state.limits.maxParts} parts, the rest ignored`);
      break;
    }
    if (attachment.truncated) problem(state, `${attachment.contentType} part larger than ${state.limits.maxBytes} bytes, truncated`);
    attachments.push(attachment);
  }
  // RFC 5965: the part after message/feedback-report is the original message or its headers.
  let isArf = false;
  for (const attachment of attachments.filter((a) => a.contentType === 'message/feedback-report')) {
    const arf = parseFeedbackReport(attachment.content);
    if (!arf) problem(state, 'message/feedback-report part without Feedback-Type');
    else if (!state.out.arf) state.out.arf = arf;
    isArf = true;
  }
  for (const attachment of attachments) {
    const { contentType, filename } = attachment;
    const declaredMessage = MESSAGE_TYPES.has(attachment.declaredType ?? '');
    if (isArf && MESSAGE_TYPES.has(contentType)) {
      pushMessage(state, 'arf', attachment.content, !hasBody(attachment.content));
    } else if (declaredMessage || endsWith(filename, '.eml')) {
      await attachedMessage(state, attachment.content, declaredMessage ? 'rfc822' : 'eml', depth);
    } else if (HEADER_TYPES.has(contentType)) {
      pushMessage(state, isArf ? 'arf' : 'rfc822-headers', attachment.content, true);
    } else if (contentType === 'application/json' || endsWith(filename, '.json') || contentType === 'text/plain') {
      const text = attachment.content.subarray(0, 5 * 1024 * 1024).toString('utf8');
      if (!handleXarf(state, text, contentType) && contentType === 'application/json') {
        problem(state, `${filename ?? contentType}: JSON part that is not an X-ARF report`);
      }
    }
  }
  // X-ARF sent as the whole body of the mail.
  if (level.text.trimStart().startsWith('{')) handleXarf(state, level.text, 'body');
}

export async function findReportedMessages(raw: Buffer, limits: ExtractionLimits = {}): Promise<ReportExtraction> {
  const state: State = {
    limits: { ...DEFAULTS, ...stripUndefined(limits) },
    deadline: 0,
    parts: 0,
    boundaries: new Set(),
    out: { messages: [], reportText: '', reportHtml: '', reportFiles: [], reportSubject: '', problems: [], complete: false },
  };
  state.deadline = Date.now() + state.limits.timeoutMs;
  if (raw.length > state.limits.maxBytes) {
    problem(state, `report of ${raw.length} bytes is larger than ${state.limits.maxBytes}, not read`);
    return state.out;
  }
  const top = await parse(state, raw, 'report');
  if (!top) return state.out;
  state.out.reportText = top.text.slice(0, 64 * 1024);
  state.out.reportHtml = top.html.slice(0, 256 * 1024);
  state.out.reportFiles = reportFiles(top.attachments);
  const subject = top.headers.get('subject');
  state.out.reportSubject = typeof subject === 'string' ? subject : '';
  await scanLevel(state, top, 0);

  if (state.out.messages.length === 0 && top.headers.has('resent-from')) {
    // Redirected ("bounced") rather than forwarded: the report is the message.
    pushMessage(state, 'resent', raw, false);
  }
  state.out.arf ??= jmrpReport(state.out.messages) ?? appleUnsubscribe(headerFields(raw)) ?? undefined;
  if (state.out.messages.length === 0 && !state.out.arf) {
    for (const pasted of findInlineHeaders(top.text)) pushMessage(state, 'inline', pasted, true);
  }
  state.out.complete = state.out.messages.some((m: ReportedMessage) => hasFullHeaders(headerFields(m.raw)));
  return state.out;
}

const TEXT_FILE = /\.(?:txt|csv|log|html?|json)$/i;
const MAX_FILES = 10;
const MAX_FILE_CHARS = 256 * 1024;

/** The report's own attached text files: a CERT's list of domains, a log excerpt. */
function reportFiles(attachments: MimeAttachment[]): string[] {
  return attachments
    .filter((a) => !MESSAGE_TYPES.has(a.declaredType ?? '') && !endsWith(a.filename, '.eml') && (a.contentType.startsWith('text/') || TEXT_FILE.test(a.filename ?? '')))
    .filter((a) => !HEADER_TYPES.has(a.contentType) && a.contentType !== 'message/feedback-report')
    .slice(0, MAX_FILES)
    .map((a) => a.content.subarray(0, MAX_FILE_CHARS).toString('utf8'));
}

function stripUndefined(limits: ExtractionLimits): Partial<Required<ExtractionLimits>> {
  return Object.fromEntries(Object.entries(limits).filter(([, v]) => v !== undefined)) as Partial<Required<ExtractionLimits>>;
}
