import { createRequire } from 'node:module';
import { registerTrainingGradients } from './training-gradients.js';

// tfjs-core keeps its gradient functions out of its Node bundle; the umbrella @tensorflow/tfjs
// package registers them (against the same single tfjs-core copy, pinned in the catalog).
// Without this every tf.grad fails with "gradient function not found". Ours come after, so
// they replace the few that tfjs gets wrong or lacks (see training-gradients.ts).
createRequire(import.meta.url)('@tensorflow/tfjs');
registerTrainingGradients();
