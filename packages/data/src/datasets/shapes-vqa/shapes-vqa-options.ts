import { z } from 'zod';

export const SHAPES = ['circle', 'square', 'triangle'] as const;
export type Shape = (typeof SHAPES)[number];

/** Six colours far apart in RGB (and named by their everyday word), as 8-bit sRGB. */
export const COLOURS = {
  red: [220, 40, 40],
  green: [40, 170, 60],
  blue: [40, 90, 230],
  yellow: [240, 200, 30],
  purple: [150, 60, 190],
  cyan: [40, 200, 210],
} as const satisfies Record<string, readonly [number, number, number]>;
export type Colour = keyof typeof COLOURS;
export const COLOUR_NAMES = Object.keys(COLOURS) as Colour[];

export const QUESTION_TYPES = ['colour', 'shape', 'count', 'exists', 'left-of'] as const;
export type QuestionType = (typeof QUESTION_TYPES)[number];

export const MAX_OBJECTS = 4;

/** The fixed answer vocabulary: colours, shapes, yes/no, counts 0-4. `answerIndex` indexes this list. */
export const ANSWERS: readonly string[] = [
  ...COLOUR_NAMES,
  ...SHAPES,
  'yes',
  'no',
  ...Array.from({ length: MAX_OBJECTS + 1 }, (_, i) => String(i)),
];

const PairSchema = z.object({ colour: z.enum(COLOUR_NAMES as [Colour, ...Colour[]]), shape: z.enum(SHAPES) }).strict();
export type ColourShape = z.infer<typeof PairSchema>;

/** One pair per shape and per colour, so every colour and every shape still appears in training. */
export const DEFAULT_HELD_OUT_PAIRS: ColourShape[] = [
  { colour: 'red', shape: 'circle' },
  { colour: 'green', shape: 'square' },
  { colour: 'blue', shape: 'triangle' },
];

export const ShapesVqaOptionsSchema = z
  .object({
    // 32 px: shapes are 5-8 px across, large enough to tell a triangle from a circle, small enough for a tiny CNN.
    imageSize: z.number().int().min(16).max(256).default(32),
    // 2,000 scenes x 4 questions: enough for a small fusion head to get well above the answer prior.
    trainScenes: z.number().int().min(0).default(2000),
    // Same combinations as train: separates plain generalisation from compositional generalisation.
    testScenes: z.number().int().min(0).default(400),
    // Every scene holds at least one held-out colour-shape pair, and every question depends on one.
    heldOutScenes: z.number().int().min(0).default(400),
    // 4: each scene is reused across question types, as in CLEVR.
    questionsPerScene: z.number().int().min(1).max(20).default(4),
    minObjects: z.number().int().min(1).max(MAX_OBJECTS).default(1),
    maxObjects: z.number().int().min(1).max(MAX_OBJECTS).default(MAX_OBJECTS),
    // CoGenT-style: these pairs never occur in train/test scenes nor in their questions.
    heldOutPairs: z.array(PairSchema).default(DEFAULT_HELD_OUT_PAIRS),
    seed: z.number().int().default(0),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.minObjects > c.maxObjects) {
      ctx.addIssue({ code: 'custom', path: ['minObjects'], message: `minObjects ${c.minObjects} exceeds maxObjects ${c.maxObjects}` });
    }
    const keys = c.heldOutPairs.map(pairKey);
    if (new Set(keys).size !== keys.length) ctx.addIssue({ code: 'custom', path: ['heldOutPairs'], message: 'pairs must not repeat' });
    for (const colour of COLOUR_NAMES) {
      if (SHAPES.every((shape) => keys.includes(pairKey({ colour, shape })))) {
        ctx.addIssue({ code: 'custom', path: ['heldOutPairs'], message: `every shape of colour '${colour}' is held out: keep one for training` });
      }
    }
    for (const shape of SHAPES) {
      if (COLOUR_NAMES.every((colour) => keys.includes(pairKey({ colour, shape })))) {
        ctx.addIssue({ code: 'custom', path: ['heldOutPairs'], message: `every colour of shape '${shape}' is held out: keep one for training` });
      }
    }
    if (c.heldOutScenes > 0 && keys.length === 0) {
      ctx.addIssue({ code: 'custom', path: ['heldOutScenes'], message: 'heldOutScenes > 0 needs at least one heldOutPairs entry' });
    }
  });

export type ShapesVqaOptions = z.input<typeof ShapesVqaOptionsSchema>;
export type ShapesVqaConfig = z.output<typeof ShapesVqaOptionsSchema>;

export function pairKey(p: ColourShape): string {
  return `${p.colour} ${p.shape}`;
}
