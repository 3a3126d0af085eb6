import * as tf from '@tensorflow/tfjs-core';
import type { GraphModel } from '@tensorflow/tfjs';
import { Module } from '../../layers/module.js';
import type { Encoder } from '../encoder.js';
import { fileModelIO, resolveModelJson } from './file-io.js';
import { tfjs } from './tfjs.js';
import { checkInput, featureDim, toFeatures, type TowerPool } from './tower-output.js';

export interface GraphModelTowerOptions {
  /** 'mean' averages every axis between batch and features; 'none' needs a [B, D] output. */
  pool?: TowerPool;
  /** Feature width when the graph does not declare its output shape. */
  outputDim?: number;
  /** Output node to read when the graph has several (default: its only output). */
  outputNode?: string;
}

/** The output's shape from the model.json signature (converters write it there, not on the node); -1 is a free size. */
function signatureShape(model: GraphModel, node: string): number[] | undefined {
  const outputs = (model.modelSignature as { outputs?: Record<string, { name?: string; tensorShape?: { dim?: { size?: string | number }[] } }> } | undefined)?.outputs;
  const entry = Object.values(outputs ?? {}).find((o) => (o.name ?? '').replace(/:\d+$/, '') === node);
  return entry?.tensorShape?.dim?.map((d) => Number(d.size ?? -1));
}

/**
 * A converted TensorFlow.js graph model used as a frozen encoder tower: input tensor -> [B, D].
 * A graph model holds its weights as constants, so the tower has no trainable parameters;
 * gradients still flow through it to whatever feeds it. Load a layers model to unlock blocks.
 */
export class GraphModelTower extends Module implements Encoder<tf.Tensor> {
  readonly outputDim: number;
  readonly pool: TowerPool;
  private readonly outputNode: string | undefined;

  constructor(readonly model: GraphModel, options: GraphModelTowerOptions = {}) {
    super();
    const outputs = model.outputs;
    if (options.outputNode === undefined && outputs.length !== 1) {
      throw new Error(`GraphModelTower: the graph has ${outputs.length} outputs (${outputs.map((o) => o.name).join(', ')}); pass outputNode`);
    }
    if (model.inputs.length !== 1) throw new Error(`GraphModelTower: the graph has ${model.inputs.length} inputs (${model.inputs.map((o) => o.name).join(', ')}); expected exactly 1`);
    this.outputNode = options.outputNode;
    this.pool = options.pool ?? 'none';
    const info = options.outputNode === undefined ? outputs[0] : outputs.find((o) => o.name === options.outputNode);
    const name = info?.name ?? options.outputNode ?? '';
    this.outputDim = featureDim('GraphModelTower', info?.shape ?? signatureShape(model, name), this.pool, options.outputDim);
  }

  apply(input: tf.Tensor): tf.Tensor2D {
    checkInput('GraphModelTower', input, this.model.inputs[0]!.shape);
    return tf.tidy(() => {
      const y = this.outputNode === undefined ? this.model.execute(input) : this.model.execute(input, this.outputNode);
      return toFeatures('GraphModelTower', y as tf.Tensor, this.pool, this.outputDim); // [B, D]
    });
  }

  override dispose(): void {
    this.model.dispose();
    super.dispose();
  }
}

/** Loads a graph model.json (and its weight files) from a local path or folder as a frozen GraphModelTower. */
export async function loadGraphTower(path: string, options: GraphModelTowerOptions = {}): Promise<GraphModelTower> {
  const file = await resolveModelJson(path);
  const model = await tfjs().loadGraphModel(fileModelIO(file));
  try {
    return new GraphModelTower(model, options);
  } catch (e) {
    model.dispose();
    throw new Error(`${file}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
}
