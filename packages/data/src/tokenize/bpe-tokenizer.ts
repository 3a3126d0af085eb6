import { z } from 'zod';
import { parseOrThrow } from '../zod-issues.js';
import {
  BPE_FORMAT,
  BPE_FORMAT_VERSION,
  BYTE_OFFSET,
  FIRST_MERGE_ID,
  parseBpeJson,
  SPECIAL_IDS,
  type BpeJson,
} from './bpe-json.js';
import { learnMerges, MAX_VOCAB, mergePair, pairKey } from './bpe-train.js';
import { normalizeText, splitChunks } from './pre-tokenize.js';
import { encodeBatchWith } from './encode-batch.js';

export const BpeTrainOptionsSchema = z
  .object({
    // At least the 3 specials and 256 bytes; more than 2^20 would break the packed pair keys.
    vocabSize: z.number().int().min(FIRST_MERGE_ID).max(MAX_VOCAB),
    // 2: a pair seen once is a memorised word, not a reusable piece.
    minFrequency: z.number().int().min(1).default(2),
  })
  .strict();
export type BpeTrainOptions = z.input<typeof BpeTrainOptionsSchema>;

export interface EncodedBatch {
  /** [B, T] token ids, PAD (0) after each row's EOT. */
  ids: Int32Array;
  /** [B] tokens before padding, BOS and EOT included. */
  lengths: Int32Array;
  contextLength: number;
}

/** Encoded chunks are memoised; the bound keeps memory flat on an open-ended stream of text. */
const CACHE_LIMIT = 50_000;
const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8');

/**
 * Byte-level BPE (Sennrich et al. 2016; GPT-2's byte variant): text is NFC-normalised, lowercased, split
 * into word/number/symbol/space chunks, each chunk's UTF-8 bytes are the base tokens, and learned merges
 * join frequent adjacent pairs inside a chunk. Any string is representable; `decode(encode(s))` equals
 * `normalize(s)`.
 */
export class BpeTokenizer {
  readonly padId = SPECIAL_IDS.pad;
  readonly bosId = SPECIAL_IDS.bos;
  readonly eotId = SPECIAL_IDS.eot;

  private readonly merges: ReadonlyArray<readonly [number, number]>;
  private readonly rank = new Map<number, number>();
  private readonly bytesOf: Uint8Array[] = [];
  private readonly cache = new Map<string, number[]>();

  private constructor(merges: ReadonlyArray<readonly [number, number]>) {
    this.merges = merges;
    for (let i = 0; i < BYTE_OFFSET; i++) this.bytesOf.push(new Uint8Array(0));
    for (let b = 0; b < 256; b++) this.bytesOf.push(Uint8Array.of(b));
    merges.forEach(([a, b], i) => {
      this.rank.set(pairKey(a, b), i);
      const left = this.bytesOf[a] as Uint8Array;
      const right = this.bytesOf[b] as Uint8Array;
      const joined = new Uint8Array(left.length + right.length);
      joined.set(left);
      joined.set(right, left.length);
      this.bytesOf.push(joined);
    });
  }

  /** Deterministic: the same corpus and options give the same merges, whatever the platform. */
  static train(corpus: readonly string[], options: BpeTrainOptions): BpeTokenizer {
    const { vocabSize, minFrequency } = parseOrThrow(BpeTrainOptionsSchema, options, 'BpeTokenizer.train options');
    const chunkFreq = new Map<string, number>();
    for (const text of corpus) {
      for (const chunk of splitChunks(normalizeText(text))) chunkFreq.set(chunk, (chunkFreq.get(chunk) ?? 0) + 1);
    }
    // Sorted so the word order, and with it every tie, does not depend on the corpus order.
    const chunks = [...chunkFreq.keys()].sort();
    const words = chunks.map((c) => Array.from(utf8.encode(c), (b) => b + BYTE_OFFSET));
    const freqs = chunks.map((c) => chunkFreq.get(c) as number);
    return new BpeTokenizer(learnMerges(words, freqs, vocabSize - FIRST_MERGE_ID, minFrequency, FIRST_MERGE_ID));
  }

  static fromJSON(json: unknown): BpeTokenizer {
    const parsed = parseBpeJson(json);
    return new BpeTokenizer(parsed.merges);
  }

  toJSON(): BpeJson {
    return {
      format: BPE_FORMAT,
      version: BPE_FORMAT_VERSION,
      normalization: 'nfc-lowercase',
      pretokenizer: 'gpt2-marks-v1',
      specials: { ...SPECIAL_IDS },
      vocabSize: this.vocabSize,
      merges: this.merges.map(([a, b]) => [a, b] as [number, number]),
    };
  }

  /** Specials, 256 bytes and the learned merges (fewer than asked when the corpus ran out of pairs). */
  get vocabSize(): number {
    return FIRST_MERGE_ID + this.merges.length;
  }

  normalize(text: string): string {
    return normalizeText(text);
  }

  /** Token ids without BOS/EOT. */
  encode(text: string): number[] {
    const ids: number[] = [];
    for (const chunk of splitChunks(normalizeText(text))) {
      for (const id of this.encodeChunk(chunk)) ids.push(id);
    }
    return ids;
  }

  /** Special ids are skipped; invalid UTF-8 (a sequence cut mid-character) decodes to U+FFFD. */
  decode(ids: readonly number[] | Int32Array): string {
    const parts: Uint8Array[] = [];
    let length = 0;
    for (const id of ids) {
      const bytes = this.bytesOf[id];
      if (bytes === undefined || !Number.isInteger(id)) {
        throw new RangeError(`decode: token id ${id} is outside the vocabulary [0, ${this.vocabSize})`);
      }
      parts.push(bytes);
      length += bytes.length;
    }
    const all = new Uint8Array(length);
    let offset = 0;
    for (const p of parts) {
      all.set(p, offset);
      offset += p.length;
    }
    return utf8Decoder.decode(all);
  }

  /** The text of one token, for inspecting a vocabulary ('<pad>', '<bos>', '<eot>' for the specials). */
  tokenText(id: number): string {
    if (id === this.padId) return '<pad>';
    if (id === this.bosId) return '<bos>';
    if (id === this.eotId) return '<eot>';
    return this.decode([id]);
  }

  /**
   * Rows `BOS tokens… EOT PAD…` of exactly `contextLength`; a long text keeps its first
   * `contextLength - 2` tokens and still ends with EOT (the text encoder pools at EOT).
   */
  encodeBatch(texts: readonly string[], contextLength: number): EncodedBatch {
    return encodeBatchWith((text) => this.encode(text), this, texts, contextLength);
  }

  /** Applies merges lowest rank first, which replays training's order on this chunk. */
  private encodeChunk(chunk: string): number[] {
    const cached = this.cache.get(chunk);
    if (cached !== undefined) return cached;
    let word = Array.from(utf8.encode(chunk), (b) => b + BYTE_OFFSET);
    for (;;) {
      let best = -1;
      for (let i = 0; i + 1 < word.length; i++) {
        const r = this.rank.get(pairKey(word[i] as number, word[i + 1] as number));
        if (r !== undefined && (best === -1 || r < best)) best = r;
      }
      if (best === -1) break;
      const [a, b] = this.merges[best] as readonly [number, number];
      word = mergePair(word, a, b, FIRST_MERGE_ID + best);
    }
    if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
    this.cache.set(chunk, word);
    return word;
  }
}
