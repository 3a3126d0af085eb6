import { initBackend } from '@modalab/core';
import { parseArgs } from 'node:util';
import { UsageError } from '../registry.js';
import { startExplorer } from '../search/explorer/server.js';

export const SERVE_USAGE = `  serve --run <runDir> [--index <dir>] [--port 8080] [--host 127.0.0.1] [--max-upload-mb 5]
                                         the embedding explorer: search, embedding map with the
                                         gap-shift slider, training curves (Ctrl-C stops it)`;

/** `pnpm exp serve`: runs the explorer until SIGINT/SIGTERM. */
export async function serveCommand(rest: string[], log: (line: string) => void): Promise<number> {
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      run: { type: 'string' },
      index: { type: 'string' },
      port: { type: 'string', default: '8080' },
      host: { type: 'string', default: '127.0.0.1' },
      'max-upload-mb': { type: 'string', default: '5' },
      backend: { type: 'string' },
    },
  });
  if (positionals.length > 0) throw new UsageError(`serve takes no positional arguments, got '${positionals.join(' ')}'`);
  if (values.run === undefined) throw new UsageError('serve needs --run <runDir>');
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be an integer in [0, 65535], got '${values.port}'`);
  const mb = Number(values['max-upload-mb']);
  if (!(mb > 0 && mb <= 100)) throw new UsageError(`--max-upload-mb must be in (0, 100], got '${values['max-upload-mb']}'`);
  await initBackend({ log, ...(values.backend === undefined ? {} : { backend: values.backend }) });
  const explorer = await startExplorer({ run: values.run, port, host: values.host, maxUploadBytes: Math.round(mb * 1024 * 1024), log, ...(values.index === undefined ? {} : { index: values.index }) });
  // stdout carries only the URL, so scripts (and tests) can read where the page is.
  process.stdout.write(explorer.url + '\n');
  log(`explorer at ${explorer.url} (Ctrl-C to stop)`);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await explorer.close();
  return 0;
}
