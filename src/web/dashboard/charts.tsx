import { DataBlock } from './layout.js';
import type { Bucketed, Count } from './queries.js';

/**
 * A chart and its numbers: the canvas is drawn by Chart.js from the JSON data
 * block (assets/dashboard.js), and the same figures stand in a table beside
 * it, so the page reads the same without JavaScript.
 */

export interface ChartSpec {
  type: 'bar' | 'doughnut';
  labels: string[];
  series: Array<{ name: string; values: number[]; color?: string }>;
  stacked?: boolean;
}

/** Fixed colours where a colour means something; the script picks the rest. */
export const STATUS_COLOURS: Record<string, string> = {
  met: '#2e7d32',
  breached: '#c62828',
  pending: '#f9a825',
};

export function fromCounts(rows: Count[], type: ChartSpec['type'] = 'doughnut', name = 'cases'): ChartSpec {
  return { type, labels: rows.map((row) => row.key), series: [{ name, values: rows.map((row) => row.count) }] };
}

/** Rows of (bucket, key, count) as one stacked series per key over the given buckets. */
export function fromBuckets(rows: Bucketed[], labels: string[], keys?: string[]): ChartSpec {
  const names = keys ?? [...new Set(rows.map((row) => row.key))].sort();
  const index = new Map(labels.map((label, i) => [label, i]));
  const series = names.map((name) => ({ name, values: labels.map(() => 0), color: STATUS_COLOURS[name] }));
  for (const row of rows) {
    const at = index.get(row.bucket);
    const target = series.find((s) => s.name === row.key);
    if (at !== undefined && target) target.values[at] = (target.values[at] ?? 0) + row.count;
  }
  return { type: 'bar', labels, series, stacked: true };
}

function total(values: number[]): number {
  return values.reduce((sum, value) => sum + value, 0);
}

/** The chart's numbers; rows that are all zero are left out of long series. */
export function ChartTable(props: { spec: ChartSpec; labelHeading: string; skipEmpty?: boolean }) {
  const { spec } = props;
  const rows = spec.labels
    .map((label, i) => ({ label, values: spec.series.map((s) => s.values[i] ?? 0) }))
    .filter((row) => !props.skipEmpty || total(row.values) > 0);
  const single = spec.series.length === 1;
  return (
    <table class="numbers">
      <thead>
        <tr>
          <th>{props.labelHeading}</th>
          {spec.series.map((s) => (
            <th class="num">{s.name}</th>
          ))}
          {single ? null : <th class="num">total</th>}
        </tr>
      </thead>
      <tbody>
        {rows.length === 0 ? (
          <tr>
            <td colspan={spec.series.length + 2} class="muted">
              none
            </td>
          </tr>
        ) : (
          rows.map((row) => (
            <tr>
              <td>{row.label}</td>
              {row.values.map((value) => (
                <td class="num">{value}</td>
              ))}
              {single ? null : <td class="num">{total(row.values)}</td>}
            </tr>
          ))
        )}
      </tbody>
      <tfoot>
        <tr>
          <th>total</th>
          {spec.series.map((s) => (
            <th class="num">{total(s.values)}</th>
          ))}
          {single ? null : <th class="num">{total(spec.series.flatMap((s) => s.values))}</th>}
        </tr>
      </tfoot>
    </table>
  );
}

export function ChartPanel(props: { id: string; title: string; spec: ChartSpec; labelHeading: string; skipEmpty?: boolean; note?: string }) {
  const dataId = `chart-data-${props.id}`;
  return (
    <section class="panel" id={props.id}>
      <h2>{props.title}</h2>
      {props.note ? <p class="muted">{props.note}</p> : null}
      <div class="figure">
        <div class="chart">
          <canvas data-chart={dataId} role="img" aria-label={props.title}></canvas>
        </div>
        <DataBlock id={dataId} value={props.spec} />
        <div class="table-wrap">
          <ChartTable spec={props.spec} labelHeading={props.labelHeading} skipEmpty={props.skipEmpty} />
        </div>
      </div>
    </section>
  );
}
