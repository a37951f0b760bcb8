import { createConnection, type Socket } from 'node:net';
import { BenchError } from './util.js';

export interface Reply {
  code: number;
  /** The last line without its code, e.g. "5.7.1 Sender not verified". */
  text: string;
}

const CLOSED: Reply = { code: 0, text: 'connection closed' };

/**
 * A lean SMTP client connection for load: one command, one reply, no
 * pipelining, kept open across transactions. Replies are parsed as bytes
 * arrive; a reply that does not come within `timeoutMs` rejects.
 */
export class LoadConnection {
  private buffer = '';
  private waiter: ((reply: Reply) => void) | null = null;
  private pending: Reply[] = [];
  closed = false;

  private constructor(private readonly socket: Socket, private readonly timeoutMs: number) {
    socket.setNoDelay(true);
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => this.onData(chunk));
    socket.on('close', () => {
      this.closed = true;
      this.deliver(CLOSED);
    });
    socket.on('error', () => undefined);
  }

  /** Connects, reads the greeting and says EHLO; rejects unless both are positive. */
  static async open(host: string, port: number, timeoutMs: number, helo = 'mail.sender.test'): Promise<LoadConnection> {
    const socket = createConnection({ host, port });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new BenchError(`connect to ${host}:${port} timed out`));
      }, timeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        resolve();
      });
      socket.once('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
    });
    const connection = new LoadConnection(socket, timeoutMs);
    const greeting = await connection.read();
    if (greeting.code !== 220) {
      connection.close();
      throw new BenchError(`greeting ${greeting.code} ${greeting.text}`);
    }
    const ehlo = await connection.command(`EHLO ${helo}`);
    if (ehlo.code !== 250) {
      connection.close();
      throw new BenchError(`EHLO answered ${ehlo.code} ${ehlo.text}`);
    }
    return connection;
  }

  private onData(chunk: string): void {
    this.buffer += chunk;
    let start = 0;
    for (;;) {
      const end = this.buffer.indexOf('\r\n', start);
      if (end < 0) break;
      const line = this.buffer.slice(start, end);
      start = end + 2;
      // "250-..." continues a multi-line reply; "250 ..." or a bare "250" ends it.
      if (line.length >= 3 && line[3] !== '-') this.deliver({ code: Number(line.slice(0, 3)) || 0, text: line.slice(4) });
    }
    this.buffer = this.buffer.slice(start);
  }

  private deliver(reply: Reply): void {
    const waiter = this.waiter;
    if (waiter) {
      this.waiter = null;
      waiter(reply);
    } else if (reply !== CLOSED) {
      this.pending.push(reply);
    }
  }

  read(): Promise<Reply> {
    const queued = this.pending.shift();
    if (queued) return Promise.resolve(queued);
    if (this.closed) return Promise.resolve(CLOSED);
    return new Promise<Reply>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = null;
        this.close();
        reject(new BenchError(`no SMTP reply within ${Math.round(this.timeoutMs / 1000)} s`));
      }, this.timeoutMs);
      this.waiter = (reply) => {
        clearTimeout(timer);
        resolve(reply);
      };
    });
  }

  command(line: string): Promise<Reply> {
    this.socket.write(`${line}\r\n`);
    return this.read();
  }

  /** Writes the message (already dot-stuffed, with the final dot) and reads the reply to it. */
  data(bytes: Buffer): Promise<Reply> {
    this.socket.write(bytes);
    return this.read();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.end('QUIT\r\n');
    setTimeout(() => this.socket.destroy(), 1_000).unref();
  }
}
