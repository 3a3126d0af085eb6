import { initBackend } from '@modalab/core';
import { parseArgs } from 'node:util';
import { UsageError } from '../registry.js';
import { buildIndex } from '../search/build-index.js';
import { ANN_KINDS, type AnnKind, IndexStore } from '../search/store.js';

export const INDEX_USAGE = `  index --run <runDir> --data <manifest|folder|builtin:emoji[/style]> --out <dir|s3://bucket/prefix>
         [--limit N] [--rebuild] [--ann ivf-pq|hnsw-sq] [--json]
                                         embed a collection with the run's encoders into a LanceDB
                                         index; re-running embeds only new or changed items`;

/** `pnpm exp index`: builds or updates an index, prints what changed. */
export async function indexCommand(rest: string[], log: (line: string) => void): Promise<number> {
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      run: { type: 'string' },
      data: { type: 'string' },
      out: { type: 'string' },
      limit: { type: 'string' },
      rebuild: { type: 'boolean', default: false },
      ann: { type: 'string' },
      json: { type: 'boolean', default: false },
      backend: { type: 'string' },
    },
  });
  if (positionals.length > 0) throw new UsageError(`index takes no positional arguments, got '${positionals.join(' ')}'`);
  if (values.run === undefined || values.data === undefined || values.out === undefined) throw new UsageError('index needs --run <runDir>, --data <collection> and --out <indexDir>');
  const limit = values.limit === undefined ? undefined : Number(values.limit);
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 1)) throw new UsageError(`--limit must be a positive integer, got '${values.limit}'`);
  if (values.ann !== undefined && !ANN_KINDS.includes(values.ann as AnnKind)) throw new UsageError(`--ann must be one of ${ANN_KINDS.join(', ')}, got '${values.ann}'`);
  await initBackend({ log, ...(values.backend === undefined ? {} : { backend: values.backend }) });
  const result = await buildIndex({ run: values.run, data: values.data, out: values.out, log, rebuild: values.rebuild, ...(limit === undefined ? {} : { limit }) });
  let ann = result.info.ann;
  if (values.ann !== undefined) {
    const store = await IndexStore.open(result.location);
    try {
      ann = await store.createAnn(values.ann as AnnKind, values.ann === ann?.kind ? ann.params : {});
      await store.writeInfo({ ...result.info, ann });
    } finally {
      store.close();
    }
  }
  const counts = Object.entries(result.info.counts).map(([m, n]) => `${n} ${m}`).join(', ');
  if (values.json) {
    process.stdout.write(JSON.stringify({ location: result.location, counts: result.info.counts, embedded: result.embedded, unchanged: result.unchanged, removed: result.removed, seconds: result.seconds, skipped: result.skipped, bad: result.bad, ann, run: result.info.run }) + '\n');
  } else {
    process.stdout.write(
      `index ${result.location}: ${counts || 'empty'}\n` +
        `  embedded ${result.embedded}, unchanged ${result.unchanged}, removed ${result.removed} in ${result.seconds.toFixed(1)} s\n` +
        `  run ${result.info.run.dir} (checkpoint ${result.info.run.fingerprint.slice(0, 12)})\n` +
        (ann === null ? '' : `  ANN ${ann.kind} ${JSON.stringify(ann.params)} over ${ann.rows} rows (${ann.seconds.toFixed(2)} s)\n`),
    );
  }
  return 0;
}
