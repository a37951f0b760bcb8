import { Hono } from 'hono';
import { tryGetContext } from 'hono/context-storage';
import { actionSchema, ActionConflict, CaseNotFound, runCaseAction } from '../../cases/actions.js';
import type { CaseDeps } from '../../cases/context.js';
import { InvalidTransitionError } from '../../cases/state.js';
import { hasRole } from '../../staff/roles.js';
import { caseHref, CsrfField, ErrorPage, page } from './layout.js';

/**
 * A case's actions on its page, for specialists and admins: the same actions
 * as the API and the email commands, recorded under the signed-in account.
 */

const ACTIONS: Array<[value: string, label: string]> = [
  ['respond', 'respond to the complainant (text)'],
  ['need-info', 'ask the complainant for information (text)'],
  ['note', 'internal note (text)'],
  ['assign', 'assign (to)'],
  ['extend', 'extend the response deadline (until, reason)'],
  ['resolve', 'resolve (outcome)'],
  ['measure', 'measure (measure, target)'],
  ['dismiss', 'dismiss the proposed measure (reason)'],
  ['record-postal-escalation', 'record an escalation received by post'],
];

const FIELDS = ['text', 'to', 'until', 'reason', 'outcome', 'measure', 'target'] as const;

export function CaseActions(props: { ticket: string }) {
  const c = tryGetContext();
  const staff = c?.get('staff');
  if (!staff || !hasRole(staff.role, 'specialist')) return null;
  const done = c?.req.query('done');
  return (
    <section class="panel" id="case-actions">
      <h2>Act on this case</h2>
      {done ? (
        <p class="notice" id="action-done">
          Done: {done}, recorded under {staff.name}.
        </p>
      ) : null}
      <form method="post" action={`${caseHref(props.ticket)}/actions`} class="stacked">
        <CsrfField />
        <label>
          Action
          <select name="action">
            {ACTIONS.map(([value, label]) => (
              <option value={value}>{label}</option>
            ))}
          </select>
        </label>
        <label>
          Text
          <textarea name="text" rows={5}></textarea>
        </label>
        <label>
          To (e-mail address)
          <input name="to" type="email" />
        </label>
        <label>
          Until
          <input name="until" type="date" />
        </label>
        <label>
          Reason
          <input name="reason" />
        </label>
        <label>
          Outcome
          <input name="outcome" />
        </label>
        <label>
          Measure
          <select name="measure">
            <option value="">—</option>
            <option value="suspend-domain">suspend-domain</option>
            <option value="block-account">block-account</option>
            <option value="deactivate-service">deactivate-service</option>
          </select>
        </label>
        <label>
          Target (domain, account or IP)
          <input name="target" />
        </label>
        <button type="submit">Do it</button>
      </form>
    </section>
  );
}

/** POST /admin/cases/:ticket/actions: the role and the CSRF token were checked by the guard. */
export function caseActionRoutes(deps: CaseDeps): Hono {
  const routes = new Hono();
  routes.post('/cases/:ticket/actions', async (c) => {
    const ticket = c.req.param('ticket');
    const body = await c.req.parseBody();
    // Only the fields given: an empty box is no value.
    const given: Record<string, string> = { action: typeof body.action === 'string' ? body.action : '' };
    for (const field of FIELDS) {
      const value = body[field];
      if (typeof value === 'string' && value.trim() !== '') given[field] = value;
    }
    const parsed = actionSchema.safeParse(given);
    const refuse = (status: 400 | 404 | 409, message: string) => c.html(page(<ErrorPage title="Not done" message={message} back={caseHref(ticket)} />), status);
    if (!parsed.success) return refuse(400, parsed.error.issues.map((issue) => `${issue.path.join('.') || 'form'}: ${issue.message}`).join('; '));
    try {
      await runCaseAction(deps, ticket, parsed.data, { actor: c.get('staff').name });
    } catch (error) {
      if (error instanceof CaseNotFound) return refuse(404, error.message);
      if (error instanceof ActionConflict || error instanceof InvalidTransitionError) return refuse(409, error.message);
      throw error;
    }
    return c.redirect(`${caseHref(ticket)}?done=${encodeURIComponent(parsed.data.action)}`, 303);
  });
  return routes;
}
