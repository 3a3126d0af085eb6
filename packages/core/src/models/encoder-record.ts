import type { Encoder } from '../encoders/encoder.js';

/** Built towers by modality name. `never` accepts a tower of any input type (method parameters are bivariant). */
export type EncoderRecord = Readonly<Record<string, Encoder<never>>>;

/** The input type of a tower; unknown for the open record (so MultiEncoder without type arguments takes any batch). */
export type InputOf<E> = E extends Encoder<infer I> ? ([I] extends [never] ? unknown : I) : never;

/** A batch for a record of towers: any subset of its modalities. */
export type BatchOf<E extends EncoderRecord> = { readonly [M in keyof E]?: InputOf<E[M]> | undefined };

/** The sorted modality names of a record of towers; throws when there are fewer than `min`. */
export function modalityNames(who: string, encoders: EncoderRecord, min: number): string[] {
  const names = Object.keys(encoders).sort();
  if (names.length < min) throw new Error(`${who}: needs at least ${min} encoder${min === 1 ? '' : 's'}, got ${names.length === 0 ? 'none' : names.join(', ')}`);
  return names;
}

/** Runs a tower on its input, naming the modality when it is unknown. */
export function applyEncoder(who: string, encoders: EncoderRecord, modality: string, input: unknown): import('@tensorflow/tfjs-core').Tensor2D {
  const encoder = encoders[modality] as Encoder<unknown> | undefined;
  if (encoder === undefined) throw new Error(`${who}.encode: unknown modality '${modality}'. Known: ${Object.keys(encoders).sort().join(', ')}`);
  return encoder.apply(input);
}
