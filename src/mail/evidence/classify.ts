import type { AbuseClassification, AbuseType } from './types.js';

/**
 * What kind of abuse a report is about, with the reasons. A machine-readable
 * verdict wins (ARF Feedback-Type, X-ARF or XARF v4 type and category), then
 * the words of the report and of any reported message (en/de/fr/nl), its
 * attachments and its links, then the default: spam when the report carries a
 * reported message, other when it does not.
 */

export interface ClassifyInput {
  arfFeedbackType?: string;
  /** X-ARF ReportClass / XARF v4 category. */
  xarfClass?: string;
  /** X-ARF ReportType / XARF v4 type. */
  xarfType?: string;
  /** XARF v4 reputation reports say what the listing is for. */
  xarfThreatType?: string;
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
  botnet: 'botnet',
  // A host that talks to a command-and-control server is a bot.
  infected_host: 'botnet',
  command_and_control: 'botnet',
  pharming: 'pharming',
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

const MALWARE_WORDS = [
  'malware', 'virus', 'trojan', 'ransomware', 'drive-by download',
  'schadsoftware', 'schadprogramm', 'logiciel malveillant', 'cheval de troie', 'rançongiciel', 'kwaadaardige software', 'gijzelsoftware',
];

// Checked before the others: these words name the abuse precisely, where a botnet or
// pharming report also speaks of malware or phishing.
const BOTNET_WORDS = [
  'botnet', 'command and control', 'command-and-control', 'c&c server', 'c&c domain', 'c2 server', 'c2 domain', 'c2-server',
  'botnetz', 'steuerserver', 'réseau de zombies', 'réseau de bots', 'serveur de commande', 'commandoserver',
];
const PHARMING_WORDS = [
  'pharming', 'dns hijack', 'dns-hijack', 'dns spoofing', 'dns-spoofing', 'dns cache poisoning', 'dns-cache-poisoning',
  'dns-manipulation', 'détournement dns', 'détournement de dns', 'empoisonnement du cache dns', 'dns-kaping',
];
const SPAM_WORDS = [
  'spam', 'unsolicited', 'junk mail', 'unerwünschte', 'werbemail', 'pourriel', 'courrier indésirable', 'non sollicité',
  'ongewenste', 'ongevraagde',
];

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

function found(haystack: string, needles: string[]): string | undefined {
  return needles.find((needle) => haystack.includes(needle));
}

export function classifyAbuse(input: ClassifyInput): AbuseClassification {
  const is = (type: AbuseType, reason: string): AbuseClassification => ({ type, reasons: [reason] });
  const byArf = typeOf(ARF_TYPES, input.arfFeedbackType);
  if (byArf) return is(byArf, `ARF Feedback-Type: ${input.arfFeedbackType}`);
  const xarf = [input.xarfClass, input.xarfType].filter(Boolean).join('/');
  const byXarf = typeOf(XARF_TYPES, input.xarfType) ?? typeOf(XARF_TYPES, input.xarfThreatType) ?? typeOf(XARF_TYPES, input.xarfClass);
  if (byXarf) return is(byXarf, `X-ARF report: ${xarf}${input.xarfThreatType ? ` (${input.xarfThreatType})` : ''}`);
  // An X-ARF report about something other than mail or DNS abuse (DDoS, copyright, ...).
  if (input.xarfType || input.xarfClass) return is('other', `X-ARF report: ${xarf}`);

  const words = `${input.subject}\n${input.text}`.slice(0, MAX_SCAN_CHARS).normalize('NFC').toLowerCase();
  const said = (type: AbuseType, list: string[]): AbuseClassification | undefined => {
    const word = found(words, list);
    return word ? is(type, `the words "${word}"`) : undefined;
  };
  const specific = said('pharming', PHARMING_WORDS) ?? said('botnet', BOTNET_WORDS);
  if (specific) return specific;
  const names = (input.attachmentNames ?? []).map((n) => n.toLowerCase());
  const risky = names.find((name) => RISKY_EXTENSIONS.some((ext) => name.endsWith(ext)));
  if (risky) return is('malware', `an attachment that runs code or hides it (${risky.slice(0, 100)})`);
  const general = said('phishing', PHISHING_PHRASES) ?? said('malware', MALWARE_WORDS);
  if (general) return general;
  const download = input.urls.find((url) => DOWNLOAD_EXTENSIONS.some((ext) => pathOf(url).endsWith(ext)));
  if (download) return is('malware', `a link to a program download (${download.slice(0, 200)})`);
  if (input.hasReportedMessage !== false) return is('spam', 'a reported message, and nothing that names another abuse');
  return said('spam', SPAM_WORDS) ?? is('other', 'no reported message and no words that name the abuse');
}
