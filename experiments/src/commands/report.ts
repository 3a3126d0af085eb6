import * as path from 'node:path';
import { type EmojiEvaluation, EVALUATION_FILE } from '../runner/clip-emoji.js';
import { ClipEmojiConfigSchema } from '../runner/clip-emoji-config.js';
import { writeClipReport } from '../runner/report.js';
import { MetricsLog, readJson } from '../runner/run-dir.js';
import { EXPERIMENTS } from '../registry.js';

/** Rebuilds a finished run's report.html from its files (no model, no data needed). */
export async function rebuildReport(runDir: string): Promise<string> {
  const dir = path.resolve(runDir);
  const saved = readJson<{ name: string; config: unknown }>(path.join(dir, 'config.json'));
  const own = EXPERIMENTS[saved.name]?.rebuildReport;
  if (own) return own(dir);
  const config = ClipEmojiConfigSchema.parse(saved.config);
  const summary = readJson<Record<string, number | string>>(path.join(dir, 'summary.json'));
  const evaluation = readJson<EmojiEvaluation>(path.join(dir, EVALUATION_FILE));
  const metrics = new MetricsLog(path.join(dir, 'metrics.jsonl')).read();
  const file = path.join(dir, 'report.html');
  await writeClipReport(file, { name: saved.name, runDir: dir, config, summary, metrics, evaluation, ...(typeof summary.dataset === 'string' ? { dataSource: summary.dataset } : {}) });
  return file;
}
