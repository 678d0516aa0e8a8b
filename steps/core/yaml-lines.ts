/**
 * Locates the line of a JSON path in block-style YAML so that schema problems can name a line. js-yaml gives
 * positions only for syntax errors, so this walks the text by indentation. Best effort: flow collections
 * (`[1, 2]`, `{a: 1}`) resolve to the line that opens them; a path that does not exist (a missing key)
 * resolves to its deepest existing parent.
 */
export function lineOfPath(text: string, pointer: string): number | undefined {
  const segments = pointer
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  const lines = text.split(/\r?\n/);
  const indentOf = (l: string) => l.length - l.trimStart().length;
  const meaningful = (l: string) => l.trim() !== '' && !l.trimStart().startsWith('#') && l.trim() !== '---';

  let start = 0; // first line to search
  let parentIndent = -1;
  let found: number | undefined;
  for (const seg of segments) {
    let hit: number | undefined;
    if (/^\d+$/.test(seg)) {
      const want = Number(seg);
      // A flow sequence on the parent line: the parent line is the best we can say.
      if (found !== undefined && /:\s*\[/.test(lines[found])) return found + 1;
      let count = -1;
      let itemIndent: number | undefined;
      for (let i = start; i < lines.length; i++) {
        const l = lines[i];
        if (!meaningful(l)) continue;
        const ind = indentOf(l);
        if (ind <= parentIndent && !(ind === parentIndent && l.trimStart().startsWith('- '))) break;
        if (l.trimStart().startsWith('-') && (itemIndent === undefined || ind === itemIndent)) {
          itemIndent = ind;
          count++;
          if (count === want) {
            hit = i;
            break;
          }
        }
      }
      if (hit === undefined) return found === undefined ? undefined : found + 1;
      found = hit;
      start = hit;
      // Keys of an item start after "- ".
      parentIndent = (itemIndent ?? 0) + 1;
      // The first key may sit on the dash line itself; allow matching it by restarting at this line.
      continue;
    }
    const keyRe = new RegExp(`^\\s*(?:-\\s+)?["']?${seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}["']?\\s*:`);
    for (let i = start; i < lines.length; i++) {
      const l = lines[i];
      if (!meaningful(l)) continue;
      const ind = indentOf(l);
      const isDashLine = l.trimStart().startsWith('- ');
      const keyIndent = isDashLine ? ind + 2 : ind;
      if (i > start || found === undefined) {
        if (keyIndent <= parentIndent && !(i === start && isDashLine)) break;
      }
      if (keyRe.test(l) && keyIndent > parentIndent) {
        hit = i;
        parentIndent = keyIndent;
        break;
      }
    }
    if (hit === undefined) return found === undefined ? undefined : found + 1;
    found = hit;
    start = hit + 1;
    // A flow mapping/sequence value continues on this line only.
    if (/:\s*[[{]/.test(lines[hit])) start = hit;
  }
  return found === undefined ? undefined : found + 1;
}
