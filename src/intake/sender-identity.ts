import { domainToASCII } from 'node:url';
import type { HeaderView } from '../mail/headers.js';
import { SmtpError, smtpErrors } from '../smtp/errors.js';

/**
 * The one reading of who wrote a message. The From mailbox is parsed once, by
 * our header reader, and normalised once; the domain that SPF and DKIM must
 * align with and the address every case uses are both this value. A From that
 * cannot be read one way only (control characters, no domain, a domain
 * literal) is refused: nothing can be verified about it.
 */
export interface SenderIdentity {
  /** Lower-cased, the domain in ASCII (A-labels) without a trailing dot. */
  address: string;
  domain: string;
  /** Display name, decoded; '' when there was none. */
  name: string;
}

export type IdentityReading = { kind: 'identity'; identity: SenderIdentity } | { kind: 'refused'; error: SmtpError };

export function readSenderIdentity(headers: HeaderView): IdentityReading {
  const refused = (error: SmtpError): IdentityReading => ({ kind: 'refused', error });
  const from = headers.from;
  if (from.length === 0) return refused(smtpErrors.anonymousNoFrom());
  if (from.length > 1 || headers.getRaw('from').length > 1) return refused(smtpErrors.anonymousMultipleFrom());
  // Checked before anything else is read from the field: mailauth drops these
  // characters where our reader puts a space, so the two would name different people.
  if (headers.hasControlCharacters('from')) return refused(smtpErrors.fromControlCharacters());
  const mailbox = from[0] as { address: string; name: string };
  if (mailbox.address === '') return refused(smtpErrors.anonymousNoFrom());
  const at = mailbox.address.lastIndexOf('@');
  const written = at < 0 ? '' : mailbox.address.slice(at + 1);
  if (ADDRESS_LITERAL.test(written)) return refused(smtpErrors.fromDomainLiteral(mailbox.address));
  const domain = at < 1 ? null : normaliseDomain(written);
  if (!domain) return refused(smtpErrors.anonymousNoDomain(mailbox.address));
  // `a@staff.example@other.example` has one domain to us and another to a reader
  // that splits at the first '@'; no person's address looks like that.
  if (!PLAIN_LOCAL_PART.test(mailbox.address.slice(0, at))) return refused(smtpErrors.fromAmbiguous());
  return { kind: 'identity', identity: { address: `${mailbox.address.slice(0, at).toLowerCase()}@${domain}`, domain, name: mailbox.name } };
}

/**
 * The same normalisation for an address read by someone else (mailauth), so the
 * two readings can be compared; null when it has no usable domain.
 */
export function normaliseAddress(address: string): string | null {
  const at = address.lastIndexOf('@');
  const domain = at < 1 ? null : normaliseDomain(address.slice(at + 1));
  return domain ? `${address.slice(0, at).toLowerCase()}@${domain}` : null;
}

// A domain name with at least two labels, as mail from the Internet has; labels
// exclude '.', so the pattern cannot backtrack.
const FULL_DOMAIN = /^[^\s@.<>()[\],;:"\\]+(?:\.[^\s@.<>()[\],;:"\\]+)+$/;
const ADDRESS_LITERAL = /^\[[^\]]*\]$/;
const PLAIN_LOCAL_PART = /^[^\s@<>()[\],;:\\]+$/;

function normaliseDomain(written: string): string | null {
  const name = written.trim().toLowerCase().replace(/\.$/, '');
  if (!FULL_DOMAIN.test(name)) return null;
  const ascii = domainToASCII(name);
  return ascii === '' ? null : ascii;
}
