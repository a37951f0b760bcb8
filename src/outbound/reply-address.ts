import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Case reply addresses: case+<ticket>.<token>@<brand domain>. The token is a
 * truncated HMAC of the ticket under REPLY_TOKEN_SECRET, so an address cannot be
 * guessed from a ticket number. Lower-case hex, because some mail systems fold
 * the case of local parts.
 */
const TOKEN_LENGTH = 16;
const LOCAL_PART = /^case\+([a-z]{3}-\d{4}-\d{6,9})\.([0-9a-f]{1,64})$/i;

export class ReplyTokens {
  constructor(private readonly secret: string) {}

  token(ticket: string): string {
    return createHmac('sha256', this.secret).update(ticket.toUpperCase()).digest('hex').slice(0, TOKEN_LENGTH);
  }

  address(ticket: string, domain: string): string {
    return `case+${ticket.toLowerCase()}.${this.token(ticket)}@${domain}`;
  }

  /** The ticket an address's local part names, when its token is right; else null. */
  verify(localPart: string): { ticket: string } | { ticket: null; claimed: boolean } {
    const match = LOCAL_PART.exec(localPart);
    if (!match) return { ticket: null, claimed: localPart.toLowerCase().startsWith('case+') };
    const ticket = (match[1] as string).toUpperCase();
    const given = Buffer.from((match[2] as string).toLowerCase());
    const expected = Buffer.from(this.token(ticket));
    const ok = given.length === expected.length && timingSafeEqual(given, expected);
    return ok ? { ticket } : { ticket: null, claimed: true };
  }
}
