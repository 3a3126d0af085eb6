import { describe, expect, it } from 'vitest';
import { TiktokenTokenizer } from './tiktoken-tokenizer.js';

describe('TiktokenTokenizer', () => {
  it('loads cl100k offline and round-trips text through shifted ids', async () => {
    const tok = await TiktokenTokenizer.load('cl100k_base');
    expect(tok.vocabSize).toBe(3 + 100276 + 1); // specials up to <|endofprompt|> = 100276
    const text = 'a grinning face 😀 with café';
    const ids = tok.encode(text);
    expect(Math.min(...ids)).toBeGreaterThanOrEqual(3);
    expect(Math.max(...ids)).toBeLessThan(tok.vocabSize);
    expect(tok.decode(ids)).toBe(text);
  });

  it('pads and truncates batches like BpeTokenizer: BOS tokens EOT PAD', async () => {
    const tok = await TiktokenTokenizer.load('gpt2');
    expect(tok.vocabSize).toBe(3 + 50257);
    const { ids, lengths } = tok.encodeBatch(['hello world', 'a much longer caption that will not fit in six'], 6);
    const row = (r: number) => Array.from(ids.subarray(r * 6, r * 6 + 6));
    expect(row(0)[0]).toBe(1);
    expect(row(0)[lengths[0]! - 1]).toBe(2);
    expect(row(0).slice(lengths[0]!)).toEqual(Array(6 - lengths[0]!).fill(0));
    expect(lengths[1]).toBe(6);
    expect(row(1)[5]).toBe(2);
    expect(() => tok.encodeBatch(['x'], 1)).toThrow(/contextLength must be an integer >= 2/);
  });

  it('saves as a description and reloads; rejects unknown encodings', async () => {
    const tok = await TiktokenTokenizer.load('gpt2');
    const again = await TiktokenTokenizer.fromJSON(JSON.parse(JSON.stringify(tok.toJSON())));
    expect(again.encode('emoji')).toEqual(tok.encode('emoji'));
    await expect(TiktokenTokenizer.load('nope' as 'gpt2')).rejects.toThrow(/Unknown tiktoken encoding 'nope'. Available: gpt2/);
    await expect(TiktokenTokenizer.fromJSON({ kind: 'bpe' })).rejects.toThrow(/Not a tiktoken tokenizer/);
  });
});
