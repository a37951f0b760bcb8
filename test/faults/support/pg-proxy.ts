import { connect, createServer, type Server, type Socket } from 'node:net';
import { freePort } from './util.js';

/**
 * A TCP proxy between the product and PostgreSQL. `down()` makes the database
 * unreachable from the product's side only (listener closed, every open
 * connection cut), so the shared server keeps running for everyone else.
 */
export interface PgProxy {
  readonly port: number;
  /** Connections the proxy has passed through so far. */
  readonly connections: number;
  up(): Promise<void>;
  down(): Promise<void>;
  close(): Promise<void>;
}

export async function startPgProxy(target = { host: '127.0.0.1', port: 5432 }): Promise<PgProxy> {
  const port = await freePort();
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  let connections = 0;

  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
  };

  const up = async () => {
    if (server) return;
    const listening = createServer((client) => {
      connections += 1;
      const upstream = connect(target);
      track(client);
      track(upstream);
      client.pipe(upstream);
      upstream.pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve, reject) => {
      listening.once('error', reject);
      listening.listen(port, '127.0.0.1', () => resolve());
    });
    server = listening;
  };

  const down = async () => {
    const listening = server;
    server = undefined;
    for (const socket of sockets) socket.destroy();
    if (listening) await new Promise<void>((resolve) => listening.close(() => resolve()));
  };

  await up();
  return {
    port,
    get connections() {
      return connections;
    },
    up,
    down,
    close: down,
  };
}
