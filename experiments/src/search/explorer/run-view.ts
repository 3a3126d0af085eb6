import { type FigureSpec, trainingCurves } from '@modalab/eval';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { MetricsLog, readJson } from '../../runner/run-dir.js';

export interface RunView {
  name: string;
  figures: Array<{ title: string; caption: string; figure: FigureSpec }>;
  /** Headline metrics of summary.json: value, 95% CI and chance where the run recorded them. */
  summary: Array<{ key: string; value: number; lower?: number; upper?: number; chance?: number }>;
  /** Files of the run the page may link to (served by /run/<file>). */
  files: string[];
}

const CURVES: Array<{ title: string; caption: string; keys: string[]; logY?: string[] }> = [
  { title: 'Training', caption: 'Contrastive loss, temperature and learning rate per logged step.', keys: ['loss', 'temperature', 'lr'], logY: ['loss'] },
  {
    title: 'Gradient norms per tower',
    caption: 'Global and per-tower gradient norms; a ratio drifting far from 1 means one tower stopped learning (modality collapse).',
    keys: ['gradNorm', 'gradNorm/image', 'gradNorm/text', 'gradNormRatio/image:text'],
  },
  {
    title: 'Geometry of a probe batch',
    caption: 'Modality gap, alignment, uniformity and RankMe of a fixed batch of training pairs, as training went.',
    keys: ['probe/gap', 'probe/alignment', 'probe/uniformity/image', 'probe/uniformity/text', 'probe/rankMe/image', 'probe/rankMe/text'],
  },
];

const HEADLINE = /^(test|test-other-style)\/(image->text|text->image)\/R@\d+$|^test\/geometry\/image-text\/(gap|alignment)$|^test\/zero-shot-category\/top1$|^train\/(loss|seconds)$/;
export const RUN_FILES = ['report.html', 'summary.json', 'config.json', 'metrics.jsonl', 'evaluation.json'] as const;

/** The run's curves (plotly specs from @modalab/eval) and headline numbers for the Training view. */
export function runView(runDir: string): RunView {
  const rows = new MetricsLog(path.join(runDir, 'metrics.jsonl')).read();
  const figures: RunView['figures'] = [];
  for (const c of CURVES) {
    const keys = c.keys.filter((k) => rows.some((r) => typeof r[k] === 'number'));
    if (keys.length === 0 || rows.length === 0) continue;
    const figure = trainingCurves(rows, keys, { title: c.title, ...(c.logY ? { logY: c.logY.filter((k) => keys.includes(k)) } : {}) });
    // A curve of a few points (probes run every 25 steps) is invisible as a bare line.
    for (const trace of figure.data) if (Array.isArray(trace['y']) && trace['y'].length < 20) trace['mode'] = 'lines+markers';
    figures.push({ title: c.title, caption: c.caption, figure });
  }
  const summaryFile = path.join(runDir, 'summary.json');
  const summary: RunView['summary'] = [];
  if (fs.existsSync(summaryFile)) {
    const s = readJson<Record<string, number | string>>(summaryFile);
    const num = (k: string) => (typeof s[k] === 'number' ? (s[k] as number) : undefined);
    for (const key of Object.keys(s).filter((k) => HEADLINE.test(k))) {
      const value = num(key)!;
      const [split, ...rest] = key.split('/');
      const lower = num(`${key}/ci95/lower`);
      const upper = num(`${key}/ci95/upper`);
      const chance = num(`${split}/${rest.slice(0, -1).join('/')}/chance/${rest[rest.length - 1]}`);
      summary.push({ key, value, ...(lower === undefined ? {} : { lower }), ...(upper === undefined ? {} : { upper }), ...(chance === undefined ? {} : { chance }) });
    }
  }
  const name = readJson<{ name?: string }>(path.join(runDir, 'config.json')).name ?? path.basename(runDir);
  return { name, figures, summary, files: RUN_FILES.filter((f) => fs.existsSync(path.join(runDir, f))) };
}
