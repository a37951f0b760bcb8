import { truncate } from '../../lib/text.js';
import { replyText } from '../../mail/reply-text.js';
import type { Attachment } from '../../outbound/compose.js';
import { ActionConflict, performAction, type CaseAction } from '../actions.js';
import { parseCommands, type CommandError } from '../commands.js';
import type { Incoming } from '../incoming.js';
import { InvalidTransitionError } from '../state.js';
import type { CaseWork } from '../work.js';

/**
 * A specialist replied to the case address. Command lines at the top run
 * through the actions layer; the rest of the reply is relayed to the
 * complainant from the brand mailbox (the specialist's own address and name
 * never shown) — unless it is #internal. If any command is wrong, nothing
 * runs and nothing is relayed: the specialist gets an error reply naming the line.
 */
export async function handleSpecialistMessage(work: CaseWork, incoming: Incoming): Promise<void> {
  const actor = incoming.sender;
  const text = replyText(incoming.text, { addresses: [actor], names: incoming.senderName ? [incoming.senderName] : [] });
  const parsed = parseCommands(text, actor);
  if (parsed.errors.length > 0) return reportErrors(work, actor, parsed.errors);

  const internal = parsed.commands.some((command) => command.kind === 'internal');
  const needInfo = parsed.commands.some((command) => command.kind === 'need-info');
  const actions: Array<{ line: string; action: CaseAction }> = parsed.commands.flatMap((command) =>
    command.kind === 'action' ? [{ line: command.line, action: command.action }] : [],
  );
  const context = { actor, attachments: relayableAttachments(incoming) };

  if (internal) {
    if (parsed.body) actions.unshift({ line: '#internal', action: { action: 'note', text: parsed.body } });
  } else if (needInfo) {
    if (!parsed.body) return reportErrors(work, actor, [{ line: '#need-info', reason: 'write the question for the complainant below the command lines' }]);
    actions.unshift({ line: '#need-info', action: { action: 'need-info', text: parsed.body } });
  } else if (parsed.body) {
    // The first relayed reply is our response; later ones continue the conversation.
    const respond = ['received', 'acknowledged', 'in_progress', 'awaiting_information', 'escalated'].includes(work.theCase.state);
    if (respond) actions.unshift({ line: '(reply text)', action: { action: 'respond', text: parsed.body } });
    else await relayFollowUp(work, parsed.body, context.attachments);
  }

  // All or nothing: a command that does not fit the case undoes the ones before it.
  let line = '';
  try {
    await work.savepoint(async () => {
      for (const next of actions) {
        line = next.line;
        await performAction(work, next.action, context);
      }
    });
  } catch (error) {
    if (!(error instanceof ActionConflict || error instanceof InvalidTransitionError)) throw error;
    return reportErrors(work, actor, [{ line, reason: error.message }]);
  }
}

async function reportErrors(work: CaseWork, actor: string, errors: CommandError[]): Promise<void> {
  const first = errors[0] as CommandError;
  await work.event('command_failed', { actor, reason: first.reason, data: { errors: errors.map((e) => ({ line: truncate(e.line, 200), reason: e.reason })) } });
  await work.send(
    { address: actor, language: 'en' },
    'command_error',
    { ticket: work.theCase.ticket, line: errors.map((e) => e.line).join('\n'), reason: errors.map((e) => `${e.line}: ${e.reason}`).join('\n') },
    { kind: 'command_error', autoSubmitted: 'auto-replied', dedupeKey: undefined },
  );
}

/** A further message after our response: relayed as is, the case's state unchanged. */
async function relayFollowUp(work: CaseWork, text: string, attachments: Attachment[]): Promise<void> {
  await work.send(
    work.complainant,
    'response',
    { ticket: work.theCase.ticket, brandName: work.brand.name, text },
    { kind: 'relay', autoSubmitted: null, role: 'specialist', relayed: true, attachments },
  );
}

/** The specialist's attachments go along; inline images (logos, signatures) do not. */
function relayableAttachments(incoming: Incoming): Attachment[] {
  return (incoming.parsed?.attachments ?? [])
    .filter((attachment) => attachment.contentDisposition !== 'inline' && attachment.content.length > 0)
    .slice(0, 20)
    .map((attachment, index) => ({
      filename: attachmentLabel(attachment.filename, index),
      content: attachment.content,
      contentType: attachment.contentType || 'application/octet-stream',
    }));
}

/**
 * Names come from mail: never trusted as a path, only as a label. Path
 * separators, control characters and bidirectional overrides (which make
 * "invoice\u202efdp.exe" read as "invoiceexe.pdf") become '_'; a name of dots
 * only, or none, becomes attachment-N. At most 200 characters, never cutting
 * a character in two.
 */
function attachmentLabel(name: string | undefined, index: number): string {
  // eslint-disable-next-line no-control-regex -- control characters are what is replaced
  const label = Array.from((name ?? '').replace(/[\\/\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, '_').trim()).slice(0, 200).join('');
  return /^[.\s]*$/.test(label) ? `attachment-${index + 1}` : label;
}
