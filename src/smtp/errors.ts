/**
 * The one error type for SMTP replies. smtp-server turns an error without a
 * `responseCode` into a permanent 550, so every refusal and every temporary
 * failure is one of these, with the enhanced status code in the text.
 */
export class SmtpError extends Error {
  override readonly name = 'SmtpError';
  readonly responseCode: number;

  constructor(
    code: number,
    readonly enhanced: string,
    readonly text: string,
    /** Machine-readable reason, counted and kept with every refusal. */
    readonly reason: string,
  ) {
    super(`${enhanced} ${text}`);
    this.responseCode = code;
  }

  get temporary(): boolean {
    return this.responseCode < 500;
  }
}

export const smtpErrors = {
  unknownRecipient: () => new SmtpError(550, '5.1.1', 'No such mailbox here', 'unknown_recipient'),
  relayDenied: () => new SmtpError(550, '5.1.1', 'Relaying denied: this server accepts mail for its own mailboxes only', 'relay_denied'),
  badCaseAddress: () => new SmtpError(550, '5.1.1', 'No such case address', 'bad_case_address'),
  messageTooBig: (limit: number) =>
    new SmtpError(552, '5.3.4', `Message too big: the limit is ${limit} bytes`, 'message_too_big'),
  tooManyRecipients: () => new SmtpError(452, '4.5.3', 'Too many recipients', 'too_many_recipients'),
  /** Database, queue or anything else of ours that failed: the sender retries. */
  temporary: (what: string) => new SmtpError(451, '4.3.0', `Temporary local problem (${what}), please try again later`, 'temporary_failure'),
  dnsTemporary: () =>
    new SmtpError(451, '4.4.3', 'Temporary DNS failure while checking the sender, please try again later', 'dns_temperror'),
  shuttingDown: () => new SmtpError(421, '4.3.2', 'Service shutting down, please try again later', 'shutting_down'),
  overloaded: () => new SmtpError(451, '4.3.2', 'Too busy right now, please try again later', 'overloaded'),
} as const;
