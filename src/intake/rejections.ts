import type { Db } from '../db/index.js';
import { newId } from '../lib/ids.js';
import type { Logger } from '../lib/logger.js';
import type { SmtpError } from '../smtp/errors.js';

export interface RejectionFacts {
  envelopeFrom?: string | null;
  fromHeader?: string | null;
  recipients?: string[];
  remoteIp: string;
  helo?: string | null;
}

/** Resolves once the note is written, has failed, or has taken `waitMs`; never rejects. */
export type RejectionRecorder = (error: SmtpError, facts: RejectionFacts) => Promise<void>;

/** How long a refusal's reply waits for its note; the write goes on after that. */
const RECORD_WAIT_MS = 1_000;

/**
 * Keeps each refusal (reason, time, sender, IP; never the body) so ops can see
 * what is turned away. The reply waits for the note, briefly: once a sender
 * has its 5xx, the refusal is on the dashboard (and a test can look), but a
 * slow or absent database never holds a refusal back for long, nor turns it
 * into a 4xx.
 */
export function rejectionRecorder(db: Db, logger: Logger, onRecorded?: (reason: string) => void, waitMs = RECORD_WAIT_MS): RejectionRecorder {
  return async (error, facts) => {
    onRecorded?.(error.reason);
    const written = db.rejection
      .create({
        data: {
          id: newId(),
          reason: error.reason,
          smtpCode: error.responseCode,
          enhanced: error.enhanced,
          text: error.text.slice(0, 500),
          envelopeFrom: facts.envelopeFrom?.slice(0, 320) ?? null,
          fromHeader: facts.fromHeader?.slice(0, 320) ?? null,
          recipients: (facts.recipients ?? []).slice(0, 20).map((r) => r.slice(0, 320)),
          remoteIp: facts.remoteIp,
          helo: facts.helo?.slice(0, 255) ?? null,
        },
      })
      .then(
        () => undefined,
        (dbError: unknown) => logger.warn({ err: dbError, reason: error.reason }, 'could not record a refusal'),
      );
    let timer: NodeJS.Timeout | undefined;
    const waited = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, waitMs);
    });
    await Promise.race([written, waited]);
    clearTimeout(timer);
  };
}
