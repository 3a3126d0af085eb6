import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import type { EmojiStyle } from './emoji-options.js';

const require = createRequire(import.meta.url);

/** Image licences as stated in emoji-datasource's README; the data files themselves are MIT. */
export const STYLE_SOURCES = {
  google: { package: 'emoji-datasource-google', licence: 'Apache-2.0 (Noto Emoji images); data MIT' },
  twitter: { package: 'emoji-datasource-twitter', licence: 'CC-BY-4.0 (Twemoji graphics, attribute Twitter/X); data MIT' },
} as const satisfies Record<EmojiStyle, { package: string; licence: string }>;

export const CLDR_SOURCE = { package: 'emojibase-data', licence: 'MIT (CLDR annotations: Unicode licence)' } as const;

const imageFlags = { has_img_google: z.boolean(), has_img_twitter: z.boolean() };

const DatasourceEntrySchema = z.object({
  name: z.string(),
  unified: z.string(),
  image: z.string(),
  short_names: z.array(z.string()),
  category: z.string(),
  subcategory: z.string(),
  sort_order: z.number(),
  ...imageFlags,
  skin_variations: z.record(z.unknown()).optional(),
});
export type DatasourceEntry = z.infer<typeof DatasourceEntrySchema>;

const CldrEntrySchema = z.object({
  hexcode: z.string(),
  label: z.string(),
  tags: z.array(z.string()).optional(),
});
export type CldrEntry = z.infer<typeof CldrEntrySchema>;

export interface StylePackage {
  style: EmojiStyle;
  version: string;
  entries: DatasourceEntry[];
  /** Folder of the 64 px PNGs, named by `entry.image`. */
  imageDir: string;
}

export async function readStylePackage(style: EmojiStyle): Promise<StylePackage> {
  const pkg = STYLE_SOURCES[style].package;
  const root = packageRoot(pkg);
  const version = await packageVersion(root);
  const entries = await readJson(join(root, 'emoji.json'), z.array(DatasourceEntrySchema));
  return { style, version, entries, imageDir: join(root, 'img', style, '64') };
}

/** English CLDR labels and tags, keyed by `cldrKey(hexcode)`; skin-tone variants (`skins`) are not read: they are never concepts. */
export async function readCldr(): Promise<{ version: string; byKey: Map<string, CldrEntry> }> {
  const root = packageRoot(CLDR_SOURCE.package);
  const entries = await readJson(join(root, 'en', 'data.json'), z.array(CldrEntrySchema));
  const byKey = new Map<string, CldrEntry>();
  for (const e of entries) byKey.set(cldrKey(e.hexcode), e);
  return { version: await packageVersion(root), byKey };
}

/**
 * emoji-datasource writes fully-qualified sequences ('2764-FE0F'), emojibase mostly drops the FE0F
 * presentation selector ('2764') but keeps it inside some ZWJ sequences. Dropping every FE0F on both sides
 * matches all 1,911 emoji of v16 with no collision; case is normalised too.
 */
export function cldrKey(hexcode: string): string {
  return hexcode
    .toUpperCase()
    .split('-')
    .filter((part) => part !== 'FE0F')
    .join('-');
}

export async function packageVersionOf(pkg: string): Promise<string> {
  return packageVersion(packageRoot(pkg));
}

function packageRoot(pkg: string): string {
  return dirname(require.resolve(`${pkg}/package.json`));
}

async function packageVersion(root: string): Promise<string> {
  return (await readJson(join(root, 'package.json'), z.object({ version: z.string() }).passthrough())).version;
}

async function readJson<T>(file: string, schema: z.ZodType<T, z.ZodTypeDef, unknown>): Promise<T> {
  const parsed = schema.safeParse(JSON.parse(await readFile(file, 'utf8')));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`${file}: unexpected format at ${issue?.path.join('.') ?? '?'}: ${issue?.message ?? parsed.error.message}`);
  }
  return parsed.data;
}
