import { once } from 'node:events';
import type { Socket } from 'node:net';
import { SMTPServer, type SMTPServerDataStream, type SMTPServerSession } from 'smtp-server';
import type { Logger } from '../lib/logger.js';
import type { CaseDirectory, IngestInput, IngestOutcome } from '../intake/ingest.js';
import type { RejectionFacts } from '../intake/rejections.js';
import { Envelopes } from './envelope.js';
import { SmtpError, smtpErrors } from './errors.js';
import type { SmtpRateLimits } from './limits.js';
import { SessionPace, type PaceOptions } from './pace.js';
import type { Route, RecipientRouter } from './recipients.js';

export interface SmtpHooks {
  onSession?(): void;
  onAccepted?(outcome: IngestOutcome): void;
  /**
   * Every refusal or temporary failure answered during a session or to a
   * connection, with what is known of the client by then (never the body).
   */
  onRefused?(error: SmtpError, facts: RejectionFacts): void;
  /** Sessions open on this listener, whenever the number changes. */
  onOpenSessions?(count: number): void;
}

export interface SmtpListenerOptions {
  host: string;
  port: number;
  hostname: string;
  maxMessageBytes: number;
  tls: { key: Buffer; cert: Buffer };
  maxClients: number;
  /** RCPT commands per transaction, a repeated address counted each time. */
  maxRecipients: number;
  socketTimeoutMs: number;
  /** How slowly a client may send a command line, and DATA. */
  pace: PaceOptions;
  router: RecipientRouter;
  limits?: SmtpRateLimits;
  cases: CaseDirectory;
  ingest(input: IngestInput): Promise<IngestOutcome>;
  logger: Logger;
  hooks?: SmtpHooks;
}

export interface SmtpListener {
  readonly port: number;
  /**
   * Stops taking work: new sessions get 421 while messages under way finish
   * (stored and 250, or 4xx), then the listener closes. Safe to call twice.
   */
  close(graceMs?: number): Promise<void>;
}

/**
 * The SMTP listener. Its callbacks stay thin: routing at RCPT, and one call to
 * ingest at the end of DATA, which answers 250 only once the message is stored
 * and queued. Every error carries its reply code, because smtp-server turns an
 * error without one into a permanent 550.
 */
export async function startSmtpListener(options: SmtpListenerOptions): Promise<SmtpListener> {
  const { logger, hooks = {} } = options;
  const envelopes = new Envelopes(options.maxRecipients);
  let closing = false;
  let inFlight = 0;
  const remote = (session: SMTPServerSession) => session.remoteAddress.replace(/^::ffff:/, '');
  // Sessions by id, for a refusal that names only the id (a slow client cut off).
  const sessions = new Map<string, SMTPServerSession>();

  /**
   * The refusal's facts: the sender and recipient the refused command named
   * (MAIL, RCPT), or else those of the transaction under way.
   */
  const facts = (session: SMTPServerSession, named: { sender?: string; recipient?: string } = {}): RejectionFacts => ({
    remoteIp: remote(session),
    helo: session.hostNameAppearsAs || null,
    envelopeFrom: named.sender ?? (session.envelope.mailFrom ? session.envelope.mailFrom.address : null),
    recipients: named.recipient !== undefined ? [named.recipient] : session.envelope.rcptTo.map((rcpt) => rcpt.address),
  });

  const answer = (callback: (err?: Error | null) => void, error: unknown, context: string, session: SMTPServerSession, named?: { sender?: string; recipient?: string }) => {
    const smtpError = error instanceof SmtpError ? error : smtpErrors.temporary(context);
    if (!(error instanceof SmtpError)) logger.error({ err: error, context }, 'unexpected error in SMTP session');
    hooks.onRefused?.(smtpError, facts(session, named));
    callback(smtpError);
  };

  const pace = new SessionPace(options.pace, {
    onCut: (error, sessionId) => {
      const session = sessions.get(sessionId);
      if (session) hooks.onRefused?.(error, facts(session));
    },
    onWatched: (count) => hooks.onOpenSessions?.(count),
  });

  const server = new SMTPServer({
    name: options.hostname,
    banner: 'abuse desk ESMTP',
    size: options.maxMessageBytes,
    // We answer 552 5.3.4 ourselves after the final dot (smtp-server does not
    // enforce SIZE for undeclared sizes, and its own reply lacks our wording).
    rejectOversized: false,
    key: options.tls.key,
    cert: options.tls.cert,
    authOptional: true,
    disabledCommands: ['AUTH'],
    disableReverseLookup: true,
    maxClients: options.maxClients,
    // Not smtp-server's maxRecipients: it counts distinct addresses (see envelope.ts).
    socketTimeout: options.socketTimeoutMs,
    // close() itself waits for messages under way; what is still connected after
    // that is idle, and gets its 421 at once rather than holding the exit.
    closeTimeout: 500,
    logger: false,

    onConnect(session, callback) {
      if (closing) return answer(callback, smtpErrors.shuttingDown(), 'connect', session);
      hooks.onSession?.();
      const letIn = () => {
        sessions.set(session.id, session);
        pace.watch(session);
        callback();
      };
      if (!options.limits) return letIn();
      options.limits.connection(remote(session), session.id).then(letIn, (error: unknown) => answer(callback, error, 'connect', session));
    },

    onSecure(socket, session, callback) {
      // After the callback smtp-server reads the TLS socket, and the pace watch follows it.
      callback();
      pace.secured(session.id, socket);
    },

    onClose(session) {
      options.limits?.closed(session.id);
      pace.forget(session.id);
      sessions.delete(session.id);
    },

    onMailFrom(address, session, callback) {
      // The sender is not on the envelope until MAIL is accepted: named here for the record.
      const refuse = (error: unknown) => answer(callback, error, 'mail', session, { sender: address.address });
      if (closing) return refuse(smtpErrors.shuttingDown());
      if (!options.limits) return callback();
      options.limits.message(remote(session), address.address).then(() => callback(), refuse);
    },

    onRcptTo(address, session, callback) {
      const refuse = (error: unknown, context = 'rcpt') => answer(callback, error, context, session, { recipient: address.address });
      if (closing) return refuse(smtpErrors.shuttingDown());
      const overLimit = envelopes.countRcpt(session);
      if (overLimit) return refuse(overLimit);
      const route = options.router.route(address.address);
      if (route instanceof SmtpError) return refuse(route);
      const accept = () => {
        envelopes.accept(session, route);
        callback();
      };
      if (route.type === 'mailbox') return accept();
      // A case address is good only at its own case's brand: the token names the
      // ticket, not the domain, and another brand would open a new case instead.
      options.cases.writers(route.ticket).then(
        (writers) => (writers?.brand === route.brandId ? accept() : refuse(smtpErrors.badCaseAddress())),
        (error: unknown) => refuse(smtpErrors.temporary('database'), `rcpt: ${String(error)}`),
      );
    },

    onData(stream, session, callback) {
      inFlight += 1;
      pace.dataStarted(session.id);
      const ended = () => pace.dataEnded(session.id);
      stream.once('end', ended);
      stream.once('close', ended);
      options
        .ingest(ingestInput(stream, session, envelopes.routes(session)))
        .then((outcome) => {
          pace.replied(session.id);
          hooks.onAccepted?.(outcome);
          callback(null, `2.6.0 Queued as ${outcome.id}${outcome.kind === 'duplicate' ? ' (already received)' : ''}`);
        })
        .catch((error: unknown) => {
          pace.replied(session.id);
          answer(callback, error, 'data', session);
        })
        .finally(() => {
          inFlight -= 1;
        });
    },
  });

  server.on('error', (error) => logger.warn({ err: error }, 'SMTP connection error'));
  server.server.on('connection', (socket: Socket) => pace.socketAccepted(socket));
  server.listen(options.port, options.host);
  await once(server.server, 'listening');
  const address = server.server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  logger.info({ host: options.host, port }, 'SMTP listener ready');

  let closed: Promise<void> | undefined;
  return {
    port,
    close(graceMs = 15_000) {
      closing = true;
      closed ??= (async () => {
        const deadline = Date.now() + graceMs;
        while (inFlight > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
        await new Promise<void>((resolve) => server.close(() => resolve()));
      })();
      return closed;
    },
  };
}

function ingestInput(data: SMTPServerDataStream, session: SMTPServerSession, routes: Route[]): IngestInput {
  const mailFrom = session.envelope.mailFrom;
  return {
    data,
    envelopeFrom: mailFrom ? mailFrom.address : '',
    routes,
    remoteIp: session.remoteAddress.replace(/^::ffff:/, ''),
    helo: session.hostNameAppearsAs || '',
  };
}
