import type { DomainView, IncidentFilters, IncidentSummary, IncidentView } from '../../cases/incident-view.js';
import { caseHref, Layout, Time } from './layout.js';

/**
 * Incidents (reports about one domain or range, worked once) and what the
 * desk holds about one domain. Every value from mail or the operator's tables
 * goes through hono/jsx's escaping (layout.tsx).
 */

export function incidentHref(id: string): string {
  return `/admin/incidents/${encodeURIComponent(id)}`;
}

export function domainHref(domain: string): string {
  return `/admin/domains/${encodeURIComponent(domain)}`;
}

function query(values: Record<string, string | undefined>): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(values)) if (value) params.set(key, value);
  const text = params.toString();
  return text ? `?${text}` : '';
}

function IncidentRows(props: { items: IncidentSummary[]; now: Date }) {
  return (
    <table id="incidents">
      <thead>
        <tr>
          <th>target</th>
          <th>type</th>
          <th>state</th>
          <th>reports</th>
          <th>first seen</th>
          <th>last seen</th>
          <th>account</th>
          <th>first case</th>
          <th>mitigation due</th>
        </tr>
      </thead>
      <tbody>
        {props.items.length === 0 ? (
          <tr>
            <td colspan={9} class="muted">
              no incidents match
            </td>
          </tr>
        ) : (
          props.items.map((item) => {
            const overdue = item.mitigateBy !== null && new Date(item.mitigateBy).getTime() < props.now.getTime();
            return (
              <tr class={overdue ? 'overdue' : ''}>
                <td>
                  <a href={incidentHref(item.id)}>{item.target}</a>
                </td>
                <td>{item.abuseType ?? '—'}</td>
                <td>{item.outcome ? `${item.state} (${item.outcome})` : item.state}</td>
                <td class="count">{item.reportCount}</td>
                <td>
                  <Time at={item.firstReportAt} />
                </td>
                <td>
                  <Time at={item.lastReportAt} />
                </td>
                <td>{item.account ?? '—'}</td>
                <td>
                  <a href={caseHref(item.primaryTicket)}>{item.primaryTicket}</a>
                </td>
                <td>
                  <Time at={item.mitigateBy} />
                  {overdue ? <span class="bad"> overdue</span> : null}
                </td>
              </tr>
            );
          })
        )}
      </tbody>
    </table>
  );
}

export function IncidentsPage(props: { filters: IncidentFilters; items: IncidentSummary[]; nextCursor: string | null; now: Date }) {
  const f = props.filters;
  return (
    <Layout title="Incidents">
      <form method="get" action="/admin/incidents" class="filters" id="incident-filters">
        <label>
          State
          <select name="state">
            <option value="">any</option>
            {['open', 'closed'].map((state) => (
              <option value={state} selected={state === f.state}>
                {state}
              </option>
            ))}
          </select>
        </label>
        <label>
          Domain
          <input type="text" name="domain" value={f.domain ?? ''} placeholder="example.com" />
        </label>
        <label>
          Account
          <input type="text" name="account" value={f.account ?? ''} />
        </label>
        <button type="submit">Filter</button>
        <a href="/admin/incidents">clear</a>
      </form>
      <IncidentRows items={props.items} now={props.now} />
      <nav class="pager">
        {props.nextCursor ? (
          <a href={`/admin/incidents${query({ ...f, cursor: props.nextCursor })}`} rel="next" id="next-page">
            next page
          </a>
        ) : null}
      </nav>
    </Layout>
  );
}

export function IncidentPage(props: { view: IncidentView; now: Date }) {
  const v = props.view;
  return (
    <Layout title={`Incident ${v.target}`}>
      <dl class="facts" id="incident-facts">
        <dt>state</dt>
        <dd>{v.outcome ? `${v.state} (${v.outcome})` : v.state}</dd>
        <dt>type</dt>
        <dd>{v.abuseType ?? '—'}</dd>
        <dt>reports</dt>
        <dd>{v.reportCount}</dd>
        <dt>first seen</dt>
        <dd>
          <Time at={v.firstReportAt} />
        </dd>
        <dt>last seen</dt>
        <dd>
          <Time at={v.lastReportAt} />
        </dd>
        <dt>mitigation due</dt>
        <dd>
          <Time at={v.mitigateBy} />
        </dd>
        <dt>domain</dt>
        <dd>{v.kind === 'domain' ? <a href={domainHref(v.target)}>{v.target}</a> : v.target}</dd>
        <dt>account</dt>
        <dd>{v.account ?? '—'}</dd>
      </dl>
      <h2>Reports</h2>
      <table id="incident-cases">
        <thead>
          <tr>
            <th>ticket</th>
            <th>received</th>
            <th>reporter</th>
            <th>language</th>
            <th>state</th>
          </tr>
        </thead>
        <tbody>
          {v.cases.map((c) => (
            <tr>
              <td>
                <a href={caseHref(c.ticket)}>{c.ticket}</a>
                {c.ticket === v.primaryTicket ? <span class="muted"> (first: hearing, clock, measures)</span> : null}
              </td>
              <td>
                <Time at={c.receivedAt} />
              </td>
              <td>{c.reporter}</td>
              <td>{c.language}</td>
              <td>{c.state}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h2>Measures</h2>
      {v.measures.length === 0 ? (
        <p class="muted">none</p>
      ) : (
        <ul id="incident-measures">
          {v.measures.map((m) => (
            <li>
              {m.operation === 'lift' ? 'lift of ' : ''}
              {m.measure} {m.target}: {m.status} <Time at={m.doneAt ?? m.at} />
            </li>
          ))}
        </ul>
      )}
    </Layout>
  );
}

export function DomainPage(props: { view: DomainView; now: Date }) {
  const v = props.view;
  return (
    <Layout title={`Domain ${v.domain}`}>
      <dl class="facts" id="domain-facts">
        <dt>managed by us</dt>
        <dd>{v.managed ? `yes${v.managed.created ? `, registered ${v.managed.created}` : ''}` : 'no'}</dd>
        <dt>account</dt>
        <dd>{v.account ? `${v.account.account}: ${v.account.name} <${v.account.email}> (${v.account.language})` : (v.managed?.account ?? '—')}</dd>
        <dt>the account's other domains</dt>
        <dd>
          {v.otherDomains.length === 0
            ? '—'
            : v.otherDomains.map((domain, i) => (
                <>
                  {i > 0 ? ', ' : ''}
                  <a href={domainHref(domain)}>{domain}</a>
                </>
              ))}
        </dd>
      </dl>
      <h2>Incidents</h2>
      <IncidentRows items={v.incidents} now={props.now} />
      <h2>Cases</h2>
      <ul id="domain-cases">
        {v.cases.length === 0 ? <li class="muted">none</li> : null}
        {v.cases.map((c) => (
          <li>
            <a href={caseHref(c.ticket)}>{c.ticket}</a> {c.abuseType ?? c.kind}, {c.state}, <Time at={c.receivedAt} />
          </li>
        ))}
      </ul>
      <h2>Measures</h2>
      <ul id="domain-measures">
        {v.measures.length === 0 ? <li class="muted">none</li> : null}
        {v.measures.map((m) => (
          <li>
            <a href={caseHref(m.ticket)}>{m.ticket}</a> {m.operation === 'lift' ? 'lift of ' : ''}
            {m.measure} {m.target}: {m.status}
          </li>
        ))}
      </ul>
    </Layout>
  );
}
