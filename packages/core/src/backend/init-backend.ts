import * as tf from '@tensorflow/tfjs-core';
import { createRequire } from 'node:module';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { registerNativeKernels, type NativeKernelStatus } from './native/index.js';
import { registerWasmTrainingKernels } from './wasm-kernels/index.js';

/** Backends in the order `initBackend` tries them: fastest first. */
export const BACKEND_ORDER = ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKEND_ORDER)[number];

export interface BackendAttempt {
  name: BackendName;
  ok: boolean;
  error?: string;
}

export interface BackendInfo {
  /** The backend in use. */
  name: BackendName;
  /** The tfjs backend name it registered under (`tensorflow` for both native ones). */
  tfName: string;
  /** Set when MODALAB_BACKEND or an explicit argument forced the choice. */
  forced: boolean;
  attempts: BackendAttempt[];
  tfjsVersion: string;
  /** On wasm: whether the native kernels (packages/core/native) run the heavy ops, and why. */
  native?: NativeKernelStatus;
}

export interface InitBackendOptions {
  /** Force one backend; defaults to the MODALAB_BACKEND environment variable. */
  backend?: string;
  /** Print the choice once (default true). */
  log?: boolean | ((line: string) => void);
}

const require = createRequire(import.meta.url);
let current: BackendInfo | undefined;

function isBackendName(value: string): value is BackendName {
  return (BACKEND_ORDER as readonly string[]).includes(value);
}

function message(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.split('\n')[0] ?? text;
}

function assertNativeAddon(pkg: string): void {
  let root: string;
  try {
    root = path.dirname(require.resolve(`${pkg}/package.json`));
  } catch {
    throw new Error(`${pkg} is not installed (it is an optional dependency)`);
  }
  const lib = path.join(root, 'lib');
  const found = fs.existsSync(lib) && fs.readdirSync(lib).some((d) => fs.existsSync(path.join(lib, d, 'tfjs_binding.node')));
  if (!found) throw new Error(`${pkg} is installed without its native addon (tfjs_binding.node): its install could not download libtensorflow`);
}

async function tryLoad(name: BackendName): Promise<string> {
  switch (name) {
    case 'tensorflow-gpu':
    case 'tensorflow': {
      // Both native packages register under the tfjs name 'tensorflow'. They are
      // optional dependencies: their install downloads libtensorflow, which fails offline,
      // and then requiring them throws "native addon module ... can not be found".
      const pkg = name === 'tensorflow-gpu' ? '@tensorflow/tfjs-node-gpu' : '@tensorflow/tfjs-node';
      // Look for the addon before requiring: a failed require has already registered
      // hundreds of kernels and prints a warning for each on the next attempt.
      assertNativeAddon(pkg);
      require(pkg);
      if (!(await tf.setBackend('tensorflow'))) throw new Error('tf.setBackend("tensorflow") returned false');
      return 'tensorflow';
    }
    case 'wasm': {
      const wasm = await import('@tensorflow/tfjs-backend-wasm');
      // In Node the .wasm binaries are read from the package's own dist/ folder: no network.
      const dist = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm'));
      wasm.setWasmPaths(dist + path.sep);
      registerWasmTrainingKernels();
      if (!(await tf.setBackend('wasm'))) throw new Error('tf.setBackend("wasm") returned false');
      return 'wasm';
    }
    case 'cpu': {
      await import('@tensorflow/tfjs-backend-cpu');
      if (!(await tf.setBackend('cpu'))) throw new Error('tf.setBackend("cpu") returned false');
      return 'cpu';
    }
  }
}

/**
 * Picks the fastest tensor backend that loads (tensorflow-gpu, tensorflow, wasm, cpu) and
 * makes it current. `MODALAB_BACKEND` (or `options.backend`) forces one and throws if it
 * cannot load. Call it once at the application edge (CLI, notebook, test setup), never in
 * library code. Repeated calls with the same request return the first result.
 */
export async function initBackend(options: InitBackendOptions = {}): Promise<BackendInfo> {
  const requested = options.backend ?? process.env.MODALAB_BACKEND ?? '';
  if (requested !== '' && !isBackendName(requested)) {
    throw new Error(
      `Unknown backend '${requested}' (from ${options.backend === undefined ? 'MODALAB_BACKEND' : 'the backend option'}). ` +
        `Expected one of: ${BACKEND_ORDER.join(', ')}.`,
    );
  }
  if (current && (requested === '' || requested === current.name)) return current;

  const candidates: BackendName[] = requested === '' ? [...BACKEND_ORDER] : [requested as BackendName];
  const attempts: BackendAttempt[] = [];
  for (const name of candidates) {
    try {
      const tfName = await tryLoad(name);
      await tf.ready();
      // After the training kernels: the native ones wrap whatever is registered.
      const native = name === 'wasm' ? registerNativeKernels() : undefined;
      current = { name, tfName, forced: requested !== '', attempts: [...attempts, { name, ok: true }], tfjsVersion: tf.version_core, ...(native ? { native } : {}) };
      const log = options.log ?? true;
      const line = `modalab: backend ${name}${requested !== '' ? ' (forced by MODALAB_BACKEND)' : ''}` +
        (attempts.length > 0 ? `; unavailable: ${attempts.map((a) => a.name).join(', ')}` : '');
      for (const l of native ? [line, native.line] : [line]) {
        if (typeof log === 'function') log(l);
        else if (log) console.error(l);
      }
      return current;
    } catch (err) {
      attempts.push({ name, ok: false, error: message(err) });
    }
  }
  if (requested !== '') {
    throw new Error(
      `Backend '${requested}' was requested (MODALAB_BACKEND) but could not load: ${attempts[0]?.error}. ` +
        (requested.startsWith('tensorflow')
          ? 'The native packages need libtensorflow, which their install script downloads; offline installs have no native backend. Unset MODALAB_BACKEND to use wasm.'
          : 'Unset MODALAB_BACKEND to pick automatically.'),
    );
  }
  throw new Error(`No tensor backend could load: ${attempts.map((a) => `${a.name}: ${a.error}`).join('; ')}`);
}

/** The backend chosen by `initBackend`, or undefined before it ran. */
export function backendInfo(): BackendInfo | undefined {
  return current;
}
