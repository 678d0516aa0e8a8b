/**
 * The OpenAI-compatible routes (/v1/completions, /v1/chat/completions), shared by the vLLM dialect and TGI's
 * Messages API. Each server plugs in its own error body, model check and flavour fields.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { BodyError, Sse, generate, readJson, sendJson, type SimContext } from '../shared.js';
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
    return f.error(res, e.status, e.message, e.type);
  }
  const maxTokens = p.maxTokens ?? f.defaultMaxTokens(kind, p.promptTokens, limit);
  ctx.onInferenceRequest();
  if (ctx.faults.error())
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
    const sse = new Sse(res);
    sse.open();
    // vLLM sends the assistant role first, before any token (it carries no output, so it is not the TTFT chunk).
    if (kind === 'chat')
      sse.send({
        id: rid,
        object,
        created,
        model,
        ...fp,
        choices: [{ index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }],
      });
    // Hot path (one event per token per stream): the chunk is pre-serialized around the token's JSON literal.
    const head = `{"id":"${rid}","object":"${object}","created":${created},"model":${JSON.stringify(model)}${f.systemFingerprint !== undefined ? `,"system_fingerprint":${JSON.stringify(f.systemFingerprint)}` : ''},"choices":[{"index":0,${kind === 'chat' ? '"delta":{"content":' : '"text":'}`;
    const mid = kind === 'chat' ? '},"logprobs":null,"finish_reason":' : ',"logprobs":null,"finish_reason":';
    const tail = kind === 'chat' ? '}]}' : ',"stop_reason":null}]}';
    generate(
      ctx,
      req,
      res,
      { prompt: p.prompt, promptTokens: p.promptTokens, maxTokens, minTokens: p.minTokens, ignoreEos: p.ignoreEos },
      {
        onToken: (i, _id, piece, s, json) => {
          const finish = s.generated >= s.target ? s.reason : null;
          if (p.continuousUsage) {
            sse.send({ id: rid, object, created, model, ...fp, choices: [choice(piece, finish)], usage: usage(i + 1) });
            return;
          }
          sse.send(head + json + mid + (finish ? `"${finish}"` : 'null') + tail);
        },
        onFinish: (_r, n) => {
          if (p.includeUsage) sse.send({ id: rid, object, created, model, ...fp, choices: [], usage: usage(n) });
          sse.send('[DONE]');
          sse.end();
        },
      },
    );
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
