import { nativeKernelStatus, registerNativeKernels, setNativeKernels, setNativeMathMode, setWasmKernelOverrides } from '@modalab/core';

/** One way of running the same tfjs code: a backend plus a set of kernel overrides. */
export interface KernelPath {
  name: string;
  /** What runs the heavy kernels, for the log and the JSON. */
  description: string;
  activate(): void;
}

export interface KernelPaths {
  paths: KernelPath[];
  /** The path every other is compared with (wasm as shipped), when there is one. */
  baseline?: string;
  /** Lines saying why a path is missing. */
  notes: string[];
  /** Leaves the backend as the application would use it. */
  restore(): void;
  /** Threads the native kernels use (or would use), and why: the reference gets as many. */
  threads?: { count: number; why: string };
}

/**
 * The kernel paths available on this backend. On wasm: the kernels wasm ships, modalab's
 * TypeScript routes over them (wasm-kernels/), and the native addon (native/) when it loads,
 * in float32 and, where the CPU has bf16 units, with bf16 matmuls; each row is measured on
 * each, in one process, so machine state is shared. The native
 * kernels wrap whatever is registered below them, so they come off first and go on last.
 */
export function kernelPaths(backend: string): KernelPaths {
  if (backend !== 'wasm') {
    return { paths: [{ name: backend, description: `tfjs ${backend} backend`, activate: () => {} }], notes: [], restore: () => {} };
  }
  // initBackend may already have registered them (then this returns the same status).
  const native = nativeKernelStatus()?.available ? nativeKernelStatus()! : registerNativeKernels();
  const nativeWasOn = native.active;
  const mathWas = native.math;
  const paths: KernelPath[] = [
    {
      name: 'wasm',
      description: 'tfjs-backend-wasm as shipped (XNNPACK for untransposed batch-1 matmuls, scalar loops otherwise)',
      activate: () => {
        if (native.available) setNativeKernels(false);
        setWasmKernelOverrides(false);
      },
    },
    {
      name: 'wasm+modalab',
      description: "wasm with modalab's TypeScript kernel routes (every matmul through XNNPACK)",
      activate: () => {
        if (native.available) setNativeKernels(false);
        setWasmKernelOverrides(true);
      },
    },
  ];
  if (native.available) {
    paths.push({
      name: 'wasm+native',
      description: `modalab's native addon (${native.library}): ${native.kernels.length} kernels (matmul, conv2d, elementwise, reductions, transpose, split/concat), the rest on wasm+modalab`,
      activate: () => {
        setWasmKernelOverrides(true);
        setNativeKernels(true);
        setNativeMathMode('fp32');
      },
    });
  }
  if (native.bf16.available) {
    paths.push({
      name: 'wasm+native-bf16',
      description: 'wasm+native with bf16 matmuls (large products on operands rounded to bfloat16, float32 sums; MODALAB_NATIVE_BF16=1)',
      activate: () => {
        setWasmKernelOverrides(true);
        setNativeKernels(true);
        setNativeMathMode('bf16');
      },
    });
  }
  const restore = () => {
    setWasmKernelOverrides(true);
    if (native.available) {
      setNativeKernels(nativeWasOn);
      setNativeMathMode(mathWas);
    }
  };
  const notes = native.available ? [] : [`path wasm+native not measured: ${native.reason}`];
  if (native.available && !native.bf16.available) notes.push(`path wasm+native-bf16 not measured: ${native.bf16.why}`);
  return {
    paths,
    baseline: 'wasm',
    notes,
    restore,
    threads: { count: native.threads, why: native.threadsWhy },
  };
}
