import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import nodemailer from 'nodemailer';

export interface Envelope {
  /** '' sends the null reverse-path: bounces of our automatic mail never come back. */
  from: string;
  to: string[];
}

export interface OutboundTransport {
  /** Hands one message to the relay (or the outbox); resolves with the relay's answer. */
  send(envelope: Envelope, raw: Buffer, name: string): Promise<string>;
  close(): Promise<void>;
  readonly description: string;
}

/** Through nodemailer to OUTBOUND_SMTP_URL, on a pool of reused connections. */
export function smtpTransport(url: string): OutboundTransport {
  const transporter = nodemailer.createTransport({
    url,
    pool: true,
    maxConnections: 8,
    maxMessages: 1_000,
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 30_000,
    // A relay on the same site often presents a private certificate.
    tls: { rejectUnauthorized: false },
  });
  let closed = false;
  return {
    description: `smtp relay ${new URL(url).host}`,
    async send(envelope, raw) {
      const info = await transporter.sendMail({ envelope: { from: envelope.from, to: envelope.to }, raw });
      return String(info.response ?? 'sent');
    },
    async close() {
      if (closed) return;
      closed = true;
      transporter.close();
    },
  };
}

/** Without a relay: each message becomes DATA_DIR/outbox/<name>.eml. */
export function outboxTransport(dir: string): OutboundTransport {
  return {
    description: `outbox folder ${dir}`,
    async send(envelope, raw, name) {
      await mkdir(dir, { recursive: true });
      const safeName = name.replace(/[^A-Za-z0-9._-]/g, '_');
      const target = join(dir, `${safeName}.eml`);
      const header = `X-Envelope-From: <${envelope.from}>\r\nX-Envelope-To: ${envelope.to.map((to) => `<${to}>`).join(', ')}\r\n`;
      // Written under a temporary name and renamed, so a reader never sees half a file.
      await writeFile(`${target}.tmp`, Buffer.concat([Buffer.from(header), raw]));
      await rename(`${target}.tmp`, target);
      return `written to ${target}`;
    },
    async close() {},
  };
}
