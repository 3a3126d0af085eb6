import { createRequire } from 'node:module';

// tfjs-core keeps its gradient functions out of its Node bundle; the umbrella @tensorflow/tfjs
// package registers them (against the same single tfjs-core copy, pinned in the catalog).
// Without this every tf.grad fails with "gradient function not found".
createRequire(import.meta.url)('@tensorflow/tfjs');
