/**
 * How message bytes cross a driver. node-postgres sends a Buffer parameter in
 * binary as it is; PGlite turns a byte parameter or result into hex text one
 * byte at a time (seconds per megabyte), so there bytes travel as base64 text
 * that the database encodes and decodes itself, and JavaScript natively.
 */
export type ByteEncoding = 'binary' | 'base64';

/** The SQL for byte parameter `$n` and the value to bind to it. */
export function byteParam(sql: { readonly byteEncoding: ByteEncoding }, n: number, bytes: Buffer | null): { placeholder: string; value: Buffer | string | null } {
  if (sql.byteEncoding === 'binary') return { placeholder: `$${n}`, value: bytes };
  return { placeholder: `decode($${n}, 'base64')`, value: bytes ? bytes.toString('base64') : null };
}

/**
 * A bytea value selected as `encode(…, 'base64')`, back as bytes (null stays
 * null): base64 is the fast way out of both drivers.
 */
export function fromBase64(value: string | null | undefined): Buffer | null {
  return typeof value === 'string' ? Buffer.from(value, 'base64') : null;
}
