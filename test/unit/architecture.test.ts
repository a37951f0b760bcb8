import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/**
 * The pipeline reads one way (STYLE.md): case behaviour lives in src/cases and
 * uses the stages below it, which never reach back up. Type-only imports count
 * too: a cycle of types is still two modules that cannot be read apart.
 */

const ROOT = resolve(import.meta.dirname, '../..');

/** Cycles known and owned elsewhere; each is type-only. Remove a line when its cycle goes. */
const KNOWN_CYCLES = [
  // resolver.ts re-exports the zone resolver, which implements its DnsResolver type.
  'src/dns/resolver.ts src/dns/zone-resolver.ts',
  // index.ts re-exports summariseEvidence, whose file takes CaseEvidence from index.ts.
  'src/mail/evidence/index.ts src/mail/evidence/summary.ts',
];

/**
 * What may use case behaviour: the composition root, its roles and the demo, the workers, the web
 * role and the measures sent to the platform. The stages before it (smtp,
 * intake, queue) and the ones it stands on (audit, deadlines, outbound, mail,
 * db, …) never reach up into it.
 */
const ABOVE_CASES = ['src/app.ts', 'src/roles/', 'src/demo/', 'src/measures/', 'src/web/', 'workers/'];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'generated' ? [] : sourceFiles(path);
    return /\.tsx?$/.test(name) ? [path] : [];
  });
}

function resolveImport(from: string, specifier: string): string | null {
  const base = resolve(dirname(from), specifier).replace(/\.js$/, '');
  for (const candidate of [`${base}.ts`, `${base}.tsx`, join(base, 'index.ts')]) {
    try {
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // not this one
    }
  }
  return null;
}

/** Every relative import of every module under src/ and workers/, types included, as paths from the root. */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of [...sourceFiles(join(ROOT, 'src')), ...sourceFiles(join(ROOT, 'workers'))]) {
    const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    const targets = importedFiles
      .filter((entry) => entry.fileName.startsWith('.'))
      .map((entry) => {
        const target = resolveImport(file, entry.fileName);
        if (!target) throw new Error(`${relative(ROOT, file)} imports ${entry.fileName}, which is not a module here`);
        return target;
      })
      .filter((target) => !target.includes('/generated/'));
    graph.set(relative(ROOT, file), targets.map((target) => relative(ROOT, target)));
  }
  return graph;
}

/** The strongly connected components with more than one module (Tarjan), each sorted. */
function cycles(graph: Map<string, string[]>): string[] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[] = [];
  const visit = (node: string): void => {
    index.set(node, counter);
    low.set(node, counter);
    counter += 1;
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!index.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node) as number, low.get(next) as number));
      } else if (onStack.has(next)) {
        low.set(node, Math.min(low.get(node) as number, index.get(next) as number));
      }
    }
    if (low.get(node) !== index.get(node)) return;
    const component: string[] = [];
    let member: string;
    do {
      member = stack.pop() as string;
      onStack.delete(member);
      component.push(member);
    } while (member !== node);
    if (component.length > 1) found.push(component.sort().join(' '));
  };
  for (const node of graph.keys()) if (!index.has(node)) visit(node);
  return found.sort();
}

describe('the import graph', () => {
  const graph = importGraph();

  it('reads every module', () => {
    expect(graph.size).toBeGreaterThan(100);
    expect(graph.get('src/cases/work.ts')).toContain('src/audit/events.ts');
  });

  it('has no cycle but the known ones', () => {
    expect(cycles(graph).filter((cycle) => !KNOWN_CYCLES.includes(cycle))).toEqual([]);
  });

  it('finds a cycle when there is one', () => {
    const looped = new Map(graph);
    looped.set('src/audit/events.ts', [...(graph.get('src/audit/events.ts') ?? []), 'src/cases/actions.ts']);
    expect(cycles(looped).some((cycle) => cycle.includes('src/audit/events.ts') && cycle.includes('src/cases/actions.ts'))).toBe(true);
  });

  it('lets only the layers above src/cases import it', () => {
    const reaching = [...graph].flatMap(([file, targets]) =>
      file.startsWith('src/cases/') || ABOVE_CASES.some((above) => file.startsWith(above))
        ? []
        : targets.filter((target) => target.startsWith('src/cases/')).map((target) => `${file} -> ${target}`),
    );
    expect(reaching).toEqual([]);
  });
});
