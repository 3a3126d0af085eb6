import { backendInfo, initBackend } from '@modalab/core';
import * as tf from '@tensorflow/tfjs-core';
import { parseArgs } from 'node:util';
import { clipMiniSteps, clipMiniThroughput } from './bench/clip-mini.js';
import { matmulGflops } from './bench/matmul-gflops.js';
import { kernelPaths } from './bench/paths.js';
import { formatProfile, profileKernels, type KernelTime } from './bench/profile.js';
import { benchPlan } from './bench/plan.js';
import { retrievalQueriesPerSec } from './bench/retrieval.js';
import { buildTable, formatTable, type Measurement } from './bench/table.js';
import { assertTorchAvailable, defaultPython, runTorchReference, type PartialPlan } from './bench/torch-reference.js';

/**
 * pnpm bench [--quick] [--json] [--backend NAME] [--vs-torch] [--only clip,matmul,retrieval] [--paths a,b]
 *   [--profile]
 * clip-mini training and inference throughput, matmul GFLOP/s and exact top-10 retrieval, on
 * every kernel path of the backend (on wasm: as shipped, modalab's routes, native), in one
 * process. --vs-torch runs the same plan through tools/reference/{clip_mini,retrieval_bench}.py
 * (Debian's python3-torch and numpy) afterwards and prints best/torch per row. --profile also
 * prints, per path, where one clip-mini training step spends its time, kernel by kernel.
 */
const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    backend: { type: 'string' },
    'vs-torch': { type: 'boolean', default: false },
    only: { type: 'string' },
    profile: { type: 'boolean', default: false },
    paths: { type: 'string' },
  },
});
const log = (line: string) => process.stderr.write(line + '\n');
const fail = (message: string): never => {
  log(`bench: ${message}`);
  process.exit(1);
};

const SECTIONS = ['clip', 'matmul', 'retrieval'] as const;
const only = values.only === undefined ? [...SECTIONS] : values.only.split(',').map((s) => s.trim());
for (const s of only) if (!(SECTIONS as readonly string[]).includes(s)) fail(`--only: unknown section '${s}'. Known: ${SECTIONS.join(', ')}`);
const plan = benchPlan(values.quick);
const python = defaultPython();
if (values['vs-torch']) {
  try {
    assertTorchAvailable(python);
  } catch (err) {
    fail((err as Error).message);
  }
}

// Errors are caught here: the wasm module rethrows uncaught ones with its whole minified source.
async function measure() {
  await initBackend({ log, ...(values.backend === undefined ? {} : { backend: values.backend }) });
  const backend = backendInfo()!.name;
  const available = kernelPaths(backend);
  const { baseline, notes, restore, threads } = available;
  for (const note of notes) log(note);
  const wanted = values.paths?.split(',').map((s) => s.trim());
  for (const w of wanted ?? []) if (!available.paths.some((p) => p.name === w)) fail(`--paths: '${w}' is not available here. Available: ${available.paths.map((p) => p.name).join(', ')}`);
  const paths = wanted === undefined ? available.paths : available.paths.filter((p) => wanted.includes(p.name));

  const measurements: Measurement[] = [];
  let parameters: number | undefined;
  const profiles: Record<string, KernelTime[]> = {};
  for (const p of paths) {
    p.activate();
    log(`path ${p.name}: ${p.description}`);
    if (only.includes('clip')) {
      const c = plan.clip;
      const t = await clipMiniThroughput(c);
      parameters = t.parameters;
      log(`  ${c.name} batch ${c.batch}: train ${t.trainMs.toFixed(0)} ms/step, inference ${t.inferMs.toFixed(0)} ms/step (median of ${c.steps})`);
      measurements.push({ bench: `${c.name} train`, unit: 'samples/s', path: p.name, value: t.trainSamplesPerSec });
      measurements.push({ bench: `${c.name} inference`, unit: 'samples/s', path: p.name, value: t.inferSamplesPerSec });
      if (values.profile) {
        const steps = clipMiniSteps(c);
        try {
          await steps.train(); // warm-up: compiles kernels, caches native primitives
          const profile = await profileKernels(tf.getBackend(), async () => {
            for (let i = 0; i < c.warmup; i++) await steps.train();
          });
          log(formatProfile(`  profile of ${c.warmup} ${c.name} training step(s) on ${p.name}`, profile));
          profiles[p.name] = profile.kernels;
        } finally {
          steps.dispose();
        }
      }
    }
    if (only.includes('matmul')) {
      for (const m of plan.matmul) measurements.push({ bench: m.bench, unit: 'GFLOP/s', path: p.name, value: await matmulGflops(m) });
    }
    if (only.includes('retrieval')) {
      measurements.push({ bench: plan.retrieval.bench, unit: 'queries/s', path: p.name, value: await retrievalQueriesPerSec(plan.retrieval) });
    }
  }
  restore();

  let reference: ReturnType<typeof runTorchReference> | undefined;
  if (values['vs-torch']) {
    log('reference: running tools/reference/clip_mini.py and retrieval_bench.py on the same plan');
    // PyTorch gets the team the native kernels use: on a busy machine two threads made both
    // sides several times slower (every kernel waits for its slowest thread).
    if (threads !== undefined) log(`reference: ${threads.count} thread${threads.count === 1 ? '' : 's'}, as the native kernels (${threads.why})`);
    const sub: PartialPlan = {
      ...plan,
      threads: threads?.count ?? plan.threads,
      clip: only.includes('clip') ? plan.clip : null,
      matmul: only.includes('matmul') ? plan.matmul : [],
      retrieval: only.includes('retrieval') ? plan.retrieval : null,
    };
    try {
      reference = runTorchReference(sub, python);
    } catch (err) {
      fail((err as Error).message);
    }
    for (const r of [reference!.torch, reference!.numpy]) if (r) log(`reference: ${r.path}`);
    const torchParams = reference!.torch?.parameters;
    if (parameters !== undefined && torchParams != null && torchParams !== parameters) {
      log(`reference: WARNING the torch model has ${torchParams} parameters, the tfjs one ${parameters}: the models differ`);
    }
  }
  const referenceValues = new Map<string, number>();
  for (const r of [...(reference?.torch?.rows ?? []), ...(reference?.numpy?.rows ?? [])]) referenceValues.set(r.bench, r.value);
  return { backend, paths, baseline, notes, measurements, parameters, reference, referenceValues, profiles, threads };
}

let result: Awaited<ReturnType<typeof measure>>;
try {
  result = await measure();
} catch (err) {
  fail(err instanceof Error ? (err.stack ?? err.message) : String(err));
}
const { backend, paths, baseline, notes, measurements, parameters, reference, referenceValues, profiles, threads } = result!;
const pathNames = paths.map((p) => p.name);
const table = buildTable(measurements, pathNames, baseline, referenceValues);
if (values.json) {
  process.stdout.write(
    JSON.stringify({
      backend,
      quick: plan.quick,
      node: process.version,
      paths: paths.map((p) => ({ name: p.name, description: p.description })),
      notes,
      parameters,
      threads: threads ?? null,
      ...(reference ? { reference: { torch: reference.torch?.path ?? null, numpy: reference.numpy?.path ?? null, torchParameters: reference.torch?.parameters ?? null } } : {}),
      rows: table,
      ...(values.profile ? { profiles } : {}),
    }) + '\n',
  );
} else {
  process.stdout.write(formatTable(table, pathNames, reference ? 'torch/numpy' : undefined) + '\n');
}
