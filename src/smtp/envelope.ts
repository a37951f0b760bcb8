import type { SMTPServerSession } from 'smtp-server';
import { smtpErrors, type SmtpError } from './errors.js';
import type { Route } from './recipients.js';

/**
 * RCPT commands a transaction may send past its 452 before the session is
 * closed: a real MTA stops at the first one (RFC 5321 section 4.5.3.1.10).
 */
export const RCPT_OVERSHOOT = 100;

interface Transaction {
  rcptCommands: number;
  /** One route per address, however often it was named. */
  routes: Map<string, Route>;
}

/**
 * What each mail transaction has collected at RCPT. smtp-server gives every
 * transaction a new envelope object (after MAIL…DATA, RSET, HELO/EHLO and
 * STARTTLS), so keying by it starts the count afresh with each one.
 *
 * RCPT commands are counted, not addresses: smtp-server keeps one envelope
 * entry for an address named twice, so its own recipient limit never stops a
 * client that names the same one a million times.
 */
export class Envelopes {
  private readonly transactions = new WeakMap<object, Transaction>();

  constructor(private readonly maxRecipients: number) {}

  /** Counts a RCPT command; the refusal when the transaction is past its limit. */
  countRcpt(session: SMTPServerSession): SmtpError | null {
    const transaction = this.of(session);
    transaction.rcptCommands += 1;
    if (transaction.rcptCommands > this.maxRecipients + RCPT_OVERSHOOT) return smtpErrors.recipientFlood();
    if (transaction.rcptCommands > this.maxRecipients) return smtpErrors.tooManyRecipients(this.maxRecipients);
    return null;
  }

  accept(session: SMTPServerSession, route: Route): void {
    this.of(session).routes.set(route.address, route);
  }

  routes(session: SMTPServerSession): Route[] {
    return [...(this.transactions.get(session.envelope)?.routes.values() ?? [])];
  }

  private of(session: SMTPServerSession): Transaction {
    let transaction = this.transactions.get(session.envelope);
    if (!transaction) {
      transaction = { rcptCommands: 0, routes: new Map() };
      this.transactions.set(session.envelope, transaction);
    }
    return transaction;
  }
}
