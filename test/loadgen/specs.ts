/**
 * Request-body validators built from the published specs (OpenAI OpenAPI, TGI OpenAPI, OIP generate), so the
 * loopback servers in the load-generator tests reject anything the real servers' contracts would not accept.
 * The schemas come from test/fixtures/loadgen/spec-subset.json, extracted from test/fixtures/specs by
 * test/loadgen/extract-specs.ts.
 */
import { readFileSync } from 'node:fs';
import { Ajv, type ValidateFunction } from 'ajv';
import type { Route } from '../../steps/adapters/scripted-server.js';
import { FIXTURE } from './extract-specs.js';

let cache: ((route: Route, body: unknown) => string[]) | undefined;

/** OpenAPI's `nullable: true` is not JSON Schema: rewrite it to a null type (or an anyOf with null). */
function denullable(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(denullable);
  if (!node || typeof node !== 'object') return node;
  const o: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) o[k] = denullable(v);
  if (o.nullable === true) {
    delete o.nullable;
    if (typeof o.type === 'string') return { ...o, type: [o.type, 'null'] };
    if (Array.isArray(o.type)) return { ...o, type: [...o.type, 'null'] };
    return { anyOf: [o, { type: 'null' }] };
  }
  if ('nullable' in o) delete o.nullable;
  return o;
}

function compile(ajv: Ajv, id: string, name: string): ValidateFunction {
  const v = ajv.getSchema(`${id}#/components/schemas/${name}`);
  if (!v) throw new Error(`schema ${name} not found in ${id}`);
  return v;
}

/** Validates the body of each route against its published request schema; returns problems (empty = valid). */
export function specValidator(): (route: Route, body: unknown) => string[] {
  if (cache) return cache;
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
  const subset = JSON.parse(readFileSync(FIXTURE, 'utf8')) as Record<string, Record<string, unknown>>;
  const { openai, tgi, oip: gen } = subset;
  ajv.addSchema({ ...(denullable(openai) as object), $id: 'openai' });
  ajv.addSchema({ ...(denullable(tgi) as object), $id: 'tgi' });
  ajv.addSchema({ ...(denullable(gen) as object), $id: 'oip-generate' });
  const v: Record<Route, ValidateFunction> = {
    completions: compile(ajv, 'openai', 'CreateCompletionRequest'),
    chat: compile(ajv, 'openai', 'CreateChatCompletionRequest'),
    tgi: compile(ajv, 'tgi', 'GenerateRequest'),
    // Triton's generate extension is close to OIP's but not identical (https://github.com/triton-inference-server/server/blob/main/docs/protocol/extension_generate.md): the OIP schema checks
    // text_input; the vLLM backend's own inputs are checked by the Triton test itself.
    triton: compile(ajv, 'oip-generate', 'GenerateRequest'),
  };
  const tgiChat = compile(ajv, 'tgi', 'ChatRequest');
  cache = (route, body) => {
    const fn = v[route];
    const problems: string[] = [];
    if (!fn(body)) problems.push(...(fn.errors ?? []).map((e) => `${route}${e.instancePath} ${e.message}`));
    // /v1/chat/completions is also TGI's Messages API: a chat body must satisfy both contracts when the test says so.
    if (route === 'chat' && (body as { max_tokens?: unknown }).max_tokens !== undefined && !tgiChat(body)) {
      problems.push(...(tgiChat.errors ?? []).map((e) => `tgi-chat${e.instancePath} ${e.message}`));
    }
    return problems;
  };
  return cache;
}
