import type { Rng } from '@modalab/core';
import type { ShapesScene } from './shapes-scene.js';
import { COLOUR_NAMES, QUESTION_TYPES, SHAPES, pairKey, type Colour, type QuestionType, type Shape } from './shapes-vqa-options.js';

/** What a question asks, as data: `questionText` renders it, `answerQuestion` answers it from a scene. */
export type QuestionSpec =
  | { type: 'colour'; shape: Shape }
  | { type: 'shape'; colour: Colour }
  | { type: 'count'; shape: Shape }
  | { type: 'exists'; colour: Colour; shape: Shape }
  | { type: 'left-of'; shape: Shape; other: Shape };

export function questionText(q: QuestionSpec): string {
  switch (q.type) {
    case 'colour':
      return `what colour is the ${q.shape}?`;
    case 'shape':
      return `what shape is the ${q.colour} object?`;
    case 'count':
      return `how many ${q.shape}s are there?`;
    case 'exists':
      return `is there a ${q.colour} ${q.shape}?`;
    case 'left-of':
      return `is the ${q.shape} left of the ${q.other}?`;
  }
}

/** The answer, or undefined when the question does not apply (it refers to "the circle" and there is not exactly one). */
export function answerQuestion(scene: ShapesScene, q: QuestionSpec): string | undefined {
  const objs = scene.objects;
  const only = <T>(items: T[]): T | undefined => (items.length === 1 ? items[0] : undefined);
  switch (q.type) {
    case 'colour':
      return only(objs.filter((o) => o.shape === q.shape))?.colour;
    case 'shape':
      return only(objs.filter((o) => o.colour === q.colour))?.shape;
    case 'count':
      return String(objs.filter((o) => o.shape === q.shape).length);
    case 'exists':
      return objs.some((o) => o.colour === q.colour && o.shape === q.shape) ? 'yes' : 'no';
    case 'left-of': {
      const a = only(objs.filter((o) => o.shape === q.shape));
      const b = only(objs.filter((o) => o.shape === q.other));
      return a === undefined || b === undefined ? undefined : a.x < b.x ? 'yes' : 'no';
    }
  }
}

/** Whether a question names a held-out pair or needs an object of a held-out pair to be answered. */
export function involvesHeldOut(scene: ShapesScene, q: QuestionSpec, heldOut: ReadonlySet<string>): boolean {
  const held = (o: { colour: Colour; shape: Shape }): boolean => heldOut.has(pairKey(o));
  switch (q.type) {
    case 'colour':
    case 'count':
      return scene.objects.some((o) => o.shape === q.shape && held(o));
    case 'shape':
      return scene.objects.some((o) => o.colour === q.colour && held(o));
    case 'exists':
      return held(q);
    case 'left-of':
      return scene.objects.some((o) => (o.shape === q.shape || o.shape === q.other) && held(o));
  }
}

/** Every question form, applicable or not. */
export function allQuestionSpecs(): QuestionSpec[] {
  const specs: QuestionSpec[] = [];
  for (const shape of SHAPES) specs.push({ type: 'colour', shape });
  for (const colour of COLOUR_NAMES) specs.push({ type: 'shape', colour });
  for (const shape of SHAPES) specs.push({ type: 'count', shape });
  for (const colour of COLOUR_NAMES) for (const shape of SHAPES) specs.push({ type: 'exists', colour, shape });
  for (const shape of SHAPES) for (const other of SHAPES) if (shape !== other) specs.push({ type: 'left-of', shape, other });
  return specs;
}

/**
 * Draws up to `count` distinct applicable questions for a scene, balanced in two steps: a question type
 * uniformly among those with candidates, then an answer uniformly among that type's possible answers, then a
 * question with that answer. This flattens the answer prior ("no" would otherwise dominate "is there a ...?").
 * `accept` filters candidates (train: no held-out pair named; held-out split: only questions that involve one).
 */
export function sampleQuestions(
  scene: ShapesScene,
  count: number,
  rng: Rng,
  accept: (q: QuestionSpec) => boolean,
): Array<{ spec: QuestionSpec; answer: string }> {
  const pool = new Map<QuestionType, Map<string, QuestionSpec[]>>();
  for (const spec of allQuestionSpecs()) {
    const answer = answerQuestion(scene, spec);
    if (answer === undefined || !accept(spec)) continue;
    const byAnswer = pool.get(spec.type) ?? new Map<string, QuestionSpec[]>();
    pool.set(spec.type, byAnswer);
    byAnswer.set(answer, [...(byAnswer.get(answer) ?? []), spec]);
  }
  const chosen: Array<{ spec: QuestionSpec; answer: string }> = [];
  while (chosen.length < count) {
    const types = QUESTION_TYPES.filter((t) => pool.has(t));
    if (types.length === 0) break;
    const type = types[rng.int(types.length)] as QuestionType;
    const byAnswer = pool.get(type) as Map<string, QuestionSpec[]>;
    const answers = [...byAnswer.keys()];
    const answer = answers[rng.int(answers.length)] as string;
    const specs = byAnswer.get(answer) as QuestionSpec[];
    const [spec] = specs.splice(rng.int(specs.length), 1);
    if (spec === undefined) throw new Error('sampleQuestions: empty candidate list');
    if (specs.length === 0) byAnswer.delete(answer);
    if (byAnswer.size === 0) pool.delete(type);
    chosen.push({ spec, answer });
  }
  return chosen;
}
