import { Hono } from 'hono';
import { z } from 'zod';
import { actionSchema, ActionConflict, CaseNotFound, runCaseAction } from '../../cases/actions.js';
import type { CaseDeps } from '../../cases/context.js';
import { InvalidTransitionError } from '../../cases/state.js';
import { caseView } from '../../cases/view.js';
import { readJson } from './input.js';

const bodySchema = z.intersection(actionSchema, z.object({ actor: z.string().trim().min(1).max(320).optional() }));

/** POST /api/cases/:ticket/actions — the same actions specialists run by email. */
export function actionsApi(deps: CaseDeps) {
  const api = new Hono();
  api.post('/cases/:ticket/actions', async (c) => {
    const json = await readJson(c);
    if (json instanceof Response) return json;
    const parsed = bodySchema.safeParse(json.body);
    if (!parsed.success) {
      return c.json({ error: parsed.error.issues.map((issue) => `${issue.path.join('.') || 'body'}: ${issue.message}`).join('; ') }, 400);
    }
    const { actor, ...action } = parsed.data;
    const ticket = c.req.param('ticket');
    try {
      await runCaseAction(deps, ticket, action, { actor: actor ?? 'api' });
    } catch (error) {
      if (error instanceof CaseNotFound) return c.json({ error: error.message }, 404);
      if (error instanceof ActionConflict || error instanceof InvalidTransitionError) return c.json({ error: error.message }, 409);
      throw error;
    }
    return c.json(await caseView(deps.db, ticket));
  });
  return api;
}
