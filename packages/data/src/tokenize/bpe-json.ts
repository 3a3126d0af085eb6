import { z } from 'zod';
import { formatIssues } from '../zod-issues.js';

export const BPE_FORMAT = 'modalab-bpe';
export const BPE_FORMAT_VERSION = 1;
/** Ids 0..2 are PAD, BOS, EOT; byte b is id b + BYTE_OFFSET; merge i is id BYTE_OFFSET + 256 + i. */
export const SPECIAL_IDS = { pad: 0, bos: 1, eot: 2 } as const;
export const BYTE_OFFSET = 3;
export const FIRST_MERGE_ID = BYTE_OFFSET + 256;

const id = z.number().int().nonnegative();

export const BpeJsonSchema = z
  .object({
    format: z.literal(BPE_FORMAT),
    version: z.literal(BPE_FORMAT_VERSION),
    // Recorded so a tokenizer saved by a future normalisation cannot be read as this one.
    normalization: z.literal('nfc-lowercase'),
    pretokenizer: z.literal('gpt2-marks-v1'),
    specials: z.object({ pad: z.literal(0), bos: z.literal(1), eot: z.literal(2) }).strict(),
    vocabSize: id,
    merges: z.array(z.tuple([id, id])),
  })
  .strict()
  .superRefine((json, ctx) => {
    if (json.vocabSize !== FIRST_MERGE_ID + json.merges.length) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ['vocabSize'],
        message: `is ${json.vocabSize} but ${json.merges.length} merges give ${FIRST_MERGE_ID + json.merges.length}`,
      });
    }
    const seen = new Set<string>();
    json.merges.forEach(([a, b], i) => {
      const next = FIRST_MERGE_ID + i;
      if (a < BYTE_OFFSET || b < BYTE_OFFSET || a >= next || b >= next) {
        ctx.addIssue({
          code: z.ZodIssueCode.custom,
          path: ['merges', i],
          message: `ids must be in [${BYTE_OFFSET}, ${next}) (bytes or earlier merges), got [${a}, ${b}]`,
        });
      }
      const key = `${a},${b}`;
      if (seen.has(key)) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['merges', i], message: `repeats the pair [${a}, ${b}]` });
      seen.add(key);
    });
  });

export type BpeJson = z.infer<typeof BpeJsonSchema>;

/** Accepts the object from `toJSON()` or its JSON text; any problem is one error naming the field. */
export function parseBpeJson(input: unknown): BpeJson {
  let value = input;
  if (typeof input === 'string') {
    try {
      value = JSON.parse(input);
    } catch (e) {
      throw new TypeError(`BpeTokenizer.fromJSON: not valid JSON text (${e instanceof Error ? e.message : String(e)})`);
    }
  }
  const parsed = BpeJsonSchema.safeParse(value);
  if (!parsed.success) {
    throw new TypeError(`BpeTokenizer.fromJSON: not a ${BPE_FORMAT} v${BPE_FORMAT_VERSION} tokenizer: ${formatIssues(parsed.error)}`);
  }
  return parsed.data;
}
