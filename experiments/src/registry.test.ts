import { describe, expect, it } from 'vitest';
import { SWEEPS } from '../defs/sweeps.js';
import { applyOverrides } from './cli/overrides.js';
import { planSweep } from './commands/sweep.js';
import { EXPERIMENTS, getExperiment } from './registry.js';
import { ClipEmojiConfigSchema } from './runner/clip-emoji-config.js';

describe('shipped experiments', () => {
  it.each(Object.keys(EXPERIMENTS))('%s: its config validates, and an unknown key fails with its path', (name) => {
    const def = getExperiment(name);
    expect(() => ClipEmojiConfigSchema.parse(def.config)).not.toThrow();
    expect(def.description).toMatch(/min/); // the description states its time
    const bad = applyOverrides(def.config, ['train.stepz=3']);
    expect(() => ClipEmojiConfigSchema.parse(bad)).toThrow(/train[\s\S]*stepz/);
  });

  it.each(Object.keys(SWEEPS))('%s: every cell of the sweep validates', (name) => {
    const preset = SWEEPS[name]!;
    const base = getExperiment(preset.base);
    const plan = planSweep(preset.base, preset.grid, preset.seeds, preset.sets);
    expect(plan.cells.length).toBeGreaterThan(1);
    for (const cell of plan.cells) {
      expect(() => ClipEmojiConfigSchema.parse(applyOverrides(base.config, [...preset.sets, ...cell.sets])), cell.id).not.toThrow();
    }
    expect(preset.description).toMatch(/min/);
  });

  it('names the registered experiments when one is unknown', () => {
    expect(() => getExperiment('nope')).toThrow(/Registered: quickstart, emoji-clip, ablate-loss, gap-study/);
  });
});
