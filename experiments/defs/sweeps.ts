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
    description: 'InfoNCE vs SigLIP vs InfoNCE + uniformity on the quickstart, 3 seeds each, with paired tests. 18 min for all 9 runs on an idle 2-core CPU with the native kernels.',
    base: 'quickstart',
    grid: ['model.loss=infonce,siglip,infonce+uniformity'],
    seeds: 3,
    sets: [],
  },
  'gap-study': {
    description: 'Fixed temperatures (0.01-0.1) vs the modality gap and retrieval, with the gap-shift curve in every report; 2 seeds. 16.5 min for all 8 runs on an idle 2-core CPU with the native kernels.',
    base: 'quickstart',
    grid: ['model.logitScaleInit=100,50,20,10'],
    seeds: 2,
    sets: ['model.learnTemperature=false'],
    metrics: ['test/geometry/image-text/gap', 'test/image->text/R@10', 'test/text->image/R@10', 'test/geometry/image/uniformity', 'test/geometry/text/uniformity', 'train/loss'],
  },
  'collapse-study': {
    description: 'Modality collapse on noisy-pairs (the image decides, the text is right half the time): no remedy vs modality dropout vs OGM-GE vs auxiliary unimodal losses (reweight), 3 seeds each, with the collapse report of every run and paired tests against none. 1.3 min (76 s) for all 12 runs on an idle 2-core CPU with the native kernels.',
    base: 'noisy-fusion',
    grid: ['train.remedy=none,modality-dropout,ogm-ge,reweight'],
    seeds: 3,
    sets: [],
    metrics: ['test/accuracy', 'test/alone/text', 'test/alone-zeroed/text', 'test/probe/text', 'conflict/follows/text', 'collapse/text/permutationDrop', 'collapse/text/collapsed', 'train/gradNormShare/text'],
  },
  'motion-video': {
    description: 'Video-text retrieval on emoji-motion: mean pooling vs temporal transformer vs perceiver resampler over per-frame ViT features, 2 seeds, paired tests against mean pooling. Headline: reversed-pair accuracy (own caption vs the time-reversed motion\'s caption, chance 50%; mean pooling is exactly 50%). 5.2 min for all 6 runs on an idle 2-core CPU with the native kernels.',
    base: 'video-clip',
    grid: ['model.temporal.kind=mean,transformer,perceiver'],
    seeds: 2,
    sets: [],
    metrics: ['test/reversed-pair/accuracy', 'test/reversed-pair/text->video/accuracy', 'test/reversed-pair/grow/shrink/accuracy', 'test/reversed-pair/left/right/accuracy', 'test/motion/accuracy', 'test/video->text/R@10', 'test/text->video/R@10', 'test/geometry/text-video/gap', 'train/loss'],
  },
  'shapes-vqa': {
    description: 'VQA fusion ablation on shapes-vqa: concat-MLP vs cross-attention vs perceiver, 2 seeds, accuracy per question type on test and on held-out colour-shape pairs, against question-only baselines. About 10 min on an idle 2-core CPU with the native kernels (per seed: concat-mlp 1, cross-attention 1.4, perceiver 1.9 min; 14.7 min measured while other jobs shared the machine).',
    base: 'vqa-fusion',
    grid: ['model.fusion.kind=concat-mlp,cross-attention,perceiver'],
    seeds: 2,
    sets: [],
    metrics: ['test/accuracy', 'test/question-prior/accuracy', 'test/vs-majority/diff', 'test/colour/accuracy', 'test/shape/accuracy', 'test/count/accuracy', 'test/exists/accuracy', 'test/left-of/accuracy', 'heldOut/accuracy', 'heldOut/exists/accuracy', 'heldOut/vs-majority/diff', 'train/loss'],
  },
};
