/**
 * What a Tekton Triggers EventListener does with one event, for tests: the github interceptor's event-type
 * check, the CEL interceptors (filter + overlays, evaluated by @bufbuild/cel with the strings extension, as
 * cel-go's Triggers interceptor has), the TriggerBindings and the TriggerTemplate. The HMAC check is in
 * `verifyGitHubSignature`, written from GitHub's documented algorithm.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { run } from '@bufbuild/cel';
import { strings as celStrings } from '@bufbuild/cel/ext';
import { loadDocs, ofKind, type Obj } from './tekton.js';

const docs = loadDocs();
const [el] = ofKind(docs, 'EventListener');
const bindings = new Map<string, Obj>(ofKind(docs, 'TriggerBinding').map((d) => [d.obj.metadata.name, d.obj]));
const templates = new Map<string, Obj>(ofKind(docs, 'TriggerTemplate').map((d) => [d.obj.metadata.name, d.obj]));

/** X-Hub-Signature-256: "sha256=" + hex HMAC-SHA256 of the raw body with the webhook secret. */
export function verifyGitHubSignature(secret: string, rawBody: string, header: string | undefined): boolean {
  if (!header?.startsWith('sha256=')) return false;
  const want = Buffer.from('sha256=' + createHmac('sha256', secret).update(rawBody).digest('hex'));
  const got = Buffer.from(header);
  return want.length === got.length && timingSafeEqual(want, got);
}

/** JSON → CEL input (objects become maps), as the Triggers CEL interceptor sees the body. */
const toCel = (v: unknown): unknown =>
  Array.isArray(v)
    ? v.map(toCel)
    : v && typeof v === 'object'
      ? new Map(Object.entries(v).map(([k, x]) => [k, toCel(x)]))
      : v;

/** What the EventListener would do with one event: the first trigger whose interceptors all pass. */
export function dispatch(eventType: string, body: Obj): { trigger: string; run: Obj } | null {
  for (const t of el.obj.spec.triggers) {
    const gh = Object.fromEntries(t.interceptors[0].params.map((p: Obj) => [p.name, p.value]));
    if (!gh.eventTypes.includes(eventType)) continue; // the github interceptor rejects other event types
    const extensions: Record<string, unknown> = {};
    let pass = true;
    for (const ic of t.interceptors.slice(1)) {
      const params = Object.fromEntries(ic.params.map((p: Obj) => [p.name, p.value]));
      const vars = { body: toCel(body), extensions: toCel(extensions) } as Record<string, unknown>;
      if (params.filter && run(params.filter, vars as never, { funcs: celStrings }) !== true) pass = false;
      for (const o of params.overlays ?? [])
        extensions[o.key] = run(o.expression, vars as never, { funcs: celStrings });
      if (!pass) break;
    }
    if (!pass) continue;
    // Bindings: $(body.a.b) / $(extensions.x) inside strings; JSON values rendered as JSON (numbers stay 7).
    const ttParams: Record<string, string> = {};
    for (const b of t.bindings) {
      for (const p of bindings.get(b.ref)!.spec.params) {
        ttParams[p.name] = String(p.value).replace(/\$\(((?:body|extensions)(?:\.[\w-]+)+)\)/g, (_m, ref: string) => {
          const [root, ...keys] = ref.split('.');
          const v = keys.reduce<unknown>((a, k) => (a as Obj | undefined)?.[k], root === 'body' ? body : extensions);
          if (v === undefined) throw new Error(`binding ${b.ref}: $(${ref}) not in the payload`);
          return typeof v === 'string' ? v : JSON.stringify(v);
        });
      }
    }
    const tt = templates.get(t.template.ref)!;
    for (const p of tt.spec.params) if (!(p.name in ttParams)) ttParams[p.name] = p.default;
    const rendered = JSON.parse(JSON.stringify(tt.spec.resourcetemplates[0]), (_k, v) =>
      typeof v === 'string' ? v.replace(/\$\(tt\.params\.([\w-]+)\)/g, (_m, n: string) => ttParams[n]) : v,
    );
    return { trigger: t.name, run: rendered };
  }
  return null;
}
