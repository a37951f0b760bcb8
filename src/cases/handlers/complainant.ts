import type { CaseEvidence } from '../../mail/evidence/index.js';
import { caseEvidence, mergeEvidence, recordEvidence } from '../evidence.js';
import { joinIncident, raiseIncident } from '../incidents.js';
import { applyTriage, openTriageDeadlines, triage } from '../triage.js';
import { openHearing } from '../hearing.js';
import type { Incoming } from '../incoming.js';
import type { CaseWork } from '../work.js';
import { handleEscalation } from './escalation.js';

/**
 * The complainant writes again: an escalation when the subject says so,
 * otherwise more information for the case, passed to whoever works it.
 */
export async function handleComplainantMessage(work: CaseWork, incoming: Incoming): Promise<void> {
  if (await handleEscalation(work, incoming)) return;
  await completeReport(work, incoming);
  if (work.theCase.state === 'awaiting_information') {
    await work.changeState('in_progress', incoming.sender, 'the complainant sent more information');
  }
  await forwardToStaff(work, incoming, 'complainant_reply');
}

/**
 * A reply in an abuse case may carry what we asked for (the reported message,
 * the URL): its evidence joins the case, and a report that is now complete
 * starts the response clock, the mitigation clock for DNS abuse and, where our
 * customer is concerned, the hearing.
 */
async function completeReport(work: CaseWork, incoming: Incoming): Promise<void> {
  const { theCase, brand } = work;
  const evidence = incoming.evidence;
  if (theCase.kind !== 'abuse' || !evidence || !carriesEvidence(evidence)) return;
  const before = caseEvidence(theCase);
  const merged = mergeEvidence(before, evidence);
  await recordEvidence(work.tx, theCase, merged, incoming.sender);
  if (!merged.complete || before?.complete) return;
  await work.openDeadline('respond', work.now());
  const triaged = triage(brand, theCase.complainantAddress, merged);
  await applyTriage(work, triaged);
  // Now that it names what it is about, it may belong to an open incident, whose first case keeps the clock and the hearing.
  const membership = await joinIncident(work, merged, work.now());
  if (membership?.role === 'member') return raiseIncident(work, membership.incident, triaged);
  await openTriageDeadlines(work, triaged, true, work.now());
  await openHearing(work, merged);
}

function carriesEvidence(evidence: CaseEvidence): boolean {
  const named = evidence.resources;
  return evidence.reportedMessages.length > 0 || (named !== undefined && named.urls.length + named.domains.length + named.ips.length > 0);
}

/** Passes a message on to the case's assignee, or the specialist address, with the original attached. */
export async function forwardToStaff(work: CaseWork, incoming: Incoming, template: 'complainant_reply' | 'customer_reply'): Promise<void> {
  const { ticket } = work.theCase;
  await work.send(
    work.desk,
    template,
    { ticket, text: incoming.text || '(no readable text; see the attached original)' },
    {
      kind: template === 'complainant_reply' ? 'forward' : 'customer_forward',
      autoSubmitted: 'auto-generated',
      dedupeKey: `forward:${incoming.inboundId}`,
      attachments: [{ filename: `${ticket}-${incoming.inboundId.slice(0, 8)}.eml`, content: incoming.raw, contentType: 'message/rfc822' }],
      inReplyTo: null,
    },
  );
}
