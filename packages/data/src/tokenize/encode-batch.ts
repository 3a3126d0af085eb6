import type { EncodedBatch } from './bpe-tokenizer.js';

/**
 * Rows `BOS tokens… EOT PAD…` of exactly `contextLength`; a long text keeps its first
 * `contextLength - 2` tokens and still ends with EOT (the text encoder pools at EOT).
 * Shared by every tokenizer so they batch identically.
 */
export function encodeBatchWith(
  encode: (text: string) => number[],
  specials: { padId: number; bosId: number; eotId: number },
  texts: readonly string[],
  contextLength: number,
): EncodedBatch {
  if (!Number.isInteger(contextLength) || contextLength < 2) {
    throw new RangeError(`encodeBatch: contextLength must be an integer >= 2 (room for BOS and EOT), got ${contextLength}`);
  }
  const ids = new Int32Array(texts.length * contextLength).fill(specials.padId); // [B, T]
  const lengths = new Int32Array(texts.length); // [B]
  texts.forEach((text, row) => {
    const tokens = encode(text).slice(0, contextLength - 2);
    const base = row * contextLength;
    ids[base] = specials.bosId;
    ids.set(tokens, base + 1);
    ids[base + 1 + tokens.length] = specials.eotId;
    lengths[row] = tokens.length + 2;
  });
  return { ids, lengths, contextLength };
}
