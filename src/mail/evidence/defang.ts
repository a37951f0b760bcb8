/**
 * Abuse reporters "defang" what they quote so nobody clicks it by mistake:
 * `hxxps://evil[.]example/login`, `evil(dot)example`, `192.0.2[.]7`. This turns
 * the common notations back into text the URL and domain finders read. Each
 * pattern is a literal alternation: linear on any input.
 */

const SCHEMES: Array<[RegExp, string]> = [
  [/\[:\/\/\]|\[:\]\/\/|:\[\/\/\]/g, '://'],
  [/\bh(?:xx|\*\*|\[tt\])p(s?):\/\//gi, 'http$1://'],
  [/\bhxxp(s?)\b/gi, 'http$1'],
  [/\bfxp:\/\//gi, 'ftp://'],
];

// A dot wrapped or written out: [.] (.) {.} <.> [dot] (dot) {dot} <dot>, with a space
// either side or none. A bare " dot " is left alone: prose uses it too.
const DOTS = / ?(?:\[\.\]|\(\.\)|\{\.\}|<\.>|\[dot\]|\(dot\)|\{dot\}|<dot>) ?/gi;
const AT = / ?(?:\[at\]|\(at\)|\[@\]|\(@\)) ?/gi;

export function refang(text: string): string {
  let out = text;
  for (const [pattern, replacement] of SCHEMES) out = out.replace(pattern, replacement);
  return out.replace(DOTS, '.').replace(AT, '@');
}
