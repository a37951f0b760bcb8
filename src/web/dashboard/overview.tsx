import type { Db } from '../../db/index.js';
import type { Queues } from '../../queue/queues.js';
import { ChartPanel, fromBuckets, fromCounts } from './charts.js';
import { DeadLetterPanel } from './dead-letters.js';
import { Layout, span, Time, caseHref } from './layout.js';
import {
  buckets,
  CASE_DAYS,
  caseBreakdown,
  casesOverTime,
  deadLetters,
  headline,
  nearestDeadlines,
  queueDepths,
  QUEUE_STATES,
  REFUSAL_DAYS,
  refusalsPerDay,
  slaPerWeek,
  startOfUtcDay,
  startOfUtcWeek,
  WEEKS,
  type Headline,
  type NearestDeadline,
  type SlaRow,
} from './queries.js';

/** Everything the overview shows, fetched at once. */
export async function loadOverview(db: Db, queues: Queues, now: Date) {
  const [totals, breakdown, refusals, cases, sla, nearest, dead, depths] = await Promise.all([
    headline(db, now),
    caseBreakdown(db),
    refusalsPerDay(db, now),
    casesOverTime(db, now),
    slaPerWeek(db, now),
    nearestDeadlines(db),
    deadLetters(db),
    queueDepths(queues),
  ]);
  return { now, totals, breakdown, refusals, cases, sla, nearest, dead, depths };
}

type Overview = Awaited<ReturnType<typeof loadOverview>>;

const SLA_KEYS = ['met', 'breached', 'pending'];

function Headlines(props: { totals: Headline }) {
  const t = props.totals;
  const items: Array<[string, number, string?]> = [
    ['cases', t.cases, '/admin/cases'],
    ['open', t.open],
    ['overdue', t.overdue, '/admin/cases?overdue=1'],
    ['accepted (24 h)', t.accepted24h],
    ['refused (24 h)', t.refusals24h],
  ];
  return (
    <section class="headline">
      {items.map(([label, value, href]) => (
        <div class="stat">
          <span class="value">{href ? <a href={href}>{value}</a> : value}</span>
          <span class="label">{label}</span>
        </div>
      ))}
    </section>
  );
}

function NearestTable(props: { rows: NearestDeadline[]; now: Date }) {
  return (
    <section class="panel" id="nearest">
      <h2>Open cases nearest their deadline</h2>
      <table>
        <thead>
          <tr>
            <th>ticket</th>
            <th>deadline</th>
            <th>due</th>
            <th class="num">left</th>
            <th>kind</th>
            <th>state</th>
            <th>brand</th>
            <th>subject</th>
          </tr>
        </thead>
        <tbody>
          {props.rows.length === 0 ? (
            <tr>
              <td colspan={8} class="muted">
                no open promises
              </td>
            </tr>
          ) : (
            props.rows.map((row) => {
              const left = row.dueAt.getTime() - props.now.getTime();
              return (
                <tr class={left < 0 ? 'overdue' : ''}>
                  <td>
                    <a href={caseHref(row.case.ticket)}>{row.case.ticket}</a>
                  </td>
                  <td>{row.step > 0 ? `${row.kind} (step ${row.step})` : row.kind}</td>
                  <td>
                    <Time at={row.dueAt} />
                  </td>
                  <td class="num">{span(left)}</td>
                  <td>{row.case.kind}</td>
                  <td>{row.case.state}</td>
                  <td>{row.case.brand}</td>
                  <td class="subject">{row.case.subject}</td>
                </tr>
              );
            })
          )}
        </tbody>
      </table>
    </section>
  );
}

function SlaSection(props: { rows: SlaRow[]; weeks: string[] }) {
  const kinds = [...new Set(props.rows.map((row) => row.kind))].sort();
  const sum = (kind: string, key: string) => props.rows.filter((r) => r.kind === kind && r.key === key).reduce((n, r) => n + r.count, 0);
  return (
    <section class="panel" id="sla">
      <h2>SLA compliance by deadline kind</h2>
      <p class="muted">{`Deadlines by the week the promise was made, last ${WEEKS} weeks: met on time, breached (a late answer included), or still pending. Judged against the original promise.`}</p>
      <table class="numbers" id="sla-summary">
        <thead>
          <tr>
            <th>deadline kind</th>
            {SLA_KEYS.map((key) => (
              <th class="num">{key}</th>
            ))}
            <th class="num">on time</th>
          </tr>
        </thead>
        <tbody>
          {kinds.length === 0 ? (
            <tr>
              <td colspan={5} class="muted">
                no deadlines yet
              </td>
            </tr>
          ) : (
            kinds.map((kind) => {
              const met = sum(kind, 'met');
              const settled = met + sum(kind, 'breached');
              return (
                <tr>
                  <td>{kind}</td>
                  {SLA_KEYS.map((key) => (
                    <td class="num">{sum(kind, key)}</td>
                  ))}
                  <td class="num">{settled === 0 ? '—' : `${Math.round((met / settled) * 100)} %`}</td>
                </tr>
              );
            })
          )}
        </tbody>
      </table>
      <div class="series">
        {kinds.map((kind) => (
          <ChartPanel
            id={`sla-${kind}`}
            title={`${kind}: promises made per week`}
            labelHeading="week of"
            skipEmpty
            spec={fromBuckets(
              props.rows.filter((row) => row.kind === kind),
              props.weeks,
              SLA_KEYS,
            )}
          />
        ))}
      </div>
    </section>
  );
}

function QueueTable(props: { depths: Overview['depths'] }) {
  return (
    <section class="panel" id="queues">
      <h2>Queues</h2>
      <table class="numbers">
        <thead>
          <tr>
            <th>queue</th>
            {QUEUE_STATES.map((state) => (
              <th class="num">{state}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {props.depths.map((row) => (
            <tr>
              <td>
                <a href={`/admin/queues/queue/${row.queue}`}>{row.queue}</a>
              </td>
              {QUEUE_STATES.map((state) => (
                <td class={row.counts[state] > 0 && state === 'failed' ? 'num bad' : 'num'}>{row.counts[state]}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
      <p>
        <a href="/admin/queues">Open the queue board</a> to retry, promote or clean jobs.
      </p>
    </section>
  );
}

export function OverviewPage(props: { data: Overview }) {
  const { data } = props;
  const days = (count: number) => buckets(startOfUtcDay(data.now), count, 1);
  const weeks = buckets(startOfUtcWeek(data.now), WEEKS, 7);
  return (
    <Layout title="Overview" charts>
      <Headlines totals={data.totals} />
      <DeadLetterPanel dead={data.dead} />
      <NearestTable rows={data.nearest} now={data.now} />
      <div class="grid">
        <ChartPanel id="by-kind" title="Cases by kind" labelHeading="kind" spec={fromCounts(data.breakdown.byKind)} />
        <ChartPanel id="by-state" title="Cases by state" labelHeading="state" spec={fromCounts(data.breakdown.byState, 'bar')} />
        <ChartPanel id="by-language" title="Cases by language" labelHeading="language" spec={fromCounts(data.breakdown.byLanguage)} />
        <ChartPanel id="by-brand" title="Cases by brand" labelHeading="brand" spec={fromCounts(data.breakdown.byBrand)} />
      </div>
      <ChartPanel id="cases-per-week" title={`Cases per week (last ${WEEKS})`} labelHeading="week of" skipEmpty spec={fromBuckets(data.cases.perWeek, weeks)} />
      <ChartPanel id="cases-per-day" title={`Cases per day (last ${CASE_DAYS})`} labelHeading="day" skipEmpty spec={fromBuckets(data.cases.perDay, days(CASE_DAYS))} />
      <ChartPanel
        id="refusals"
        title={`SMTP refusals by reason per day (last ${REFUSAL_DAYS})`}
        labelHeading="day"
        skipEmpty
        spec={fromBuckets(data.refusals, days(REFUSAL_DAYS))}
      />
      <SlaSection rows={data.sla} weeks={weeks} />
      <QueueTable depths={data.depths} />
    </Layout>
  );
}
