import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * The shared public test corpora (SPF, DKIM, ARF, X-ARF, bounces, malformed
 * MIME), beside the repository as `../shared/corpora`. CORPORA_DIR points
 * elsewhere. Missing corpora fail the tests that need them, loudly.
 */
const candidates = [
  process.env.CORPORA_DIR,
  fileURLToPath(new URL('../../../shared/corpora/', import.meta.url)),
  '/work/shared/corpora/',
].filter((path): path is string => Boolean(path));

const found = candidates.find((path) => existsSync(path));
if (!found) throw new Error(`test corpora not found (looked in ${candidates.join(', ')}); set CORPORA_DIR`);

/** Absolute path of the corpora folder, with a trailing slash. */
export const CORPORA_DIR = found.endsWith('/') ? found : `${found}/`;

/** A file or folder inside the corpora, as an absolute path. */
export function corpusPath(relative: string): string {
  return `${CORPORA_DIR}${relative}`;
}
