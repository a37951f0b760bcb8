/**
 * Timestamps read through the driver. The columns hold UTC without a zone (as
 * the ORM writes them), and node-postgres would read such a value in the
 * process's own time zone; as epoch milliseconds it means the same on both
 * databases and in every zone.
 */

/** SQL for `column` (a plain identifier) as epoch milliseconds, a float. */
export function epochMillis(column: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(column)) throw new Error(`not a plain identifier: ${column}`);
  return `(EXTRACT(EPOCH FROM "${column}") * 1000)::float8`;
}

export function dateFromMillis(millis: number | null): Date | null {
  return millis === null ? null : new Date(millis);
}
