// @modalab/eval: retrieval metrics, probes, captioning and VQA scores, embedding-geometry
// diagnostics, PCA/t-SNE/UMAP, statistics, arquero results tables, plotly figure specs, and
// self-contained HTML/PNG reports.

// retrieval
export { rankRetrieval, bestPositiveRanks, retrievalPerQuery } from './retrieval/rank-retrieval.js';
export type { RankRetrievalOptions, RetrievalResult, RetrievalPerQueryOutput } from './retrieval/rank-retrieval.js';
export { chanceRecallAtK, chanceBestRank } from './retrieval/chance.js';
export { similarityMatrix } from './retrieval/similarity-matrix.js';
export { retrievalAllPairs } from './retrieval/all-pairs.js';
export type { RetrievalAllPairsOptions, RetrievalAllPairsOutput } from './retrieval/all-pairs.js';

// probes on frozen embeddings (k-NN and linear probe with a weight-decay sweep)
export { knnProbe } from './probes/knn-probe.js';
export type { KnnProbeOptions, KnnProbeOutput } from './probes/knn-probe.js';
export { linearProbe, DEFAULT_WEIGHT_DECAYS } from './probes/linear-probe.js';
export type { LinearProbeOptions, LinearProbeOutput, LinearProbeSweepPoint } from './probes/linear-probe.js';
export { fitLogisticRegression, predictLogistic } from './probes/logistic-regression.js';
export type { LogisticRegressionOptions, LogisticRegressionModel } from './probes/logistic-regression.js';
export type { LabelledEmbeddings } from './probes/labelled.js';

// captioning scores (corpus BLEU, CIDEr-D) on tokenised captions
export { bleu } from './captioning/bleu.js';
export type { BleuOptions, BleuOutput } from './captioning/bleu.js';
export { ciderD } from './captioning/cider.js';
export type { CiderDOptions, CiderDOutput } from './captioning/cider.js';
export { tokenizeCaption } from './captioning/ngrams.js';
export type { Tokens } from './captioning/ngrams.js';

// VQA accuracy (exact match, soft min(#humans/3, 1), per question type)
export { vqaAccuracy, normalizeVqaAnswer } from './vqa/vqa-accuracy.js';
export type { VqaItem, VqaScores, VqaAccuracyOutput, VqaAccuracyOptions } from './vqa/vqa-accuracy.js';

// zero-shot classification (template ensembling, top-K, per-class recall, confusion)
export { zeroShotClassifier, zeroShotEvaluate } from './zero-shot/zero-shot.js';
export type { EmbedText, ZeroShotOptions, ZeroShotResult } from './zero-shot/zero-shot.js';

// plots (plain plotly JSON: { data, layout })
export { trainingCurves } from './plots/training-curves.js';
export type { TrainingCurvesOptions, MetricRow } from './plots/training-curves.js';
export { recallBars } from './plots/recall-bars.js';
export type { RecallBarsOptions } from './plots/recall-bars.js';
export { similarityHeatmap } from './plots/similarity-heatmap.js';
export { embeddingScatter } from './plots/embedding-scatter.js';
export type { EmbeddingScatterOptions } from './plots/embedding-scatter.js';
export { gapShiftCurve } from './plots/gap-shift-curve.js';
export type { GapShiftCurvePoint, GapShiftCurveOptions } from './plots/gap-shift-curve.js';
export { ablationBars } from './plots/ablation-bars.js';
export type { AblationBarsOptions, IntervalLike } from './plots/ablation-bars.js';
export { collapseBars } from './plots/collapse-bars.js';
export type { CollapseBarsOptions } from './plots/collapse-bars.js';
export type { FigureSpec } from './plots/figure.js';

// linalg (float64 on plain arrays: tfjs has no eigh/SVD)
export { symmetricEigen, canonicalSign } from './linalg/symmetric-eigen.js';
export type { SymmetricEigenOptions, SymmetricEigenOutput } from './linalg/symmetric-eigen.js';
export { singularValues } from './linalg/singular-values.js';
export { toMatrix, matrixToRows } from './linalg/matrix.js';
export type { Matrix, MatrixInput } from './linalg/matrix.js';

// diagnostics (embedding geometry per modality; each docstring cites its paper)
export { modalityGap, gapShift, gapShiftSweep } from './diagnostics/modality-gap.js';
export type { ModalityGapOutput, GapShiftOutput, GapShiftOptions, GapShiftPoint, ShiftedEmbeddings } from './diagnostics/modality-gap.js';
export { coneEffect } from './diagnostics/cone-effect.js';
export { alignment, uniformity, jointUniformity } from './diagnostics/alignment-uniformity.js';
export type { AlignmentOptions, UniformityOptions } from './diagnostics/alignment-uniformity.js';
export { rankMe } from './diagnostics/rank-me.js';
export type { RankMeOptions, RankMeOutput } from './diagnostics/rank-me.js';
export { embeddingGeometry } from './diagnostics/embedding-geometry.js';
export type { EmbeddingGeometryOutput, EmbeddingGeometryOptions, ModalityGeometry, PairGeometry } from './diagnostics/embedding-geometry.js';
export type { EmbeddingInput } from './diagnostics/sphere.js';

// modality collapse of fusion models (perceptual score, ablations, unimodal vs fused, gradient shares, RankMe)
export { permutationImportance, ablationDrop, unimodalVsFused, permuteRows, ablate } from './collapse/ablation.js';
export type { ModalityInputs, ModalityScore, ModalityScorer, AblationKind, ModalityDrop, PermutationImportanceOptions, PermutationImportanceOutput, AblationOptions, AblationOutput, UnimodalVsFusedOptions, UnimodalVsFusedOutput } from './collapse/ablation.js';
export { gradNormRatio, gradNormHistory } from './collapse/grad-norm-ratio.js';
export type { GradNormPoint, GradNormRatioOptions, GradNormRatioOutput } from './collapse/grad-norm-ratio.js';
export { fusionInputRank } from './collapse/fusion-input-rank.js';
export type { FusionInputRankOutput } from './collapse/fusion-input-rank.js';
export { fusionClassifierScorer } from './collapse/fusion-classifier-scorer.js';
export { collapseReport, runCollapseDiagnostics, DEFAULT_COLLAPSE_THRESHOLDS } from './collapse/collapse-report.js';
export type { CollapseReport, CollapseReportInput, CollapseReportOptions, CollapseThresholds, ModalityCollapseRecord, RunCollapseDiagnosticsOptions } from './collapse/collapse-report.js';

// project (2-D views of embeddings)
export { pca, pcaTransform } from './project/pca.js';
export type { PcaOptions, PcaModel, PcaOutput } from './project/pca.js';
export { tsne } from './project/tsne.js';
export type { TsneOptions, TsneOutput } from './project/tsne.js';
export { umap } from './project/umap.js';
export type { UmapOptions, UmapOutput } from './project/umap.js';

// tables (arquero: results as tables, written as CSV or Arrow, printed in the terminal)
export { resultsTable, writeTable, formatTable } from './tables/results-table.js';
export type { ResultsTable, FormatTableOptions } from './tables/results-table.js';

// stats (seeded bootstrap, seeds, paired tests; no scipy)
export { bootstrapCi, pairedBootstrap } from './stats/bootstrap.js';
export type { BootstrapOptions, BootstrapOutput, PairedBootstrapOutput, ConfidenceInterval, Statistic } from './stats/bootstrap.js';
export { aggregateSeeds, pairedTTest } from './stats/seeds.js';
export type { SeedAggregate, PairedTTestOutput } from './stats/seeds.js';
export { studentTCdf, studentTQuantile } from './stats/student-t.js';

// report (offline HTML, PNG through Debian's chromium, atomic file writes)
export { renderReport, writeReport, formatNumber } from './report/render-report.js';
export type { ReportSpec, ReportSection, ReportTable } from './report/render-report.js';
export { renderPng } from './report/render-png.js';
export type { RenderPngOptions } from './report/render-png.js';
export { launchChromium, CHROMIUM_PATH, CHROMIUM_ARGS } from './report/chromium.js';
export { inspectReport, type ReportInspection } from './report/inspect-report.js';
export type { LaunchChromiumOptions } from './report/chromium.js';
