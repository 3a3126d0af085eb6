import { describe, expect, it } from 'vitest';
import { BpeTokenizer } from './bpe-tokenizer.js';
import { splitChunks } from './pre-tokenize.js';

const corpus = [
  'grinning face',
  'grinning face with big eyes',
  'grinning face with smiling eyes',
  'beaming face with smiling eyes',
  'grinning squinting face',
  'face with tears of joy',
  'smiling face with halo',
  'red heart',
  'orange heart',
  'yellow heart',
  'flag: united states',
  'flag: france',
  'café crème',
  'thumbs up 👍',
  '日本の旗',
];

describe('BpeTokenizer', () => {
  const tok = BpeTokenizer.train(corpus, { vocabSize: 300 });

  it('exposes specials, bytes and learned merges in the vocabulary', () => {
    expect([tok.padId, tok.bosId, tok.eotId]).toEqual([0, 1, 2]);
    expect(tok.vocabSize).toBeGreaterThan(259);
    expect(tok.vocabSize).toBeLessThanOrEqual(300);
    // The most frequent pair in the corpus is learned first.
    expect(tok.encode(' face').length).toBe(1);
    expect(tok.tokenText(tok.eotId)).toBe('<eot>');
  });

  it.each([
    ['ascii', 'Grinning face, with BIG eyes!  (2 spaces)\tand a tab'],
    ['accents', 'Café crème brûlée à la française'],
    ['decomposed accents', 'Cafe\u0301'],
    ['emoji and ZWJ sequences', 'family 👨‍👩‍👧 and ❤️ and 👍🏽'],
    ['CJK', '日本の旗と中文'],
    ['empty', ''],
    ['unseen bytes', '\u0000\u007f ∑ 𝔘'],
  ])('round-trips %s through encode/decode (to the normalised text)', (_name, text) => {
    const ids = tok.encode(text);
    expect(tok.decode(ids)).toBe(tok.normalize(text));
    expect(ids.every((id) => Number.isInteger(id) && id >= 3 && id < tok.vocabSize)).toBe(true);
  });

  it('normalises case and Unicode composition', () => {
    expect(tok.encode('Café')).toEqual(tok.encode('cafe\u0301'));
    expect(tok.normalize('ÉCOLE')).toBe('école');
  });

  it('never merges across word, number, symbol or space boundaries', () => {
    expect(splitChunks('red heart, 42 hearts!!  ok')).toEqual(['red', ' heart', ',', ' 42', ' hearts', '!!', ' ', ' ok']);
    const joined = 'grinning face with big eyes';
    expect(tok.decode(tok.encode(joined))).toBe(joined);
  });

  it('trains deterministically, whatever the corpus order', () => {
    const again = BpeTokenizer.train([...corpus].reverse(), { vocabSize: 300 });
    expect(again.toJSON()).toEqual(tok.toJSON());
  });

  it('stops early when pairs become rare, and honours minFrequency', () => {
    // Chunks 'ab' once and ' ab' twice: (a, b) 3 times, then (' ', ab) twice; (c, d) only once.
    const small = BpeTokenizer.train(['ab ab ab', 'cd'], { vocabSize: 1000 });
    expect(small.vocabSize).toBe(259 + 2);
    expect(small.tokenText(259)).toBe('ab');
    expect(small.tokenText(260)).toBe(' ab');
    expect(BpeTokenizer.train(['ab ab ab', 'cd'], { vocabSize: 1000, minFrequency: 1 }).vocabSize).toBe(259 + 3);
    expect(BpeTokenizer.train(['ab ab ab', 'cd'], { vocabSize: 260 }).vocabSize).toBe(260);
    expect(BpeTokenizer.train([], { vocabSize: 300 }).vocabSize).toBe(259);
  });

  it('pads, starts with BOS, ends with EOT and truncates keeping EOT last', () => {
    const texts = ['red heart', 'grinning face with big eyes and a very long tail of words', ''];
    const T = 6;
    const { ids, lengths, contextLength } = tok.encodeBatch(texts, T);
    expect(contextLength).toBe(T);
    expect(ids).toBeInstanceOf(Int32Array);
    expect(ids.length).toBe(texts.length * T);
    const row = (r: number): number[] => Array.from(ids.subarray(r * T, (r + 1) * T));

    const short = tok.encode('red heart');
    expect(row(0)).toEqual([1, ...short, 2, ...Array<number>(T - short.length - 2).fill(0)]);
    expect(lengths[0]).toBe(short.length + 2);

    const long = tok.encode(texts[1] ?? '');
    expect(long.length).toBeGreaterThan(T - 2);
    expect(row(1)).toEqual([1, ...long.slice(0, T - 2), 2]);
    expect(lengths[1]).toBe(T);

    expect(row(2)).toEqual([1, 2, 0, 0, 0, 0]);
    expect(lengths[2]).toBe(2);

    expect(tok.encodeBatch([], T).ids.length).toBe(0);
    expect(tok.decode(row(0))).toBe('red heart');
    expect(() => tok.encodeBatch(texts, 1)).toThrow(/contextLength must be an integer >= 2.*got 1/);
  });

  it('saves and loads to an equal tokenizer, also through JSON text', () => {
    const json = JSON.stringify(tok.toJSON());
    const loaded = BpeTokenizer.fromJSON(json);
    expect(loaded.toJSON()).toEqual(tok.toJSON());
    expect(BpeTokenizer.fromJSON(JSON.parse(json)).vocabSize).toBe(tok.vocabSize);
    for (const text of corpus) expect(loaded.encode(text)).toEqual(tok.encode(text));
  });

  it('rejects wrong or corrupt JSON with an error naming the problem', () => {
    const good = tok.toJSON();
    expect(() => BpeTokenizer.fromJSON('{"format": "modalab-bpe", ')).toThrow(/fromJSON: not valid JSON text/);
    expect(() => BpeTokenizer.fromJSON({ ...good, format: 'gpt2' })).toThrow(/not a modalab-bpe v1 tokenizer: format:/);
    expect(() => BpeTokenizer.fromJSON({ ...good, version: 2 })).toThrow(/version/);
    expect(() => BpeTokenizer.fromJSON({ ...good, vocabSize: good.vocabSize + 1 })).toThrow(/vocabSize: is \d+ but \d+ merges give/);
    expect(() => BpeTokenizer.fromJSON({ ...good, merges: [[3, 400]], vocabSize: 260 })).toThrow(/merges\.0: ids must be in \[3, 259\)/);
    expect(() => BpeTokenizer.fromJSON({ ...good, merges: [[0, 4]], vocabSize: 260 })).toThrow(/merges\.0/);
    expect(() => BpeTokenizer.fromJSON({ ...good, merges: [[3, 4], [3, 4]], vocabSize: 261 })).toThrow(/merges\.1: repeats the pair/);
    expect(() => BpeTokenizer.fromJSON({ ...good, merges: [[3.5, 4]], vocabSize: 260 })).toThrow(/merges\.0\.0/);
    expect(() => BpeTokenizer.fromJSON({ ...good, extra: 1 })).toThrow(/extra/);
    expect(() => BpeTokenizer.fromJSON(null)).toThrow(/not a modalab-bpe v1 tokenizer/);
  });

  it('rejects bad options and ids', () => {
    expect(() => BpeTokenizer.train(corpus, { vocabSize: 100 })).toThrow(/vocabSize/);
    expect(() => BpeTokenizer.train(corpus, { vocabSize: 300, minFrequency: 0 })).toThrow(/minFrequency/);
    expect(() => BpeTokenizer.train(corpus, { vocabSize: 300, merges: 3 } as never)).toThrow(/merges/);
    expect(() => tok.decode([tok.vocabSize])).toThrow(/token id \d+ is outside the vocabulary/);
    expect(() => tok.decode([-1])).toThrow(/token id -1/);
  });

  it('trains on 15k captions well under 5 s', () => {
    const words = ['red', 'blue', 'face', 'heart', 'flag', 'smiling', 'cat', 'with', 'eyes', 'hand', 'café', '🙂'];
    let state = 1;
    const next = (): number => (state = (state * 1103515245 + 12345) % 2 ** 31);
    const captions = Array.from({ length: 15_000 }, () =>
      Array.from({ length: 2 + (next() % 4) }, () => words[next() % words.length]).join(' '),
    );
    const start = performance.now();
    const big = BpeTokenizer.train(captions, { vocabSize: 4096 });
    expect(performance.now() - start).toBeLessThan(5000);
    expect(big.decode(big.encode(captions[0] ?? ''))).toBe(captions[0]);
  });
});
