/** A shipped experiment that is a sweep over another one: `pnpm exp run NAME` runs the sweep. */
export interface SweepPreset {
  description: string;
  base: string;
  grid: string[];
  seeds: number;
  sets: string[];
  metrics?: string[];
}

export const SWEEPS: Record<string, SweepPreset> = {
  'ablate-loss': {
    description: 'InfoNCE vs SigLIP vs InfoNCE + uniformity on the quickstart, 3 seeds each, with paired tests. About 9 x 7 min on a 2-core CPU.',
    base: 'quickstart',
    grid: ['model.loss=infonce,siglip,infonce+uniformity'],
    seeds: 3,
    sets: [],
  },
  'gap-study': {
    description: 'Fixed temperatures (0.01-0.1) vs the modality gap and retrieval, with the gap-shift curve in every report; 2 seeds. About 8 x 7 min on a 2-core CPU.',
    base: 'quickstart',
    grid: ['model.logitScaleInit=100,50,20,10'],
    seeds: 2,
    sets: ['model.learnTemperature=false'],
    metrics: ['test/geometry/image-text/gap', 'test/image->text/R@10', 'test/text->image/R@10', 'test/geometry/image/uniformity', 'test/geometry/text/uniformity', 'train/loss'],
  },
};
