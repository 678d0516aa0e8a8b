/**
 * Locates the line of a JSON path in block-style YAML so that schema problems can name a line. js-yaml gives
 * positions only for syntax errors, so this walks the text by indentation. Best effort: flow collections
 * (`[1, 2]`, `{a: 1}`) resolve to the line that opens them; a path that does not exist (a missing key)
 * resolves to its deepest existing parent.
 */
export function lineOfPath(text: string, pointer: string): number | undefined {
  return new YamlLines(text).lineOf(pointer);
}

const indentOf = (l: string) => l.length - l.trimStart().length;
const meaningful = (l: string) => l.trim() !== '' && !l.trimStart().startsWith('#') && l.trim() !== '---';
/** The key a block-mapping line starts with (after an optional "- "), unquoted; null when it has none. */
const KEY = /^\s*(?:-\s+)?["']?(.*?)["']?\s*:(?:\s|$)/;

/**
 * One text, many lookups: every scan of a mapping or sequence level is indexed once (key → first line, item →
 * line), so locating n problems is linear in the text, not n times the text (8,000 unknown keys took 15 s).
 */
export class YamlLines {
  private lines: string[];
  private keyLevels = new Map<string, Map<string, number>>();
  private itemLevels = new Map<string, number[]>();
  constructor(text: string) {
    this.lines = text.split(/\r?\n/);
  }

  /** Lines of the sequence items at this level, in order. */
  private items(start: number, parentIndent: number): number[] {
    const k = `${start}:${parentIndent}`;
    let out = this.itemLevels.get(k);
    if (out) return out;
    out = [];
    let itemIndent: number | undefined;
    for (let i = start; i < this.lines.length; i++) {
      const l = this.lines[i];
      if (!meaningful(l)) continue;
      const ind = indentOf(l);
      if (ind <= parentIndent && !(ind === parentIndent && l.trimStart().startsWith('- '))) break;
      if (l.trimStart().startsWith('-') && (itemIndent === undefined || ind === itemIndent)) {
        itemIndent = ind;
        out.push(i);
      }
    }
    this.itemLevels.set(k, out);
    return out;
  }

  /** First line of each key at this level (or deeper, as the original scan matched), with its key indent. */
  private keys(start: number, parentIndent: number, first: boolean): Map<string, number> {
    const k = `${start}:${parentIndent}:${first}`;
    let out = this.keyLevels.get(k);
    if (out) return out;
    out = new Map();
    for (let i = start; i < this.lines.length; i++) {
      const l = this.lines[i];
      if (!meaningful(l)) continue;
      const ind = indentOf(l);
      const isDashLine = l.trimStart().startsWith('- ');
      const keyIndent = isDashLine ? ind + 2 : ind;
      if ((i > start || first) && keyIndent <= parentIndent && !(i === start && isDashLine)) break;
      const m = KEY.exec(l);
      if (m && keyIndent > parentIndent && !out.has(m[1])) out.set(m[1], i);
    }
    this.keyLevels.set(k, out);
    return out;
  }

  lineOf(pointer: string): number | undefined {
    const segments = pointer
      .split('/')
      .slice(1)
      .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
    const lines = this.lines;
    let start = 0; // first line to search
    let parentIndent = -1;
    let found: number | undefined;
    for (const seg of segments) {
      if (/^\d+$/.test(seg)) {
        // A flow sequence on the parent line: the parent line is the best we can say.
        if (found !== undefined && /:\s*\[/.test(lines[found])) return found + 1;
        const hit = this.items(start, parentIndent)[Number(seg)];
        if (hit === undefined) return found === undefined ? undefined : found + 1;
        found = hit;
        start = hit;
        // Keys of an item start after "- "; the first key may sit on the dash line itself.
        parentIndent = indentOf(lines[hit]) + 1;
        continue;
      }
      const hit = this.keys(start, parentIndent, found === undefined).get(seg);
      if (hit === undefined) return found === undefined ? undefined : found + 1;
      const l = lines[hit];
      parentIndent = l.trimStart().startsWith('- ') ? indentOf(l) + 2 : indentOf(l);
      found = hit;
      start = hit + 1;
      // A flow mapping/sequence value continues on this line only.
      if (/:\s*[[{]/.test(lines[hit])) start = hit;
    }
    return found === undefined ? undefined : found + 1;
  }
}
