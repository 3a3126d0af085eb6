import type { Rng } from '@modalab/core';

/**
 * Picks one caption per item, uniformly among its captions (CLIP-style training on COCO's five captions
 * per image). Items without captions give `undefined`, so `collateBatch` marks their text absent; an empty
 * caption list is an error naming the item, since the readers never produce one. One `rng` draw per
 * captioned item, in item order, so a seeded run picks the same captions.
 */
export function sampleCaptions(items: ReadonlyArray<{ id: string; texts?: readonly string[] }>, rng: Rng): Array<string | undefined> {
  return items.map(({ id, texts }) => {
    if (texts === undefined) return undefined;
    if (texts.length === 0) throw new RangeError(`sampleCaptions: item '${id}' has an empty caption list; leave texts undefined for an item without text`);
    return texts[rng.int(texts.length)];
  });
}
