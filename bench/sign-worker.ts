import { signSlice } from './messages.js';

/** Child process of `buildPool`: signs one slice of the message pool and sends it back. */
process.once('message', (request: Parameters<typeof signSlice>[0]) => {
  signSlice(request).then(
    (raws) => process.send?.({ raws }),
    (error: unknown) => process.send?.({ error: String(error) }),
  );
});
