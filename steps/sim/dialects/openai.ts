/**
 * The OpenAI-compatible routes (/v1/completions, /v1/chat/completions), shared by the vLLM dialect and TGI's
 * Messages API. Each server plugs in its own error body, model check and flavour fields.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { BodyError, Sse, generate, readJson, sendJson, type SimContext, type SseOptions } from '../shared.js';
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

function problemsOf(kind: 'completion' | 'chat', b: Json, ctx: SimContext): { parsed?: Parsed; problems: string[] } {
  const problems: string[] = [];
  const intField = (k: string, min: number) => {
    const v = b[k];
    if (v === undefined || v === null) return undefined;
    if (!Number.isInteger(v)) problems.push(`${k}\n  Input should be a valid integer`);
    else if ((v as number) < min) problems.push(`${k}\n  Input should be greater than or equal to ${min}`);
    return v as number;
  };
  const boolField = (k: string) => {
    const v = b[k];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'boolean') problems.push(`${k}\n  Input should be a valid boolean`);
    return v as boolean;
  };
  let prompt = '';
  let promptTokens = 0;
  if (kind === 'completion') {
    const p = b.prompt;
    if (typeof p === 'string') {
      prompt = p;
      promptTokens = promptTokenCount(ctx.tok, p);
    } else if (Array.isArray(p) && p.length === 1 && typeof p[0] === 'string') {
      prompt = p[0];
      promptTokens = promptTokenCount(ctx.tok, p[0]);
    } else if (Array.isArray(p) && p.length > 0 && p.every((x) => Number.isInteger(x))) {
      prompt = ctx.tok.decode(p as number[]);
      promptTokens = p.length;
    } else
      problems.push(
        'prompt\n  Input should be a valid string or a list of token ids (the simulator serves one prompt per request)',
      );
  } else {
    const ms = b.messages;
    if (!Array.isArray(ms) || ms.length === 0) problems.push('messages\n  Field required (a non-empty list)');
    else {
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
      prompt = applyChatTemplate(msgs);
      promptTokens = promptTokenCount(ctx.tok, prompt);
    }
  }
  const maxTokens = intField(
    kind === 'chat' && b.max_completion_tokens !== undefined ? 'max_completion_tokens' : 'max_tokens',
    1,
  );
  const minTokens = intField('min_tokens', 0) ?? 0;
  const ignoreEos = boolField('ignore_eos') ?? false;
  const stream = boolField('stream') ?? false;
  const n = intField('n', 1);
  if (n !== undefined && n > 1) problems.push('n\n  the simulator generates one choice per request (n = 1)');
  let includeUsage = false;
  let continuousUsage = false;
  if (b.stream_options !== undefined && b.stream_options !== null) {
    if (!stream) problems.push('Stream options can only be defined when `stream=True`.');
    else if (!isObj(b.stream_options)) problems.push('stream_options\n  Input should be a valid dictionary');
    else {
      includeUsage = b.stream_options.include_usage === true;
      continuousUsage = b.stream_options.continuous_usage_stats === true;
    }
  }
  if (maxTokens !== undefined && minTokens > maxTokens)
    problems.push(`min_tokens must be less than or equal to max_tokens=${maxTokens}, got ${minTokens}.`);
  return problems.length
    ? { problems }
    : {
        problems,
        parsed: {
          prompt,
          promptTokens,
          maxTokens,
          minTokens,
          ignoreEos,
          stream,
          includeUsage,
          continuousUsage,
          model: b.model,
        },
      };
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

export async function handleOpenAi(
  kind: 'completion' | 'chat',
  req: IncomingMessage,
  res: ServerResponse,
  ctx: SimContext,
  f: OpenAiFlavour,
): Promise<void> {
  let body: unknown;
  try {
    body = await readJson(req);
  } catch (e) {
    return f.error(res, f.validation.status, e instanceof BodyError ? e.message : String(e), f.validation.type);
  }
  if (!isObj(body))
    return f.error(
      res,
      f.validation.status,
      'Input should be a valid dictionary or object to extract fields from',
      f.validation.type,
    );
  const bad = f.checkModel(body.model);
  if (bad) return f.error(res, 404, bad, 'NotFoundError');
  for (const k of f.unsupported ?? []) delete body[k];
  const { parsed: p, problems } = problemsOf(kind, body, ctx);
  if (!p)
    return f.error(
      res,
      f.validation.status,
      problems.length === 1 && !problems[0].includes('\n')
        ? problems[0]
        : `${problems.length} validation error${problems.length > 1 ? 's' : ''} for ${kind === 'chat' ? 'ChatCompletionRequest' : 'CompletionRequest'}\n${problems.join('\n')}`,
      f.validation.type,
    );
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
  const usage = (completion: number) => ({
    prompt_tokens: p.promptTokens,
    total_tokens: p.promptTokens + completion,
    completion_tokens: completion,
  });
  const choice = (text: string, finish: FinishReason | null) =>
    kind === 'chat'
      ? { index: 0, delta: { content: text }, logprobs: null, finish_reason: finish }
      : { index: 0, text, logprobs: null, finish_reason: finish, stop_reason: null };

  if (p.stream) {
    const sse = new Sse(res, f.sse);
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
    generate(ctx, req, res, g, {
      onToken: (i, _id, piece, s, json) => {
        const finish = s.generated >= s.target ? s.reason : null;
        if (i === 0 && frames.first) sse.send(frames.first);
        if (p.continuousUsage && f.style === 'vllm') {
          sse.send({ id: rid, object, created, model, ...fp, choices: [choice(piece, finish)], usage: usage(i + 1) });
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
    return;
  }
  const pieces: string[] = [];
  generate(
    ctx,
    req,
    res,
    { prompt: p.prompt, promptTokens: p.promptTokens, maxTokens, minTokens: p.minTokens, ignoreEos: p.ignoreEos },
    {
      onToken: (_i, _id, piece) => void pieces.push(piece),
      onFinish: (reason, n) => {
        const text = pieces.join('');
        const c =
          kind === 'chat'
            ? {
                index: 0,
                message: { role: 'assistant', content: text, refusal: null, tool_calls: [] },
                logprobs: null,
                finish_reason: reason,
                stop_reason: null,
              }
            : { index: 0, text, logprobs: null, finish_reason: reason, stop_reason: null, prompt_logprobs: null };
        sendJson(res, 200, { id: rid, object, created, model, ...fp, choices: [c], usage: usage(n) });
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
