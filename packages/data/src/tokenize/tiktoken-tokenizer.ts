import { Tiktoken, type TiktokenBPE } from 'js-tiktoken/lite';
import type { EncodedBatch } from './bpe-tokenizer.js';
import { encodeBatchWith } from './encode-batch.js';

/** The pretrained vocabularies js-tiktoken ships (its rank files are in the npm package: no download). */
export const TIKTOKEN_ENCODINGS = ['gpt2', 'r50k_base', 'p50k_base', 'cl100k_base', 'o200k_base'] as const;
export type TiktokenEncoding = (typeof TIKTOKEN_ENCODINGS)[number];

export interface TiktokenJson {
  kind: 'tiktoken';
  encoding: TiktokenEncoding;
}

/** Our three specials come first; tiktoken's ids are shifted past them. */
const OFFSET = 3;

/**
 * A pretrained byte-level BPE vocabulary (OpenAI's tiktoken encodings) with the same surface
 * as BpeTokenizer: PAD 0, BOS 1, EOT 2, `encodeBatch` rows `BOS tokens EOT PAD...`. Useful for
 * large or open-vocabulary text; for small data the trained BpeTokenizer keeps the embedding
 * table small (cl100k has 100,277 tokens).
 */
export class TiktokenTokenizer {
  readonly padId = 0;
  readonly bosId = 1;
  readonly eotId = 2;
  readonly vocabSize: number;

  private constructor(readonly encoding: TiktokenEncoding, private readonly tiktoken: Tiktoken, ranks: TiktokenBPE) {
    this.vocabSize = OFFSET + Math.max(...Object.values(ranks.special_tokens), ranksSize(ranks)) + 1;
  }

  static async load(encoding: TiktokenEncoding): Promise<TiktokenTokenizer> {
    if (!(TIKTOKEN_ENCODINGS as readonly string[]).includes(encoding)) {
      throw new Error(`Unknown tiktoken encoding '${String(encoding)}'. Available: ${TIKTOKEN_ENCODINGS.join(', ')}`);
    }
    const ranks = ((await import(`js-tiktoken/ranks/${encoding}`)) as { default: TiktokenBPE }).default;
    return new TiktokenTokenizer(encoding, new Tiktoken(ranks), ranks);
  }

  static async fromJSON(json: unknown): Promise<TiktokenTokenizer> {
    const j = json as Partial<TiktokenJson> | null;
    if (j === null || typeof j !== 'object' || j.kind !== 'tiktoken' || typeof j.encoding !== 'string') {
      throw new Error(`Not a tiktoken tokenizer description: ${JSON.stringify(json)?.slice(0, 120)}`);
    }
    return TiktokenTokenizer.load(j.encoding);
  }

  toJSON(): TiktokenJson {
    return { kind: 'tiktoken', encoding: this.encoding };
  }

  encode(text: string): number[] {
    return this.tiktoken.encode(text).map((id) => id + OFFSET);
  }

  decode(ids: readonly number[] | Int32Array): string {
    return this.tiktoken.decode(Array.from(ids).filter((id) => id >= OFFSET).map((id) => id - OFFSET));
  }

  encodeBatch(texts: readonly string[], contextLength: number): EncodedBatch {
    return encodeBatchWith((text) => this.encode(text), this, texts, contextLength);
  }
}

/** The largest ordinary rank: each line of the rank file is "<prefix> <first rank> <base64 token>...". */
function ranksSize(ranks: TiktokenBPE): number {
  let max = -1;
  for (const line of ranks.bpe_ranks.split('\n')) {
    const [, first, ...tokens] = line.split(' ');
    if (first === undefined || tokens.length === 0) continue;
    max = Math.max(max, Number.parseInt(first, 10) + tokens.length - 1);
  }
  return max;
}
