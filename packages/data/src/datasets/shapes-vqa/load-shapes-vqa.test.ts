import { describe, expect, it } from 'vitest';
import { loadShapesVqa, SHAPES_VQA_SPLITS, type ShapesVqaDataset } from './load-shapes-vqa.js';
import type { ShapesScene } from './shapes-scene.js';
import { ANSWERS, COLOURS, QUESTION_TYPES } from './shapes-vqa-options.js';

// Small: 60 + 20 + 20 scenes render in a few milliseconds.
const small = { trainScenes: 60, testScenes: 20, heldOutScenes: 20, seed: 3 };
const data = loadShapesVqa(small);

/** An answer recomputed from the question's text and the scene description alone (independent of the loader's code). */
function answerFromText(text: string, scene: ShapesScene): string {
  const objs = scene.objects;
  let m: RegExpMatchArray | null;
  if ((m = text.match(/^what colour is the (\w+)\?$/))) {
    const hits = objs.filter((o) => o.shape === m?.[1]);
    expect(hits).toHaveLength(1);
    return hits[0]?.colour ?? '';
  }
  if ((m = text.match(/^what shape is the (\w+) object\?$/))) {
    const hits = objs.filter((o) => o.colour === m?.[1]);
    expect(hits).toHaveLength(1);
    return hits[0]?.shape ?? '';
  }
  if ((m = text.match(/^how many (\w+)s are there\?$/))) return String(objs.filter((o) => o.shape === m?.[1]).length);
  if ((m = text.match(/^is there a (\w+) (\w+)\?$/))) return objs.some((o) => o.colour === m?.[1] && o.shape === m?.[2]) ? 'yes' : 'no';
  if ((m = text.match(/^is the (\w+) left of the (\w+)\?$/))) {
    const a = objs.filter((o) => o.shape === m?.[1]);
    const b = objs.filter((o) => o.shape === m?.[2]);
    expect([a.length, b.length]).toEqual([1, 1]);
    return (a[0]?.x ?? 0) < (b[0]?.x ?? 0) ? 'yes' : 'no';
  }
  throw new Error(`unparsed question: ${text}`);
}

function sameBytes(a: Float32Array, b: Float32Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

describe('loadShapesVqa', () => {
  it('is deterministic per seed and differs across seeds', () => {
    const again = loadShapesVqa(small);
    const other = loadShapesVqa({ ...small, seed: 4 });
    for (const name of SHAPES_VQA_SPLITS) {
      expect(again.splits[name].scenes).toEqual(data.splits[name].scenes);
      expect(again.splits[name].questions).toEqual(data.splits[name].questions);
      expect(sameBytes(again.splits[name].images.pixels, data.splits[name].images.pixels)).toBe(true);
    }
    expect(other.splits.train.scenes).not.toEqual(data.splits.train.scenes);
    // A split does not depend on the others' sizes.
    const moreTrain = loadShapesVqa({ ...small, trainScenes: 70 });
    expect(moreTrain.splits.heldOut.questions).toEqual(data.splits.heldOut.questions);
  });

  it('answers every question correctly for its scene', () => {
    for (const name of SHAPES_VQA_SPLITS) {
      const split = data.splits[name];
      for (const q of split.questions) {
        const scene = split.scenes[q.scene];
        if (scene === undefined) throw new Error(`question points at missing scene ${q.scene}`);
        expect(answerFromText(q.text, scene), q.text).toBe(q.answer);
        expect(ANSWERS[q.answerIndex]).toBe(q.answer);
        expect(q.type).toBe(q.spec.type);
      }
    }
  });

  it('draws each object in its colour at its centre, on a white background', () => {
    const { scenes, images } = data.splits.train;
    const s = images.size;
    scenes.forEach((scene, i) => {
      expect(scene.objects.length).toBeGreaterThanOrEqual(1);
      expect(scene.objects.length).toBeLessThanOrEqual(4);
      for (const o of scene.objects) {
        const at = i * s * s * 3 + 3 * (Math.floor(o.y) * s + Math.floor(o.x));
        const rgb = Array.from(images.pixels.subarray(at, at + 3));
        COLOURS[o.colour].forEach((c, k) => expect(Math.abs((rgb[k] ?? -1) - c / 255)).toBeLessThan(0.02));
      }
      // The top-left pixel is background unless an object covers it (they keep a 1 px margin).
      expect(Array.from(images.pixels.subarray(i * s * s * 3, i * s * s * 3 + 3))).toEqual([1, 1, 1]);
    });
  });

  it('keeps held-out colour-shape pairs out of train and test, and puts one in every heldOut scene', () => {
    const held = new Set(data.card.heldOutPairs);
    expect([...held]).toEqual(['red circle', 'green square', 'blue triangle']);
    for (const name of ['train', 'test'] as const) {
      const split = data.splits[name];
      for (const scene of split.scenes) for (const o of scene.objects) expect(held.has(`${o.colour} ${o.shape}`)).toBe(false);
      for (const q of split.questions) {
        expect(q.involvesHeldOut).toBe(false);
        for (const pair of held) expect(q.text).not.toContain(pair);
      }
    }
    for (const scene of data.splits.heldOut.scenes) expect(scene.objects.some((o) => held.has(`${o.colour} ${o.shape}`))).toBe(true);
    expect(data.splits.heldOut.questions.every((q) => q.involvesHeldOut)).toBe(true);
    // Every colour and shape word still occurs as an answer or in a question in train.
    const trainText = data.splits.train.questions.map((q) => `${q.text} ${q.answer}`).join(' ');
    for (const word of [...Object.keys(COLOURS), 'circle', 'square', 'triangle']) expect(trainText).toContain(word);
  });

  it('reports card counts computed from the splits', () => {
    const card = data.card;
    for (const name of SHAPES_VQA_SPLITS) {
      const split = data.splits[name];
      const counts = card.counts[name];
      expect(counts.scenes).toBe(split.scenes.length);
      expect(split.images.count).toBe(split.scenes.length);
      expect(split.images.pixels.length).toBe(split.scenes.length * 32 * 32 * 3);
      expect(counts.questions).toBe(split.questions.length);
      expect(counts.objects).toBe(split.scenes.reduce((a, sc) => a + sc.objects.length, 0));
      for (const t of QUESTION_TYPES) expect(counts.byType[t]).toBe(split.questions.filter((q) => q.type === t).length);
      expect(Object.values(counts.byAnswer).reduce((a, b) => a + b, 0)).toBe(split.questions.length);
    }
    expect(card.counts.train.scenes).toBe(60);
    expect(card.counts.train.questions).toBe(60 * 4); // every scene has at least 4 applicable questions
    expect(card.counts.train.pairsInScenes).not.toContain('red circle');
    expect(card.counts.heldOut.pairsInScenes).toContain('red circle');
    expect(QUESTION_TYPES.every((t) => card.counts.train.byType[t] > 0)).toBe(true);
  });

  it('rejects bad options with their path', () => {
    expect(() => loadShapesVqa({ imageSize: 8 })).toThrow(/imageSize/);
    expect(() => loadShapesVqa({ minObjects: 3, maxObjects: 2 })).toThrow(/minObjects 3 exceeds maxObjects 2/);
    expect(() => loadShapesVqa({ colours: 3 } as never)).toThrow(/Unrecognized key/);
    const allCircles = Object.keys(COLOURS).map((colour) => ({ colour, shape: 'circle' }));
    expect(() => loadShapesVqa({ heldOutPairs: allCircles as never })).toThrow(/every colour of shape 'circle' is held out/);
    expect(() => loadShapesVqa({ heldOutPairs: [] })).toThrow(/heldOutScenes > 0 needs/);
    expect(loadShapesVqa({ heldOutPairs: [], heldOutScenes: 0, trainScenes: 2, testScenes: 0 }).card.counts.heldOut.scenes).toBe(0);
  });

  it('builds the default size quickly', () => {
    const full: ShapesVqaDataset = loadShapesVqa();
    expect(full.card.counts.train.scenes).toBe(2000);
    expect(full.card.load.ms).toBeLessThan(5000);
  });
});
