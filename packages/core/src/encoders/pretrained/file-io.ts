import { mkdir, readFile, realpath, stat, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';

/** Every refusal to read a TensorFlow.js model from disk; the message names the file and what to do. */
export class ModelFileError extends Error {
  constructor(readonly file: string, reason: string, options?: { cause?: unknown }) {
    super(`Cannot load TensorFlow.js model ${file}: ${reason}`, options);
    this.name = 'ModelFileError';
  }
}

/** Accepts the model.json path or the folder holding it. */
export async function resolveModelJson(path: string): Promise<string> {
  const abs = resolve(path);
  try {
    if ((await stat(abs)).isDirectory()) return join(abs, 'model.json');
  } catch (cause) {
    throw new ModelFileError(abs, 'no such file or folder (pass the model.json path or its folder)', { cause });
  }
  return abs;
}

/** Bytes per stored element; undefined for strings, whose length is only known while decoding. */
function bytesPerElement(spec: tf.io.WeightsManifestEntry): number | undefined {
  const q = spec.quantization?.dtype;
  if (q !== undefined) return q === 'uint8' ? 1 : 2; // uint16 and float16
  switch (spec.dtype) {
    case 'float32':
    case 'int32':
      return 4;
    case 'bool':
      return 1;
    case 'complex64':
      return 8;
    default:
      return undefined;
  }
}

async function readWeightFile(modelJson: string, folder: string, realFolder: string, path: unknown): Promise<Uint8Array> {
  if (typeof path !== 'string' || path === '') throw new ModelFileError(modelJson, `weightsManifest has a weight path ${JSON.stringify(path)}; expected a file name relative to the model folder`);
  const escapes = (root: string, p: string): boolean => {
    const rel = relative(root, p);
    return rel === '' || rel.startsWith(`..${sep}`) || rel === '..' || isAbsolute(rel);
  };
  const file = resolve(folder, path);
  if (isAbsolute(path) || escapes(folder, file)) {
    throw new ModelFileError(modelJson, `weight path '${path}' escapes the model folder ${folder}; weight files must sit inside it`);
  }
  let real: string;
  try {
    real = await realpath(file);
  } catch (cause) {
    throw new ModelFileError(modelJson, `weight file ${file} listed in weightsManifest is missing`, { cause });
  }
  if (escapes(realFolder, real)) throw new ModelFileError(modelJson, `weight path '${path}' links to ${real}, outside the model folder ${folder}`);
  try {
    return await readFile(real);
  } catch (cause) {
    throw new ModelFileError(modelJson, `weight file ${file} could not be read: ${String(cause)}`, { cause });
  }
}

/** Reads the weight files of every manifest group (in order) into one buffer, checking each group's byte count against its specs. */
async function loadWeights(modelJson: string, manifest: unknown): Promise<[tf.io.WeightsManifestEntry[], ArrayBuffer]> {
  if (!Array.isArray(manifest)) throw new ModelFileError(modelJson, 'weightsManifest is not an array of {paths, weights} groups');
  const folder = dirname(modelJson);
  const realFolder = await realpath(folder);
  const specs: tf.io.WeightsManifestEntry[] = [];
  const parts: Uint8Array[] = [];
  for (const [g, group] of (manifest as unknown[]).entries()) {
    const { paths, weights } = (group ?? {}) as { paths?: unknown; weights?: unknown };
    if (!Array.isArray(paths) || !Array.isArray(weights)) throw new ModelFileError(modelJson, `weightsManifest[${g}] needs 'paths' and 'weights' arrays`);
    const files = await Promise.all(paths.map((p) => readWeightFile(modelJson, folder, realFolder, p)));
    const got = files.reduce((n, f) => n + f.byteLength, 0);
    const groupSpecs = weights as tf.io.WeightsManifestEntry[];
    const sizes = groupSpecs.map((s) => {
      const per = bytesPerElement(s);
      return per === undefined ? undefined : per * (s.shape ?? []).reduce((a, b) => a * b, 1);
    });
    if (sizes.every((s) => s !== undefined)) {
      const expected = sizes.reduce<number>((a, b) => a + (b ?? 0), 0);
      if (got !== expected) {
        const names = paths.map((p) => join(folder, String(p))).join(', ');
        throw new ModelFileError(
          modelJson,
          `weight file ${names} has ${got} bytes but weightsManifest[${g}] declares ${expected} (${groupSpecs.map((s) => `${s.name} [${s.shape.join(', ')}] ${s.dtype}`).join('; ')}): the file is truncated, corrupted or from another model`,
        );
      }
    }
    specs.push(...groupSpecs);
    parts.push(...files);
  }
  const total = parts.reduce((n, p) => n + p.byteLength, 0);
  const out = new Uint8Array(total);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.byteLength;
  }
  return [specs, out.buffer];
}

/**
 * An IOHandler for TensorFlow.js models on the local disk (tfjs-node's file:// without tfjs-node):
 * `load` reads model.json and the weight files its manifest lists, refusing paths outside the
 * model's folder and files whose size disagrees with the manifest; `save` writes model.json and
 * weights.bin. Pass it to tf.loadLayersModel, tf.loadGraphModel or model.save.
 */
export function fileModelIO(modelJsonPath: string): tf.io.IOHandler {
  const modelJson = resolve(modelJsonPath);
  return {
    async load(): Promise<tf.io.ModelArtifacts> {
      let text: string;
      try {
        text = await readFile(modelJson, 'utf8');
      } catch (cause) {
        const code = (cause as NodeJS.ErrnoException).code;
        throw new ModelFileError(modelJson, code === 'ENOENT' ? 'no such file' : `read failed: ${String(cause)}`, { cause });
      }
      let json: tf.io.ModelJSON;
      try {
        json = JSON.parse(text) as tf.io.ModelJSON;
      } catch (cause) {
        throw new ModelFileError(modelJson, `not valid JSON: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
      }
      if (typeof json !== 'object' || json === null || json.modelTopology == null) {
        throw new ModelFileError(modelJson, 'no modelTopology: not a TensorFlow.js model.json');
      }
      return tf.io.getModelArtifactsForJSON(json, (manifest) => loadWeights(modelJson, manifest));
    },

    async save(artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
      const topology = artifacts.modelTopology;
      if (topology === undefined || topology instanceof ArrayBuffer) throw new Error(`fileModelIO(${modelJson}).save: expected a JSON model topology, got ${topology === undefined ? 'none' : 'an ArrayBuffer'}`);
      const weightsFile = 'weights.bin';
      const { weightData, weightSpecs } = artifacts;
      const json: tf.io.ModelJSON = {
        modelTopology: topology,
        format: artifacts.format,
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy,
        trainingConfig: artifacts.trainingConfig,
        signature: artifacts.signature,
        userDefinedMetadata: artifacts.userDefinedMetadata,
        weightsManifest: [{ paths: [weightsFile], weights: weightSpecs ?? [] }],
      };
      await mkdir(dirname(modelJson), { recursive: true });
      const data = weightData === undefined ? new ArrayBuffer(0) : tf.io.CompositeArrayBuffer.join(weightData);
      await writeFile(join(dirname(modelJson), weightsFile), new Uint8Array(data));
      await writeFile(modelJson, JSON.stringify(json));
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    },
  };
}
