import { backendInfo, Rng, type BackendInfo, loadCheckpoint, saveCheckpoint, toTensors, type LogRecord, type Trainer } from '@modalab/core';
import * as tf from '@tensorflow/tfjs-core';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { z } from 'zod';
import { formatDuration, ProgressBar } from './progress.js';
import { CHECKPOINT_FILE, createRunDir, EVALUATION_FILE, gitCommit, MetricsLog, readJson, type RunOptions, type RunResult, writeJson } from './run-dir.js';

/** What every run config has. */
export interface SessionConfig {
  seed: number;
}

export interface FitSpec<B> {
  /** Total steps of the run (a resumed run continues to the same total). */
  steps: number;
  /** The batch of a 0-based step: a pure function of the step, so a resumed run sees the same batches. */
  batches: (step: number) => B;
  samplesPerStep: number;
  checkpointEvery: number;
  /** Extra scalars for metrics.jsonl every `every` steps (at a log step at or after it), e.g. probe geometry. */
  probe?: { every: number; fn: () => Record<string, number> | Promise<Record<string, number>> };
  /** Saved in the checkpoint's meta beside the trainer's state (tokenizers, vocabularies). */
  meta?: () => Record<string, unknown>;
  /** A scalar from the log record shown on the progress bar besides the loss (e.g. 'accuracy'). */
  show?: string;
}

export interface FitResult {
  finished: boolean;
  step: number;
  /** Training wall time over all sessions of the run, probes excluded. */
  seconds: number;
  /** Mean loss of the last log window. */
  loss: number;
}

/** The run directory side of an experiment: config.json, resume, checkpoints, metrics.jsonl, Ctrl-C, summary. */
export class RunSession<C extends SessionConfig> {
  readonly metrics: MetricsLog;
  /** The checkpoint being resumed from (its meta: whatever `FitSpec.meta` saved). */
  readonly resumed: { tensors: Record<string, tf.Tensor>; meta: Record<string, unknown> } | undefined;
  readonly startedAt = performance.now();

  private constructor(
    readonly name: string,
    readonly config: C,
    readonly runDir: string,
    readonly backend: BackendInfo,
    readonly log: (line: string) => void,
    private readonly options: RunOptions,
    resumed: RunSession<C>['resumed'],
  ) {
    this.metrics = new MetricsLog(path.join(runDir, 'metrics.jsonl'));
    this.resumed = resumed;
  }

  /** Creates the run directory (or reopens it with options.resume) and validates the config against `schema`. */
  static async open<C extends SessionConfig>(name: string, configInput: unknown, schema: z.ZodType<C, z.ZodTypeDef, unknown>, options: RunOptions = {}): Promise<RunSession<C>> {
    const log = options.log ?? ((line: string) => process.stderr.write(line + '\n'));
    const backend = backendInfo();
    if (!backend) throw new Error('initBackend() must run before an experiment');
    let runDir: string;
    let config: C;
    let resumed: RunSession<C>['resumed'];
    if (options.resume !== undefined) {
      runDir = path.resolve(options.resume);
      const saved = readJson<{ name: string; config: unknown }>(path.join(runDir, 'config.json'));
      config = schema.parse(saved.config);
      name = saved.name;
      const file = path.join(runDir, CHECKPOINT_FILE);
      if (!fs.existsSync(file)) throw new Error(`Cannot resume ${runDir}: it has no ${CHECKPOINT_FILE} (the run stopped before its first checkpoint)`);
      const ckpt = await loadCheckpoint(file);
      resumed = { tensors: toTensors(ckpt), meta: ckpt.meta };
    } else {
      config = schema.parse(configInput);
      if (options.runDir !== undefined) {
        runDir = path.resolve(options.runDir);
        fs.mkdirSync(runDir, { recursive: true });
        if (fs.readdirSync(runDir).length > 0) throw new Error(`Run directory ${runDir} is not empty`);
      } else {
        runDir = createRunDir(name, options.runsRoot);
      }
      await writeJson(path.join(runDir, 'config.json'), {
        name,
        config,
        git: gitCommit(),
        backend: { name: backend.name, tfjs: backend.tfjsVersion, unavailable: backend.attempts.filter((a) => !a.ok), ...(backend.native ? { native: backend.native.line } : {}) },
        node: process.version,
        createdAt: new Date().toISOString(),
      });
    }
    log(`run ${runDir}\nseed ${config.seed}, backend ${backend.name}`);
    return new RunSession(name, config, runDir, backend, log, options, resumed);
  }

  /**
   * Trains with `trainer` to spec.steps: restores the checkpoint when resuming, writes one
   * metrics.jsonl row per log record (plus probe scalars), checkpoints every spec.checkpointEvery
   * steps and at the end, stops resumable at options.stopAfter or on Ctrl-C.
   */
  async fit<B>(trainer: Trainer<B>, spec: FitSpec<B>): Promise<FitResult> {
    let secondsBefore = 0;
    if (this.resumed) {
      trainer.loadState(this.resumed);
      tf.dispose(Object.values(this.resumed.tensors));
      secondsBefore = (this.resumed.meta['trainSeconds'] as number | undefined) ?? 0;
      await this.metrics.truncateAfter(trainer.step);
      this.log(`resumed at step ${trainer.step}`);
    }
    const stopAt = Math.min(spec.steps, this.options.stopAfter ?? spec.steps);
    const bar = new ProgressBar(spec.steps, this.options.progress);
    bar.samplesPerStep = spec.samplesPerStep;
    let probeSeconds = 0;
    const start = performance.now();
    const seconds = () => secondsBefore + (performance.now() - start) / 1000 - probeSeconds;
    let lastLoss = Number.NaN;
    let nextProbe = spec.probe ? Math.floor(trainer.step / spec.probe.every) * spec.probe.every + spec.probe.every : Infinity;

    const save = async () => {
      const state = trainer.state();
      try {
        await saveCheckpoint(path.join(this.runDir, CHECKPOINT_FILE), {
          tensors: state.tensors,
          meta: { ...state.meta, ...(spec.meta?.() ?? {}), trainSeconds: seconds(), config: this.config as unknown as Record<string, unknown>, backend: this.backend.name },
        });
      } finally {
        tf.dispose(Object.values(state.tensors));
      }
    };

    let interrupted = false;
    const onSigint = () => {
      if (interrupted) process.exit(130);
      interrupted = true;
      trainer.stop();
      this.log('\ninterrupt: saving a checkpoint after this step (Ctrl-C again to quit now)');
    };
    const offLog = trainer.on('log', async (r: LogRecord) => {
      lastLoss = r.loss;
      const row: Record<string, number> = { step: r.step, loss: r.loss, lr: r.lr, ...(r.gradNorm === undefined ? {} : { gradNorm: r.gradNorm }), ...r.metrics };
      const g = r.metrics;
      for (const [k, v] of Object.entries(g)) {
        if (!k.startsWith('gradNorm/')) continue;
        for (const [k2, v2] of Object.entries(g)) if (k2 > k && k2.startsWith('gradNorm/')) row[`gradNormRatio/${k.slice(9)}:${k2.slice(9)}`] = v / v2;
      }
      row.samplesPerSec = r.stepsPerSec * spec.samplesPerStep;
      row.seconds = seconds();
      if (spec.probe && (r.step >= nextProbe || r.step === stopAt)) {
        const t = performance.now();
        Object.assign(row, await spec.probe.fn());
        probeSeconds += (performance.now() - t) / 1000;
        nextProbe = Math.floor(r.step / spec.probe.every) * spec.probe.every + spec.probe.every;
      }
      this.metrics.append(row);
      const shown = spec.show !== undefined && r.metrics[spec.show] !== undefined ? { label: spec.show, value: r.metrics[spec.show]! } : undefined;
      bar.update(r.step, { loss: r.loss, samplesPerSec: row.samplesPerSec, ...(shown ? { extra: shown } : {}) }, r.step === stopAt);
    });
    const offStep = trainer.on('step', async ({ step }) => {
      if (step >= stopAt) trainer.stop();
      if (step % spec.checkpointEvery === 0 && step < stopAt) await save();
    });
    process.on('SIGINT', onSigint);
    try {
      await trainer.fit(spec.batches, { steps: stopAt });
    } finally {
      process.off('SIGINT', onSigint);
      offLog();
      offStep();
    }
    await save();
    const total = seconds();
    if (trainer.step < spec.steps) {
      bar.done(`stopped at step ${trainer.step}/${spec.steps}; checkpoint written. Continue with: pnpm exp run ${this.name} --resume ${this.runDir}`);
      return { finished: false, step: trainer.step, seconds: total, loss: lastLoss };
    }
    bar.done(`trained ${spec.steps} steps in ${formatDuration(total)} (final loss ${lastLoss.toFixed(4)})`);
    return { finished: true, step: trainer.step, seconds: total, loss: lastLoss };
  }

  /** The summary keys every run has. */
  baseSummary(fit: FitResult, extra: Record<string, number | string> = {}): Record<string, number | string> {
    return {
      experiment: this.name,
      seed: this.config.seed,
      ...backendSummary(this.backend),
      steps: fit.step,
      'train/loss': fit.loss,
      'train/seconds': fit.seconds,
      ...extra,
    };
  }

  /**
   * Writes summary.json, evaluation.json (everything the report shows, so `exp report` rebuilds
   * it without the model) and report.html via `writeReport`.
   */
  async finish(summary: Record<string, number | string>, evaluation: unknown, writeReport: (file: string) => Promise<void>): Promise<RunResult> {
    summary['wallSeconds'] = (performance.now() - this.startedAt) / 1000;
    await writeJson(path.join(this.runDir, 'summary.json'), summary);
    await writeJson(path.join(this.runDir, EVALUATION_FILE), evaluation);
    const report = path.join(this.runDir, 'report.html');
    await writeReport(report);
    this.log(`report: ${report}`);
    return { runDir: this.runDir, finished: true, step: Number(summary.steps), summary };
  }

  stopped(fit: FitResult): RunResult {
    return { runDir: this.runDir, finished: false, step: fit.step };
  }
}

/**
 * The rows of batch `step` when each epoch is a seeded permutation of 0..n-1 cut into
 * floor(n / batchSize) batches (the last partial batch dropped): a pure function of the step.
 */
let cached: { key: string; order: number[] } | undefined;

export function epochBatch(n: number, batchSize: number, seed: number, step: number): number[] {
  if (batchSize > n) throw new Error(`batch size ${batchSize} is larger than the ${n} training items`);
  const perEpoch = Math.floor(n / batchSize);
  const epoch = Math.floor(step / perEpoch);
  if (cached?.key !== `${n}:${seed}:${epoch}`) {
    cached = { key: `${n}:${seed}:${epoch}`, order: new Rng(seed * 7919 + epoch).shuffle(Array.from({ length: n }, (_, i) => i)) };
  }
  const b = step % perEpoch;
  return cached.order.slice(b * batchSize, (b + 1) * batchSize);
}

/**
 * The backend as a run's summary records it: its name, and which kernels did the heavy work
 * ('wasm+native' when the native addon was active, 'wasm+native-bf16' with bf16 matmuls), since
 * they differ several-fold in speed and bf16 also in the last digits of the losses.
 */
export function backendSummary(backend: BackendInfo): { backend: string; kernels: string } {
  const native = backend.native;
  return { backend: backend.name, kernels: native?.active ? `${backend.name}+native${native.math === 'bf16' ? '-bf16' : ''}` : backend.name };
}
