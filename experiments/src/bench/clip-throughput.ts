import { AdamW, type DualEncoder, Rng } from '@modalab/core';
import * as tf from '@tensorflow/tfjs-core';
import { quickstart } from '../../defs/quickstart.js';
import { buildDualEncoder } from '../runner/build-model.js';
import { ClipEmojiConfigSchema } from '../runner/clip-emoji-config.js';

export interface ThroughputResult {
  trainSamplesPerSec: number;
  inferSamplesPerSec: number;
  batchSize: number;
  steps: number;
  parameters: number;
}

/**
 * Training and inference throughput of the quickstart model on synthetic batches (speed does
 * not depend on content). Timed after warm-up steps; reads the loss once per step so the
 * time includes finishing the step.
 */
export async function clipThroughput(options: { steps: number; batchSize: number }): Promise<ThroughputResult> {
  const config = ClipEmojiConfigSchema.parse({ ...quickstart, train: { ...quickstart.train, batchSize: options.batchSize } });
  const vocab = config.tokenizer.vocabSize;
  const ctx = config.tokenizer.contextLength;
  const size = config.data.imageSize;
  const model: DualEncoder = buildDualEncoder(config, vocab);
  const opt = new AdamW(model.namedVariables(), { weightDecay: 0.1, clipNorm: 1 });
  const rng = new Rng(0);
  const b = options.batchSize;
  const image = tf.tensor4d(Float32Array.from({ length: b * size * size * 3 }, () => rng.next()), [b, size, size, 3]);
  const ids = tf.tensor2d(Int32Array.from({ length: b * ctx }, () => 1 + rng.int(vocab - 1)), [b, ctx], 'int32');
  const mask = tf.ones([b, ctx]) as tf.Tensor2D;
  const batch = { image, text: { ids, mask } };

  const trainStep = async () => {
    const { loss, gradNorm } = opt.step(() => model.loss(batch).loss, 1e-4);
    model.afterStep();
    await loss.data();
    tf.dispose([loss, gradNorm]);
  };
  const inferStep = async () => {
    const [a, t] = [model.encode('image', image), model.encode('text', batch.text)];
    await Promise.all([a.data(), t.data()]);
    tf.dispose([a, t]);
  };
  const timeIt = async (fn: () => Promise<void>, steps: number) => {
    await fn(); // warm-up: first calls compile and allocate
    const start = performance.now();
    for (let i = 0; i < steps; i++) await fn();
    return (steps * b) / ((performance.now() - start) / 1000);
  };
  const trainSamplesPerSec = await timeIt(trainStep, options.steps);
  const inferSamplesPerSec = await timeIt(inferStep, options.steps);
  const parameters = model.parameterCount();
  tf.dispose([image, ids, mask]);
  model.dispose();
  opt.dispose();
  return { trainSamplesPerSec, inferSamplesPerSec, batchSize: b, steps: options.steps, parameters };
}
