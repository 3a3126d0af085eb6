// Cross-modal search over a trained run's embedding space: build an index of a collection,
// query it by text, image or (with an audio tower) sound, serve the explorer page.

export { buildIndex, type BuildIndexOptions, type BuildIndexResult } from './build-index.js';
export { SearchIndex, checkSameRun, DEFAULT_K, MAX_K, type SearchQuery, type SearchOptions, type SearchOutput, type AnnRecall } from './search-index.js';
export { IndexStore, ANN_KINDS, annParams, type AnnKind, type AnnInfo, type IndexInfo, type IndexRow, type IndexRowMeta, type Hit } from './store.js';
export { loadRunModel, runIdentity, MissingEncoderError, SEARCH_MODALITIES, type RunModel, type RunIdentity, type SearchModality } from './run-model.js';
export { loadCollection, type Collection, type CollectionItem } from './collection.js';
export { bruteForceTopK, recallAgainst } from './brute-force.js';
export { isObjectStoreUri, resolveLocation } from './lance.js';
export { startExplorer, type Explorer, type ExplorerOptions } from './explorer/server.js';
