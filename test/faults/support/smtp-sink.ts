import type { Socket } from 'node:net';
import type { SMTPServerSession } from 'smtp-server';
import { SMTPServer } from 'smtp-server';
import { freePort } from './util.js';

/**
 * The outbound relay, caught: an SMTP server on loopback that the test can
 * stop and start on the same port, make refuse (451 to every recipient, or 421
 * at the greeting, which closes the connection), or make hold its answer to the
 * final dot. A message counts as delivered only once the sink has answered 250
 * on a connection that was still open — what a real relay takes responsibility for.
 */
export type SinkMode = 'accept' | 'refuse' | 'greet-421' | 'hold';

export interface DeliveredMessage {
  from: string;
  to: string[];
  raw: Buffer;
  text: string;
  at: number;
}

export interface SmtpSink {
  readonly port: number;
  readonly url: string;
  readonly delivered: DeliveredMessage[];
  /** When each connection arrived (ms since epoch), answered or not. */
  readonly connectionTimes: number[];
  /** Every RCPT TO it was given, refused or not, with the time (ms since epoch). */
  readonly attempts: Array<{ to: string; at: number }>;
  /** Messages whose final dot is waiting for an answer (mode 'hold'). */
  held(): number;
  /** Of those, the ones whose client is still connected. */
  heldOpen(): number;
  setMode(mode: SinkMode): void;
  /** Answers every held message whose client is still connected, and accepts from now on. */
  release(): void;
  /** Closes the listener and cuts every connection: the relay is down. */
  stop(): Promise<void>;
  start(): Promise<void>;
  to(address: string): DeliveredMessage[];
  close(): Promise<void>;
}

interface Held {
  session: SMTPServerSession;
  message: DeliveredMessage;
  answer: () => void;
}

export async function startSmtpSink(options: { mode?: SinkMode } = {}): Promise<SmtpSink> {
  const port = await freePort();
  const delivered: DeliveredMessage[] = [];
  const attempts: Array<{ to: string; at: number }> = [];
  const connectionTimes: number[] = [];
  const closedSessions = new Set<string>();
  let held: Held[] = [];
  let mode: SinkMode = options.mode ?? 'accept';
  let server: SMTPServer | undefined;
  const sockets = new Set<Socket>();

  const create = () =>
    new SMTPServer({
      authOptional: true,
      disabledCommands: ['AUTH', 'STARTTLS'],
      disableReverseLookup: true,
      logger: false,
      closeTimeout: 100,
      onConnect(_session, callback) {
        connectionTimes.push(Date.now());
        if (mode === 'greet-421') return callback(Object.assign(new Error('4.3.2 relay busy, try later'), { responseCode: 421 }));
        callback();
      },
      onRcptTo(address, _session, callback) {
        attempts.push({ to: address.address.toLowerCase(), at: Date.now() });
        if (mode === 'refuse') return callback(Object.assign(new Error('4.3.0 relay busy, try again later'), { responseCode: 451 }));
        callback();
      },
      onClose(session) {
        closedSessions.add(session.id);
      },
      onData(stream, session, callback) {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.once('end', () => {
          const raw = Buffer.concat(chunks);
          const message: DeliveredMessage = {
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            to: session.envelope.rcptTo.map((rcpt) => rcpt.address.toLowerCase()),
            raw,
            text: raw.toString('utf8'),
            at: Date.now(),
          };
          const answer = () => {
            delivered.push(message);
            callback(null, '2.0.0 caught');
          };
          if (mode === 'hold') held.push({ session, message, answer });
          else answer();
        });
      },
    });

  const start = async () => {
    if (server) return;
    const created = create();
    created.on('error', () => undefined);
    created.server.on('connection', (socket: Socket) => {
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      created.server.once('error', reject);
      created.listen(port, '127.0.0.1', () => resolve());
    });
    server = created;
  };

  const stop = async () => {
    const running = server;
    server = undefined;
    if (!running) return;
    const closed = new Promise<void>((resolve) => running.close(() => resolve()));
    for (const socket of sockets) socket.destroy();
    await closed;
  };

  await start();
  return {
    port,
    url: `smtp://127.0.0.1:${port}`,
    delivered,
    attempts,
    connectionTimes,
    held: () => held.length,
    heldOpen: () => held.filter((entry) => !closedSessions.has(entry.session.id)).length,
    setMode: (next) => {
      mode = next;
    },
    release: () => {
      mode = 'accept';
      const waiting = held;
      held = [];
      // A client that went away before its answer never handed the message over.
      for (const entry of waiting) if (!closedSessions.has(entry.session.id)) entry.answer();
    },
    stop,
    start,
    to: (address) => delivered.filter((message) => message.to.includes(address.toLowerCase())),
    close: stop,
  };
}
