import { describe, expect, it } from 'vitest';
import { SWEEPS } from '../defs/sweeps.js';
import { applyOverrides } from './cli/overrides.js';
import { planSweep } from './commands/sweep.js';
import { EXPERIMENTS, getExperiment } from './registry.js';

describe('shipped experiments', () => {
  it.each(Object.keys(EXPERIMENTS))('%s: its config validates, and an unknown key fails with its path', (name) => {
    const def = getExperiment(name);
    expect(() => def.schema.parse(def.config)).not.toThrow();
    expect(def.description).toMatch(/\d\s*(min|s)\b/); // the description states its time
    const bad = applyOverrides(def.config, ['train.stepz=3']);
    expect(() => def.schema.parse(bad)).toThrow(/train[\s\S]*stepz/);
  });

  it.each(Object.keys(SWEEPS))('%s: every cell of the sweep validates', (name) => {
    const preset = SWEEPS[name]!;
    const base = getExperiment(preset.base);
    const plan = planSweep(preset.base, preset.grid, preset.seeds, preset.sets);
    expect(plan.cells.length).toBeGreaterThan(1);
    for (const cell of plan.cells) {
      expect(() => base.schema.parse(applyOverrides(base.config, [...preset.sets, ...cell.sets])), cell.id).not.toThrow();
    }
    expect(preset.description).toMatch(/min/);
  });

  it('names the registered experiments when one is unknown', () => {
    expect(() => getExperiment('nope')).toThrow(/Registered: quickstart, emoji-clip, emoji-bind, video-clip, vqa-fusion, caption-emoji, noisy-fusion, ablate-loss, gap-study/);
  });
});
