import { Hono } from 'hono';
import { actionSchema, ActionConflict, CaseNotFound, runCaseAction } from '../../cases/actions.js';
import type { CaseDeps } from '../../cases/context.js';
import { InvalidTransitionError } from '../../cases/state.js';
import { caseView } from '../../cases/view.js';
import { readJson } from './input.js';

/**
 * POST /api/cases/:ticket/actions — the same actions specialists run by email,
 * recorded under the account the token belongs to. The body cannot name
 * someone else: an `actor` field is refused, not ignored, so a script that
 * still sends one learns that it no longer means anything.
 */
export function actionsApi(deps: CaseDeps) {
  const api = new Hono();
  api.post('/cases/:ticket/actions', async (c) => {
    const json = await readJson(c);
    if (json instanceof Response) return json;
    if (json.body !== null && typeof json.body === 'object' && Object.hasOwn(json.body, 'actor')) {
      return c.json({ error: 'actor: not accepted; an action is recorded under the account whose token makes the request' }, 400);
    }
    const parsed = actionSchema.safeParse(json.body);
    if (!parsed.success) {
      return c.json({ error: parsed.error.issues.map((issue) => `${issue.path.join('.') || 'body'}: ${issue.message}`).join('; ') }, 400);
    }
    const ticket = c.req.param('ticket');
    try {
      await runCaseAction(deps, ticket, parsed.data, { actor: c.get('staff').name });
    } catch (error) {
      if (error instanceof CaseNotFound) return c.json({ error: error.message }, 404);
      if (error instanceof ActionConflict || error instanceof InvalidTransitionError) return c.json({ error: error.message }, 409);
      throw error;
    }
    return c.json(await caseView(deps.db, ticket));
  });
  return api;
}
