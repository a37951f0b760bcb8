import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

/**
 * Summarises a V8 .cpuprofile (from `--cpu-prof`): self time by function and
 * by where the code lives (a package, our src/ and workers/, Node's own,
 * garbage collection, idle). `tsx bench/profile.ts FILE [top]` prints it.
 */

interface CpuProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

interface CpuProfile {
  nodes: CpuProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

export interface ProfileRow {
  name: string;
  ms: number;
  share: number;
}

export interface ProfileSummary {
  totalMs: number;
  /** Time the thread did something (everything but idle). */
  busyMs: number;
  byPlace: ProfileRow[];
  byFunction: ProfileRow[];
  /** Time charged to the nearest of our own functions (src/, workers/) on the stack: who asked for it. */
  byOwnCaller: ProfileRow[];
}

/** Where a frame's code lives: a package, our own folders, Node, or a V8 pseudo-frame. */
export function placeOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1] as string;
  if (url.startsWith('node:')) return 'node (built-in)';
  const own = /\/(src\/[^/]+|workers)\//.exec(url);
  if (own) return own[1] as string;
  return url.replace(/^file:\/\//, '');
}

/** A span of CLOCK_MONOTONIC in microseconds (process.hrtime), the clock V8 stamps samples with. */
export interface ProfileWindow {
  fromUs: number;
  toUs: number;
}

export function monotonicUs(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

export function summariseProfile(file: string, top = 15, window?: ProfileWindow): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfUs = new Map<number, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  // Each sample's time is the delta to the next one; its time stamp is the sum of the deltas so far.
  let stamp = profile.startTime;
  for (let i = 0; i < samples.length; i++) {
    stamp += deltas[i] ?? 0;
    if (window && (stamp < window.fromUs || stamp > window.toUs)) continue;
    const id = samples[i] as number;
    selfUs.set(id, (selfUs.get(id) ?? 0) + Math.max(0, deltas[i + 1] ?? 0));
  }
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const own = /\/(src|workers)\/(?!generated\/)/;
  const ownCaller = new Map<number, string>();
  const callerOf = (id: number): string => {
    const known = ownCaller.get(id);
    if (known !== undefined) return known;
    const node = byId.get(id);
    let name = '(none of ours on the stack)';
    if (node && own.test(node.callFrame.url)) {
      name = `${node.callFrame.functionName || '(anonymous)'} ${node.callFrame.url.replace(/^.*\/(src|workers)\//, '$1/')}:${node.callFrame.lineNumber + 1}`;
    } else if (parent.has(id)) {
      name = callerOf(parent.get(id) as number);
    }
    ownCaller.set(id, name);
    return name;
  };
  const callers = new Map<string, number>();
  const places = new Map<string, number>();
  const functions = new Map<string, number>();
  let totalUs = 0;
  let idleUs = 0;
  for (const [id, us] of selfUs) {
    const node = byId.get(id);
    if (!node) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    totalUs += us;
    if (functionName === '(idle)') idleUs += us;
    const place = placeOf(url, functionName);
    places.set(place, (places.get(place) ?? 0) + us);
    const fn = `${functionName || '(anonymous)'} ${url ? `${place}:${lineNumber + 1}` : ''}`.trim();
    functions.set(fn, (functions.get(fn) ?? 0) + us);
    if (functionName !== '(idle)') {
      const caller = callerOf(id);
      callers.set(caller, (callers.get(caller) ?? 0) + us);
    }
  }
  const rows = (map: Map<string, number>): ProfileRow[] =>
    [...map.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, us]) => ({ name, ms: us / 1000, share: totalUs ? us / totalUs : 0 }));
  return { totalMs: totalUs / 1000, busyMs: (totalUs - idleUs) / 1000, byPlace: rows(places), byFunction: rows(functions), byOwnCaller: rows(callers) };
}

export function formatProfile(title: string, summary: ProfileSummary): string {
  const line = (row: ProfileRow) => `    ${(row.share * 100).toFixed(1).padStart(5)} %  ${row.ms.toFixed(0).padStart(7)} ms  ${row.name}`;
  return [
    `${title}: ${(summary.totalMs / 1000).toFixed(1)} s profiled, busy ${(summary.busyMs / 1000).toFixed(1)} s (${((summary.busyMs / Math.max(1, summary.totalMs)) * 100).toFixed(0)} %)`,
    '  self time by place:',
    ...summary.byPlace.map(line),
    '  self time by function:',
    ...summary.byFunction.map(line),
    '  busy time by the nearest of our functions on the stack:',
    ...summary.byOwnCaller.map(line),
  ].join('\n');
}

/** The heaviest call paths (innermost first, `depth` frames) into functions called `name`. */
export function callersOf(file: string, name: string, depth = 10, top = 10): ProfileRow[] {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  const paths = new Map<string, number>();
  let total = 0;
  for (let i = 0; i < samples.length; i++) {
    let id: number | undefined = samples[i] as number;
    const us = Math.max(0, deltas[i + 1] ?? 0);
    total += us;
    if (byId.get(id)?.callFrame.functionName !== name) continue;
    const frames: string[] = [];
    while (id !== undefined && frames.length < depth) {
      const frame = byId.get(id)?.callFrame;
      if (frame) frames.push(`${frame.functionName || '(anonymous)'}@${placeOf(frame.url, frame.functionName)}`);
      id = parent.get(id);
    }
    const path = frames.join(' < ');
    paths.set(path, (paths.get(path) ?? 0) + us);
  }
  return [...paths.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([path, us]) => ({ name: path, ms: us / 1000, share: total ? us / total : 0 }));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [file, second, third] = process.argv.slice(2);
  if (!file) {
    console.error('usage: tsx bench/profile.ts FILE.cpuprofile [top]\n       tsx bench/profile.ts FILE.cpuprofile --callers FUNCTION [depth]');
    process.exit(2);
  }
  if (second === '--callers' && third) {
    for (const row of callersOf(file, third, Number(process.argv[5] ?? 10))) console.log(`${(row.share * 100).toFixed(1).padStart(5)} % ${row.ms.toFixed(0).padStart(7)} ms  ${row.name}`);
  } else {
    console.log(formatProfile(file, summariseProfile(file, Number(second ?? 25))));
  }
}
