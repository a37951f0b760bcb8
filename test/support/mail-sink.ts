import { once } from 'node:events';
import { SMTPServer } from 'smtp-server';

/**
 * The relay the product sends to, for e2e tests and the bench: an SMTP server
 * on loopback that keeps, for every message, the envelope, when it arrived and
 * the headers matched on. Bodies are kept only with `keepRaw` (the bench sends
 * thousands and needs the headers alone).
 */

export interface Delivery {
  /** performance.now() when the final dot was read. */
  at: number;
  mailFrom: string;
  to: string[];
  ticket: string | null;
  inReplyTo: string | null;
  autoSubmitted: string | null;
  subject: string | null;
  contentLanguage: string | null;
  /** The header block as received, for tests that look closer. */
  headerBlock: string;
  raw?: Buffer;
}

export interface MailSink {
  port: number;
  /** "smtp://127.0.0.1:port": what OUTBOUND_SMTP_URL takes. */
  url: string;
  deliveries: Delivery[];
  /** Acknowledgements by the Message-ID (no brackets) they answer. */
  byInReplyTo: Map<string, Delivery>;
  /** Deliveries to one address. */
  to(address: string): Delivery[];
  close(): Promise<void>;
}

export interface SinkOptions {
  /** Keep whole messages (tests); the bench keeps headers only. */
  keepRaw?: boolean;
}

export async function startSink(options: SinkOptions = {}): Promise<MailSink> {
  const deliveries: Delivery[] = [];
  const byInReplyTo = new Map<string, Delivery>();
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['AUTH'],
    // TLS would only add cost on loopback; the product sends in the clear then.
    hideSTARTTLS: true,
    disableReverseLookup: true,
    logger: false,
    maxClients: 1_000,
    // Closing waits for the sender's pooled connections at most this long.
    closeTimeout: 5_000,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      let headerBytes = 0;
      let headerDone = false;
      stream.on('data', (chunk: Buffer) => {
        if (options.keepRaw || !headerDone) {
          chunks.push(chunk);
          headerBytes += chunk.length;
          if (!options.keepRaw && (chunk.includes('\r\n\r\n') || headerBytes > 256 * 1024)) headerDone = true;
        }
      });
      stream.once('error', (error) => callback(error));
      stream.once('end', () => {
        const at = performance.now();
        const raw = Buffer.concat(chunks);
        const end = raw.indexOf('\r\n\r\n');
        const headerBlock = raw.subarray(0, end < 0 ? raw.length : end).toString('utf8');
        const header = (name: string): string | null => {
          const match = new RegExp(`^${name}:[ \\t]*((?:.*)(?:\\r\\n[ \\t].*)*)`, 'im').exec(headerBlock);
          return match ? (match[1] as string).replace(/\r\n[ \t]+/g, ' ').trim() : null;
        };
        const mailFrom = session.envelope.mailFrom;
        const delivery: Delivery = {
          at,
          mailFrom: mailFrom ? mailFrom.address : '',
          to: session.envelope.rcptTo.map((rcpt) => rcpt.address),
          ticket: header('X-Ticket-ID'),
          inReplyTo: header('In-Reply-To')?.replace(/^<|>$/g, '') ?? null,
          autoSubmitted: header('Auto-Submitted'),
          subject: header('Subject'),
          contentLanguage: header('Content-Language'),
          headerBlock,
          ...(options.keepRaw ? { raw } : {}),
        };
        deliveries.push(delivery);
        if (delivery.inReplyTo && delivery.autoSubmitted === 'auto-replied' && !byInReplyTo.has(delivery.inReplyTo)) byInReplyTo.set(delivery.inReplyTo, delivery);
        callback();
      });
    },
  });
  server.on('error', () => undefined);
  server.listen(0, '127.0.0.1');
  await once(server.server, 'listening');
  const address = server.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  let closed: Promise<void> | undefined;
  return {
    port,
    url: `smtp://127.0.0.1:${port}`,
    deliveries,
    byInReplyTo,
    to: (address) => deliveries.filter((delivery) => delivery.to.includes(address)),
    close() {
      closed ??= new Promise<void>((resolve) => server.close(() => resolve()));
      return closed;
    },
  };
}
