import { randomUUID } from 'node:crypto';

/** Row ids: random, and safe as BullMQ job ids (no ':' and never all digits). */
export function newId(): string {
  return randomUUID();
}
