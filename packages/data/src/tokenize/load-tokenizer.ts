import { BpeTokenizer } from './bpe-tokenizer.js';
import { TiktokenTokenizer } from './tiktoken-tokenizer.js';

/** A saved tokenizer (BpeTokenizer.toJSON or TiktokenTokenizer.toJSON), whichever kind it is. */
export async function loadTokenizer(json: unknown): Promise<BpeTokenizer | TiktokenTokenizer> {
  const kind = (json as { kind?: unknown } | null)?.kind;
  return kind === 'tiktoken' ? TiktokenTokenizer.fromJSON(json) : BpeTokenizer.fromJSON(json);
}
