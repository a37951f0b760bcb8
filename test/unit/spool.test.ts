import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { describe, expect, it } from 'vitest';
import { receiveMessage, type ChunkStore } from '../../src/intake/spool.js';

/** A chunk store in memory that can be told to fail from the n-th write on. */
function memoryStore(failFrom = Infinity) {
  const pieces = new Map<string, Buffer[]>();
  let writes = 0;
  const discarded: string[] = [];
  const store: ChunkStore = {
    write(id, seq, data) {
      writes += 1;
      if (writes >= failFrom) return Promise.reject(new Error('database gone'));
      const list = pieces.get(id) ?? [];
      list[seq] = Buffer.from(data);
      pieces.set(id, list);
      return Promise.resolve();
    },
    async *read(id) {
      for (const piece of pieces.get(id) ?? []) yield piece;
    },
    discard(id) {
      discarded.push(id);
      pieces.delete(id);
      return Promise.resolve();
    },
  };
  return { store, pieces, discarded, writes: () => writes };
}

/** A DATA stream delivering `bytes` in 16 KiB pieces, read to its end or not. */
function dataStream(bytes: Buffer): Readable & { consumed: () => boolean } {
  let ended = false;
  const stream = Readable.from(
    (function* () {
      for (let at = 0; at < bytes.length; at += 16 * 1024) yield bytes.subarray(at, at + 16 * 1024);
    })(),
    { objectMode: false },
  );
  stream.once('end', () => (ended = true));
  return Object.assign(stream, { consumed: () => ended });
}

const sha = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

describe('receiving a DATA stream', () => {
  it('keeps a small message in memory and writes nothing', async () => {
    const { store, writes } = memoryStore();
    const bytes = randomBytes(40 * 1024);
    const outcome = await receiveMessage(dataStream(bytes), { limit: 1 << 20, spillBytes: 64 * 1024, chunks: store });
    expect(outcome.kind).toBe('received');
    if (outcome.kind !== 'received') return;
    expect(outcome.message.raw?.equals(bytes)).toBe(true);
    expect(outcome.message.sha256).toBe(sha(bytes));
    expect(writes()).toBe(0);
  });

  it('writes a large message in pieces and streams it back whole', async () => {
    const { store, pieces } = memoryStore();
    const bytes = randomBytes(300 * 1024 + 7);
    let tapped: Promise<Buffer> | undefined;
    const outcome = await receiveMessage(dataStream(bytes), {
      limit: 1 << 20,
      spillBytes: 64 * 1024,
      chunks: store,
      onSpill: (body) => {
        tapped = buffer(body);
      },
    });
    if (outcome.kind !== 'received') throw new Error(outcome.kind);
    const { message } = outcome;
    expect(message.raw).toBeNull();
    expect(message.size).toBe(bytes.length);
    expect(message.sha256).toBe(sha(bytes));
    expect(pieces.get(message.id)?.length).toBeGreaterThanOrEqual(4);
    expect(bytes.subarray(0, message.head.length).equals(message.head)).toBe(true);
    expect(Buffer.concat(pieces.get(message.id) ?? []).equals(bytes)).toBe(true);
    // The tap saw the whole message from its first byte, as it arrived.
    expect((await tapped)?.equals(bytes)).toBe(true);
    await message.discard();
    expect(pieces.has(message.id)).toBe(false);
  });

  it('reads to the end and reports the failure when the store fails mid-message', async () => {
    const { store, discarded } = memoryStore(2);
    const bytes = randomBytes(400 * 1024);
    const stream = dataStream(bytes);
    let tapped: Promise<Buffer> | undefined;
    const outcome = await receiveMessage(stream, { limit: 1 << 20, spillBytes: 64 * 1024, chunks: store, onSpill: (body) => (tapped = buffer(body)) });
    expect(outcome.kind).toBe('spool_failed');
    expect(stream.consumed()).toBe(true);
    await expect(tapped).rejects.toThrow(/not taken/);
    expect(discarded).toHaveLength(1);
  });

  it('reads an oversized message to the end, keeps none of it and says so', async () => {
    const { store, pieces } = memoryStore();
    const stream = dataStream(randomBytes(600 * 1024));
    const outcome = await receiveMessage(stream, { limit: 256 * 1024, spillBytes: 64 * 1024, chunks: store });
    expect(outcome.kind).toBe('too_big');
    expect(stream.consumed()).toBe(true);
    expect(pieces.size).toBe(0);
  });
});
