import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import ipaddr from 'ipaddr.js';
import { smtpErrors, type SmtpError } from './errors.js';

export interface PaceOptions {
  /** A command line must be complete this long after its first byte. */
  commandMs: number;
  /** DATA must end this long after it began, however fast it goes. */
  dataMs: number;
  /** After its first `commandMs`, DATA must average at least this many bytes a second. */
  dataMinBytesPerSecond: number;
}

export interface PaceHooks {
  /** A session was cut off (its 421 is on the way). */
  onCut(error: SmtpError, sessionId: string): void;
  /** The number of sessions watched changed. */
  onWatched?(count: number): void;
}

interface Watch {
  sessionId: string;
  socket: Socket;
  /** Bytes in the message so far, while DATA is under way. */
  dataBytes: number;
  dataStartedAt: number | null;
  /** The message is in but its reply is not out yet: the client waits for us. */
  awaitingReply: boolean;
  /** When the command line now arriving began; null between lines. */
  lineStartedAt: number | null;
  /** Time the socket spent paused by us, in all, and since when it is paused now. */
  pausedMs: number;
  pausedAt: number | null;
  /** `pausedMs` when the line or DATA began. */
  pausedBefore: number;
  timer: NodeJS.Timeout | null;
  detach(): void;
}

/**
 * Bounds how slowly a client may talk. smtp-server's idle timeout restarts
 * with every byte, so a client sending one byte a minute holds its slot
 * forever. Here, a command line must be complete `commandMs` after its first
 * byte, and DATA must end within `dataMs` while keeping a minimum rate; a
 * client past either gets `421 4.4.2` and the connection is closed. Nothing
 * accepted is at stake: a message is accepted only with its 250, after DATA.
 *
 * The clocks count only while the client owes us bytes: not while the reply to
 * a message is being decided, nor while the socket is paused because the
 * session cannot keep up (pipelined commands, a slow store).
 *
 * It reads the cleartext the session reads, from the accepted socket and,
 * after STARTTLS, from the TLS socket; smtp-server's own parser stays the only
 * reader of commands.
 */
export class SessionPace {
  /** Accepted sockets not yet matched to a session, by address and port. */
  private readonly accepted = new Map<string, Socket>();
  private readonly watches = new Map<string, Watch>();

  constructor(
    private readonly options: PaceOptions,
    private readonly hooks: PaceHooks,
  ) {}

  /** Called for every socket the listener accepts, before its session starts. */
  socketAccepted(socket: Socket): void {
    const key = socketKey(socket.remoteAddress, socket.remotePort);
    if (key === null) return;
    this.accepted.set(key, socket);
    socket.once('close', () => {
      if (this.accepted.get(key) === socket) this.accepted.delete(key);
    });
  }

  /** Starts watching a session that was let in. */
  watch(session: { id: string; remoteAddress: string; remotePort: number }): void {
    const key = socketKey(session.remoteAddress, session.remotePort);
    const socket = key === null ? undefined : this.accepted.get(key);
    if (!socket || key === null) return;
    this.accepted.delete(key);
    this.attach(session.id, socket);
    this.hooks.onWatched?.(this.watches.size);
  }

  /** After STARTTLS the session reads the TLS socket; so does the watch. */
  secured(sessionId: string, socket: Socket): void {
    const watch = this.watches.get(sessionId);
    if (!watch) return;
    this.stopTimer(watch);
    watch.detach();
    this.attach(sessionId, socket, watch);
  }

  dataStarted(sessionId: string): void {
    const watch = this.watches.get(sessionId);
    if (!watch) return;
    watch.lineStartedAt = null;
    watch.dataBytes = 0;
    watch.dataStartedAt = performance.now();
    watch.pausedBefore = this.pausedSoFar(watch);
    watch.awaitingReply = true;
    this.schedule(watch);
  }

  /** The message has been read to its final dot (or the stream was closed). */
  dataEnded(sessionId: string): void {
    const watch = this.watches.get(sessionId);
    if (!watch) return;
    watch.dataStartedAt = null;
    this.schedule(watch);
  }

  /** The reply to the message was given: the client owes us the next command. */
  replied(sessionId: string): void {
    const watch = this.watches.get(sessionId);
    if (!watch) return;
    watch.awaitingReply = false;
    this.schedule(watch);
  }

  /** The session ended: its timers go with it. Safe to call twice. */
  forget(sessionId: string): void {
    const watch = this.watches.get(sessionId);
    if (!watch) return;
    this.stopTimer(watch);
    watch.detach();
    this.watches.delete(sessionId);
    this.hooks.onWatched?.(this.watches.size);
  }

  private attach(sessionId: string, socket: Socket, previous?: Watch): void {
    const watch: Watch = previous ?? {
      sessionId,
      socket,
      dataBytes: 0,
      dataStartedAt: null,
      awaitingReply: false,
      lineStartedAt: null,
      pausedMs: 0,
      pausedAt: null,
      pausedBefore: 0,
      timer: null,
      detach: () => undefined,
    };
    watch.socket = socket;
    watch.pausedAt = socket.isPaused() ? performance.now() : null;
    const onData = (chunk: Buffer | string) => this.received(watch, chunk);
    const onPause = () => {
      watch.pausedAt ??= performance.now();
      this.stopTimer(watch);
    };
    const onResume = () => {
      if (watch.pausedAt !== null) watch.pausedMs += performance.now() - watch.pausedAt;
      watch.pausedAt = null;
      this.schedule(watch);
    };
    const onClose = () => this.forget(sessionId);
    // Added after smtp-server piped the socket into its parser, so it changes
    // nothing about when the socket flows: it sees what the parser is given.
    socket.on('data', onData);
    socket.on('pause', onPause);
    socket.on('resume', onResume);
    socket.once('close', onClose);
    watch.detach = () => {
      socket.off('data', onData);
      socket.off('pause', onPause);
      socket.off('resume', onResume);
      socket.off('close', onClose);
    };
    this.watches.set(sessionId, watch);
    this.schedule(watch);
  }

  private received(watch: Watch, chunk: Buffer | string): void {
    if (watch.dataStartedAt !== null) {
      watch.dataBytes += chunk.length;
      return;
    }
    if (watch.awaitingReply) return;
    const lastLineEnd = typeof chunk === 'string' ? chunk.lastIndexOf('\n') : chunk.lastIndexOf(0x0a);
    const before = watch.lineStartedAt;
    if (lastLineEnd === chunk.length - 1) watch.lineStartedAt = null;
    else if (lastLineEnd >= 0 || watch.lineStartedAt === null) {
      // A new line began in this chunk.
      watch.lineStartedAt = performance.now();
      watch.pausedBefore = this.pausedSoFar(watch);
    }
    if (watch.lineStartedAt !== before) this.schedule(watch);
  }

  /** When the client's time runs out, with the reason; null while nothing is owed. */
  private deadline(watch: Watch): { at: number; error: () => SmtpError } | null {
    const { commandMs, dataMs, dataMinBytesPerSecond } = this.options;
    const paused = this.pausedSoFar(watch) - watch.pausedBefore;
    if (watch.dataStartedAt !== null) {
      const byRate = commandMs + (watch.dataBytes * 1000) / dataMinBytesPerSecond;
      return byRate < dataMs
        ? { at: watch.dataStartedAt + paused + byRate, error: () => smtpErrors.dataTooSlow(dataMinBytesPerSecond) }
        : { at: watch.dataStartedAt + paused + dataMs, error: () => smtpErrors.dataTooLong(dataMs) };
    }
    if (watch.awaitingReply || watch.lineStartedAt === null) return null;
    return { at: watch.lineStartedAt + paused + commandMs, error: () => smtpErrors.commandTooSlow(commandMs) };
  }

  /** Arms the one timer of a watch for its current deadline. */
  private schedule(watch: Watch): void {
    this.stopTimer(watch);
    if (watch.pausedAt !== null) return;
    const deadline = this.deadline(watch);
    if (!deadline) return;
    const wait = Math.max(0, deadline.at - performance.now());
    watch.timer = setTimeout(() => {
      watch.timer = null;
      const due = this.deadline(watch);
      if (!due) return;
      // DATA earns more time with every byte: a deadline that moved is re-armed.
      if (due.at > performance.now()) return this.schedule(watch);
      this.cut(watch, due.error());
    }, wait);
    watch.timer.unref();
  }

  private cut(watch: Watch, error: SmtpError): void {
    const { socket } = watch;
    this.forget(watch.sessionId);
    if (socket.destroyed) return;
    this.hooks.onCut(error, watch.sessionId);
    // The session reads nothing more from this client; closing the socket ends
    // it, and a message under way is dropped by smtp-server as incomplete.
    socket.unpipe();
    if (socket.writableEnded) return void socket.destroy();
    const destroy = setTimeout(() => socket.destroy(), 1_000);
    destroy.unref();
    socket.once('close', () => clearTimeout(destroy));
    socket.end(`${error.responseCode} ${error.message}\r\n`, () => socket.destroy());
  }

  private stopTimer(watch: Watch): void {
    if (watch.timer) clearTimeout(watch.timer);
    watch.timer = null;
  }

  private pausedSoFar(watch: Watch): number {
    return watch.pausedMs + (watch.pausedAt === null ? 0 : performance.now() - watch.pausedAt);
  }
}

/** Address and port as one key; IPv4-mapped IPv6 and IPv6 spellings folded. */
function socketKey(address: string | undefined, port: number | undefined): string | null {
  if (!address || !port) return null;
  try {
    return `${ipaddr.process(address).toString()}|${port}`;
  } catch {
    return null;
  }
}
