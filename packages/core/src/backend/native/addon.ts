import { createRequire } from 'node:module';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The functions of packages/core/native (modalab_native.node). Every kernel works in place on
 * the wasm heap: `heap` is the wasm memory's ArrayBuffer and offsets are byte offsets into it.
 */
export interface NativeAddon {
  info(): { library: string; version: string; isa: string; threads: number; cachedPrimitives: number; math: NativeMath };
  setThreads(threads: number): void;
  /** Drops the cached primitives and the bf16 scratch buffer. */
  clearCache(): void;
  /**
   * How later products multiply: 'fp32', or 'bf16' (large products read their operands rounded
   * to bfloat16 and accumulate in float32). Throws for 'bf16' on a CPU without bf16 units.
   */
  setMathMode(mode: NativeMath): void;
  /** out[...batch, m, n] = act(op(a) op(b) + bias); biasSize 0 (none), 1 or n. */
  matmul(
    heap: ArrayBuffer, a: number, b: number, out: number, bias: number, batchA: Int32Array, batchB: Int32Array,
    m: number, n: number, k: number, transposeA: boolean, transposeB: boolean, biasSize: number, activation: number, alpha: number,
  ): void;
  /** out = x transposed by perm; elementBytes 4 (float32, int32) or 1 (bool). */
  transpose(heap: ArrayBuffer, x: number, out: number, shape: Int32Array, perm: Int32Array, elementBytes: number): void;
  /** out = op(x) over `size` float32 values (op: tanh, sigmoid, exp, sqrt, square, relu, abs, gelu_tanh, pow as alpha * x^beta). */
  unary(heap: ArrayBuffer, x: number, out: number, size: number, op: string, alpha: number, beta: number): void;
  /** dx = dy * op'(x) over `size` float32 values (oneDNN eltwise backward; e.g. gelu_tanh). */
  unaryGrad(heap: ArrayBuffer, x: number, dy: number, dx: number, size: number, op: string, alpha: number, beta: number): void;
  /**
   * out = full op other (add, mul, sub, div, max, min), or other op full when reversed; float32.
   * out has full's shape, given as blocks of merged axes, each matching in other or broadcast.
   */
  binary(heap: ArrayBuffer, full: number, other: number, out: number, blockSizes: Int32Array, blockBroadcast: Int32Array, op: string, reversed: boolean): void;
  /** out [pre, post] = op over the middle axis of x [pre, red, post] (sum, mean, max, min), float32. */
  reduce(heap: ArrayBuffer, x: number, out: number, pre: number, red: number, post: number, op: string): void;
  /** Copies `rows` rows of rowBytes from src to dst with the given byte strides. */
  copyRows(heap: ArrayBuffer, src: number, dst: number, rows: number, rowBytes: number, srcStride: number, dstStride: number): void;
  /**
   * 2-D convolution y = conv(x, filter) on x NHWC, filter HWIO, y NHWC, float32; `pass` says which
   * of the three it writes: y (forward), x from dy at y (backwardInput), or filter from x and dy
   * at y (backwardFilter). geometry: [batch, inH, inW, inC, outH, outW, outC, filterH, filterW,
   * strideH, strideW, dilationH, dilationW, padTop, padLeft], dilations as tfjs counts them.
   */
  conv2d(heap: ArrayBuffer, pass: ConvPass, x: number, filter: number, y: number, geometry: Int32Array): void;
}

export type NativeMath = 'fp32' | 'bf16';

export type ConvPass = 'forward' | 'backwardInput' | 'backwardFilter';

export type AddonLoad = { ok: true; addon: NativeAddon; file: string; /** Why the team has the size it has. */ threadsWhy: string } | { ok: false; reason: string };

const here = path.dirname(fileURLToPath(import.meta.url));
/** src/backend/native and dist/backend/native are both three levels below the package root. */
export const ADDON_FILE = path.resolve(here, '../../../native/build/Release/modalab_native.node');

let loaded: AddonLoad | undefined;

function firstLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.split('\n')[0] ?? text;
}

/** Busy and total CPU time of the machine so far, from /proc/stat (Linux); undefined elsewhere. */
function cpuTimes(): { busy: number; total: number } | undefined {
  try {
    const fields = fs.readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/).slice(1).map(Number);
    const total = fields.reduce((a, b) => a + b, 0);
    const idle = (fields[3] ?? 0) + (fields[4] ?? 0); // idle + iowait
    return Number.isFinite(total) && total > 0 ? { busy: total - idle, total } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * How many cores other processes keep busy right now: the machine's busy share over `ms`
 * (this process sleeps meanwhile), or the 1-minute load average where /proc/stat is missing.
 * The load average also counts a run that just ended, which an instant sample does not.
 */
function busyCores(cores: number, ms = 100): number {
  const before = cpuTimes();
  if (before === undefined) return os.loadavg()[0] ?? 0;
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
  const after = cpuTimes();
  if (after === undefined || after.total <= before.total) return os.loadavg()[0] ?? 0;
  return (cores * (after.busy - before.busy)) / (after.total - before.total);
}

/**
 * Threads for the OpenMP team: MODALAB_NATIVE_THREADS, else the cores other processes leave
 * idle when the addon loads (at least one). A team waits at the end of every kernel for its
 * slowest thread; on a machine whose cores are busy with other work that wait is a scheduling
 * delay per kernel, and two threads ran a training step 2.4x slower than one there.
 */
export function nativeThreads(env: Record<string, string | undefined> = process.env): { threads: number; why: string } {
  const requested = env.MODALAB_NATIVE_THREADS;
  if (requested !== undefined && requested !== '') {
    const n = Number(requested);
    if (!Number.isInteger(n) || n < 1) throw new Error(`MODALAB_NATIVE_THREADS must be a positive integer, got '${requested}'`);
    return { threads: n, why: 'MODALAB_NATIVE_THREADS' };
  }
  const cores = os.availableParallelism();
  if (cores === 1) return { threads: 1, why: '1 core' };
  const busy = busyCores(cores);
  const threads = Math.min(cores, Math.max(1, Math.round(cores - busy)));
  return { threads, why: threads < cores ? `${busy.toFixed(1)} of ${cores} cores busy with other work` : `${cores} idle cores` };
}

/**
 * Loads the addon once. Never throws: a missing build (no compiler or no oneDNN at install
 * time) or a failed load gives `{ ok: false, reason }` with one line saying why. The team size
 * is set from nativeThreads() at load.
 */
export function loadNativeAddon(file = ADDON_FILE): AddonLoad {
  if (loaded !== undefined && (loaded.ok ? loaded.file === file : file === ADDON_FILE)) return loaded;
  let result: AddonLoad;
  if (!fs.existsSync(file)) {
    result = { ok: false, reason: `the addon is not built (${path.relative(process.cwd(), file) || file} is missing; run \`pnpm --filter @modalab/core build:native\` and read its message)` };
  } else {
    let addon: NativeAddon | undefined;
    try {
      addon = createRequire(import.meta.url)(file) as NativeAddon;
      const { threads, why } = nativeThreads();
      addon.setThreads(threads);
      result = { ok: true, addon, file, threadsWhy: why };
    } catch (err) {
      result = { ok: false, reason: addon === undefined ? `the addon did not load: ${firstLine(err)}` : firstLine(err) };
    }
  }
  if (file === ADDON_FILE) loaded = result;
  return result;
}
