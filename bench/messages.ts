import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { buildMessage, SENDER_DOMAIN, SENDER_KEY, signMessage } from '../test/support/mail.js';
import { withTimeout } from './util.js';

/**
 * The bench's mail: distinct DKIM-signed complaints (own sender, Message-ID and
 * text each, so nothing is a duplicate and no per-recipient cap applies),
 * signed before the clock starts so signing is never measured.
 */

export const RECIPIENT = 'complaints@example.net';

export interface BenchMessage {
  index: number;
  envelopeFrom: string;
  to: string;
  /** Without angle brackets; the acknowledgement's In-Reply-To names it. */
  messageId: string;
  /** Dot-stuffed, ending in CRLF.CRLF: written as-is after DATA. */
  data: Buffer;
  size: number;
}

const TEXTS = [
  {
    subject: 'Complaint about the handling of my domain transfer',
    text: 'Dear Sir or Madam,\n\nI am writing to complain about the way my transfer request was handled. I asked for the authorisation code three times and every time I was told to wait another week. The domain is important for my small business and the delay is costing me customers.\n\nPlease look into this and tell me when the transfer will finally happen.\n\nKind regards',
  },
  {
    subject: 'Beschwerde über die Bearbeitung meiner Kündigung',
    text: 'Sehr geehrte Damen und Herren,\n\nich habe meinen Vertrag fristgerecht gekündigt und trotzdem wurde mir der nächste Zeitraum in Rechnung gestellt. Auf meine Nachfragen beim Kundendienst habe ich bis heute keine verbindliche Antwort erhalten.\n\nIch bitte Sie, die Sache zu prüfen und mir den Betrag zu erstatten.\n\nMit freundlichen Grüßen',
  },
  {
    subject: 'Réclamation concernant le renouvellement de mon nom de domaine',
    text: "Madame, Monsieur,\n\nmon nom de domaine a été renouvelé alors que j'avais désactivé le renouvellement automatique dans mon espace client. Le service client ne répond pas à mes messages depuis deux semaines.\n\nJe vous prie de bien vouloir examiner ma demande et de procéder au remboursement.\n\nCordialement",
  },
  {
    subject: 'Klacht over de afhandeling van mijn verhuisverzoek',
    text: 'Geachte heer, mevrouw,\n\nik heb drie weken geleden gevraagd om mijn domeinnaam te verhuizen, maar er is nog steeds niets gebeurd. De klantenservice belooft steeds dat het morgen geregeld wordt.\n\nIk verzoek u dringend om dit te onderzoeken en mij te laten weten wanneer de verhuizing wordt uitgevoerd.\n\nMet vriendelijke groet',
  },
] as const;

export function senderOf(index: number): string {
  return `c${index}@${SENDER_DOMAIN}`;
}

export function messageIdOf(runId: string, index: number): string {
  return `bench-${runId}-${index}@${SENDER_DOMAIN}`;
}

/** One signed complaint, distinct from every other of the run. */
export async function signedComplaint(runId: string, index: number): Promise<Buffer> {
  const template = TEXTS[index % TEXTS.length] as (typeof TEXTS)[number];
  const raw = buildMessage({
    from: `Complainant ${index} <${senderOf(index)}>`,
    to: RECIPIENT,
    subject: `${template.subject} (${runId}/${index})`,
    text: `${template.text}\nComplainant ${index}\nReference ${runId}-${index}\n`,
    messageId: messageIdOf(runId, index),
  });
  return signMessage(raw, SENDER_KEY);
}

/** The bytes after DATA: dot-stuffed and ending with the final dot. */
export function dataBytes(raw: Buffer): Buffer {
  const text = raw.toString('latin1').replace(/\r?\n/g, '\r\n').replace(/^\./gm, '..');
  return Buffer.from(`${text.endsWith('\r\n') ? text : `${text}\r\n`}.\r\n`, 'latin1');
}

function benchMessage(runId: string, index: number, raw: Buffer): BenchMessage {
  return { index, envelopeFrom: senderOf(index), to: RECIPIENT, messageId: messageIdOf(runId, index), data: dataBytes(raw), size: raw.length };
}

interface SignRequest {
  runId: string;
  from: number;
  count: number;
}

/**
 * Signs `count` messages in child processes, one per core (RSA signing is about
 * 1.5 ms a message, half a minute for the default run on one core).
 */
export async function buildPool(runId: string, count: number, timeoutMs: number): Promise<BenchMessage[]> {
  const workers = Math.max(1, Math.min(availableParallelism(), Math.ceil(count / 500)));
  const per = Math.ceil(count / workers);
  const slices: SignRequest[] = [];
  for (let from = 0; from < count; from += per) slices.push({ runId, from, count: Math.min(per, count - from) });
  const results = await withTimeout(Promise.all(slices.map((slice) => signInChild(slice))), timeoutMs, 'signing the message pool');
  return results.flatMap((raws, sliceIndex) => raws.map((raw, offset) => benchMessage(runId, (slices[sliceIndex] as SignRequest).from + offset, raw)));
}

function signInChild(request: SignRequest): Promise<Buffer[]> {
  const child = fork(fileURLToPath(new URL('./sign-worker.ts', import.meta.url)), [], {
    execArgv: ['--import', 'tsx'],
    serialization: 'advanced',
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise<Buffer[]>((resolve, reject) => {
    child.once('message', (reply: { raws?: Uint8Array[]; error?: string }) => {
      child.kill();
      if (reply.error || !reply.raws) reject(new Error(`signing failed: ${reply.error ?? 'no messages'}`));
      else resolve(reply.raws.map((bytes) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)));
    });
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`signing process exited with ${code}`)));
    child.send(request);
  });
}

/** The worker side of `buildPool`, run by bench/sign-worker.ts. */
export async function signSlice(request: SignRequest): Promise<Buffer[]> {
  const raws: Buffer[] = [];
  for (let i = 0; i < request.count; i++) raws.push(await signedComplaint(request.runId, request.from + i));
  return raws;
}

/**
 * One complaint with a random attachment that brings it to about `bytes`
 * (base64 lines of 76), signed like the rest.
 */
export async function bigComplaint(runId: string, bytes: number): Promise<BenchMessage> {
  const boundary = `bench-${runId}`;
  const lineBytes = 78; // 76 characters and CRLF
  const lines = Math.floor((bytes - 4096) / lineBytes);
  const payload = randomBytes(lines * 57).toString('base64').replace(/.{76}/g, '$&\r\n');
  const index = 0;
  const raw = buildMessage({
    from: `Complainant with evidence <${senderOf(index)}>`,
    to: RECIPIENT,
    subject: `Complaint with a large attachment (${runId})`,
    text: `--${boundary}\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\nDear Sir or Madam,\r\n\r\nplease find the full evidence of the problem attached. The archive contains every message I received.\r\n\r\nKind regards\r\n\r\n--${boundary}\r\nContent-Type: application/octet-stream; name=evidence.bin\r\nContent-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename=evidence.bin\r\n\r\n${payload}\r\n--${boundary}--\r\n`,
    messageId: messageIdOf(runId, index),
  });
  // buildMessage writes a text/plain part: replace its content headers with multipart ones.
  const fixed = Buffer.from(
    raw
      .toString('latin1')
      .replace(/^Content-Type: text\/plain; charset=us-ascii\r\nContent-Transfer-Encoding: 7bit\r\n/m, `Content-Type: multipart/mixed; boundary="${boundary}"\r\n`),
    'latin1',
  );
  return benchMessage(runId, index, await signMessage(fixed, SENDER_KEY));
}
