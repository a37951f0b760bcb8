import { incidentHref } from './incidents.js';
import type { CaseView } from '../../cases/view.js';
import { Layout, span, Time } from './layout.js';
import type { CaseExtras } from './queries.js';
import { EvidenceSection } from './evidence.js';
import { CaseActions } from './case-actions.js';

/**
 * One case, whole: who, the authentication verdict, the promises and how they
 * were kept, every message in and out and every event, measures and evidence.
 * Message bodies are never shown; subjects and addresses are, escaped.
 */

type Entry =
  | { at: string; what: 'message'; message: CaseView['messages'][number] }
  | { at: string; what: 'event'; event: CaseView['events'][number] };

function compact(value: unknown, max = 300): string {
  if (value === null || value === undefined) return '';
  const text = JSON.stringify(value);
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/** The settled margin, in working time (the calendar's hours, not the wall clock's). */
function margin(minutes: number | null): string {
  if (minutes === null) return '';
  if (minutes === 0) return 'on the minute';
  const abs = Math.abs(minutes);
  return `${Math.floor(abs / 60)}h ${String(abs % 60).padStart(2, '0')}m working time ${minutes > 0 ? 'late' : 'early'}`;
}

function Summary(props: { view: CaseView; extras: CaseExtras }) {
  const v = props.view;
  const rows: Array<[string, unknown]> = [
    ['kind', v.abuseType ? `${v.kind} (${v.abuseType})` : v.kind],
    ['state', v.state],
    ['priority', v.priority],
    ['incident', v.incident ? <a href={incidentHref(v.incident.id)}>{`${v.incident.target}: ${v.incident.reportCount} report(s), ${v.incident.state}`}</a> : '—'],
    ['brand', v.brand],
    ['language', v.language],
    ['subject', v.subject],
    ['complainant', v.complainant.name ? `${v.complainant.name} <${v.complainant.address}>` : v.complainant.address],
    ['parties', v.parties.map((p) => `${p.role}: ${p.address}`).join('; ')],
    ['assignee', v.assignee ?? '—'],
    ['silent (machine report)', v.silent ? 'yes' : 'no'],
    ['escalation step', String(props.extras.escalationStep)],
    ['received', <Time at={v.receivedAt} />],
    ['responded', <Time at={v.respondedAt} />],
    ['resolved', v.resolvedAt ? <span><Time at={v.resolvedAt} /> {v.resolution ?? ''}</span> : <Time at={null} />],
  ];
  return (
    <dl class="summary">
      {rows.map(([label, value]) => (
        <>
          <dt>{label}</dt>
          <dd class={label === 'subject' ? 'subject' : ''}>{value}</dd>
        </>
      ))}
    </dl>
  );
}

function Verdict(props: { auth: CaseView['auth'] }) {
  const a = props.auth;
  if (!a) return <p class="muted">No authentication verdict recorded.</p>;
  return (
    <table class="numbers" id="verdict">
      <tbody>
        <tr><th>verified</th><td class={a.verified ? 'good' : 'bad'}>{a.verified ? 'yes' : 'no'}</td></tr>
        <tr><th>From domain</th><td>{a.fromDomain ?? '—'}</td></tr>
        <tr><th>SPF</th><td>{a.spf}</td></tr>
        <tr><th>DKIM</th><td>{a.dkim}</td></tr>
        <tr><th>DMARC</th><td>{a.dmarc}</td></tr>
        <tr><th>ARC</th><td>{a.arc}</td></tr>
      </tbody>
    </table>
  );
}

function Deadlines(props: { deadlines: CaseView['deadlines']; now: Date }) {
  if (props.deadlines.length === 0) return <p class="muted">No deadlines.</p>;
  return (
    <table id="deadlines">
      <thead>
        <tr><th>deadline</th><th>status</th><th>promised</th><th>due</th><th>met</th><th>margin</th></tr>
      </thead>
      <tbody>
        {props.deadlines.map((d) => {
          const open = d.status === 'pending' || (d.status === 'breached' && !d.metAt);
          const left = new Date(d.dueAt).getTime() - props.now.getTime();
          return (
            <tr class={d.status}>
              <td>{d.step > 0 ? `${d.kind} (step ${d.step})` : d.kind}</td>
              <td class={d.status === 'met' ? 'good' : d.status === 'breached' ? 'bad' : ''}>{d.status}</td>
              <td><Time at={d.originalDueAt} /></td>
              <td><Time at={d.dueAt} /></td>
              <td><Time at={d.metAt} /></td>
              <td>{open ? `${span(left)} ${left < 0 ? 'overdue' : 'left'}` : margin(d.marginWorkingMinutes)}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

function Timeline(props: { view: CaseView; extras: CaseExtras }) {
  const delivery = new Map(props.extras.messages.map((m) => [m.messageId, m]));
  const entries: Entry[] = [
    ...props.view.messages.map((message) => ({ at: message.at, what: 'message' as const, message })),
    ...props.view.events.map((event) => ({ at: event.at, what: 'event' as const, event })),
  ].sort((a, b) => a.at.localeCompare(b.at) || (a.what === b.what ? 0 : a.what === 'message' ? -1 : 1));
  return (
    <table id="timeline">
      <thead>
        <tr><th>when</th><th>what</th><th>who</th><th>details</th></tr>
      </thead>
      <tbody>
        {entries.map((entry) => {
          if (entry.what === 'event') {
            const e = entry.event;
            return (
              <tr class="event">
                <td><Time at={e.at} /></td>
                <td>{`event: ${e.type}`}</td>
                <td>{e.actor}</td>
                <td>
                  {e.reason ? <div>{e.reason}</div> : null}
                  {e.data ? <code class="data">{compact(e.data)}</code> : null}
                </td>
              </tr>
            );
          }
          const m = entry.message;
          const sent = delivery.get(m.messageId);
          return (
            <tr class={`message ${m.direction}`}>
              <td><Time at={m.at} /></td>
              <td>{`${m.direction === 'in' ? '← in' : '→ out'}: ${m.kind}`}{m.relayed ? <span class="tag">relayed</span> : null}</td>
              <td>{m.role}</td>
              <td>
                <div class="subject">{m.subject}</div>
                <div class="muted">{`${m.from} → ${m.to.join(', ')}`}</div>
                {m.status ? (
                  <div class={m.status === 'dead' || m.status === 'failed' ? 'bad' : ''}>
                    {`status: ${m.status}`}
                    {sent && sent.attempts > 0 ? `, ${sent.attempts} attempt(s)` : ''}
                    {sent?.lastError ? ` — ${sent.lastError}` : ''}
                  </div>
                ) : null}
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

function Measures(props: { measures: CaseView['measures'] }) {
  if (props.measures.length === 0) return <p class="muted">No measures.</p>;
  return (
    <table id="measures">
      <thead>
        <tr><th>measure</th><th>target</th><th>account</th><th>status</th><th>requested</th><th>done</th></tr>
      </thead>
      <tbody>
        {props.measures.map((m) => (
          <tr>
            <td>{m.measure}</td>
            <td>{m.target}</td>
            <td>{m.account ?? '—'}</td>
            <td>{m.status}</td>
            <td><Time at={m.at} /></td>
            <td><Time at={m.doneAt} /></td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function CasePage(props: { view: CaseView; extras: CaseExtras; now: Date }) {
  const { view, extras } = props;
  return (
    <Layout title={`Case ${view.ticket}`}>
      <p><a href="/admin/cases">← all cases</a></p>
      <Summary view={view} extras={extras} />
      <CaseActions ticket={view.ticket} />
      <section class="panel"><h2>Authentication verdict</h2><Verdict auth={view.auth} /></section>
      <section class="panel"><h2>Deadlines</h2><Deadlines deadlines={view.deadlines} now={props.now} /></section>
      <section class="panel"><h2>Timeline</h2><Timeline view={view} extras={extras} /></section>
      <section class="panel"><h2>Measures</h2><Measures measures={view.measures} /></section>
      <EvidenceSection evidence={view.evidence} grade={extras.evidenceGrade} suggestedMeasure={extras.suggestedMeasure} />
    </Layout>
  );
}
