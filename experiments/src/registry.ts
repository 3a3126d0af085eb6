import { emojiClip } from '../defs/emoji-clip.js';
import { quickstart } from '../defs/quickstart.js';
import { SWEEPS, type SweepPreset } from '../defs/sweeps.js';
import { runClipEmoji, type RunOptions, type RunResult } from './runner/clip-emoji.js';

export interface ExperimentDef {
  description: string;
  config: Record<string, unknown>;
  run: (name: string, config: unknown, options: RunOptions) => Promise<RunResult>;
  /** Rebuilds report.html of a finished run from its files; returns the file. Default: the CLIP report. */
  rebuildReport?: (runDir: string) => Promise<string>;
}

export const EXPERIMENTS: Record<string, ExperimentDef> = {
  quickstart: { description: quickstart.description ?? '', config: quickstart as Record<string, unknown>, run: runClipEmoji },
  'emoji-clip': { description: emojiClip.description ?? '', config: emojiClip as Record<string, unknown>, run: runClipEmoji },
};

export function getSweepPreset(name: string): SweepPreset | undefined {
  return SWEEPS[name];
}

export function getExperiment(name: string): ExperimentDef {
  const def = EXPERIMENTS[name];
  if (!def) throw new UsageError(`Unknown experiment '${name}'. Registered: ${[...Object.keys(EXPERIMENTS), ...Object.keys(SWEEPS)].join(', ')}`);
  return def;
}

/** A mistake in how the CLI was called: exit code 2. */
export class UsageError extends Error {}
