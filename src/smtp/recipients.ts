import { MAILBOXES, type Brand, type Mailbox } from '../config/brands.js';
import type { ReplyTokens } from '../outbound/reply-address.js';
import { smtpErrors, type SmtpError } from './errors.js';

export type Route =
  | { type: 'mailbox'; brandId: string; mailbox: Mailbox; address: string }
  | { type: 'case'; brandId: string; ticket: string; address: string };

/**
 * Maps a RCPT TO address to what it means here. Only the brands' own domains,
 * only the three public mailboxes and valid case reply addresses: anything else
 * is refused, so this server can never relay.
 */
export class RecipientRouter {
  private readonly brandsByDomain = new Map<string, Brand>();

  constructor(
    brands: Brand[],
    private readonly tokens: ReplyTokens,
  ) {
    for (const brand of brands) for (const domain of brand.domains) this.brandsByDomain.set(domain, brand);
  }

  route(address: string): Route | SmtpError {
    const at = address.lastIndexOf('@');
    if (at <= 0) return smtpErrors.unknownRecipient();
    const local = address.slice(0, at);
    const domain = address.slice(at + 1).toLowerCase().replace(/\.$/, '');
    const brand = this.brandsByDomain.get(domain);
    if (!brand) return smtpErrors.relayDenied();
    const normalized = `${local.toLowerCase()}@${domain}`;
    const mailbox = local.toLowerCase();
    if ((MAILBOXES as readonly string[]).includes(mailbox) && brand.mailboxes[mailbox as Mailbox]) {
      return { type: 'mailbox', brandId: brand.id, mailbox: mailbox as Mailbox, address: normalized };
    }
    const verified = this.tokens.verify(local);
    if (verified.ticket !== null) return { type: 'case', brandId: brand.id, ticket: verified.ticket, address: normalized };
    return verified.claimed ? smtpErrors.badCaseAddress() : smtpErrors.unknownRecipient();
  }
}

/**
 * One message, one intake: when a message names several of our addresses, a case
 * address wins (it continues a conversation), then abuse, complaints, feedback.
 */
export function primaryRoute(routes: Route[]): Route | undefined {
  const rank = (route: Route) => (route.type === 'case' ? 0 : 1 + MAILBOXES.indexOf(route.mailbox));
  return [...routes].sort((a, b) => rank(a) - rank(b))[0];
}
