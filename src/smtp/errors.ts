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
  tooManyRecipients: (limit: number) =>
    new SmtpError(452, '4.5.3', `Too many recipients: at most ${limit} per message; send the others in a new transaction`, 'too_many_recipients'),
  /** A client that keeps sending RCPT long after its 452 is no MTA (RFC 5321 4.5.3.1.10). */
  recipientFlood: () =>
    new SmtpError(421, '4.5.3', 'Too many recipient commands after being told the limit; closing the connection', 'recipient_flood'),
  // Slow clients: 421 closes the connection; what was under way was not accepted, so the sender retries it.
  commandTooSlow: (ms: number) =>
    new SmtpError(421, '4.4.2', `Command line not completed within ${seconds(ms)}; closing the connection`, 'command_too_slow'),
  dataTooSlow: (bytesPerSecond: number) =>
    new SmtpError(421, '4.4.2', `Message data arrived slower than ${bytesPerSecond} bytes a second; closing the connection, please try again`, 'data_too_slow'),
  dataTooLong: (ms: number) =>
    new SmtpError(421, '4.4.2', `Message data not completed within ${seconds(ms)}; closing the connection, please try again`, 'data_too_long'),
  /** Database, queue or anything else of ours that failed: the sender retries. */
  temporary: (what: string) => new SmtpError(451, '4.3.0', `Temporary local problem (${what}), please try again later`, 'temporary_failure'),
  dnsTemporary: () =>
    new SmtpError(451, '4.4.3', 'Temporary DNS failure while checking the sender, please try again later', 'dns_temperror'),
  shuttingDown: () => new SmtpError(421, '4.3.2', 'Service shutting down, please try again later', 'shutting_down'),
  overloaded: () => new SmtpError(451, '4.3.2', 'Too busy right now, please try again later', 'overloaded'),

  // Sender policy (src/intake/sender-policy.ts). The reply text is what the
  // sending MTA shows the person, so it says why and what to do instead.
  automatedNullSender: () =>
    new SmtpError(550, '5.7.1', 'Automated messages (null sender, such as delivery reports) are not accepted at this address; please write to us yourself', 'automated_null_sender'),
  automatedFeedbackReport: (format: 'arf' | 'xarf') =>
    new SmtpError(550, '5.7.1', `Automated abuse reports (${format === 'arf' ? 'ARF' : 'X-ARF'}) are not accepted at this address; please write to us yourself`, 'automated_feedback_report'),
  automatedDsn: (marker: string) =>
    new SmtpError(550, '5.7.1', `Delivery and read reports (${shown(marker)}) are not accepted at this address; please write to us yourself`, 'automated_dsn'),
  automatedAutoSubmitted: (value: string) =>
    new SmtpError(550, '5.7.1', `Automated messages (Auto-Submitted: ${shown(value)}) are not accepted at this address; please write to us yourself`, 'automated_auto_submitted'),
  automatedAutoreply: (field: string) =>
    new SmtpError(550, '5.7.1', `Automatic replies (${shown(field)}) are not accepted at this address; please write to us yourself`, 'automated_autoreply'),
  automatedPrecedence: (value: string) =>
    new SmtpError(550, '5.7.1', `Bulk and list mail (Precedence: ${shown(value)}) is not accepted at this address; please write to us yourself`, 'automated_precedence'),
  automatedList: (field: string) =>
    new SmtpError(550, '5.7.1', `Mailing list messages (${shown(field)}) are not accepted at this address; please write to us yourself`, 'automated_list'),
  automatedRobotSender: (address: string) =>
    new SmtpError(550, '5.7.1', `Messages from automated senders (${shown(address)}) are not accepted at this address; please write to us yourself from a mailbox that can receive our reply`, 'automated_robot_sender'),
  automatedBounceSubject: () =>
    new SmtpError(550, '5.7.1', 'Delivery failure reports are not accepted at this address (recognised by the subject); please write to us yourself', 'automated_bounce_subject'),
  automatedAutoreplySubject: () =>
    new SmtpError(550, '5.7.1', 'Automatic replies are not accepted at this address (recognised by the subject); please write to us yourself', 'automated_autoreply_subject'),
  anonymousNoFrom: () =>
    new SmtpError(550, '5.7.1', 'Anonymous messages are not accepted: the message has no From address; please send it from your own mailbox so that we can answer you', 'anonymous_no_from'),
  anonymousMultipleFrom: () =>
    new SmtpError(550, '5.7.1', 'Messages with more than one From address are not accepted; please send it from a single mailbox of your own', 'anonymous_multiple_from'),
  anonymousNoDomain: (address: string) =>
    new SmtpError(550, '5.7.1', `The From address (${shown(address)}) has no domain; please send it from a complete address such as name@example.org so that we can answer you`, 'anonymous_no_domain'),
  fromControlCharacters: () =>
    new SmtpError(550, '5.7.1', 'The From header contains control characters, so the sender cannot be verified; please send it from an ordinary mail program', 'from_control_characters'),
  fromDomainLiteral: (address: string) =>
    new SmtpError(550, '5.7.1', `The From address (${shown(address)}) names an IP address instead of a domain, which cannot be verified; please send it from an address at your domain`, 'from_domain_literal'),
  /** Also decided with the authentication verdict, when mailauth read From differently. */
  fromAmbiguous: () =>
    new SmtpError(550, '5.7.1', 'The From header can be read as more than one address, so the sender cannot be verified; please send it with a plain From address', 'from_ambiguous'),
  unverifiedSender: (fromDomain: string) =>
    new SmtpError(550, '5.7.1', `The sender domain ${shown(fromDomain)} could not be verified by SPF or DKIM, so we cannot accept this as a complaint; please send it from a mail system that signs with DKIM or passes SPF for your address`, 'unverified_sender'),
  dmarcReject: (fromDomain: string) =>
    new SmtpError(550, '5.7.1', `The DMARC policy of ${shown(fromDomain)} says to reject this message, as it failed authentication for that domain`, 'dmarc_reject'),
  loopDetected: () =>
    new SmtpError(554, '5.4.6', 'Mail loop detected: this message was sent by this system and came back; it is not accepted', 'loop_detected'),
  notCaseParticipant: () =>
    new SmtpError(550, '5.7.1', 'Only the people working on this case may write to this address; to report something new, write to our abuse or complaints address', 'not_case_participant'),
} as const;

/**
 * Sender-supplied text inside a reply: printable ASCII only (no CR/LF can
 * split the reply), and short, as a reply line is limited to 512 octets.
 */
function shown(value: string): string {
  const ascii = value.replace(/[^\x20-\x7e]/g, '?');
  return ascii.length > 80 ? `${ascii.slice(0, 77)}...` : ascii;
}

function seconds(ms: number): string {
  const value = Math.round(ms / 100) / 10;
  return `${value} second${value === 1 ? '' : 's'}`;
}
