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

export type RejectionRecorder = (error: SmtpError, facts: RejectionFacts) => void;

/**
 * Keeps each refusal (reason, time, sender, IP; never the body) so ops can see
 * what is turned away. Recording is fire-and-forget: a refusal is answered
 * whether or not the database takes the note.
 */
export function rejectionRecorder(db: Db, logger: Logger, onRecorded?: (reason: string) => void): RejectionRecorder {
  return (error, facts) => {
    onRecorded?.(error.reason);
    db.rejection
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
      .catch((dbError: unknown) => logger.warn({ err: dbError, reason: error.reason }, 'could not record a refusal'));
  };
}
