/**
 * Our own JSON Schemas for the X-ARF core fields. They check what the abuse
 * desk relies on (who reports, what class and type, which source, the shape
 * of attached samples); the per-type details of the official schemas (CVSS
 * vectors, harassment types, ...) are not our concern and are not checked.
 *
 * legacy: X-ARF as published by abusix (Version 1/2/3/alpha/development:
 *         ReporterInfo, Disclosure, Report.ReportClass/ReportType/SourceIp).
 * v4:     xarf.org v4 (xarf_version 4.x, reporter/sender, category/type,
 *         source_identifier, evidence[]).
 */

const text = (maxLength = 10_000) => ({ type: 'string', maxLength });
const ip = { anyOf: [{ type: 'string', format: 'ipv4' }, { type: 'string', format: 'ipv6' }] };
const port = { type: 'integer', minimum: 0, maximum: 65535 };
const email = { type: 'string', format: 'email', maxLength: 320 };
const dateTime = { type: 'string', format: 'date-time' };

const reporterInfo = {
  type: 'object',
  additionalProperties: false,
  properties: {
    ReporterType: { enum: ['Org', 'Person'] },
    ReporterOrg: { type: 'string', minLength: 3, maxLength: 500 },
    ReporterOrgDomain: { type: 'string', format: 'hostname' },
    ReporterOrgEmail: email,
    ReporterOrgAddress: text(),
    ReporterContactEmail: email,
    ReporterContactName: { type: 'string', minLength: 3, maxLength: 500 },
    ReporterContactPhone: { type: 'string', minLength: 3, maxLength: 100 },
  },
  // An organisation must say who it is and how to reach it; a person need not.
  if: { required: ['ReporterType'], properties: { ReporterType: { const: 'Person' } } },
  else: { required: ['ReporterOrg', 'ReporterOrgDomain', 'ReporterOrgEmail'] },
};

const onBehalfOf = {
  type: 'object',
  properties: {
    ComplainantType: { enum: ['Org', 'Person'] },
    ComplainantOrg: { type: 'string', minLength: 3 },
    ComplainantOrgDomain: { type: 'string', format: 'hostname' },
    ComplainantOrgEmail: email,
    ComplainantContactEmail: email,
    ComplainantContactName: { type: 'string', minLength: 3 },
    ComplainantContactPhone: { type: 'string', minLength: 3 },
  },
  if: { required: ['ComplainantType'], properties: { ComplainantType: { const: 'Person' } } },
  else: { required: ['ComplainantOrg', 'ComplainantOrgDomain', 'ComplainantOrgEmail'] },
};

const hash = {
  type: 'object',
  required: ['HashValue', 'HashAlgorithm'],
  properties: {
    HashValue: text(),
    HashAlgorithm: { enum: ['sha1', 'sha2', 'sha3', 'sha256', 'sha512', 'md5', 'argon2id', 'scrypt', 'bcrypt', 'pbkdf2'] },
    HashComplete: { type: 'boolean' },
  },
};

const sample = {
  type: 'object',
  properties: {
    ContentType: text(255),
    Base64Encoded: { type: 'boolean' },
    Description: text(),
    Payload: { type: 'string' },
    FileName: text(1000),
    FileSize: { type: 'integer', minimum: 0 },
    FileHash: hash,
  },
  anyOf: [{ required: ['ContentType', 'Payload'] }, { required: ['FileName'] }],
};

const stringMap = { type: 'object', additionalProperties: { type: 'string' } };

const internalProcessing = {
  type: 'object',
  properties: {
    SubscriberInformation: { type: 'object', properties: { ID: { type: 'string' }, SubscriberData: stringMap } },
    ContractInformation: { type: 'object', properties: { ID: { type: 'string' }, ResolverData: stringMap } },
    EventTags: { type: 'array', items: { type: 'string' } },
  },
};

const portOrPorts = { anyOf: [port, { type: 'array', items: port }] };

const report = {
  type: 'object',
  required: ['ReportClass', 'ReportType'],
  properties: {
    ReportClass: { enum: ['Content', 'Activity', 'Vulnerability'] },
    ReportType: { type: 'string', minLength: 1, maxLength: 100 },
    ReportSubType: text(255),
    ReporterCaseID: text(255),
    ReporterSeverity: { enum: ['low', 'medium', 'high'] },
    ReporterNotes: text(),
    Custom: { type: 'object', additionalProperties: { anyOf: [{ type: 'string' }, { type: 'integer' }] } },
    Date: dateTime,
    FirstSeen: dateTime,
    SourceIp: ip,
    SourcePort: port,
    SourceUrl: { type: 'string', format: 'uri', maxLength: 8192 },
    ASN: { type: 'integer', minimum: 1, maximum: 4199999999 },
    DestinationIp: ip,
    DestinationPort: portOrPorts,
    AttackerIp: ip,
    AttackerPort: portOrPorts,
    SmtpMailFromAddress: email,
    SmtpRcptToAddress: email,
    Ongoing: { type: 'boolean' },
    ByteCount: { type: 'integer' },
    PacketCount: { type: 'integer' },
    TransportProtocol: { enum: ['tcp', 'udp'] },
    FileName: text(1000),
    FileSize: { type: 'integer', minimum: 0 },
    // Versions 1 and 2 give the hash as a plain string.
    FileHash: { anyOf: [hash, text(1000)] },
    RpzDomain: { type: 'string', format: 'hostname' },
    ServiceName: text(255),
    ServiceVersion: text(255),
    Account: {
      type: 'object',
      minProperties: 1,
      properties: { AccountIdentifier: text(1000), AccountEmail: text(1000) },
    },
    Samples: { type: 'array', minItems: 1, maxItems: 100, items: sample },
  },
  allOf: [
    // Every report names a point in time and the thing it is about.
    { required: ['Date'] },
    { anyOf: [{ required: ['SourceIp'] }, { required: ['SourceUrl'] }, { required: ['Account'] }, { required: ['Service'] }, { required: ['RpzDomain'] }] },
    // The types this desk acts on carry what it acts on.
    { if: { properties: { ReportType: { const: 'Spam' } } }, then: { required: ['SourceIp'] } },
  ],
};

export const legacySchema = {
  type: 'object',
  // The alpha draft had no Version field yet.
  required: ['Disclosure', 'Report'],
  properties: {
    Version: { enum: ['1', '2', '3', 'alpha', 'development'] },
    ReporterInfo: reporterInfo,
    OnBehalfOf: onBehalfOf,
    Disclosure: { type: 'boolean' },
    InternalProcessing: internalProcessing,
    Report: report,
  },
  // Only the development draft lets a report come without a reporter.
  if: { properties: { Version: { const: 'development' } } },
  else: { required: ['ReporterInfo'] },
};

const contactInfo = {
  type: 'object',
  required: ['org', 'contact', 'domain'],
  additionalProperties: false,
  properties: {
    org: { type: 'string', maxLength: 200 },
    contact: email,
    domain: { type: 'string', format: 'hostname' },
  },
};

const categoryTypes: Record<string, string[]> = {
  messaging: ['spam', 'bulk_messaging'],
  connection: ['login_attack', 'port_scan', 'ddos', 'infected_host', 'reconnaissance', 'scraping', 'sql_injection', 'vulnerability_scan'],
  vulnerability: ['cve', 'open_service', 'misconfiguration'],
  reputation: ['blocklist', 'threat_intelligence'],
  infrastructure: ['botnet', 'compromised_server'],
  content: ['phishing', 'malware', 'csam', 'csem', 'exposed_data', 'brand_infringement', 'fraud', 'remote_compromise', 'suspicious_registration'],
  copyright: ['copyright', 'p2p', 'cyberlocker', 'ugc_platform', 'link_site', 'usenet'],
};

export const v4Schema = {
  type: 'object',
  required: ['xarf_version', 'report_id', 'timestamp', 'reporter', 'sender', 'source_identifier', 'category', 'type'],
  properties: {
    xarf_version: { type: 'string', pattern: '^4\\.[0-9]{1,6}\\.[0-9]{1,6}$' },
    report_id: { type: 'string', format: 'uuid' },
    timestamp: dateTime,
    reporter: contactInfo,
    sender: contactInfo,
    source_identifier: { type: 'string', minLength: 1, maxLength: 2048 },
    source_port: { type: 'integer', minimum: 1, maximum: 65535 },
    category: { enum: Object.keys(categoryTypes) },
    type: { type: 'string', maxLength: 100 },
    evidence: {
      type: 'array',
      maxItems: 50,
      items: {
        type: 'object',
        required: ['content_type', 'payload'],
        additionalProperties: false,
        properties: {
          content_type: text(255),
          description: text(500),
          payload: { type: 'string' },
          hash: { type: 'string', pattern: '^(md5|sha1|sha256|sha512):[a-fA-F0-9]{1,256}$' },
          size: { type: 'integer', minimum: 0, maximum: 5242880 },
        },
      },
    },
    tags: { type: 'array', maxItems: 20, items: { type: 'string', pattern: '^[a-z0-9][a-z0-9_+-]{0,100}:[a-z0-9][a-z0-9_+-]{0,100}$' } },
    confidence: { type: 'number', minimum: 0, maximum: 1 },
  },
  anyOf: Object.entries(categoryTypes).map(([category, types]) => ({
    properties: { category: { const: category }, type: { enum: types } },
  })),
};
