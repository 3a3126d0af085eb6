/**
 * Text normalisation and the split into chunks that BPE merges never cross.
 * Lowercasing halves the vocabulary a small caption model must learn ("Grinning" and "grinning" are one
 * word); NFC makes a precomposed and a decomposed "é" the same bytes.
 */
export function normalizeText(text: string): string {
  return text.normalize('NFC').toLowerCase();
}

/**
 * GPT-2's split, with combining marks kept on their letter: a word with its leading space, a number,
 * a run of other symbols (punctuation, emoji with their ZWJ and variation selectors), or whitespace.
 * Every character falls in one class, so the chunks concatenate back to the text exactly.
 */
const CHUNK = / ?\p{L}[\p{L}\p{M}]*| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;

export function splitChunks(normalized: string): string[] {
  return normalized.match(CHUNK) ?? [];
}
