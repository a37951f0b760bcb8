import { createConnection, type Socket } from 'node:net';

export interface Reply {
  code: number;
  /** All lines joined, codes stripped. */
  text: string;
  lines: string[];
}

/**
 * A minimal SMTP client over a real socket, so tests see exactly the replies
 * a sending MTA would: one command, one reply, no retries, bounded by timeouts.
 */
export class SmtpSession {
  private buffer = '';
  private waiters: Array<(reply: Reply) => void> = [];
  private closed = false;

  private constructor(private readonly socket: Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      this.buffer += chunk;
      this.drain();
    });
    socket.on('close', () => {
      this.closed = true;
      for (const waiter of this.waiters.splice(0)) waiter({ code: 0, text: 'connection closed', lines: [] });
    });
    socket.on('error', () => undefined);
  }

  static async open(port: number, host = '127.0.0.1'): Promise<{ session: SmtpSession; greeting: Reply }> {
    const socket = createConnection({ port, host });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const session = new SmtpSession(socket);
    const greeting = await session.read();
    return { session, greeting };
  }

  private drain(): void {
    for (;;) {
      const lines = this.buffer.split('\r\n');
      let end = -1;
      for (let i = 0; i < lines.length - 1; i++) {
        if (/^\d{3}( |$)/.test(lines[i] as string)) {
          end = i;
          break;
        }
      }
      if (end < 0 || this.waiters.length === 0) return;
      const replyLines = lines.slice(0, end + 1);
      this.buffer = lines.slice(end + 1).join('\r\n');
      const code = Number((replyLines[0] as string).slice(0, 3));
      const waiter = this.waiters.shift() as (reply: Reply) => void;
      waiter({ code, lines: replyLines, text: replyLines.map((line) => line.slice(4)).join('\n') });
    }
  }

  read(timeoutMs = 20_000): Promise<Reply> {
    if (this.closed) return Promise.resolve({ code: 0, text: 'connection closed', lines: [] });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('SMTP reply timed out')), timeoutMs);
      this.waiters.push((reply) => {
        clearTimeout(timer);
        resolve(reply);
      });
      this.drain();
    });
  }

  async command(line: string, timeoutMs?: number): Promise<Reply> {
    this.socket.write(`${line}\r\n`);
    return this.read(timeoutMs);
  }

  /** Sends a message body (dot-stuffed) and the final dot; returns the reply to it. */
  async data(raw: Buffer, timeoutMs?: number): Promise<Reply> {
    const text = raw.toString('latin1').replace(/\r?\n/g, '\r\n').replace(/^\./gm, '..');
    this.socket.write(Buffer.from(text.endsWith('\r\n') ? text : `${text}\r\n`, 'latin1'));
    this.socket.write('.\r\n');
    return this.read(timeoutMs);
  }

  /** Writes bytes as they are (smuggling tests). */
  write(bytes: Buffer | string): void {
    this.socket.write(bytes);
  }

  close(): void {
    if (!this.closed) this.socket.end('QUIT\r\n');
    this.socket.destroy();
  }
}

export interface SendResult {
  greeting: Reply;
  mail: Reply;
  rcpt: Reply[];
  data?: Reply;
  /** The reply that ended the transaction: the final dot's, or the first refusal. */
  final: Reply;
}

/** One whole transaction: EHLO, MAIL, RCPT…, DATA, the message, QUIT. */
export async function sendMail(options: { port: number; from: string; to: string[]; raw: Buffer; helo?: string }): Promise<SendResult> {
  const { session, greeting } = await SmtpSession.open(options.port);
  try {
    if (greeting.code !== 220) return { greeting, mail: greeting, rcpt: [], final: greeting };
    await session.command(`EHLO ${options.helo ?? 'mail.sender.test'}`);
    const mail = await session.command(`MAIL FROM:<${options.from}>`);
    if (mail.code !== 250) return { greeting, mail, rcpt: [], final: mail };
    const rcpt: Reply[] = [];
    for (const to of options.to) rcpt.push(await session.command(`RCPT TO:<${to}>`));
    const accepted = rcpt.filter((reply) => reply.code === 250);
    if (accepted.length === 0) return { greeting, mail, rcpt, final: rcpt[0] as Reply };
    const start = await session.command('DATA');
    if (start.code !== 354) return { greeting, mail, rcpt, data: start, final: start };
    const data = await session.data(options.raw);
    return { greeting, mail, rcpt, data, final: data };
  } finally {
    session.close();
  }
}
