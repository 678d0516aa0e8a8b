/**
 * The import graph between step folders (steps/<folder>), read with TypeScript's own parser so multi-line,
 * type-only, re-export and dynamic imports all count. Used by imports.test.ts.
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

export interface ImportEdge {
  from: string;
  to: string;
  /** One file (relative to the repository) that makes the edge, for the failure message. */
  file: string;
  specifier: string;
}

/** Every .ts file under dir (repository-relative, '/' separators), tests excluded unless asked. */
export function sourceFiles(root: string, dir: string, withTests = false): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(path.join(root, d), { withFileTypes: true })) {
      const rel = `${d}/${e.name}`;
      if (e.isDirectory()) walk(rel);
      else if (e.name.endsWith('.ts') && (withTests || !e.name.endsWith('.test.ts'))) out.push(rel);
    }
  };
  walk(dir);
  return out.sort();
}

/** Module specifiers a file imports: import/export … from, import('…'), import x = require('…'). */
export function importSpecifiers(fileName: string, text: string): string[] {
  const sf = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const out: string[] = [];
  const visit = (n: ts.Node): void => {
    if ((ts.isImportDeclaration(n) || ts.isExportDeclaration(n)) && n.moduleSpecifier) {
      if (ts.isStringLiteral(n.moduleSpecifier)) out.push(n.moduleSpecifier.text);
    } else if (ts.isCallExpression(n) && n.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const a = n.arguments[0];
      if (a && ts.isStringLiteralLike(a)) out.push(a.text);
    } else if (ts.isImportEqualsDeclaration(n) && ts.isExternalModuleReference(n.moduleReference)) {
      const e = n.moduleReference.expression;
      if (ts.isStringLiteral(e)) out.push(e.text);
    } else if (ts.isImportTypeNode(n) && ts.isLiteralTypeNode(n.argument) && ts.isStringLiteral(n.argument.literal)) {
      out.push(n.argument.literal.text);
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return out;
}

/** The step folder a repository-relative path belongs to: steps/<folder>/…, or '(steps)' for steps/*.ts. */
export function stepFolder(rel: string): string | null {
  const parts = rel.split('/');
  if (parts[0] !== 'steps') return null;
  return parts.length > 2 ? parts[1] : '(steps)';
}

/** Edges between different step folders, one per (from, to) pair, made by relative imports. */
export function folderEdges(root: string, files: string[]): ImportEdge[] {
  const edges = new Map<string, ImportEdge>();
  for (const file of files) {
    const from = stepFolder(file);
    if (!from) continue;
    for (const specifier of importSpecifiers(file, readFileSync(path.join(root, file), 'utf8'))) {
      if (!specifier.startsWith('.')) continue;
      const target = path.posix.normalize(path.posix.join(path.posix.dirname(file), specifier));
      const to = stepFolder(target);
      if (!to || to === from) continue;
      const key = `${from}→${to}`;
      if (!edges.has(key)) edges.set(key, { from, to, file, specifier });
    }
  }
  return [...edges.values()];
}

/** Strongly connected components with more than one folder (Tarjan): each is an import cycle. */
export function cycles(edges: ImportEdge[]): string[][] {
  const adj = new Map<string, string[]>();
  for (const e of edges) {
    adj.set(e.from, [...(adj.get(e.from) ?? []), e.to]);
    if (!adj.has(e.to)) adj.set(e.to, []);
  }
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  const connect = (v: string): void => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of adj.get(v)!) {
      if (!index.has(w)) {
        connect(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1) out.push(scc.sort());
    }
  };
  for (const v of [...adj.keys()].sort()) if (!index.has(v)) connect(v);
  return out;
}

/** A cycle as readable lines: each edge inside it with the file that makes it. */
export function describeCycle(scc: string[], edges: ImportEdge[]): string {
  const inside = new Set(scc);
  return edges
    .filter((e) => inside.has(e.from) && inside.has(e.to))
    .map((e) => `${e.from} → ${e.to} (${e.file} imports '${e.specifier}')`)
    .sort()
    .join('\n');
}

/**
 * Edges that break the layering: a folder in layers[i] may import only folders in layers[0..i-1]. Folders in no
 * layer (the steps that use servers by name) may import anything, as long as no cycle forms.
 */
export function layerViolations(edges: ImportEdge[], layers: readonly (readonly string[])[]): string[] {
  const level = new Map<string, number>();
  layers.forEach((l, i) => l.forEach((f) => level.set(f, i)));
  return edges
    .filter((e) => level.has(e.from) && !(level.has(e.to) && level.get(e.to)! < level.get(e.from)!))
    .map((e) => {
      const below = layers.slice(0, level.get(e.from)).flat();
      return `${e.from} → ${e.to} (${e.file} imports '${e.specifier}'): ${e.from} may import ${below.length ? `only ${below.join(', ')}` : 'no other step folder'}`;
    })
    .sort();
}
