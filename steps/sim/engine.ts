/**
 * The shared engine: continuous batching over a paged KV cache, driven by one clock event per engine step for
 * all sequences. Capacity is derived from the profile (GPU memory × utilization − weights − activations, in
 * blocks of 16 tokens); requests wait FIFO, are prefilled (chunked or as prefill-only steps), then decode one
 * token per step; a sequence that cannot grow preempts the newest running sequence (recompute, as vLLM does).
 * Step duration comes from the roofline PerfModel with seeded jitter.
 */
import type { Clock } from './clock.js';
import { gauss, rng } from './clock.js';
import { Histogram, LATENCY_BUCKETS, TOKEN_BUCKETS } from './metrics.js';
import { PerfModel, type StepWork } from './perf.js';
import type { ResolvedProfile } from './profiles.js';

export type FinishReason = 'length' | 'stop';

export interface SeqSink {
  /** One output token was produced at simulated time `t` (its index is `seq.generated - 1`). */
  onToken(seq: Seq, t: number): void;
  onFinish(seq: Seq, reason: FinishReason, t: number): void;
}

export interface SubmitOptions {
  promptTokens: number;
  /** Tokens the sequence will produce before finishing (already capped by max_tokens / natural EOS). */
  outputTokens: number;
  finishReason: FinishReason;
  sink: SeqSink;
}

export class Seq {
  state: 'waiting' | 'running' | 'done' | 'aborted' = 'waiting';
  /** Tokens whose KV is in the cache. */
  computed = 0;
  /** Tokens that must be in the cache before the next token can be sampled (prompt; + output after preemption). */
  prefillTarget: number;
  generated = 0;
  blocks = 0;
  admittedAt = NaN;
  firstTokenAt = NaN;
  lastTokenAt = NaN;
  preemptions = 0;
  constructor(
    readonly id: number,
    readonly promptTokens: number,
    readonly target: number,
    readonly reason: FinishReason,
    readonly arrival: number,
    readonly readyAt: number,
    readonly sink: SeqSink,
  ) {
    this.prefillTarget = promptTokens;
  }
  get inPrefill(): boolean {
    return this.computed < this.prefillTarget;
  }
}

export interface EngineOptions {
  seed?: number;
  /** Multiplies every step time (the `slowdown` fault: 1.05 plants a 5 % regression). */
  slowdown?: number;
  /** Log-normal sigma of per-step jitter. */
  jitter?: number;
}

export class EngineStats {
  promptTokens = 0;
  generationTokens = 0;
  preemptions = 0;
  steps = 0;
  busySeconds = 0;
  finished: Record<string, number> = { length: 0, stop: 0, abort: 0 };
  ttft = new Histogram(LATENCY_BUCKETS);
  itl = new Histogram(LATENCY_BUCKETS);
  e2e = new Histogram(LATENCY_BUCKETS);
  queue = new Histogram(LATENCY_BUCKETS);
  prefill = new Histogram(LATENCY_BUCKETS);
  decode = new Histogram(LATENCY_BUCKETS);
  stepTime = new Histogram(LATENCY_BUCKETS);
  /** How late (simulated seconds) steps were processed behind their simulated end: the simulator's own lag. */
  lag = new Histogram(LATENCY_BUCKETS);
  maxLag = 0;
  stepTokens = new Histogram(TOKEN_BUCKETS);
  batchSize = new Histogram(TOKEN_BUCKETS);
  promptHist = new Histogram(TOKEN_BUCKETS);
  generationHist = new Histogram(TOKEN_BUCKETS);
}

interface PlanEntry {
  seq: Seq;
  n: number;
}

export class Engine {
  readonly perf: PerfModel;
  readonly stats = new EngineStats();
  readonly totalBlocks: number;
  private freeBlocks: number;
  private waiting: Seq[] = [];
  private waitHead = 0;
  /** Preempted sequences go back ahead of every other waiting request. */
  private preempted: Seq[] = [];
  private running: Seq[] = [];
  private stepping = false;
  private lastEnd = 0;
  private wake?: { cancel(): void; t: number };
  private stepTimer?: { cancel(): void };
  private nextId = 1;
  private waitingCount = 0;
  private readonly rand: () => number;
  private closed = false;

  constructor(
    readonly profile: ResolvedProfile,
    readonly clock: Clock,
    private readonly opts: EngineOptions = {},
  ) {
    this.perf = new PerfModel(profile);
    this.totalBlocks = profile.kvBlocks;
    this.freeBlocks = this.totalBlocks;
    this.rand = rng(opts.seed ?? 0);
  }

  get numRunning(): number {
    return this.running.length;
  }
  get numWaiting(): number {
    return this.waitingCount;
  }
  get kvUsage(): number {
    return this.totalBlocks ? 1 - this.freeBlocks / this.totalBlocks : 0;
  }
  setSlowdown(f: number): void {
    this.opts.slowdown = f;
  }

  submit(o: SubmitOptions): Seq {
    const now = this.clock.now();
    const s = new Seq(
      this.nextId++,
      o.promptTokens,
      Math.max(1, o.outputTokens),
      o.finishReason,
      now,
      now + this.perf.perRequestSeconds,
      o.sink,
    );
    this.waiting.push(s);
    this.waitingCount++;
    this.kick();
    return s;
  }

  abort(s: Seq): void {
    if (s.state === 'done' || s.state === 'aborted') return;
    if (s.state === 'waiting') this.waitingCount--;
    this.freeBlocks += s.blocks;
    s.blocks = 0;
    s.state = 'aborted';
    this.stats.finished.abort++;
  }

  /** Stops scheduling (crash / close); sequences in flight are aborted without callbacks. */
  close(): void {
    this.closed = true;
    this.stepTimer?.cancel();
    this.wake?.cancel();
    for (const s of [...this.running, ...this.waiting.slice(this.waitHead), ...this.preempted]) this.abort(s);
    this.running = [];
    this.waiting = [];
    this.waitHead = 0;
    this.preempted = [];
  }

  private peekWaiting(): Seq | undefined {
    while (this.preempted.length && this.preempted[this.preempted.length - 1].state !== 'waiting') this.preempted.pop();
    if (this.preempted.length) return this.preempted[this.preempted.length - 1];
    while (this.waitHead < this.waiting.length && this.waiting[this.waitHead].state !== 'waiting') this.waitHead++;
    if (this.waitHead > 4096 && this.waitHead * 2 > this.waiting.length) {
      this.waiting = this.waiting.slice(this.waitHead);
      this.waitHead = 0;
    }
    return this.waiting[this.waitHead];
  }
  private popWaiting(): Seq {
    const s = this.preempted.length ? this.preempted.pop()! : this.waiting[this.waitHead++];
    this.waitingCount--;
    return s;
  }

  private kick(): void {
    if (this.stepping || this.closed) return;
    this.running = this.running.filter((s) => s.state === 'running');
    const head = this.peekWaiting();
    if (!this.running.length && !head) return;
    // A busy engine chains steps on simulated end times, so a late timer never stretches simulated time (the
    // next step simply runs at once: catch-up). Only an idle engine restarts at the current time.
    const busy = this.running.length > 0 || (head !== undefined && head.readyAt <= this.lastEnd);
    const t0 = busy ? this.lastEnd : Math.max(this.clock.now(), this.lastEnd);
    if (!this.running.length && head && head.readyAt > t0) {
      if (this.wake && this.wake.t <= head.readyAt) return;
      this.wake?.cancel();
      const h = this.clock.at(head.readyAt, () => {
        this.wake = undefined;
        this.kick();
      });
      this.wake = { cancel: h.cancel, t: head.readyAt };
      return;
    }
    this.startStep(t0);
  }

  private blocksFor(tokens: number): number {
    return Math.ceil(tokens / this.profile.engine.block_size);
  }

  private preempt(victim: Seq): void {
    this.freeBlocks += victim.blocks;
    victim.blocks = 0;
    victim.computed = 0;
    victim.prefillTarget = victim.promptTokens + victim.generated;
    victim.state = 'waiting';
    victim.preemptions++;
    this.preempted.push(victim);
    this.waitingCount++;
    this.stats.preemptions++;
  }

  /** Makes room for `s` to hold `tokens` KV entries, preempting the newest other running sequences. False: `s` itself was preempted. */
  private reserve(s: Seq, tokens: number, runningIdx: number): boolean {
    const need = this.blocksFor(tokens) - s.blocks;
    while (need > this.freeBlocks) {
      let v = this.running.length - 1;
      while (v > runningIdx && this.running[v].state !== 'running') v--;
      if (v <= runningIdx) {
        this.running.splice(runningIdx, 1);
        this.preempt(s);
        return false;
      }
      const victim = this.running[v];
      this.running.splice(v, 1);
      this.preempt(victim);
    }
    if (need > 0) {
      this.freeBlocks -= need;
      s.blocks += need;
    }
    return true;
  }

  private plan(t0: number): PlanEntry[] {
    const E = this.profile.engine;
    const plan: PlanEntry[] = [];
    let budget = E.max_num_batched_tokens;
    const admit = (whole: boolean) => {
      for (;;) {
        if (budget <= 0 || this.running.length >= E.max_num_seqs) return;
        const s = this.peekWaiting();
        if (!s || s.readyAt > t0) return;
        const remaining = s.prefillTarget - s.computed;
        const n = Math.min(remaining, budget);
        if (whole && n < remaining) return;
        if (this.blocksFor(s.computed + n) > this.freeBlocks) return;
        this.popWaiting();
        s.state = 'running';
        if (Number.isNaN(s.admittedAt)) {
          s.admittedAt = t0;
          this.stats.queue.observe(t0 - s.arrival);
        }
        this.running.push(s);
        this.reserve(s, s.computed + n, this.running.length - 1);
        plan.push({ seq: s, n });
        budget -= n;
      }
    };
    if (E.scheduler === 'prefill-first') {
      admit(true);
      if (plan.length) return plan;
    }
    for (let i = 0; i < this.running.length && budget > 0; i++) {
      const s = this.running[i];
      if (s.state !== 'running') continue;
      const n = s.inPrefill ? Math.min(s.prefillTarget - s.computed, budget) : 1;
      if (!this.reserve(s, s.computed + n, i)) {
        i--;
        continue;
      }
      plan.push({ seq: s, n });
      budget -= n;
    }
    if (E.scheduler === 'chunked') admit(false);
    return plan;
  }

  private startStep(t0: number): void {
    const plan = this.plan(t0);
    if (!plan.length) return;
    const w: StepWork = { seqs: plan.length, tokens: 0, kvReadTokens: 0, attnPairs: 0, sampling: 0 };
    for (const { seq, n } of plan) {
      w.tokens += n;
      w.kvReadTokens += seq.computed;
      w.attnPairs += n * (seq.computed + n / 2);
      if (seq.computed + n >= seq.prefillTarget) w.sampling++;
    }
    const cost = this.perf.step(w);
    const jitter = Math.exp((this.opts.jitter ?? 0.02) * gauss(this.rand));
    const d = cost.seconds * jitter * (this.opts.slowdown ?? 1);
    this.stats.steps++;
    this.stats.busySeconds += d;
    this.stats.stepTime.observe(d);
    this.stats.stepTokens.observe(w.tokens);
    this.stats.batchSize.observe(w.seqs);
    this.stepping = true;
    const tEnd = t0 + d;
    // Already overdue (the simulator fell behind real time): finish it in the same macrotask, so streams get
    // several tokens per write instead of the backlog growing. Bounded, so I/O still gets its turn.
    if (this.finishing && this.burst < 32 && this.clock.now() >= tEnd) {
      this.inline = { plan, tEnd };
      return;
    }
    this.stepTimer = this.clock.at(tEnd, () => this.finishStep(plan, tEnd));
  }

  private finishing = false;
  private burst = 0;
  private inline?: { plan: PlanEntry[]; tEnd: number };

  private finishStep(plan: PlanEntry[], t: number): void {
    this.burst = 0;
    for (let next: { plan: PlanEntry[]; tEnd: number } | undefined = { plan, tEnd: t }; next;) {
      this.finishing = true;
      this.completeStep(next.plan, next.tEnd);
      this.finishing = false;
      next = this.inline;
      this.inline = undefined;
      this.burst++;
    }
  }

  private completeStep(plan: PlanEntry[], t: number): void {
    this.stepping = false;
    this.stepTimer = undefined;
    this.lastEnd = t;
    if (this.closed) return;
    const st = this.stats;
    const lag = Math.max(0, this.clock.now() - t);
    st.lag.observe(lag);
    if (lag > st.maxLag) st.maxLag = lag;
    for (const { seq: s, n } of plan) {
      if (s.state !== 'running') continue;
      const wasPrefill = s.inPrefill;
      s.computed += n;
      if (wasPrefill) st.promptTokens += n;
      if (s.inPrefill) continue;
      s.generated++;
      st.generationTokens++;
      if (s.generated === 1) {
        s.firstTokenAt = t;
        st.ttft.observe(t - s.arrival);
        st.prefill.observe(t - s.admittedAt);
      } else if (!wasPrefill) {
        st.itl.observe(t - s.lastTokenAt);
      }
      s.lastTokenAt = t;
      s.sink.onToken(s, t);
      if (s.state !== 'running') continue; // the sink aborted it (fault, client gone)
      if (s.generated >= s.target) {
        s.state = 'done';
        this.freeBlocks += s.blocks;
        s.blocks = 0;
        st.finished[s.reason]++;
        st.e2e.observe(t - s.arrival);
        st.decode.observe(t - s.firstTokenAt);
        st.promptHist.observe(s.promptTokens);
        st.generationHist.observe(s.generated);
        s.sink.onFinish(s, s.reason, t);
      }
    }
    this.kick();
  }
}
