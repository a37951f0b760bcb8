import { LANGUAGES } from '../../config/brands.js';
import { CASE_KINDS, CASE_STATES } from '../../cases/model.js';
import type { CaseFilters, CaseSummary } from '../../cases/view.js';
import { filterQuery } from './filters.js';
import { caseHref, Layout, Time } from './layout.js';

/** The case list: a GET form of filters, a page of cases, a link to the next page and to the CSV. */

function Select(props: { name: string; label: string; options: readonly string[]; value: string | undefined }) {
  return (
    <label>
      {props.label}
      <select name={props.name}>
        <option value="">any</option>
        {props.options.map((option) => (
          <option value={option} selected={option === props.value}>
            {option}
          </option>
        ))}
      </select>
    </label>
  );
}

function FilterForm(props: { filters: CaseFilters; brands: string[]; limit: number | null }) {
  const f = props.filters;
  return (
    <form method="get" action="/admin/cases" class="filters" id="filters">
      <Select name="state" label="State" options={CASE_STATES} value={f.state} />
      <Select name="kind" label="Kind" options={CASE_KINDS} value={f.kind} />
      <Select name="brand" label="Brand" options={props.brands} value={f.brand} />
      <Select name="language" label="Language" options={LANGUAGES} value={f.language} />
      <label>
        Complainant
        <input type="email" name="complainant" value={f.complainant ?? ''} placeholder="address" />
      </label>
      <label class="check">
        <input type="checkbox" name="overdue" value="1" checked={Boolean(f.overdue)} />
        overdue only
      </label>
      {props.limit ? <input type="hidden" name="limit" value={String(props.limit)} /> : null}
      <button type="submit">Filter</button>
      <a href="/admin/cases">clear</a>
    </form>
  );
}

export function CasesListPage(props: { filters: CaseFilters; brands: string[]; items: CaseSummary[]; limit: number | null; nextCursor: string | null; paged: boolean; now: Date }) {
  const { filters, items, now } = props;
  const query = filterQuery(filters);
  const size: Record<string, string> = props.limit ? { limit: String(props.limit) } : {};
  const pageQuery = filterQuery(filters, size);
  return (
    <Layout title="Cases">
      <FilterForm filters={filters} brands={props.brands} limit={props.limit} />
      <p class="actions">
        <a href={`/admin/cases.csv${query ? `?${query}` : ''}`} id="csv-export">
          Export these cases as CSV
        </a>
      </p>
      <table id="cases">
        <thead>
          <tr>
            <th>ticket</th>
            <th>received</th>
            <th>kind</th>
            <th>state</th>
            <th>language</th>
            <th>brand</th>
            <th>complainant</th>
            <th>subject</th>
            <th>next due</th>
          </tr>
        </thead>
        <tbody>
          {items.length === 0 ? (
            <tr>
              <td colspan={9} class="muted">
                no cases match
              </td>
            </tr>
          ) : (
            items.map((item) => {
              const overdue = item.nextDueAt !== null && new Date(item.nextDueAt).getTime() < now.getTime();
              return (
                <tr class={overdue ? 'overdue' : ''}>
                  <td>
                    <a href={caseHref(item.ticket)}>{item.ticket}</a>
                  </td>
                  <td>
                    <Time at={item.receivedAt} />
                  </td>
                  <td>{item.kind}</td>
                  <td>{item.state}</td>
                  <td>{item.language}</td>
                  <td>{item.brand}</td>
                  <td>{item.complainant.name ? `${item.complainant.name} <${item.complainant.address}>` : item.complainant.address}</td>
                  <td class="subject">{item.subject}</td>
                  <td>
                    <Time at={item.nextDueAt} />
                    {overdue ? <span class="bad"> overdue</span> : null}
                  </td>
                </tr>
              );
            })
          )}
        </tbody>
      </table>
      <nav class="pager">
        {props.paged ? <a href={`/admin/cases${pageQuery ? `?${pageQuery}` : ''}`}>first page</a> : null}
        {props.nextCursor ? (
          <a href={`/admin/cases?${filterQuery(filters, { ...size, cursor: props.nextCursor })}`} rel="next" id="next-page">
            next page
          </a>
        ) : null}
      </nav>
    </Layout>
  );
}
