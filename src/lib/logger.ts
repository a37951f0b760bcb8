import { pino, type Logger } from 'pino';

export type { Logger } from 'pino';

export function createLogger(level: string, base: Record<string, unknown> = {}): Logger {
  return pino({ level, base: { ...base }, timestamp: pino.stdTimeFunctions.isoTime });
}

/** For tests and tools that want no output. */
export const silentLogger: Logger = pino({ level: 'silent' });
