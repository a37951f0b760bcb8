import { summariseEvidence, type CaseEvidence } from '../../mail/evidence/index.js';

/**
 * A case's evidence: the same plain-text account the specialist's notice
 * carries, and the stored record itself (bounded) for whoever needs detail.
 * Stored evidence holds headers, addresses and URLs, never a message body.
 */

const MAX_JSON = 20_000;

function isCaseEvidence(value: unknown): value is CaseEvidence {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.grade === 'string' && Array.isArray(v.reportedMessages) && Array.isArray(v.origins) && Array.isArray(v.problems);
}

function summary(evidence: unknown): string | null {
  if (!isCaseEvidence(evidence)) return null;
  try {
    return summariseEvidence(evidence);
  } catch (error) {
    // Evidence written by an older version may not fit today's shape; the raw record still shows.
    return `(summary unavailable: ${(error as Error).message})`;
  }
}

function suggested(stored: string | null): string | null {
  if (!stored) return null;
  try {
    const m = JSON.parse(stored) as { measure?: string; target?: string; account?: string | null; reason?: string };
    return [m.measure, m.target, m.account ? `(account ${m.account})` : null, m.reason ? `: ${m.reason}` : null].filter(Boolean).join(' ');
  } catch {
    return stored;
  }
}

export function EvidenceSection(props: { evidence: unknown; grade: string | null; suggestedMeasure: string | null }) {
  if (props.evidence === null || props.evidence === undefined) {
    return (
      <section class="panel" id="evidence">
        <h2>Evidence</h2>
        <p class="muted">No evidence recorded.</p>
      </section>
    );
  }
  const json = JSON.stringify(props.evidence, null, 2);
  const text = summary(props.evidence);
  const measure = suggested(props.suggestedMeasure);
  return (
    <section class="panel" id="evidence">
      <h2>Evidence</h2>
      <p>
        {`grade: ${props.grade ?? 'not graded'}`}
        {measure ? ` · suggested measure: ${measure}` : ''}
      </p>
      {text ? <pre class="evidence-summary">{text}</pre> : null}
      <details>
        <summary>stored record</summary>
        <pre>{json.length > MAX_JSON ? `${json.slice(0, MAX_JSON)}\n…` : json}</pre>
      </details>
    </section>
  );
}
