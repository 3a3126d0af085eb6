import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { backendInfo, initBackend } from './init-backend.js';

describe('initBackend', () => {
  it('uses the backend the test project forced', () => {
    const info = backendInfo();
    expect(info?.name).toBe(process.env.MODALAB_BACKEND);
    expect(info?.forced).toBe(true);
    expect(tf.getBackend()).toBe(info?.tfName);
  });

  it('on wasm, records whether the native kernels run and why, in a line for the log', () => {
    const info = backendInfo()!;
    if (info.name !== 'wasm') {
      expect(info.native).toBeUndefined();
      return;
    }
    expect(info.native).toBeDefined();
    expect(info.native!.line).toMatch(/^modalab: native kernels (on|off|unavailable)/);
    if (info.native!.active) {
      expect(tf.getKernel(tf.BatchMatMul, 'wasm')).toBeDefined();
      expect(info.native!.library).toMatch(/oneDNN/);
    } else {
      expect(info.native!.reason).toBeTruthy();
      // A machine set up by tools/setup.sh (CI) must have built the addon: no silent fallback.
      expect(process.env.MODALAB_REQUIRE_NATIVE, info.native!.reason).not.toBe('1');
    }
  });

  it('rejects an unknown backend name, listing the known ones', async () => {
    await expect(initBackend({ backend: 'webgpu', log: false })).rejects.toThrow(
      /Unknown backend 'webgpu'.*tensorflow-gpu, tensorflow, wasm, cpu/,
    );
  });

  it('fails clearly when a forced native backend cannot load', async () => {
    // Offline installs have no libtensorflow; where it exists this forced load succeeds instead.
    const native = await initBackend({ backend: 'tensorflow', log: false }).catch((e: Error) => e);
    if (native instanceof Error) {
      expect(native.message).toMatch(/Backend 'tensorflow' was requested .* could not load/);
    } else {
      expect(native.name).toBe('tensorflow');
    }
    await initBackend({ log: false, backend: process.env.MODALAB_BACKEND });
  });
});
