import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs';
import { Module } from '../../layers/module.js';
import type { Encoder } from '../encoder.js';
import { fileModelIO, resolveModelJson } from './file-io.js';
import { tfjs } from './tfjs.js';
import { checkInput, featureDim, toFeatures, type TowerOptions, type TowerPool } from './tower-output.js';

export interface LayersModelTowerOptions extends TowerOptions {
  /** Feature width when the model's output shape does not say it. */
  outputDim?: number;
}

type Layer = LayersModel['layers'][number];

/**
 * A TensorFlow.js layers model used as an encoder tower: input tensor -> [B, D]. Its weights are
 * listed as `<layer name>.<weight>` so optimizers, freeze() and checkpoints see them; it starts
 * frozen (LiT, Zhai et al. 2022) and lockExceptLast unlocks the last layers that have weights.
 */
export class LayersModelTower extends Module implements Encoder<tf.Tensor> {
  readonly outputDim: number;
  readonly pool: TowerPool;

  constructor(readonly model: LayersModel, options: LayersModelTowerOptions = {}) {
    super();
    if (model.outputs.length !== 1) throw new Error(`LayersModelTower: the model has ${model.outputs.length} outputs; expected exactly 1`);
    if (model.inputs.length !== 1) throw new Error(`LayersModelTower: the model has ${model.inputs.length} inputs; expected exactly 1`);
    this.pool = options.pool ?? 'none';
    this.outputDim = featureDim('LayersModelTower', model.outputs[0]!.shape, this.pool, options.outputDim);
    this.lockExceptLast(options.unlockedBlocks ?? 0);
  }

  /** Layers that own weights, in model order: the "blocks" LiT locking counts from the end. */
  weightedLayers(): Layer[] {
    return this.model.layers.filter((l) => l.weights.length > 0);
  }

  /**
   * Leaves only the last `n` weighted layers trainable (0 freezes everything) and returns the
   * names of the frozen parameters. Weights a layer keeps non-trainable (moving statistics) stay so.
   */
  lockExceptLast(n: number): string[] {
    const layers = this.weightedLayers();
    if (!Number.isInteger(n) || n < 0) throw new Error(`LayersModelTower.lockExceptLast: n must be an integer >= 0, got ${n}`);
    if (n > layers.length) throw new Error(`LayersModelTower.lockExceptLast: n ${n} exceeds the ${layers.length} layers with weights (${layers.map((l) => l.name).join(', ')})`);
    layers.forEach((l, i) => {
      l.trainable = i >= layers.length - n;
    });
    return [...this.namedVariables()].filter(([, v]) => !v.trainable).map(([name]) => name);
  }

  /** The layers' own tf.Variables (not copies), keyed `<prefix><layer>.<weight>`. */
  override namedVariables(prefix = ''): Map<string, tf.Variable> {
    const out = new Map<string, tf.Variable>();
    for (const layer of this.model.layers) {
      for (const w of layer.weights) {
        const short = w.originalName.split('/').pop() ?? w.originalName;
        out.set(`${prefix}${layer.name}.${short}`, w.read() as tf.Variable);
      }
    }
    return out;
  }

  apply(input: tf.Tensor): tf.Tensor2D {
    checkInput('LayersModelTower', input, this.model.inputs[0]!.shape);
    return tf.tidy(() => toFeatures('LayersModelTower', this.model.apply(input, { training: false }) as tf.Tensor, this.pool, this.outputDim)); // [B, D]
  }

  override dispose(): void {
    this.model.dispose();
    super.dispose();
  }
}

/** Loads model.json (and its weight files) from a local path or folder as a LayersModelTower, frozen unless `unlockedBlocks` says otherwise. */
export async function loadLayersTower(path: string, options: LayersModelTowerOptions = {}): Promise<LayersModelTower> {
  const file = await resolveModelJson(path);
  const model = await tfjs().loadLayersModel(fileModelIO(file));
  try {
    return new LayersModelTower(model, options);
  } catch (e) {
    model.dispose();
    throw new Error(`${file}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
}
