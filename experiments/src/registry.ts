import { captionEmoji } from '../defs/caption-emoji.js';
import { emojiBind } from '../defs/emoji-bind.js';
import { emojiClip } from '../defs/emoji-clip.js';
import { noisyFusion } from '../defs/noisy-fusion.js';
import { quickstart } from '../defs/quickstart.js';
import { SWEEPS, type SweepPreset } from '../defs/sweeps.js';
import { videoClip } from '../defs/video-clip.js';
import { vqaFusion } from '../defs/vqa-fusion.js';
import { rebuildCaptionEmojiReport, runCaptionEmoji } from './runner/caption-emoji.js';
import { runClipEmoji, type RunOptions, type RunResult } from './runner/clip-emoji.js';
import { rebuildEmojiBindReport, runEmojiBind } from './runner/emoji-bind.js';
import { rebuildNoisyFusionReport, runNoisyFusion } from './runner/noisy-fusion.js';
import { rebuildVideoClipReport, runVideoClip } from './runner/video-clip.js';
import { rebuildVqaFusionReport, runVqaFusion } from './runner/vqa-fusion.js';
import { CaptionEmojiConfigSchema } from './runner/caption-emoji-config.js';
import { ClipEmojiConfigSchema } from './runner/clip-emoji-config.js';
import { EmojiBindConfigSchema } from './runner/emoji-bind-config.js';
import { NoisyFusionConfigSchema } from './runner/noisy-fusion-config.js';
import { VideoClipConfigSchema } from './runner/video-clip-config.js';
import { VqaFusionConfigSchema } from './runner/vqa-fusion-config.js';
import type { z } from 'zod';

export interface ExperimentDef {
  description: string;
  config: Record<string, unknown>;
  /** Validates a config of this experiment (strict: unknown keys fail with their path). */
  schema: z.ZodTypeAny;
  run: (name: string, config: unknown, options: RunOptions) => Promise<RunResult>;
  /** Rebuilds report.html of a finished run from its files; returns the file. Default: the CLIP report. */
  rebuildReport?: (runDir: string) => Promise<string>;
}

const def = (config: { description?: string }, schema: z.ZodTypeAny, run: ExperimentDef['run'], rebuildReport?: ExperimentDef['rebuildReport']): ExperimentDef => ({
  description: config.description ?? '',
  config: config as Record<string, unknown>,
  schema,
  run,
  ...(rebuildReport ? { rebuildReport } : {}),
});

/** Single-run experiments; the comparisons built on them (motion-video, shapes-vqa, collapse-study, ...) are sweep presets in defs/sweeps.ts. */
export const EXPERIMENTS: Record<string, ExperimentDef> = {
  quickstart: def(quickstart, ClipEmojiConfigSchema, runClipEmoji),
  'emoji-clip': def(emojiClip, ClipEmojiConfigSchema, runClipEmoji),
  'emoji-bind': def(emojiBind, EmojiBindConfigSchema, runEmojiBind, rebuildEmojiBindReport),
  'video-clip': def(videoClip, VideoClipConfigSchema, runVideoClip, rebuildVideoClipReport),
  'vqa-fusion': def(vqaFusion, VqaFusionConfigSchema, runVqaFusion, rebuildVqaFusionReport),
  'caption-emoji': def(captionEmoji, CaptionEmojiConfigSchema, runCaptionEmoji, rebuildCaptionEmojiReport),
  'noisy-fusion': def(noisyFusion, NoisyFusionConfigSchema, runNoisyFusion, rebuildNoisyFusionReport),
};

export function getSweepPreset(name: string): SweepPreset | undefined {
  return SWEEPS[name];
}

export function getExperiment(name: string): ExperimentDef {
  const found = EXPERIMENTS[name];
  if (!found) throw new UsageError(`Unknown experiment '${name}'. Registered: ${[...Object.keys(EXPERIMENTS), ...Object.keys(SWEEPS)].join(', ')}`);
  return found;
}

/** A mistake in how the CLI was called: exit code 2. */
export class UsageError extends Error {}
