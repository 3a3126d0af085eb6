import * as tf from '@tensorflow/tfjs-core';
import type { Module } from '../layers/module.js';
import { Rng } from '../random/rng.js';
import { NonFiniteGuard } from './non-finite-guard.js';
import type { Optimizer } from './optimizer.js';
import type { StepContext, StepFunction } from './step-functions.js';

/** A model the Trainer can drive: its variables, and an optional hook after each update (temperature clamps). */
export interface TrainableModel extends Module {
  afterStep?(): void;
}

export interface TrainerOptions<B> {
  model: TrainableModel;
  optimizer: Optimizer;
  /** Learning rate at a 0-based step, e.g. (s) => warmupCosine(s, {...}). */
  schedule: (step: number) => number;
  /** How one batch becomes one update: lossStep(...), gradCacheStep(...), or your own. */
  step: StepFunction<B>;
  /** Read metrics back every this many steps; 10 keeps the device busy between reads. */
  logEvery?: number;
  /** Seed of the Rng given to step functions; saved and restored with the state. */
  seed?: number;
  /**
   * Skip non-finite steps (parameters and optimizer state unchanged) and stop once
   * maxConsecutive happened in a row, naming the recent batches with describeBatch. Checked at
   * log reads, so the stop comes up to logEvery steps late. Off by default: it copies the state each step.
   */
  nonFinite?: { maxConsecutive: number; describeBatch?: (batch: B) => string };
}

export interface LogRecord {
  /** Steps done so far (1-based: the step just finished). */
  step: number;
  lr: number;
  /** Mean loss over the steps since the previous record. */
  loss: number;
  /** Of the last step, before clipping. */
  gradNorm?: number;
  /** The last step's extra metrics. */
  metrics: Record<string, number>;
  stepsPerSec: number;
  /** Non-finite steps skipped so far (only with the nonFinite option). */
  skippedSteps?: number;
}

export interface TrainerEvents {
  /** After each step (no tensor is read for it). */
  step: { step: number; lr: number };
  /** Every logEvery steps and at the end of fit. */
  log: LogRecord;
}
type Handler<T> = (event: T) => void | Promise<void>;

export interface TrainerState {
  /** "param.<path>" and "opt.<slot>.<path>": copies, owned by the caller (dispose after saving). */
  tensors: Record<string, tf.Tensor>;
  meta: { format: 'modalab-trainer'; version: 1; step: number; optimizerStep: number; rng: number[] };
}

/** Where fit takes batches from: a function of the step (resumable by construction), or an iterator. */
export type BatchSource<B> = ((step: number) => B) | Iterable<B> | AsyncIterable<B>;

export interface FitOptions {
  /** Train until this many steps in total have been done (a resumed trainer continues to the same total). */
  steps: number;
  /** Dispose each batch's tensors after its step; default true. Pass false for a batch you reuse. */
  disposeBatches?: boolean;
}

/**
 * The training loop for notebooks and the CLI: model + optimizer + schedule + step function.
 * Nothing is read back from the device inside a step; the loss is summed in-graph and read
 * (asynchronously) once per log interval. Logging, checkpoints and early stops hang on events.
 */
export class Trainer<B> {
  readonly model: TrainableModel;
  readonly optimizer: Optimizer;
  readonly logEvery: number;
  /** Steps done so far. */
  step = 0;
  rng: Rng;
  private readonly schedule: (step: number) => number;
  private readonly stepFn: StepFunction<B>;
  private readonly variables: Map<string, tf.Variable>;
  private readonly handlers: { [K in keyof TrainerEvents]: Array<Handler<TrainerEvents[K]>> } = { step: [], log: [] };
  private lossSum: tf.Scalar = tf.scalar(0);
  private windowSteps = 0;
  private windowStart = performance.now();
  private stopRequested = false;
  private readonly guard: NonFiniteGuard | undefined;
  private readonly describeBatch: ((batch: B) => string) | undefined;
  /** Descriptions of the latest batches, newest last (only with the nonFinite option). */
  private recentBatches: string[] = [];

  constructor(options: TrainerOptions<B>) {
    this.model = options.model;
    this.optimizer = options.optimizer;
    this.schedule = options.schedule;
    this.stepFn = options.step;
    this.logEvery = options.logEvery ?? 10;
    if (!Number.isInteger(this.logEvery) || this.logEvery <= 0) throw new Error(`Trainer: logEvery must be a positive integer, got ${this.logEvery}`);
    this.rng = new Rng(options.seed ?? 0);
    this.variables = new Map([...options.model.namedVariables()].filter(([, v]) => v.trainable));
    if (options.nonFinite !== undefined) {
      this.guard = new NonFiniteGuard(options.nonFinite);
      this.describeBatch = options.nonFinite.describeBatch;
    }
  }

  /** The tensors a step may change: trainable parameters and optimizer slots. */
  private guarded(): tf.Variable[] {
    const slots = Object.values(this.optimizer.stateTensors()).filter((t): t is tf.Variable => t instanceof tf.Variable);
    return [...this.variables.values(), ...slots];
  }

  /** Subscribes to an event; returns the unsubscribe function. */
  on<K extends keyof TrainerEvents>(event: K, handler: Handler<TrainerEvents[K]>): () => void {
    const list = this.handlers[event] as Array<Handler<TrainerEvents[K]>>;
    list.push(handler);
    return () => list.splice(list.indexOf(handler), 1);
  }

  /** Ends fit after the step in flight (from a handler, a signal, a notebook cell). */
  stop(): void {
    this.stopRequested = true;
  }

  private async emit<K extends keyof TrainerEvents>(event: K, value: TrainerEvents[K]): Promise<void> {
    for (const h of [...(this.handlers[event] as Array<Handler<TrainerEvents[K]>>)]) await h(value);
  }

  /** One update on one batch; resolves with a LogRecord on log steps. The batch stays the caller's. */
  async trainStep(batch: B): Promise<LogRecord | undefined> {
    const lr = this.schedule(this.step);
    if (!Number.isFinite(lr) || lr < 0) throw new Error(`Trainer: schedule(${this.step}) returned ${lr}; expected a finite learning rate >= 0`);
    const ctx: StepContext = { step: this.step, lr, optimizer: this.optimizer, variables: this.variables, rng: this.rng };
    const targets = this.guard ? this.guarded() : [];
    const copies = this.guard?.snapshot(targets);
    const result = this.stepFn(batch, ctx);
    if (this.guard) {
      this.guard.settle(targets, copies!, result.loss, result.gradNorm);
      this.recentBatches.push(this.describeBatch ? this.describeBatch(batch) : `step ${this.step}`);
      this.recentBatches = this.recentBatches.slice(-Math.max(this.guard.maxConsecutive, this.logEvery));
    }
    this.model.afterStep?.();
    this.step += 1;
    const sum = tf.add(this.lossSum, result.loss) as tf.Scalar;
    this.lossSum.dispose();
    this.lossSum = sum;
    this.windowSteps += 1;
    let record: LogRecord | undefined;
    try {
      if (this.step % this.logEvery === 0) record = await this.flush(lr, result.gradNorm, result.metrics ?? {});
    } finally {
      tf.dispose([result.loss, ...(result.gradNorm ? [result.gradNorm] : []), ...Object.values(result.metrics ?? {})]);
    }
    await this.emit('step', { step: this.step, lr });
    if (record) await this.emit('log', record);
    return record;
  }

  /** Reads the window's mean loss and the last step's scalars back (one await), then starts a new window. */
  private async flush(lr: number, gradNorm: tf.Scalar | undefined, metrics: Record<string, tf.Scalar>): Promise<LogRecord> {
    const names = Object.keys(metrics).sort();
    const reads = await Promise.all([this.lossSum.data(), ...(gradNorm ? [gradNorm.data()] : []), ...names.map((n) => metrics[n]!.data())]);
    const now = performance.now();
    const record: LogRecord = {
      step: this.step,
      lr,
      loss: reads[0]![0]! / this.windowSteps,
      metrics: Object.fromEntries(names.map((n, i) => [n, reads[i + 1 + (gradNorm ? 1 : 0)]![0]!])),
      stepsPerSec: (this.windowSteps * 1000) / Math.max(now - this.windowStart, 1e-3),
    };
    if (gradNorm) record.gradNorm = reads[1]![0]!;
    this.resetWindow();
    if (this.guard) {
      const [inARow, total] = await this.guard.read();
      record.skippedSteps = total;
      if (inARow >= this.guard.maxConsecutive) {
        this.stop();
        const bad = this.recentBatches.slice(-inARow);
        throw new Error(`Trainer: ${inARow} non-finite steps in a row up to step ${this.step} (limit ${this.guard.maxConsecutive}); parameters kept from before them. Batches: ${bad.join('; ')}`);
      }
    }
    return record;
  }

  private resetWindow(): void {
    this.lossSum.dispose();
    this.lossSum = tf.scalar(0);
    this.windowSteps = 0;
    this.windowStart = performance.now();
  }

  /** Trains until options.steps steps are done, the source runs dry, or stop() is called; resolves with the last record. */
  async fit(source: BatchSource<B>, options: FitOptions): Promise<LogRecord | undefined> {
    const dispose = options.disposeBatches ?? true;
    this.stopRequested = false;
    let last: LogRecord | undefined;
    const iterator = typeof source === 'function' ? undefined : Symbol.asyncIterator in source ? source[Symbol.asyncIterator]() : source[Symbol.iterator]();
    while (this.step < options.steps && !this.stopRequested) {
      let batch: B;
      if (iterator === undefined) {
        batch = (source as (step: number) => B)(this.step);
      } else {
        const next = await iterator.next();
        if (next.done === true) break;
        batch = next.value;
      }
      try {
        last = (await this.trainStep(batch)) ?? last;
      } finally {
        if (dispose) tf.dispose(batch as tf.TensorContainer);
      }
    }
    if (this.windowSteps > 0) {
      // A short final window: its loss is all there is to report (no last-step scalars remain).
      const record = await this.flush(this.schedule(Math.max(0, this.step - 1)), undefined, {});
      await this.emit('log', record);
      last = record;
    }
    return last;
  }

  /** Everything a resumed run needs, as copies: parameters, optimizer slots, step counters and the Rng. */
  state(): TrainerState {
    const tensors: Record<string, tf.Tensor> = {};
    for (const [n, v] of this.model.namedVariables()) tensors[`param.${n}`] = tf.clone(v);
    for (const [k, t] of Object.entries(this.optimizer.stateTensors())) tensors[`opt.${k}`] = tf.clone(t);
    return { tensors, meta: { format: 'modalab-trainer', version: 1, step: this.step, optimizerStep: this.optimizer.stepCount, rng: this.rng.state() } };
  }

  /** Restores a state from state() (or a checkpoint of it); the tensors stay the caller's. */
  loadState(state: { tensors: Record<string, tf.Tensor>; meta: Record<string, unknown> }): void {
    const { meta, tensors } = state;
    if (meta['format'] !== 'modalab-trainer' || meta['version'] !== 1) {
      throw new Error(`Trainer.loadState: expected meta.format 'modalab-trainer' version 1, got ${JSON.stringify(meta['format'])} version ${JSON.stringify(meta['version'])}`);
    }
    const params = this.model.namedVariables();
    for (const [n, v] of params) {
      const t = tensors[`param.${n}`];
      if (t === undefined) throw new Error(`Trainer.loadState: missing 'param.${n}'`);
      if (t.shape.join(',') !== v.shape.join(',')) throw new Error(`Trainer.loadState: 'param.${n}' has shape [${t.shape}] but the model's is [${v.shape}]`);
    }
    for (const [n, v] of params) v.assign(tensors[`param.${n}`]!);
    const opt: Record<string, tf.Tensor> = {};
    for (const [k, t] of Object.entries(tensors)) if (k.startsWith('opt.')) opt[k.slice(4)] = t;
    this.optimizer.loadState(opt, meta['optimizerStep'] as number);
    this.rng = Rng.fromState(meta['rng'] as number[]);
    this.step = meta['step'] as number;
    this.resetWindow();
    this.guard?.reset();
    this.recentBatches = [];
  }

  /** Frees the trainer's own scalars; the model and optimizer stay the caller's. */
  dispose(): void {
    this.lossSum.dispose();
    this.guard?.dispose();
  }
}
