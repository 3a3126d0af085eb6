// @modalab/experiments: the runner behind `pnpm exp`, for notebooks and scripts.

// Experiments
export { EXPERIMENTS, getExperiment, type ExperimentDef } from './registry.js';
export { quickstart } from '../defs/quickstart.js';
export { emojiClip } from '../defs/emoji-clip.js';
export { SWEEPS, type SweepPreset } from '../defs/sweeps.js';
export { applyOverrides } from './cli/overrides.js';

// The CLIP-on-emoji runner
export { runClipEmoji, evaluateEmoji, CHECKPOINT_FILE, EVALUATION_FILE, type RunOptions, type RunResult, type EmojiEvaluation } from './runner/clip-emoji.js';
export { ClipEmojiConfigSchema, type ClipEmojiConfig, type ClipEmojiConfigInput } from './runner/clip-emoji-config.js';
export { buildDualEncoder } from './runner/build-model.js';
export { embedImages, embedTexts, imageBatch, textBatch, type TextTokenizer } from './runner/embed.js';
export { retrievalBothWays, flattenResults, formatResults, type SplitResults, type RetrievalWithCi } from './runner/evaluate.js';

// Sweeps and comparisons
export { planSweep, runSweep, summarizeSweep, writeSweepOutputs, type SweepPlan, type SweepTableRow } from './commands/sweep.js';
export { compareRuns, formatComparison, type Comparison } from './commands/compare.js';
export { evalRun } from './commands/eval-run.js';

// Cross-modal search and the embedding explorer
export { buildIndex, SearchIndex, IndexStore, loadRunModel, runIdentity, loadCollection, bruteForceTopK, recallAgainst, startExplorer, MissingEncoderError, ANN_KINDS, SEARCH_MODALITIES, type BuildIndexOptions, type BuildIndexResult, type SearchQuery, type SearchOptions, type SearchOutput, type AnnRecall, type AnnKind, type AnnInfo, type IndexInfo, type Hit, type RunModel, type RunIdentity, type SearchModality, type Explorer, type ExplorerOptions } from './search/index.js';
