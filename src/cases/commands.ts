import type { CaseAction } from './actions.js';
import { MEASURE_NAMES, type MeasureName } from './measures.js';
import { isLocalDate } from '../deadlines/calendar.js';
import { isEmailAddress } from '../lib/text.js';

/** One `#` line at the top of a specialist's reply, understood. */
export type Command =
  | { kind: 'internal'; line: string }
  | { kind: 'need-info'; line: string }
  | { kind: 'action'; line: string; action: CaseAction };

export interface CommandError {
  line: string;
  reason: string;
}

export interface ParsedCommands {
  commands: Command[];
  errors: CommandError[];
  /** What follows the command lines: the words for the complainant (or the note). */
  body: string;
}

const HELP = 'known commands: #internal, #assign me, #assign <address>, #extend YYYY-MM-DD [reason], #need-info, #resolve [outcome], #action suspend-domain|block-account|deactivate-service <target>, #lift <target> [reason], #dismiss [reason]';

/**
 * Reads the command lines at the top of a reply (blank lines between them are
 * fine); the first other line starts the body. `actor` is the verified sender,
 * so `#assign me` knows who "me" is.
 */
export function parseCommands(text: string, actor: string): ParsedCommands {
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  const commands: Command[] = [];
  const errors: CommandError[] = [];
  let index = 0;
  for (; index < lines.length; index++) {
    const line = (lines[index] as string).trim();
    if (line === '') continue;
    if (!line.startsWith('#')) break;
    const parsed = parseLine(line, actor);
    if ('reason' in parsed) errors.push(parsed);
    else commands.push(parsed);
  }
  return { commands, errors, body: lines.slice(index).join('\n').trim() };
}

function parseLine(line: string, actor: string): Command | CommandError {
  const [word = '', ...rest] = line.slice(1).trim().split(/\s+/);
  const args = rest.join(' ').trim();
  const fail = (reason: string): CommandError => ({ line, reason });
  switch (word.toLowerCase()) {
    case 'internal':
      return args ? fail('#internal takes no arguments') : { kind: 'internal', line };
    case 'need-info':
      return args ? fail('#need-info takes no arguments; write the question below the command lines') : { kind: 'need-info', line };
    case 'assign': {
      if (!args) return fail('#assign needs "me" or an address');
      const to = args.toLowerCase() === 'me' ? actor : args.toLowerCase();
      if (!isEmailAddress(to)) return fail(`"${args.slice(0, 100)}" is not an e-mail address`);
      return { kind: 'action', line, action: { action: 'assign', to } };
    }
    case 'extend': {
      const match = /^(\d{4}-\d{2}-\d{2})(?:\s+(.+))?$/.exec(args);
      if (!match || !isLocalDate(match[1] as string)) return fail('#extend needs a date as YYYY-MM-DD, then an optional reason');
      return { kind: 'action', line, action: { action: 'extend', until: match[1] as string, reason: match[2]?.trim() || undefined } };
    }
    case 'resolve':
      return { kind: 'action', line, action: { action: 'resolve', outcome: args || undefined } };
    case 'dismiss':
      return { kind: 'action', line, action: { action: 'dismiss', reason: args || undefined } };
    case 'lift': {
      const [target = '', ...reason] = args.split(/\s+/);
      if (!target) return fail('#lift needs the target of a measure in effect, then an optional reason');
      return { kind: 'action', line, action: { action: 'lift', target, reason: reason.join(' ').trim() || undefined } };
    }
    case 'action': {
      const [measure = '', target = '', ...extra] = args.split(/\s+/);
      if (!(MEASURE_NAMES as readonly string[]).includes(measure)) return fail(`unknown measure "${measure}"; use one of ${MEASURE_NAMES.join(', ')}`);
      if (!target || extra.length > 0) return fail(`#action ${measure} needs exactly one target (a domain, account or service)`);
      return { kind: 'action', line, action: { action: 'measure', measure: measure as MeasureName, target } };
    }
    default:
      return fail(`unknown command "#${word}"; ${HELP}`);
  }
}

