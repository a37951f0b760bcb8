import type { SqlRunner } from './migrate.js';

/**
 * Bytes cross the driver as base64, which both drivers turn into a Buffer
 * natively; the embedded database's own bytea text conversion goes byte by
 * byte, and takes seconds per megabyte.
 */
export async function readBytes(sql: Pick<SqlRunner, 'query'>, query: string, id: string): Promise<Buffer | null> {
  const rows = await sql.query<{ bytes: string | null }>(query, [id]);
  const bytes = rows[0]?.bytes;
  return typeof bytes === 'string' ? Buffer.from(bytes, 'base64') : null;
}
