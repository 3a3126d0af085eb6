import { createRequire } from 'node:module';

// The umbrella package carries tfjs-layers and tfjs-converter on the single tfjs-core copy
// pinned in the catalog (see train/register-gradients.ts); loaded lazily so core stays light.
export type Tfjs = typeof import('@tensorflow/tfjs');
let cached: Tfjs | undefined;
export function tfjs(): Tfjs {
  cached ??= createRequire(import.meta.url)('@tensorflow/tfjs') as Tfjs;
  return cached;
}
