import { initBackend } from '@modalab/core';
import { parseArgs } from 'node:util';
import { UsageError } from '../registry.js';
import { SEARCH_MODALITIES, type SearchModality } from '../search/run-model.js';
import { DEFAULT_K, MAX_K, SearchIndex, type SearchQuery } from '../search/search-index.js';
import { ANN_KINDS, type AnnKind } from '../search/store.js';

export const SEARCH_USAGE = `  search --index <dir> (--text "a cat" | --image <file> | --audio <file> | --id <itemId>)
         [--k 10] [--modality image|text|audio] [--ann] [--recall] [--build-ann ivf-pq|hnsw-sq]
         [--run <runDir>] [--json]
                                         top-k by cosine similarity; exact unless --ann;
                                         --recall prints the ANN index's recall against exact search`;

/** `pnpm exp search`: one query against an index (and ANN index management). */
export async function searchCommand(rest: string[], log: (line: string) => void): Promise<number> {
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      index: { type: 'string' },
      text: { type: 'string' },
      image: { type: 'string' },
      audio: { type: 'string' },
      id: { type: 'string' },
      k: { type: 'string' },
      modality: { type: 'string' },
      ann: { type: 'boolean', default: false },
      recall: { type: 'boolean', default: false },
      'build-ann': { type: 'string' },
      run: { type: 'string' },
      json: { type: 'boolean', default: false },
      backend: { type: 'string' },
    },
  });
  if (positionals.length > 0) throw new UsageError(`search takes no positional arguments, got '${positionals.join(' ')}' (quote a multi-word --text)`);
  if (values.index === undefined) throw new UsageError('search needs --index <dir>');
  const given = (['text', 'image', 'audio', 'id'] as const).filter((q) => values[q] !== undefined);
  if (given.length > 1) throw new UsageError(`give one query, got --${given.join(' and --')}`);
  const build = values['build-ann'];
  if (given.length === 0 && build === undefined && !values.recall) throw new UsageError('search needs a query: --text, --image, --audio or --id (or --build-ann / --recall)');
  const k = values.k === undefined ? DEFAULT_K : Number(values.k);
  if (!Number.isInteger(k) || k < 1 || k > MAX_K) throw new UsageError(`--k must be an integer in [1, ${MAX_K}], got '${values.k}'`);
  const modality = values.modality as SearchModality | undefined;
  if (modality !== undefined && !SEARCH_MODALITIES.includes(modality)) throw new UsageError(`--modality must be one of ${SEARCH_MODALITIES.join(', ')}, got '${values.modality}'`);
  if (build !== undefined && !ANN_KINDS.includes(build as AnnKind)) throw new UsageError(`--build-ann must be one of ${ANN_KINDS.join(', ')}, got '${build}'`);

  await initBackend({ log, ...(values.backend === undefined ? {} : { backend: values.backend }) });
  const index = await SearchIndex.open(values.index, values.run === undefined ? {} : { run: values.run });
  try {
    const report: Record<string, unknown> = {};
    if (build !== undefined) {
      const ann = await index.buildAnn(build as AnnKind);
      log(`built ${ann.kind} ${JSON.stringify(ann.params)} over ${ann.rows} rows in ${ann.seconds.toFixed(2)} s`);
      report['ann'] = ann;
    }
    if (given.length === 1) {
      const query: SearchQuery = values.text !== undefined ? { text: values.text } : values.image !== undefined ? { image: values.image } : values.audio !== undefined ? { audio: values.audio } : { id: values.id! };
      const out = await index.search(query, { k, ann: values.ann, ...(modality === undefined ? {} : { modality }) });
      report['results'] = out;
      if (!values.json) {
        process.stdout.write(`${out.hits.length} results (${out.method}, ${out.ms.toFixed(1)} ms)\n`);
        out.hits.forEach((h, i) => process.stdout.write(`${String(i + 1).padStart(3)}  ${h.score.toFixed(4)}  ${h.modality.padEnd(5)}  ${h.id}  ${h.text}\n`));
      }
    }
    if (values.recall) {
      const r = await index.annRecall({ k, ...(modality === undefined ? {} : { modality }) });
      report['recall'] = r;
      if (!values.json) process.stdout.write(`ANN (${index.info.ann!.kind}) recall@${r.k} against exact search over ${r.queries} stored queries: ${r.recall.toFixed(3)} (mean latency: exact ${r.exactMs.toFixed(1)} ms, ANN ${r.annMs.toFixed(1)} ms)\n`);
    }
    if (values.json) process.stdout.write(JSON.stringify(report) + '\n');
    return 0;
  } finally {
    index.close();
  }
}
