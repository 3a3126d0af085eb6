import { describe, expect, it } from 'vitest';
import { collapseReport, type CollapseReportInput } from '../collapse/collapse-report.js';
import { gradNormRatio } from '../collapse/grad-norm-ratio.js';
import { collapseBars } from './collapse-bars.js';

/** A permutation-importance result from drops alone (base accuracy 0.9). */
function fromDrops(drops: Record<string, number>): CollapseReportInput {
  const modalities = Object.fromEntries(Object.entries(drops).map(([m, d]) => [m, { accuracyDrop: d, lossIncrease: undefined, accuracy: 0.9 - d, perceptualScore: d / 0.9, perRepeat: [d] }]));
  return { permutation: { base: { accuracy: 0.9 }, modalities } };
}

describe('collapseBars', () => {
  it('draws one bar per modality over the available diagnostics, marks the flagged one and the thresholds', () => {
    const report = collapseReport({ ...fromDrops({ image: 0.6, text: 0.004 }), gradNorms: gradNormRatio([{ step: 1, norms: { image: 3, text: 1 } }]) });
    const fig = collapseBars(report);
    expect(JSON.parse(JSON.stringify(fig))).toEqual(fig);
    expect(fig.data.map((t) => t.name)).toEqual(['image', 'text (collapsed)']);
    expect(fig.data[0]!.x).toEqual(['permutation drop', 'perceptual score', 'grad-norm share']);
    expect(fig.data[1]!.y).toEqual([0.004, 0.004 / 0.9, 0.25]);
    expect((fig.data[1]!.marker as { pattern?: unknown }).pattern).toEqual({ shape: '/' });
    expect((fig.layout.shapes as Array<{ y0: number }>).map((s) => s.y0)).toEqual([0.02, 0.1, 0.9]);
    expect((fig.layout.title as { text: string }).text).toBe('Modality collapse: text flagged');
    expect(() => collapseBars({ ...report, modalities: [] })).toThrow(/report has no modalities/);
    expect(() => collapseBars({ ...report, modalities: ['audio', 'image'] })).toThrow(/report.records has no 'audio' though report.modalities lists it/);
    const none = collapseBars(collapseReport(fromDrops({ image: 0.3, text: 0.25 })), { title: 'custom' });
    expect(none.data.map((t) => t.name)).toEqual(['image', 'text']);
    expect((none.layout.title as { text: string }).text).toBe('custom');
  });
});
