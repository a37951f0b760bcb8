import { describe, expect, it } from 'vitest';
import { parseCommands } from '../../src/cases/commands.js';
import { replyText } from '../../src/mail/reply-text.js';

const ME = 'jane@example.com';

describe('specialist command lines', () => {
  it('reads commands at the top and leaves the rest as the body', () => {
    const parsed = parseCommands('#assign me\n\n#extend 2027-01-20 waiting for the registry\nDear Paul,\n\n#not a command here\n', ME);
    expect(parsed.errors).toEqual([]);
    expect(parsed.commands.map((c) => (c.kind === 'action' ? c.action : c.kind))).toEqual([
      { action: 'assign', to: ME },
      { action: 'extend', until: '2027-01-20', reason: 'waiting for the registry' },
    ]);
    expect(parsed.body).toBe('Dear Paul,\n\n#not a command here');
  });

  it('understands every command', () => {
    const text = ['#internal', '#need-info', '#assign bob@example.com', '#resolve domain suspended', '#dismiss customer proved consent', '#action suspend-domain bad.example'].join('\n');
    const parsed = parseCommands(text, ME);
    expect(parsed.errors).toEqual([]);
    expect(parsed.commands).toHaveLength(6);
    expect(parsed.commands[5]).toMatchObject({ kind: 'action', action: { action: 'measure', measure: 'suspend-domain', target: 'bad.example' } });
  });

  it.each([
    ['#frobnicate', /unknown command "#frobnicate"/],
    ['#extend tomorrow', /YYYY-MM-DD/],
    // Date.parse takes it (as 2 March); the calendar does not.
    ['#extend 2026-02-30', /YYYY-MM-DD/],
    ['#extend 2026-99-99', /YYYY-MM-DD/],
    ['#assign', /needs "me" or an address/],
    ['#assign not-an-address', /not an e-mail address/],
    ['#action nuke-domain x.example', /unknown measure "nuke-domain"/],
    ['#action suspend-domain', /exactly one target/],
    ['#internal please', /takes no arguments/],
  ])('names the line and the reason for %s', (line, reason) => {
    const parsed = parseCommands(`${line}\nbody`, ME);
    expect(parsed.errors).toHaveLength(1);
    expect(parsed.errors[0]?.line).toBe(line);
    expect(parsed.errors[0]?.reason).toMatch(reason);
  });
});

describe('reply text', () => {
  it('drops quoted history and signatures and masks the writer', () => {
    const text = 'Dear Paul,\n\nplease write to jane@example.com if needed.\n\n-- \nJane Doe\nAbuse team\n\nOn Mon, 5 Jan 2027, Example <complaints@example.net> wrote:\n> old text\n';
    const visible = replyText(text, { addresses: ['jane@example.com'], names: ['Jane Doe'] });
    expect(visible).toBe('Dear Paul,\n\nplease write to  if needed.');
  });
});
