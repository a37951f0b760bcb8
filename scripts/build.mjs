// Compiles src/ and workers/ to JavaScript in dist/, which `npm start` runs:
// no TypeScript loader in the long-running process (its loader thread and
// source maps cost memory and start-up time). esbuild transpiles file by file,
// keeping the module layout, in well under a second; type checking stays with
// `npm run typecheck`. esbuild is what tsx and vitest use underneath too.
//
//   node scripts/build.mjs             build now
//   node scripts/build.mjs --if-stale  build only when a source is newer than
//                                      the last build (npm start, the CLIs and
//                                      the test setup run this: a `git pull`
//                                      never leaves them on old code)
import { cpSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SOURCES = ['src', 'workers'];
const OUT = join(ROOT, 'dist');
const STAMP = join(OUT, '.built');
const isTypeScript = (file) => /\.tsx?$/.test(file) && !file.endsWith('.d.ts');

/** Every file and folder under the source roots (a folder's time changes when a file is added, removed or renamed). */
function sourceEntries() {
  const entries = [];
  for (const root of SOURCES) {
    entries.push(join(ROOT, root));
    for (const entry of readdirSync(join(ROOT, root), { recursive: true, withFileTypes: true })) {
      entries.push(join(entry.parentPath ?? entry.path, entry.name));
    }
  }
  return entries;
}

function isStale() {
  if (!existsSync(STAMP)) return true;
  const built = statSync(STAMP).mtimeMs;
  const inputs = [...sourceEntries(), join(ROOT, 'package.json'), fileURLToPath(import.meta.url)];
  return inputs.some((path) => statSync(path).mtimeMs > built);
}

async function compile() {
  // The stamp carries the time the build began: a file saved while it ran is newer, so the next start builds again.
  const began = new Date();
  // Built beside dist and swapped in whole, so a process starting meanwhile
  // never loads half of one build and half of another.
  const staging = `${OUT}.${process.pid}.tmp`;
  rmSync(staging, { recursive: true, force: true });
  const files = sourceEntries().filter((path) => statSync(path).isFile());
  await build({
    entryPoints: files.filter(isTypeScript),
    outdir: staging,
    outbase: ROOT,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    jsx: 'automatic',
    jsxImportSource: 'hono/jsx',
    logLevel: 'warning',
  });
  // Files read at run time beside the code (the dashboard's CSS and script).
  for (const file of files.filter((path) => !isTypeScript(path))) {
    const target = join(staging, relative(ROOT, file));
    mkdirSync(dirname(target), { recursive: true });
    cpSync(file, target);
  }
  writeFileSync(join(staging, '.built'), `${began.toISOString()}\n`);
  utimesSync(join(staging, '.built'), began, began);
  const previous = `${OUT}.${process.pid}.old`;
  if (existsSync(OUT)) renameSync(OUT, previous);
  renameSync(staging, OUT);
  rmSync(previous, { recursive: true, force: true });
}

if (!process.argv.includes('--if-stale') || isStale()) await compile();
