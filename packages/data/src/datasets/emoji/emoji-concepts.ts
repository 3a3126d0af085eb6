import type { EmojiStyle } from './emoji-options.js';
import { cldrKey, type CldrEntry, type DatasourceEntry, type StylePackage } from './emoji-sources.js';
import type { EmojiConcept } from './emoji-types.js';

const SKIN_TONES = new Set(['1F3FB', '1F3FC', '1F3FD', '1F3FE', '1F3FF']);

export interface ConceptSelection {
  concepts: EmojiConcept[];
  /** `image` file name of each concept (same row order), for every style. */
  images: string[];
  skippedMissingImage: number;
  skippedSkinTone: number;
}

/**
 * The concepts that have an image in every requested style, in emoji-datasource's sort order
 * (the Unicode emoji order, so neighbours are related and the order is stable across versions).
 */
export function selectConcepts(packages: StylePackage[], cldr: Map<string, CldrEntry>): ConceptSelection {
  const [first] = packages;
  if (first === undefined) throw new RangeError('selectConcepts: at least one style is required');
  const byStyle = packages.map((p) => ({ style: p.style, byId: new Map(p.entries.map((e) => [e.unified, e])) }));
  const entries = [...first.entries].sort((a, b) => a.sort_order - b.sort_order);

  const concepts: EmojiConcept[] = [];
  const images: string[] = [];
  let skippedMissingImage = 0;
  let skippedSkinTone = 0;
  for (const entry of entries) {
    // Nested skin_variations are never listed as concepts; count them so the card says what was left out.
    skippedSkinTone += Object.keys(entry.skin_variations ?? {}).length;
    if (isSkinToneVariant(entry.unified)) {
      skippedSkinTone++;
      continue;
    }
    if (!byStyle.every(({ style, byId }) => hasImage(byId.get(entry.unified), style))) {
      skippedMissingImage++;
      continue;
    }
    concepts.push(toConcept(entry, cldr.get(cldrKey(entry.unified))));
    images.push(entry.image);
  }
  return { concepts, images, skippedMissingImage, skippedSkinTone };
}

/** A sequence with a skin-tone modifier after its base; a lone modifier (the colour swatch) is its own emoji. */
export function isSkinToneVariant(unified: string): boolean {
  const parts = unified.toUpperCase().split('-');
  return parts.length > 1 && parts.some((p) => SKIN_TONES.has(p));
}

export function hasImage(entry: DatasourceEntry | undefined, style: EmojiStyle): boolean {
  if (entry === undefined) return false;
  return style === 'google' ? entry.has_img_google : entry.has_img_twitter;
}

function toConcept(entry: DatasourceEntry, cldr: CldrEntry | undefined): EmojiConcept {
  const name = normalizeCaption(entry.name);
  const candidates = [
    name,
    ...entry.short_names.map((s) => s.replaceAll('_', ' ')),
    ...(cldr === undefined ? [] : [cldr.label, ...(cldr.tags ?? [])]),
  ];
  const captions = [...new Set(candidates.map(normalizeCaption).filter((c) => c !== ''))];
  return {
    id: entry.unified,
    char: String.fromCodePoint(...entry.unified.split('-').map((h) => Number.parseInt(h, 16))),
    name,
    captions,
    category: entry.category,
    subcategory: entry.subcategory,
  };
}

function normalizeCaption(text: string): string {
  return text.normalize('NFC').toLowerCase().replace(/\s+/g, ' ').trim();
}
