export interface WarmupCosineConfig {
  peak: number;
  warmupSteps: number;
  totalSteps: number;
  /** Learning rate at the end, as a fraction of peak; 0 as in CLIP. */
  floorFraction?: number;
}

/**
 * Learning rate at a 0-based step: 1) linear warmup from peak/warmup to peak over warmupSteps,
 * 2) cosine decay from peak to floor over the remaining steps, 3) floor afterwards.
 */
export function warmupCosine(step: number, c: WarmupCosineConfig): number {
  const floor = c.peak * (c.floorFraction ?? 0);
  if (step < c.warmupSteps) return (c.peak * (step + 1)) / c.warmupSteps;
  const decaySteps = Math.max(1, c.totalSteps - c.warmupSteps);
  const progress = Math.min(1, (step - c.warmupSteps) / decaySteps);
  return floor + 0.5 * (c.peak - floor) * (1 + Math.cos(Math.PI * progress));
}
