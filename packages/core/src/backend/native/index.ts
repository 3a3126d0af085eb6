import * as tf from '@tensorflow/tfjs-core';
import { KernelLayer } from '../kernel-layer.js';
import { loadNativeAddon, nativeThreads, type NativeAddon, type NativeMath } from './addon.js';
import { makeNativeConv2D, makeNativeConv2DBackpropFilter, makeNativeConv2DBackpropInput } from './conv.js';
import { BINARY_OPS, makeNativeBinary, makeNativeUnary, UNARY_OPS } from './elementwise.js';
import { registerGeluKernels, setGeluKernels } from './gelu.js';
import { makeZeroCopyCast, makeZeroCopyIdentity } from './identity.js';
import { makeNativeBatchMatMul, makeNativeFusedMatMul } from './matmul.js';
import { makeNativeReduce, REDUCE_OPS } from './reduce.js';
import { makeNativeConcat, makeNativeSplitV } from './split-concat.js';
import { makeNativeTranspose } from './transpose.js';

type MakeKernel = (addon: NativeAddon, fallback: tf.KernelFunc) => tf.KernelFunc;
/** One kernel maker per tfjs kernel name of a table of ops. */
const forEachOp = (ops: Record<string, string>, make: (op: string) => MakeKernel): Record<string, MakeKernel> =>
  Object.fromEntries(Object.entries(ops).map(([name, op]) => [name, make(op)]));

/**
 * Kernels the addon runs, each wrapping the kernel registered before it: cases a kernel does
 * not take (other dtypes, tensors too small to pay for the call) go to that fallback. Chosen by
 * profiling a clip-mini training step (pnpm bench --profile): after matmul, the time went to
 * Identity copies, elementwise ops of the MLP (tanh-GELU), reductions, head transposes, splits.
 */
const KERNELS: Record<string, MakeKernel> = {
  [tf.BatchMatMul]: makeNativeBatchMatMul,
  [tf._FusedMatMul]: makeNativeFusedMatMul,
  [tf.Conv2D]: makeNativeConv2D,
  [tf.Conv2DBackpropInput]: makeNativeConv2DBackpropInput,
  [tf.Conv2DBackpropFilter]: makeNativeConv2DBackpropFilter,
  [tf.Identity]: (_addon, fallback) => makeZeroCopyIdentity(fallback),
  [tf.Cast]: (_addon, fallback) => makeZeroCopyCast(fallback),
  [tf.Transpose]: makeNativeTranspose,
  [tf.SplitV]: makeNativeSplitV,
  [tf.Concat]: makeNativeConcat,
  ...forEachOp(UNARY_OPS, makeNativeUnary),
  ...forEachOp(BINARY_OPS, makeNativeBinary),
  ...forEachOp(REDUCE_OPS, makeNativeReduce),
};

export interface NativeKernelStatus {
  /** True while the native kernels are registered for wasm. */
  active: boolean;
  /** The addon loaded (it may still be switched off). */
  available: boolean;
  /** Why the native path is not used, when it is not. */
  reason?: string;
  /** e.g. "oneDNN 2.6.3, avx512_core_amx, 2 threads (2 idle cores)". */
  library?: string;
  kernels: string[];
  /**
   * The thread team the native kernels use (or would use): MODALAB_NATIVE_THREADS, else the
   * cores other processes leave idle. A comparison run (pnpm bench --vs-torch) gives PyTorch
   * the same number.
   */
  threads: number;
  threadsWhy: string;
  /**
   * How the native matmuls multiply: 'fp32', or 'bf16' (large products on operands rounded to
   * bfloat16, accumulated in float32) when MODALAB_NATIVE_BF16=1 and the CPU has bf16 units.
   */
  math: NativeMath;
  /** Why `math` is what it is. */
  mathWhy: string;
  /** Whether this CPU can run the bf16 mode (setNativeMathMode('bf16')), and why (not). */
  bf16: { available: boolean; why: string };
  /** One line for the log: which path runs the heavy kernels, and why. */
  line: string;
}

/** ISAs (as oneDNN names them) with bf16 dot-product instructions. */
const BF16_ISAS = ['avx512_core_bf16', 'avx512_core_amx'];

/**
 * Whether the bf16 math mode pays on a CPU with this ISA: without bf16 instructions oneDNN
 * emulates bf16 products more slowly than it runs float32 ones.
 */
export function bf16Support(isa: string): { ok: boolean; why: string } {
  return BF16_ISAS.includes(isa) ? { ok: true, why: `${isa} has bf16 instructions` } : { ok: false, why: `${isa} has no bf16 instructions (needs avx512_core_bf16 or AMX)` };
}

/** In front of the wasm kernels (and modalab's routes over them); taken off by setNativeKernels(false). */
const layer = new KernelLayer('wasm', 2);
let status: NativeKernelStatus | undefined;

function describe(addon: NativeAddon, threadsWhy: string): string {
  const i = addon.info();
  return `${i.library} ${i.version}, ${i.isa}, ${i.threads} thread${i.threads === 1 ? '' : 's'} (${threadsWhy})`;
}

function mathText(math: NativeMath, why: string): string {
  return math === 'bf16' ? `matmuls on bf16 operands with float32 sums (${why})` : `matmuls in float32 (${why})`;
}

function onLine(library: string, kernels: number, math: NativeMath, mathWhy: string): string {
  return `modalab: native kernels on (${library}): matmul, conv2d, elementwise, reductions, transpose, split/concat (${kernels} kernels); ${mathText(math, mathWhy)}; MODALAB_NATIVE=0 turns them off`;
}

/** The math mode MODALAB_NATIVE_BF16 asks for and this CPU allows, and why. */
function mathFromEnv(env: Record<string, string | undefined>, support: { ok: boolean; why: string }): { math: NativeMath; why: string } {
  const wanted = env.MODALAB_NATIVE_BF16;
  if (wanted === undefined || wanted === '' || wanted === '0') return { math: 'fp32', why: 'the default; MODALAB_NATIVE_BF16=1 for bf16' };
  if (wanted !== '1') return { math: 'fp32', why: `MODALAB_NATIVE_BF16='${wanted}' ignored: 1 turns bf16 on` };
  return support.ok ? { math: 'bf16', why: 'MODALAB_NATIVE_BF16=1' } : { math: 'fp32', why: `MODALAB_NATIVE_BF16=1 ignored: ${support.why}` };
}

function install(addon: NativeAddon): void {
  registerGeluKernels(addon);
  for (const [name, make] of Object.entries(KERNELS)) {
    layer.wrap(name, (below) => {
      if (below === undefined) throw new Error(`native kernels: ${name} is not registered for wasm; import @tensorflow/tfjs-backend-wasm first`);
      return make(addon, below);
    });
  }
}

function uninstall(): void {
  setGeluKernels(false);
  layer.unwrap();
}

/**
 * Puts the native kernels (packages/core/native, oneDNN) in front of the wasm ones for the
 * heavy ops, each falling back to the kernel it replaced for cases it does not take. Used
 * automatically when the addon loads; MODALAB_NATIVE=0 turns it off. Never throws for a
 * missing or broken addon: the status says why and wasm stays as it was. Call after
 * registerWasmTrainingKernels (the native kernels wrap whatever is registered). Idempotent.
 */
export function registerNativeKernels(options: { env?: Record<string, string | undefined> } = {}): NativeKernelStatus {
  const env = options.env ?? process.env;
  const kernels = Object.keys(KERNELS);
  let team: { threads: number; why: string };
  try {
    team = nativeThreads(env);
  } catch (err) {
    team = { threads: 1, why: (err as Error).message };
  }
  const base = { kernels, threads: team.threads, threadsWhy: team.why, math: 'fp32' as const };
  if (env.MODALAB_NATIVE === '0') {
    uninstall();
    status = { ...base, mathWhy: 'native kernels off', bf16: { available: false, why: 'MODALAB_NATIVE=0' }, active: false, available: false, reason: 'MODALAB_NATIVE=0', line: 'modalab: native kernels off (MODALAB_NATIVE=0); heavy ops on wasm' };
    return status;
  }
  const load = loadNativeAddon();
  if (!load.ok) {
    status = { ...base, mathWhy: 'native kernels unavailable', bf16: { available: false, why: load.reason }, active: false, available: false, reason: load.reason, line: `modalab: native kernels unavailable, heavy ops on wasm: ${load.reason}` };
    return status;
  }
  install(load.addon);
  const library = describe(load.addon, load.threadsWhy);
  const support = bf16Support(load.addon.info().isa);
  const { math, why } = mathFromEnv(env, support);
  load.addon.setMathMode(math);
  const line = onLine(library, kernels.length, math, why);
  status = {
    ...base, threads: load.addon.info().threads, threadsWhy: load.threadsWhy, math, mathWhy: why, bf16: { available: support.ok, why: support.why }, active: true, available: true, library, line,
  };
  return status;
}

/**
 * Switches the native kernels on and off after registerNativeKernels found the addon, so a
 * benchmark can measure both paths in one process. Turn them off before
 * setWasmKernelOverrides(false): that switch only replaces kernels it installed itself.
 */
export function setNativeKernels(enabled: boolean): void {
  const load = loadNativeAddon();
  if (enabled) {
    if (!load.ok) throw new Error(`setNativeKernels(true): ${load.reason}`);
    install(load.addon);
  } else {
    uninstall();
  }
  if (status !== undefined) status = { ...status, active: enabled && load.ok };
}

/**
 * Switches the native matmuls between float32 and bf16 products at run time (the benchmark
 * measures both in one process). Throws when the addon is not loaded or, for 'bf16', when the
 * CPU has no bf16 instructions.
 */
export function setNativeMathMode(math: NativeMath): void {
  const load = loadNativeAddon();
  if (!load.ok) throw new Error(`setNativeMathMode('${math}'): ${load.reason}`);
  const support = bf16Support(load.addon.info().isa);
  if (math === 'bf16' && !support.ok) throw new Error(`setNativeMathMode('bf16'): ${support.why}`);
  load.addon.setMathMode(math);
  if (status?.library !== undefined) {
    const mathWhy = 'setNativeMathMode';
    status = { ...status, math, mathWhy, line: onLine(status.library, status.kernels.length, math, mathWhy) };
  }
}

/** What registerNativeKernels decided, or undefined before it ran. */
export function nativeKernelStatus(): NativeKernelStatus | undefined {
  return status;
}
