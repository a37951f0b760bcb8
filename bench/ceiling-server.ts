import { once } from 'node:events';
import { SMTPServer } from 'smtp-server';

/**
 * The ceiling: a bare smtp-server, configured like the product's listener
 * (same limits, no reverse lookups, no AUTH), that reads each message to its
 * end and discards it. Run as its own process, like the product, and prints
 * `{"port":N}` once it listens. `node --import tsx bench/ceiling-server.ts [port]`
 */

const MAX_MESSAGE_BYTES = 25 * 1024 * 1024;

const server = new SMTPServer({
  banner: 'ceiling ESMTP',
  size: MAX_MESSAGE_BYTES,
  authOptional: true,
  disabledCommands: ['AUTH'],
  disableReverseLookup: true,
  maxClients: 500,
  maxRecipients: 50,
  socketTimeout: 120_000,
  logger: false,
  onData(stream, _session, callback) {
    let size = 0;
    stream.on('data', (chunk: Buffer) => {
      size += chunk.length;
    });
    stream.once('error', (error) => callback(error));
    stream.once('end', () => callback(null, `2.6.0 Discarded ${size} bytes`));
  },
});
server.on('error', (error) => console.error('ceiling: connection error:', error.message));
server.listen(Number(process.argv[2] ?? 0), '127.0.0.1');
await once(server.server, 'listening');
const address = server.server.address();
console.log(JSON.stringify({ port: typeof address === 'object' && address ? address.port : 0 }));

const stop = () => server.close(() => process.exit(0));
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
