import { performance } from 'node:perf_hooks';
import { Rng } from '@modalab/core';
import { z } from 'zod';
import { parseOrThrow } from '../../zod-issues.js';
import type { ImageSet } from '../emoji/emoji-types.js';

export const NOISY_PAIRS_MODALITIES = ['image', 'text'] as const;
export type NoisyPairsModality = (typeof NOISY_PAIRS_MODALITIES)[number];
export const NOISY_PAIRS_SPLITS = ['train', 'test', 'conflict'] as const;
export type NoisyPairsSplitName = (typeof NOISY_PAIRS_SPLITS)[number];

/** Image cells are this many pixels square; the image is a grid of them. */
export const NOISY_PAIRS_CELL = 4;
/** Grey of the cells that carry no class pattern. */
const BACKGROUND = 0.5;

export const NoisyPairsOptionsSchema = z
  .object({
    // 10: chance is 10%, so a modality's accuracy between chance and 1 is easy to read.
    classes: z.number().int().min(2).max(100).default(10),
    // The modality whose content always shows the sample's class; the other one is the noisy one.
    clean: z.enum(NOISY_PAIRS_MODALITIES).default('image'),
    // Probability that the noisy modality shows a uniformly drawn wrong class. 0.5: the noisy modality alone
    // scores about 50%, far above chance but far below the clean one, the setting where fusion collapses onto it.
    noise: z.number().min(0).max(1).default(0.5),
    // How many times a sample writes its class: keyword tokens among the text's tokens, pattern cells among the
    // image's grid cells (the rest are filler tokens and grey cells). 2: easy to find, not a single-token lookup.
    redundancy: z.number().int().min(1).default(2),
    // 16 px = a 4 x 4 grid of 4 px cells: a convnet or a ViT with 4 px patches reads one cell per patch.
    imageSize: z.number().int().min(NOISY_PAIRS_CELL).max(128).default(16),
    // Standard deviation of Gaussian pixel noise (then clamped to [0, 1]); 0.05 keeps patterns recognisable.
    pixelNoise: z.number().min(0).max(1).default(0.05),
    // 8 tokens, as a short caption.
    textLength: z.number().int().min(1).max(256).default(8),
    // Synonyms per class, so a class is a set of tokens rather than one id.
    keywordsPerClass: z.number().int().min(1).max(64).default(4),
    // Class-free tokens that fill the rest of the text.
    fillerTokens: z.number().int().min(1).max(4096).default(32),
    trainSize: z.number().int().min(0).default(2000),
    testSize: z.number().int().min(0).default(500),
    // The clean modality shows a wrong class and the noisy one the right class (noise-free): a model that only
    // reads the clean modality scores 0 here, one that fuses both scores above 0.
    conflictSize: z.number().int().min(0).default(500),
    seed: z.number().int().default(0),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.imageSize % NOISY_PAIRS_CELL !== 0) {
      ctx.addIssue({ code: 'custom', path: ['imageSize'], message: `imageSize must be a multiple of ${NOISY_PAIRS_CELL}, got ${c.imageSize}` });
    }
    const cells = (Math.floor(c.imageSize / NOISY_PAIRS_CELL)) ** 2;
    if (c.redundancy > cells) {
      ctx.addIssue({ code: 'custom', path: ['redundancy'], message: `redundancy ${c.redundancy} exceeds the ${cells} image cells` });
    }
    if (c.redundancy > c.textLength) {
      ctx.addIssue({ code: 'custom', path: ['redundancy'], message: `redundancy ${c.redundancy} exceeds textLength ${c.textLength}` });
    }
  });
export type NoisyPairsOptions = z.input<typeof NoisyPairsOptionsSchema>;
export type NoisyPairsConfig = z.output<typeof NoisyPairsOptionsSchema>;

export interface NoisyPairsSplit {
  /** [count] class of each sample, balanced within a split. */
  labels: Int32Array;
  /** [count, imageSize, imageSize, 3] in [0, 1]. */
  image: ImageSet;
  /** [count, textLength] token ids in [0, vocabSize); every token is real (no padding). */
  text: { ids: Int32Array; length: number; vocabSize: number };
  /** The class each modality actually shows, per sample: equal to `labels` except where noise (or `conflict`) changed it. */
  shown: Record<NoisyPairsModality, Int32Array>;
}

export interface NoisyPairsCard {
  name: 'noisy-pairs';
  config: NoisyPairsConfig;
  noisy: NoisyPairsModality;
  vocabSize: number;
  /** Token ids [0, fillerTokens) are fillers; class c owns ids fillerTokens + c * keywordsPerClass + [0, keywordsPerClass). */
  tokenLayout: string;
  counts: Record<NoisyPairsSplitName, { samples: number; perClass: number[]; shownWrong: Record<NoisyPairsModality, number> }>;
  licence: string;
  tests: string;
  load: { ms: number };
}

export interface NoisyPairsDataset {
  splits: Record<NoisyPairsSplitName, NoisyPairsSplit>;
  /** [classes, cell, cell, 3] the pattern each class paints into its cells. */
  prototypes: Float32Array;
  card: NoisyPairsCard;
}

/**
 * A two-modality classification set built to provoke modality collapse: one modality (`clean`) always shows the
 * label, the other shows it only with probability 1 - noise. Images are grids of 4 px cells where `redundancy`
 * cells carry the class pattern; texts are token sequences where `redundancy` tokens are class keywords.
 * `conflict` pits the modalities against each other to measure which one a fused model follows.
 */
export function loadNoisyPairs(options: NoisyPairsOptions = {}): NoisyPairsDataset {
  const start = performance.now();
  const config = parseOrThrow(NoisyPairsOptionsSchema, options, 'loadNoisyPairs options');
  const root = new Rng(config.seed);
  const prototypeRng = root.fork();
  const rngs = { train: root.fork(), test: root.fork(), conflict: root.fork() };
  const cellValues = NOISY_PAIRS_CELL * NOISY_PAIRS_CELL * 3;
  const prototypes = new Float32Array(config.classes * cellValues); // [classes, cell, cell, 3]
  for (let i = 0; i < prototypes.length; i++) prototypes[i] = prototypeRng.next();
  const noisy: NoisyPairsModality = config.clean === 'image' ? 'text' : 'image';

  const splits = {
    train: makeSplit(config, config.trainSize, rngs.train, prototypes, 'normal'),
    test: makeSplit(config, config.testSize, rngs.test, prototypes, 'normal'),
    conflict: makeSplit(config, config.conflictSize, rngs.conflict, prototypes, 'conflict'),
  } satisfies Record<NoisyPairsSplitName, NoisyPairsSplit>;

  const counts = Object.fromEntries(
    NOISY_PAIRS_SPLITS.map((name) => {
      const s = splits[name];
      const perClass = new Array<number>(config.classes).fill(0);
      for (const y of s.labels) perClass[y] = (perClass[y] ?? 0) + 1;
      const wrong = (m: NoisyPairsModality): number => s.shown[m].reduce((a, v, i) => a + (v === s.labels[i] ? 0 : 1), 0);
      return [name, { samples: s.labels.length, perClass, shownWrong: { image: wrong('image'), text: wrong('text') } }];
    }),
  ) as NoisyPairsCard['counts'];

  const card: NoisyPairsCard = {
    name: 'noisy-pairs',
    config,
    noisy,
    vocabSize: vocabSize(config),
    tokenLayout: `ids 0-${config.fillerTokens - 1} are fillers; class c owns ids ${config.fillerTokens} + ${config.keywordsPerClass}c to ${config.fillerTokens} + ${config.keywordsPerClass}c + ${config.keywordsPerClass - 1}`,
    counts,
    licence: 'Procedurally generated by modalab; no third-party content.',
    tests:
      `Modality collapse: ${config.clean} always shows the label, ${noisy} shows it with probability ${1 - config.noise}. ` +
      'Compare each modality alone (drop the other) with the fused model, and read the conflict split to see which modality the model follows.',
    load: { ms: Math.round(performance.now() - start) },
  };
  return { splits, prototypes, card };
}

export function vocabSize(config: Pick<NoisyPairsConfig, 'classes' | 'keywordsPerClass' | 'fillerTokens'>): number {
  return config.fillerTokens + config.classes * config.keywordsPerClass;
}

function makeSplit(config: NoisyPairsConfig, count: number, rng: Rng, prototypes: Float32Array, mode: 'normal' | 'conflict'): NoisyPairsSplit {
  const { classes, imageSize: size, textLength, redundancy } = config;
  const grid = size / NOISY_PAIRS_CELL;
  const labels = Int32Array.from(rng.shuffle(Array.from({ length: count }, (_, i) => i % classes)));
  const pixels = new Float32Array(count * size * size * 3); // [count, size, size, 3]
  const ids = new Int32Array(count * textLength); // [count, textLength]
  const shown = { image: new Int32Array(count), text: new Int32Array(count) };
  const wrongClass = (y: number): number => (y + 1 + rng.int(classes - 1)) % classes;

  for (let i = 0; i < count; i++) {
    const y = labels[i] as number;
    for (const m of NOISY_PAIRS_MODALITIES) {
      const isClean = m === config.clean;
      // normal: clean shows y, noisy shows a wrong class with probability `noise`. conflict: the reverse, noise-free.
      const wrong = mode === 'conflict' ? isClean : !isClean && rng.next() < config.noise;
      shown[m][i] = wrong ? wrongClass(y) : y;
    }
    paintImage(pixels, i, shown.image[i] as number, size, grid, redundancy, config.pixelNoise, prototypes, rng);
    writeText(ids, i, shown.text[i] as number, config, rng);
  }
  return {
    labels,
    image: { size, count, pixels },
    text: { ids, length: textLength, vocabSize: vocabSize(config) },
    shown,
  };
}

function paintImage(
  pixels: Float32Array,
  row: number,
  cls: number,
  size: number,
  grid: number,
  redundancy: number,
  pixelNoise: number,
  prototypes: Float32Array,
  rng: Rng,
): void {
  const cells = rng.shuffle(Array.from({ length: grid * grid }, (_, c) => c)).slice(0, redundancy);
  const marked = new Set(cells);
  const cellValues = NOISY_PAIRS_CELL * NOISY_PAIRS_CELL * 3;
  const base = row * size * size * 3;
  for (let cy = 0; cy < grid; cy++) {
    for (let cx = 0; cx < grid; cx++) {
      const isMarked = marked.has(cy * grid + cx);
      for (let py = 0; py < NOISY_PAIRS_CELL; py++) {
        for (let px = 0; px < NOISY_PAIRS_CELL; px++) {
          for (let c = 0; c < 3; c++) {
            const within = (py * NOISY_PAIRS_CELL + px) * 3 + c;
            const clean = isMarked ? (prototypes[cls * cellValues + within] as number) : BACKGROUND;
            const v = clean + (pixelNoise > 0 ? pixelNoise * rng.normal() : 0);
            const at = base + ((cy * NOISY_PAIRS_CELL + py) * size + cx * NOISY_PAIRS_CELL + px) * 3 + c;
            pixels[at] = Math.min(1, Math.max(0, v));
          }
        }
      }
    }
  }
}

function writeText(ids: Int32Array, row: number, cls: number, config: NoisyPairsConfig, rng: Rng): void {
  const { textLength, redundancy, keywordsPerClass, fillerTokens } = config;
  const keywordAt = new Set(rng.shuffle(Array.from({ length: textLength }, (_, t) => t)).slice(0, redundancy));
  for (let t = 0; t < textLength; t++) {
    ids[row * textLength + t] = keywordAt.has(t) ? fillerTokens + cls * keywordsPerClass + rng.int(keywordsPerClass) : rng.int(fillerTokens);
  }
}
