import type { AbuseType } from './types.js';

/**
 * What kind of abuse a report is about. A machine-readable verdict wins (ARF
 * Feedback-Type, X-ARF class/type), then words and attachments in the
 * reported message (en/de/fr/nl), then the default: spam when the report
 * carries a reported message, other when it does not.
 */

export interface ClassifyInput {
  arfFeedbackType?: string;
  /** X-ARF ReportClass/category. */
  xarfClass?: string;
  /** X-ARF ReportType/type. */
  xarfType?: string;
  subject: string;
  text: string;
  urls: string[];
  attachmentNames?: string[];
  /** Defaults to true: the caller normally classifies a reported message. */
  hasReportedMessage?: boolean;
}

const MAX_SCAN_CHARS = 200 * 1024;

// RFC 5965 section 7.3; opt-out and not-spam are requests, not complaints.
const ARF_TYPES: Record<string, AbuseType> = { abuse: 'spam', fraud: 'phishing', virus: 'malware', opt_out: 'other', optout: 'other', not_spam: 'other' };

const XARF_TYPES: Record<string, AbuseType> = {
  spam: 'spam',
  bulk_messaging: 'spam',
  phishing: 'phishing',
  fraud: 'phishing',
  malware: 'malware',
  botnet: 'malware',
  infected_host: 'malware',
};

const PHISHING_PHRASES = [
  // en
  'password', 'verify your account', 'confirm your account', 'verify your identity', 'account has been suspended',
  'account will be suspended', 'unusual sign-in', 'login credentials', 'update your payment', 'phishing',
  // de
  'passwort', 'kennwort', 'konto bestätigen', 'konto verifizieren', 'zugangsdaten', 'ihr konto wurde gesperrt',
  'bestätigen sie ihre identität',
  // fr
  'mot de passe', 'vérifiez votre compte', 'vérifier votre compte', 'confirmer votre compte', 'identifiants',
  'votre compte a été suspendu', 'hameçonnage',
  // nl
  'wachtwoord', 'verifieer uw account', 'bevestig uw account', 'inloggegevens', 'uw account is geblokkeerd',
];

const MALWARE_WORDS = ['malware', 'virus', 'trojan', 'ransomware', 'schadsoftware', 'logiciel malveillant', 'cheval de troie'];

const RISKY_EXTENSIONS = [
  '.exe', '.scr', '.com', '.pif', '.bat', '.cmd', '.js', '.jse', '.vbs', '.vbe', '.wsf', '.hta', '.jar', '.msi', '.ps1', '.lnk',
  '.zip', '.rar', '.7z', '.iso', '.img', '.docm', '.xlsm', '.pptm',
];

// Links to these are downloads of programs; scripts (.js) are ordinary page resources.
const DOWNLOAD_EXTENSIONS = ['.exe', '.scr', '.msi', '.jar', '.apk', '.zip', '.rar', '.7z', '.iso', '.vbs', '.hta', '.ps1', '.bat', '.docm', '.xlsm'];

function pathOf(url: string): string {
  try {
    return new URL(url).pathname.toLowerCase();
  } catch {
    return '';
  }
}

function typeOf(map: Record<string, AbuseType>, key: string | undefined): AbuseType | undefined {
  if (!key) return undefined;
  return map[key.trim().toLowerCase().replace(/[\s-]+/g, '_')];
}

function hasAny(haystack: string, needles: string[]): boolean {
  return needles.some((needle) => haystack.includes(needle));
}

export function classifyAbuse(input: ClassifyInput): AbuseType {
  const byArf = typeOf(ARF_TYPES, input.arfFeedbackType);
  if (byArf) return byArf;
  const byXarf = typeOf(XARF_TYPES, input.xarfType) ?? typeOf(XARF_TYPES, input.xarfClass);
  if (byXarf) return byXarf;
  if (input.xarfType || input.xarfClass) {
    // An X-ARF report about something other than mail (DDoS, copyright, ...).
    return 'other';
  }

  const names = (input.attachmentNames ?? []).map((n) => n.toLowerCase());
  if (names.some((name) => RISKY_EXTENSIONS.some((ext) => name.endsWith(ext)))) return 'malware';
  const words = `${input.subject}\n${input.text}`.slice(0, MAX_SCAN_CHARS).normalize('NFC').toLowerCase();
  if (hasAny(words, PHISHING_PHRASES)) return 'phishing';
  if (hasAny(words, MALWARE_WORDS)) return 'malware';
  if (input.urls.some((url) => DOWNLOAD_EXTENSIONS.some((ext) => pathOf(url).endsWith(ext)))) return 'malware';
  return input.hasReportedMessage === false ? 'other' : 'spam';
}
