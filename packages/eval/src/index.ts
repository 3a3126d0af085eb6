// @modalab/eval: retrieval metrics, plotly figure specs, and self-contained HTML/PNG reports.

// retrieval
export { rankRetrieval, bestPositiveRanks } from './retrieval/rank-retrieval.js';
export type { RankRetrievalOptions, RetrievalResult } from './retrieval/rank-retrieval.js';
export { chanceRecallAtK, chanceBestRank } from './retrieval/chance.js';
export { similarityMatrix } from './retrieval/similarity-matrix.js';

// plots (plain plotly JSON: { data, layout })
export { trainingCurves } from './plots/training-curves.js';
export type { TrainingCurvesOptions, MetricRow } from './plots/training-curves.js';
export { recallBars } from './plots/recall-bars.js';
export type { RecallBarsOptions } from './plots/recall-bars.js';
export { similarityHeatmap } from './plots/similarity-heatmap.js';
export type { FigureSpec } from './plots/figure.js';

// report (offline HTML, PNG through Debian's chromium, atomic file writes)
export { renderReport, writeReport, formatNumber } from './report/render-report.js';
export type { ReportSpec, ReportSection, ReportTable } from './report/render-report.js';
export { renderPng } from './report/render-png.js';
export type { RenderPngOptions } from './report/render-png.js';
export { launchChromium, CHROMIUM_PATH, CHROMIUM_ARGS } from './report/chromium.js';
export { inspectReport, type ReportInspection } from './report/inspect-report.js';
export type { LaunchChromiumOptions } from './report/chromium.js';
