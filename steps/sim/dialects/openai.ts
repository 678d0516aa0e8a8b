/**
 * The OpenAI-compatible routes (/v1/completions, /v1/chat/completions), shared by the vLLM dialect and TGI's
 * Messages API. Each server plugs in its own error body, model check and flavour fields.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Sse, generate, readBody, sendJson, type SimContext, type SseOptions } from '../shared.js';
import { promptTokenCount } from '../textgen.js';
import type { FinishReason } from '../engine.js';

export interface OpenAiFlavour {
  /** Error response in the server's own format. */
  error(res: ServerResponse, status: number, message: string, type: string): void;
  /** Model field check; returns an error message when the model is not served (undefined: accepted). */
  checkModel(model: unknown): string | undefined;
  /** `model` echoed in responses. */
  responseModel(requested: unknown): string;
  systemFingerprint?: string;
  /** Context-length rejection message (prompt tokens, requested max tokens, limit). */
  contextError(
    prompt: number,
    maxTokens: number | undefined,
    limit: number,
  ): { status: number; message: string; type: string };
  /** Default max_tokens when the request has none. */
  defaultMaxTokens(kind: 'completion' | 'chat', prompt: number, limit: number): number;
  /** Pydantic-style validation failures: status and type. */
  validation: { status: number; type: string };
  /** Request fields this server silently ignores. */
  unsupported?: ('ignore_eos' | 'min_tokens')[];
  /** Stream framing and chunk shapes: vLLM's (pydantic models, `data: `) or TGI's (serde structs, axum `data:`). */
  style: 'vllm' | 'tgi';
  sse: SseOptions;
  /** A stream's error event payload (JSON text), in the server's own format. */
  streamError(message: string): string;
  /** Errors the server raises inside the stream (HTTP 200 + error event) rather than as an HTTP status: TGI's
   * validation and overload errors happen in generate_stream_internal, after the SSE response has begun. */
  errorsInStream?: boolean;
  /** The server's own chunk shapes where they differ from vLLM's and TGI's (SGLang's completions); undefined: style's. */
  frames?(kind: 'completion' | 'chat', rid: string, object: string, created: number, model: string): Frames | undefined;
}

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const id = (p: string) => `${p}-${randomBytes(16).toString('hex')}`;

/** Mistral-Instruct's chat template, as the server applies it before counting prompt tokens. */
export function applyChatTemplate(messages: { role: string; content: string }[]): string {
  let text = '';
  let pendingSystem = '';
  for (const m of messages) {
    if (m.role === 'system') pendingSystem += m.content + '\n\n';
    else if (m.role === 'user') {
      text += `[INST] ${pendingSystem}${m.content} [/INST]`;
      pendingSystem = '';
    } else if (m.role === 'assistant') text += `${m.content}</s>`;
  }
  return text;
}

interface Parsed {
  prompt: string;
  promptTokens: number;
  maxTokens?: number;
  minTokens: number;
  ignoreEos: boolean;
  stream: boolean;
  includeUsage: boolean;
  continuousUsage: boolean;
  model: unknown;
}

/** Pydantic-style readers of optional fields: a value of the wrong type or range is recorded as a problem. */
function fieldReaders(b: Json, problems: string[]) {
  return {
    int(k: string, min: number): number | undefined {
      const v = b[k];
      if (v === undefined || v === null) return undefined;
      if (!Number.isInteger(v)) problems.push(`${k}\n  Input should be a valid integer`);
      else if ((v as number) < min) problems.push(`${k}\n  Input should be greater than or equal to ${min}`);
      return v as number;
    },
    bool(k: string): boolean | undefined {
      const v = b[k];
      if (v === undefined || v === null) return undefined;
      if (typeof v !== 'boolean') problems.push(`${k}\n  Input should be a valid boolean`);
      return v as boolean;
    },
  };
}

interface Prompt {
  prompt: string;
  promptTokens: number;
}

/** A completion's prompt: a string, a list of one string, or a list of token ids. */
function completionPrompt(b: Json, ctx: SimContext, problems: string[]): Prompt {
  const p = b.prompt;
  if (typeof p === 'string') return { prompt: p, promptTokens: promptTokenCount(ctx.tok, p) };
  if (Array.isArray(p) && p.length === 1 && typeof p[0] === 'string')
    return { prompt: p[0], promptTokens: promptTokenCount(ctx.tok, p[0]) };
  if (Array.isArray(p) && p.length > 0 && p.every((x) => Number.isInteger(x)))
    return { prompt: ctx.tok.decode(p as number[]), promptTokens: p.length };
  problems.push(
    'prompt\n  Input should be a valid string or a list of token ids (the simulator serves one prompt per request)',
  );
  return { prompt: '', promptTokens: 0 };
}

/** A chat request's messages through the chat template (text parts of a content list joined). */
function chatPrompt(b: Json, ctx: SimContext, problems: string[]): Prompt {
  const ms = b.messages;
  if (!Array.isArray(ms) || ms.length === 0) {
    problems.push('messages\n  Field required (a non-empty list)');
    return { prompt: '', promptTokens: 0 };
  }
  const msgs: { role: string; content: string }[] = [];
  ms.forEach((m, i) => {
    if (!isObj(m) || typeof m.role !== 'string') return problems.push(`messages.${i}.role\n  Field required`);
    let content = '';
    if (typeof m.content === 'string') content = m.content;
    else if (Array.isArray(m.content))
      content = m.content
        .map((c) => (isObj(c) && c.type === 'text' && typeof c.text === 'string' ? c.text : ''))
        .join('');
    else if (m.content !== null && m.content !== undefined)
      return problems.push(`messages.${i}.content\n  Input should be a valid string`);
    msgs.push({ role: m.role, content });
  });
  const prompt = applyChatTemplate(msgs);
  return { prompt, promptTokens: promptTokenCount(ctx.tok, prompt) };
}

/** stream_options (include_usage, continuous_usage_stats), allowed only on a streamed request. */
function streamOptions(b: Json, stream: boolean, problems: string[]) {
  const o = { includeUsage: false, continuousUsage: false };
  if (b.stream_options === undefined || b.stream_options === null) return o;
  if (!stream) problems.push('Stream options can only be defined when `stream=True`.');
  else if (!isObj(b.stream_options)) problems.push('stream_options\n  Input should be a valid dictionary');
  else {
    o.includeUsage = b.stream_options.include_usage === true;
    o.continuousUsage = b.stream_options.continuous_usage_stats === true;
  }
  return o;
}

function problemsOf(kind: 'completion' | 'chat', b: Json, ctx: SimContext): { parsed?: Parsed; problems: string[] } {
  const problems: string[] = [];
  const field = fieldReaders(b, problems);
  const { prompt, promptTokens } =
    kind === 'completion' ? completionPrompt(b, ctx, problems) : chatPrompt(b, ctx, problems);
  const maxTokens = field.int(
    kind === 'chat' && b.max_completion_tokens !== undefined ? 'max_completion_tokens' : 'max_tokens',
    1,
  );
  const minTokens = field.int('min_tokens', 0) ?? 0;
  const ignoreEos = field.bool('ignore_eos') ?? false;
  const stream = field.bool('stream') ?? false;
  const n = field.int('n', 1);
  if (n !== undefined && n > 1) problems.push('n\n  the simulator generates one choice per request (n = 1)');
  const { includeUsage, continuousUsage } = streamOptions(b, stream, problems);
  if (maxTokens !== undefined && minTokens > maxTokens)
    problems.push(`min_tokens must be less than or equal to max_tokens=${maxTokens}, got ${minTokens}.`);
  if (problems.length) return { problems };
  const parsed = { prompt, promptTokens, maxTokens, minTokens, ignoreEos, stream, includeUsage, continuousUsage };
  return { problems, parsed: { ...parsed, model: b.model } };
}

/** GET /v1/models: OpenAI's list of one model; `extra` follows the common fields, in the server's own order. */
export function sendModelList(
  res: ServerResponse,
  ctx: SimContext,
  id: string,
  owned_by: string,
  extra: Record<string, unknown> = {},
): void {
  const created = Math.floor(ctx.startedAt / 1000);
  sendJson(res, 200, { object: 'list', data: [{ id, object: 'model', created, owned_by, ...extra }] });
}

/** The request, parsed and checked; undefined once it was refused in the server's own error format. */
async function readRequest(
  kind: 'completion' | 'chat',
  req: IncomingMessage,
  res: ServerResponse,
  ctx: SimContext,
  f: OpenAiFlavour,
): Promise<Parsed | undefined> {
  const r = await readBody(req);
  if (!r.ok) return void f.error(res, f.validation.status, r.message, f.validation.type);
  const body = r.body;
  if (!isObj(body))
    return void f.error(
      res,
      f.validation.status,
      'Input should be a valid dictionary or object to extract fields from',
      f.validation.type,
    );
  const bad = f.checkModel(body.model);
  if (bad) return void f.error(res, 404, bad, 'NotFoundError');
  for (const k of f.unsupported ?? []) delete body[k];
  const { parsed: p, problems } = problemsOf(kind, body, ctx);
  if (!p)
    return void f.error(
      res,
      f.validation.status,
      problems.length === 1 && !problems[0].includes('\n')
        ? problems[0]
        : `${problems.length} validation error${problems.length > 1 ? 's' : ''} for ${kind === 'chat' ? 'ChatCompletionRequest' : 'CompletionRequest'}\n${problems.join('\n')}`,
      f.validation.type,
    );
  return p;
}

export async function handleOpenAi(
  kind: 'completion' | 'chat',
  req: IncomingMessage,
  res: ServerResponse,
  ctx: SimContext,
  f: OpenAiFlavour,
): Promise<void> {
  const p = await readRequest(kind, req, res, ctx, f);
  if (!p) return;
  const limit = ctx.profile.engine.max_model_len;
  if (p.promptTokens >= limit || (p.maxTokens !== undefined && p.promptTokens + p.maxTokens > limit)) {
    const e = f.contextError(p.promptTokens, p.maxTokens, limit);
    if (p.stream && f.errorsInStream) return streamFailure(res, f, e.message);
    return f.error(res, e.status, e.message, e.type);
  }
  const maxTokens = p.maxTokens ?? f.defaultMaxTokens(kind, p.promptTokens, limit);
  ctx.onInferenceRequest();
  const injected = ctx.faults.error();
  if (injected && !(p.stream && f.errorsInStream))
    return f.error(res, 500, 'Simulated internal error (fault injection: error_rate)', 'InternalServerError');
  const rid = id(kind === 'chat' ? 'chatcmpl' : 'cmpl');
  const created = Math.floor(Date.now() / 1000);
  const model = f.responseModel(p.model);
  const object = kind === 'chat' ? (p.stream ? 'chat.completion.chunk' : 'chat.completion') : 'text_completion';
  const fp = f.systemFingerprint !== undefined ? { system_fingerprint: f.systemFingerprint } : {};
  const c: Completion = { kind, p, f, ctx, req, res, maxTokens, rid, created, model, object, fp };
  if (p.stream) streamCompletion(c, injected);
  else respondCompletion(c);
}

/** One admitted request and the fields every response to it repeats. */
interface Completion {
  kind: 'completion' | 'chat';
  p: Parsed;
  f: OpenAiFlavour;
  ctx: SimContext;
  req: IncomingMessage;
  res: ServerResponse;
  maxTokens: number;
  rid: string;
  created: number;
  model: string;
  object: string;
  fp: { system_fingerprint?: string };
}

const usageOf = (c: Completion, completion: number) => ({
  prompt_tokens: c.p.promptTokens,
  total_tokens: c.p.promptTokens + completion,
  completion_tokens: completion,
});

function streamCompletion(c: Completion, injected: boolean): void {
  const { kind, p, f, ctx, rid, object, created, model, fp, maxTokens } = c;
  const sse = new Sse(c.res, f.sse);
  sse.open();
  const g = {
    prompt: p.prompt,
    promptTokens: p.promptTokens,
    maxTokens,
    minTokens: p.minTokens,
    ignoreEos: p.ignoreEos,
    errorAt: injected ? ctx.faults.errorAfter(maxTokens) : undefined,
  };
  const frames =
    f.frames?.(kind, rid, object, created, model) ??
    (f.style === 'tgi' ? tgiFrames(kind, model, created, f) : vllmFrames(kind, rid, object, created, model));
  const choice = (text: string, finish: FinishReason | null) =>
    kind === 'chat'
      ? { index: 0, delta: { content: text }, logprobs: null, finish_reason: finish }
      : { index: 0, text, logprobs: null, finish_reason: finish, stop_reason: null };
  generate(ctx, c.req, c.res, g, {
    onToken: (i, _id, piece, s, json) => {
      const finish = s.generated >= s.target ? s.reason : null;
      if (i === 0 && frames.first) sse.send(frames.first);
      if (p.continuousUsage && f.style === 'vllm') {
        const usage = usageOf(c, i + 1);
        sse.send({ id: rid, object, created, model, ...fp, choices: [choice(piece, finish)], usage });
        return;
      }
      for (const fr of [frames.token(json, finish)].flat()) sse.send(fr);
    },
    onFinish: (_r, n) => {
      if (p.includeUsage) sse.send(frames.usage(p.promptTokens, n));
      sse.send('[DONE]');
      sse.end();
    },
    onError: () => {
      sse.send(
        f.streamError('Request failed during generation: simulated engine failure (fault injection: error_rate)'),
      );
      sse.send('[DONE]');
      sse.end();
    },
  });
}

function respondCompletion(c: Completion): void {
  const { kind, p, rid, object, created, model, fp } = c;
  const pieces: string[] = [];
  generate(
    c.ctx,
    c.req,
    c.res,
    {
      prompt: p.prompt,
      promptTokens: p.promptTokens,
      maxTokens: c.maxTokens,
      minTokens: p.minTokens,
      ignoreEos: p.ignoreEos,
    },
    {
      onToken: (_i, _id, piece) => void pieces.push(piece),
      onFinish: (reason, n) => {
        const text = pieces.join('');
        const choice =
          kind === 'chat'
            ? {
                index: 0,
                message: { role: 'assistant', content: text, refusal: null, tool_calls: [] },
                logprobs: null,
                finish_reason: reason,
                stop_reason: null,
              }
            : { index: 0, text, logprobs: null, finish_reason: reason, stop_reason: null, prompt_logprobs: null };
        sendJson(c.res, 200, { id: rid, object, created, model, ...fp, choices: [choice], usage: usageOf(c, n) });
      },
    },
  );
}

/** HTTP 200, one error event, [DONE]: how a server reports an error raised inside its stream. */
function streamFailure(res: ServerResponse, f: OpenAiFlavour, message: string): void {
  const sse = new Sse(res, f.sse);
  sse.open();
  sse.send(f.streamError(message));
  sse.send('[DONE]');
  sse.end();
}

export interface Frames {
  /** Sent with the first token, before it (vLLM's chat role chunk). */
  first?: string;
  /** The events for one token: one, or none or several where the server writes them so (SGLang's chat). */
  token(pieceJson: string, finish: string | null): string | string[];
  usage(prompt: number, completion: number): string;
}

/**
 * vLLM (serving_completion.py / serving_chat.py): completions chunks are `model_dump_json(exclude_unset=False)` —
 * every field, `usage: null` included; chat chunks `exclude_unset=True`, the last one adding `stop_reason`; the
 * chat role chunk goes out when the first output arrives, right before the first token. A natural stop ends with
 * the EOS token's chunk: text "" and finish_reason "stop". Usage: `exclude_none`, fields prompt/total/completion.
 */
function vllmFrames(kind: 'completion' | 'chat', rid: string, object: string, created: number, model: string): Frames {
  const head = `{"id":"${rid}","object":"${object}","created":${created},"model":${JSON.stringify(model)},"choices":[{"index":0,`;
  const fin = (r: string | null) => (r ? `"${r}"` : 'null');
  return {
    first:
      kind === 'chat'
        ? head + '"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}]}'
        : undefined,
    token:
      kind === 'chat'
        ? (json, r) =>
            head +
            `"delta":{"content":${json}},"logprobs":null,"finish_reason":${fin(r)}${r ? ',"stop_reason":null' : ''}}]}`
        : (json, r) =>
            head +
            `"text":${json},"logprobs":null,"finish_reason":${fin(r)},"stop_reason":null,"prompt_token_ids":null,"token_ids":null}],"usage":null}`,
    usage: (p, c) =>
      `{"id":"${rid}","object":"${object}","created":${created},"model":${JSON.stringify(model)},"choices":[],"usage":{"prompt_tokens":${p},"total_tokens":${p + c},"completion_tokens":${c}}}`,
  };
}

/**
 * TGI's Messages API (router/src/chat.rs, lib.rs): serde structs in declaration order, the `object` tag first,
 * `id` empty, every delta `{role: "assistant", content}` (a special token has content ""), `usage: null` until the
 * include_usage chunk; no role chunk. finish_reason `eos_token` is reported as "stop".
 */
function tgiFrames(kind: 'completion' | 'chat', model: string, created: number, f: OpenAiFlavour): Frames {
  const fp = JSON.stringify(f.systemFingerprint ?? '');
  if (kind === 'completion') {
    const head = `{"object":"text_completion","id":"","created":${created},"model":${JSON.stringify(model)},"system_fingerprint":${fp},"choices":[`;
    return {
      token: (json, r) =>
        head + `{"index":0,"text":${json},"logprobs":null,"finish_reason":${r ? `"${r}"` : 'null'}}],"usage":null}`,
      usage: (p, c) => head + `],"usage":{"prompt_tokens":${p},"completion_tokens":${c},"total_tokens":${p + c}}}`,
    };
  }
  const head = `{"object":"chat.completion.chunk","id":"","created":${created},"model":${JSON.stringify(model)},"system_fingerprint":${fp},"choices":[`;
  return {
    token: (json, r) =>
      head +
      `{"index":0,"delta":{"role":"assistant","content":${json}},"logprobs":null,"finish_reason":${r ? `"${r}"` : 'null'}}],"usage":null}`,
    usage: (p, c) => head + `],"usage":{"prompt_tokens":${p},"completion_tokens":${c},"total_tokens":${p + c}}}`,
  };
}
