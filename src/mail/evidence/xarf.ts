import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule, { type FormatsPlugin } from 'ajv-formats';
import { normaliseIp } from './ip.js';
import type { XarfResult } from './types.js';
import { legacySchema, v4Schema } from './xarf-schema.js';

/**
 * X-ARF: a JSON abuse report, either the legacy layout (Version, ReporterInfo,
 * Report.ReportClass/ReportType/SourceIp) or xarf.org v4 (xarf_version,
 * category, type, source_identifier). Validated against our own core schemas.
 */

// ajv-formats is CommonJS: its default import is the module object or the plugin,
// depending on the loader; the plugin is also the module's `default` property.
const addFormats = (addFormatsModule as unknown as { default: FormatsPlugin }).default;

const MAX_JSON_CHARS = 5 * 1024 * 1024;
const MAX_ERRORS = 20;

let validators: { legacy: ValidateFunction; v4: ValidateFunction } | null = null;

function compiled(): { legacy: ValidateFunction; v4: ValidateFunction } {
  if (validators) return validators;
  const ajv = new Ajv({ allErrors: true, strict: false });
  // "fast" formats are single bounded regexes: safe on hostile strings.
  addFormats(ajv, { mode: 'fast', formats: ['ipv4', 'ipv6', 'email', 'hostname', 'date-time', 'uri', 'uuid'] });
  validators = { legacy: ajv.compile(legacySchema), v4: ajv.compile(v4Schema) };
  return validators;
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

/** A JSON object that has the keys of either X-ARF layout, or undefined. */
export function parseXarf(text: string): Json | undefined {
  const trimmed = text.trim();
  if (!trimmed.startsWith('{') || trimmed.length > MAX_JSON_CHARS) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(trimmed);
  } catch {
    return undefined;
  }
  if (!isObject(value)) return undefined;
  const legacy = 'Report' in value && ('Version' in value || 'ReporterInfo' in value);
  const v4 = 'xarf_version' in value;
  return legacy || v4 ? value : undefined;
}

function formatErrors(errors: ErrorObject[] | null | undefined): string[] {
  return (errors ?? []).slice(0, MAX_ERRORS).map((e) => `${e.instancePath || '/'} ${e.message ?? 'is invalid'}`);
}

export function validateXarf(report: Json): XarfResult {
  const { legacy, v4 } = compiled();
  if ('xarf_version' in report) {
    const valid = v4(report);
    const sourceIdentifier = str(report.source_identifier);
    const result: XarfResult = { valid, errors: valid ? [] : formatErrors(v4.errors), report, format: 'v4' };
    setIf(result, 'class', str(report.category));
    setIf(result, 'type', str(report.type));
    setIf(result, 'sourceIp', sourceIdentifier ? (normaliseIp(sourceIdentifier) ?? undefined) : undefined);
    return result;
  }
  const valid = legacy(report);
  const body = isObject(report.Report) ? report.Report : {};
  const source = isObject(body.Source) ? body.Source : {};
  const result: XarfResult = { valid, errors: valid ? [] : formatErrors(legacy.errors), report, format: 'legacy' };
  setIf(result, 'class', str(body.ReportClass));
  setIf(result, 'type', str(body.ReportType));
  const ip = str(body.SourceIp) ?? str(source.IP);
  setIf(result, 'sourceIp', ip ? (normaliseIp(ip) ?? undefined) : undefined);
  return result;
}

function setIf<K extends 'class' | 'type' | 'sourceIp'>(result: XarfResult, key: K, value: string | undefined): void {
  if (value !== undefined) result[key] = value;
}

const MESSAGE_TYPES = new Set(['message/rfc822', 'text/email', 'message/rfc822-headers', 'text/rfc822-headers']);

function decode(payload: string, base64: boolean): Buffer {
  return base64 ? Buffer.from(payload, 'base64') : Buffer.from(payload, 'utf8');
}

/** Mail messages carried as samples or evidence: Samples[], Attachment[] (v3 draft), evidence[] (v4). */
export function xarfMessages(report: Json, maxBytes: number): Buffer[] {
  const out: Buffer[] = [];
  const push = (contentType: unknown, payload: unknown, base64: boolean): void => {
    const type = str(contentType)?.toLowerCase().split(';')[0]?.trim();
    const data = str(payload);
    if (!type || !data || !MESSAGE_TYPES.has(type) || data.length > maxBytes * 2) return;
    const raw = decode(data, base64);
    if (raw.length > 0 && raw.length <= maxBytes) out.push(raw);
  };
  const body = isObject(report.Report) ? report.Report : {};
  for (const item of Array.isArray(body.Samples) ? body.Samples : []) {
    if (isObject(item)) push(item.ContentType, item.Payload, item.Base64Encoded === true);
  }
  for (const item of Array.isArray(body.Attachment) ? body.Attachment : []) {
    if (isObject(item)) push(item.ContentType, item.Data, true);
  }
  for (const item of Array.isArray(report.evidence) ? report.evidence : []) {
    if (isObject(item)) push(item.content_type, item.payload, true);
  }
  return out;
}
