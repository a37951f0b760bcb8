import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { PassThrough, type Readable } from 'node:stream';
import type { SqlRunner } from '../db/migrate.js';
import { byteParam } from '../db/bytes.js';
import { newId } from '../lib/ids.js';

/** Where a large message's bytes go while DATA arrives, keyed by the id its row will have. */
export interface ChunkStore {
  write(inboundId: string, seq: number, data: Buffer): Promise<void>;
  /** The chunks in order; ends after the last one. */
  read(inboundId: string): AsyncIterable<Buffer>;
  discard(inboundId: string): Promise<void>;
}

export function sqlChunkStore(sql: Pick<SqlRunner, 'query' | 'byteEncoding'>): ChunkStore {
  return {
    async write(inboundId, seq, data) {
      const bytes = byteParam(sql, 3, data);
      await sql.query(`INSERT INTO "InboundChunk" ("inboundId", seq, data, "createdAt") VALUES ($1, $2, ${bytes.placeholder}, now() AT TIME ZONE 'UTC')`, [
        inboundId,
        seq,
        bytes.value,
      ]);
    },
    async *read(inboundId) {
      // One chunk per query, so neither driver ever holds the whole message.
      for (let seq = 0; ; seq += 1) {
        const rows = await sql.query<{ data: string }>(`SELECT encode(data, 'base64') AS data FROM "InboundChunk" WHERE "inboundId" = $1 AND seq = $2`, [inboundId, seq]);
        const row = rows[0];
        if (!row) return;
        yield Buffer.from(row.data, 'base64');
      }
    },
    async discard(inboundId) {
      await sql.query('DELETE FROM "InboundChunk" WHERE "inboundId" = $1', [inboundId]);
    },
  };
}

/**
 * Removes chunks that never got their row: a refusal whose clean-up failed, or
 * a process that died mid-transaction. Older than `graceHours`, so a slow DATA
 * still under way keeps its pieces.
 */
export async function dropOrphanChunks(sql: Pick<SqlRunner, 'query'>, graceHours: number): Promise<number> {
  const rows = await sql.query<{ inboundId: string }>(
    `DELETE FROM "InboundChunk" c
      WHERE c."createdAt" < (now() AT TIME ZONE 'UTC') - make_interval(hours => $1)
        AND NOT EXISTS (SELECT 1 FROM "InboundMessage" m WHERE m.id = c."inboundId")
      RETURNING c."inboundId"`,
    [graceHours],
  );
  return new Set(rows.map((row) => row.inboundId)).size;
}

/** A spooled message (its row holds no bytes), reassembled from its pieces: the parser needs it whole. */
export async function readSpooled(chunks: ChunkStore, inboundId: string): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of chunks.read(inboundId)) parts.push(chunk);
  return Buffer.concat(parts);
}

/** One message as received: whole in memory when small, in the chunk store when large. */
export interface ReceivedMessage {
  /** The id its InboundMessage row (and its chunks) will have. */
  id: string;
  size: number;
  sha256: string;
  /** The whole message; null when it was spooled. */
  raw: Buffer | null;
  /** The first bytes: the whole message, or the first spooled chunk (the header block as far as anyone reads it). */
  head: Buffer;
  /** Drops the spooled chunks (refused, a duplicate, or not queued); nothing for a message in memory. */
  discard(): Promise<void>;
}

export type ReceiveOutcome =
  | { kind: 'received'; message: ReceivedMessage }
  | { kind: 'too_big' }
  /** The chunk store failed; the message is gone and the sender should retry. */
  | { kind: 'spool_failed'; error: unknown };

export interface ReceiveOptions {
  /** Largest message taken; the rest is read and thrown away. */
  limit: number;
  /** Past this many bytes the message goes to the chunk store, in pieces of about this size. */
  spillBytes: number;
  chunks: ChunkStore;
  /**
   * Called once when the message starts going to the store, with a stream of
   * the whole message (from its first byte) for checks that read it as it
   * arrives. It ends with the message, or fails when the message is not taken.
   */
  onSpill?(body: Readable): void;
}

/**
 * Reads a DATA stream to its end (always: otherwise the client never gets its
 * reply). A message up to `spillBytes` is kept in memory; a larger one is
 * written to the chunk store piece by piece as it arrives, with the stream
 * paused while a piece is written, so memory stays bounded by the piece size.
 */
export function receiveMessage(stream: Readable & { sizeExceeded?: boolean }, options: ReceiveOptions): Promise<ReceiveOutcome> {
  const id = newId();
  const hash = createHash('sha256');
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let size = 0;
  let seq = 0;
  let head: Buffer | null = null;
  let failure: { error: unknown } | null = null;
  let writing: Promise<void> = Promise.resolve();

  let tap: PassThrough | null = null;

  const flush = () => {
    const piece = Buffer.concat(pending, pendingBytes);
    pending = [];
    pendingBytes = 0;
    if (!head) {
      head = piece;
      if (options.onSpill) {
        tap = new PassThrough();
        // Its reader hears of a failure through its own listener; this one only
        // keeps a reader that did not listen from taking the process down.
        tap.on('error', () => undefined);
        options.onSpill(tap);
      }
    }
    // Whoever reads the tap sets the pace too: the stream waits for it and for the store.
    const drained = tap && !tap.write(piece) ? once(tap, 'drain') : undefined;
    drained?.catch(() => undefined); // awaited below; a failure there counts as the store's
    const at = seq;
    seq += 1;
    stream.pause();
    writing = writing
      .then(() => (failure ? undefined : Promise.all([options.chunks.write(id, at, piece), drained])))
      .then(() => undefined)
      .catch((error: unknown) => {
        failure ??= { error };
      })
      .finally(() => stream.resume());
  };

  return new Promise((resolve, reject) => {
    stream.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > options.limit || failure) return;
      hash.update(chunk);
      pending.push(chunk);
      pendingBytes += chunk.length;
      if (pendingBytes >= options.spillBytes) flush();
    });
    stream.once('error', reject);
    stream.once('end', () => {
      void (async () => {
        const spooled = seq > 0;
        if (spooled && pendingBytes > 0 && !failure && size <= options.limit) flush();
        await writing;
        const tooBig = stream.sizeExceeded === true || size > options.limit;
        if (tooBig || failure) {
          (tap as PassThrough | null)?.destroy(new Error('the message was not taken'));
          if (spooled) await options.chunks.discard(id).catch(() => undefined);
          return resolve(tooBig ? { kind: 'too_big' } : { kind: 'spool_failed', error: (failure as { error: unknown }).error });
        }
        (tap as PassThrough | null)?.end();
        const raw = spooled ? null : Buffer.concat(pending, pendingBytes);
        resolve({ kind: 'received', message: receivedMessage(id, size, hash.digest('hex'), raw, raw ?? (head as Buffer), options.chunks) });
      })();
    });
  });
}

function receivedMessage(id: string, size: number, sha256: string, raw: Buffer | null, head: Buffer, chunks: ChunkStore): ReceivedMessage {
  return {
    id,
    size,
    sha256,
    raw,
    head,
    discard: () => (raw ? Promise.resolve() : chunks.discard(id)),
  };
}
