import { quickstart } from '../../defs/quickstart.js';
import { applyOverrides } from '../cli/overrides.js';

/** The quickstart shrunk to seconds: 16 px, width 16, one block per tower, 40 concepts. */
export const TINY_OVERRIDES = [
  'data.maxConcepts=40',
  'data.imageSize=16',
  'model.embedDim=16',
  'model.image.imageSize=16',
  'model.image.width=16',
  'model.image.depth=1',
  'model.image.heads=2',
  'model.text.width=16',
  'model.text.depth=1',
  'model.text.heads=2',
  'tokenizer.vocabSize=300',
  'train.steps=6',
  'train.batchSize=8',
  'train.warmupSteps=2',
  'train.logEvery=1',
  'train.checkpointEvery=2',
  'eval.batchSize=512',
];

export function tinyConfig(extra: string[] = []): Record<string, unknown> {
  return applyOverrides(quickstart as Record<string, unknown>, [...TINY_OVERRIDES, ...extra]);
}
