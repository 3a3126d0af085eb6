import * as tf from '@tensorflow/tfjs-core';

export interface KernelTime {
  kernel: string;
  calls: number;
  /** Wall time inside the kernel. */
  ms: number;
  /** Process CPU time inside the kernel (all threads): equals wall time on one idle core. */
  cpuMs: number;
}

/**
 * Times every kernel registered for `backend` while `fn` runs, by wrapping each registered
 * kernel function, and restores the registry after. Kernels that call other kernels directly
 * (fallbacks) are counted once, under the name they were called by. On a shared machine wall
 * time includes waiting for a core; CPU time does not.
 */
export async function profileKernels(backend: string, fn: () => Promise<void>): Promise<{ kernels: KernelTime[]; totalMs: number; totalCpuMs: number }> {
  const configs = tf.getKernelsForBackend(backend);
  const times = new Map<string, KernelTime>();
  for (const config of configs) {
    const inner = config.kernelFunc;
    const entry: KernelTime = { kernel: config.kernelName, calls: 0, ms: 0, cpuMs: 0 };
    times.set(config.kernelName, entry);
    const timed: tf.KernelFunc = (args) => {
      const cpu = process.cpuUsage();
      const start = performance.now();
      try {
        return inner(args);
      } finally {
        entry.ms += performance.now() - start;
        const used = process.cpuUsage(cpu);
        entry.cpuMs += (used.user + used.system) / 1000;
        entry.calls++;
      }
    };
    tf.unregisterKernel(config.kernelName, backend);
    tf.registerKernel({ ...config, kernelFunc: timed });
  }
  const cpu = process.cpuUsage();
  const start = performance.now();
  try {
    await fn();
  } finally {
    for (const config of configs) {
      tf.unregisterKernel(config.kernelName, backend);
      tf.registerKernel(config);
    }
  }
  const totalMs = performance.now() - start;
  const used = process.cpuUsage(cpu);
  const kernels = [...times.values()].filter((k) => k.calls > 0).sort((a, b) => b.cpuMs - a.cpuMs);
  return { kernels, totalMs, totalCpuMs: (used.user + used.system) / 1000 };
}

/** The profile as text: the kernels by CPU time, with the share of the whole step. */
export function formatProfile(title: string, p: { kernels: KernelTime[]; totalMs: number; totalCpuMs: number }, top = 15): string {
  const inKernels = p.kernels.reduce((s, k) => s + k.cpuMs, 0);
  const lines = [
    `${title}: ${p.totalMs.toFixed(0)} ms wall, ${p.totalCpuMs.toFixed(0)} ms CPU; kernels ${inKernels.toFixed(0)} ms CPU, the rest (JS dispatch, autograd) ${(p.totalCpuMs - inKernels).toFixed(0)} ms`,
    `  ${'kernel'.padEnd(24)} ${'calls'.padStart(6)} ${'cpu ms'.padStart(9)} ${'share'.padStart(6)} ${'wall ms'.padStart(9)}`,
  ];
  for (const k of p.kernels.slice(0, top)) {
    lines.push(`  ${k.kernel.padEnd(24)} ${String(k.calls).padStart(6)} ${k.cpuMs.toFixed(1).padStart(9)} ${`${((100 * k.cpuMs) / p.totalCpuMs).toFixed(0)}%`.padStart(6)} ${k.ms.toFixed(1).padStart(9)}`);
  }
  return lines.join('\n');
}
