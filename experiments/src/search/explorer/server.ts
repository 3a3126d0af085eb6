import { loadImage } from '@modalab/data';
import * as fs from 'node:fs';
import * as http from 'node:http';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadRunModel, missingEncoder, type RunModel, SEARCH_MODALITIES } from '../run-model.js';
import { DEFAULT_K, SearchIndex } from '../search-index.js';
import type { Hit } from '../store.js';
import { enumParam, HttpError, intParam, parseQuery } from './http-error.js';
import { RUN_FILES, runView } from './run-view.js';
import { PROJECTIONS, type SpaceSample, spaceSample } from './space.js';
import { DEFAULT_MAX_UPLOAD_BYTES, discardBody, readUpload, uploadType } from './uploads.js';

export interface ExplorerOptions {
  /** The run whose model embeds queries and whose curves the page shows. */
  run: string;
  /** An index built with that run; without one the page shows the run only. */
  index?: string;
  /** Default 8080; 0 picks a free port. */
  port?: number;
  /** Default 127.0.0.1: the page is for this machine unless asked otherwise. */
  host?: string;
  maxUploadBytes?: number;
  log?: (line: string) => void;
  /** An already loaded model of `run` (tests). */
  model?: RunModel;
}

export interface Explorer {
  url: string;
  port: number;
  close(): Promise<void>;
}

export const MAX_QUERY_CHARS = 500;
export const MAX_RESULTS = 100;
const MAX_SAMPLE = 1000;

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

/** The page's files; nothing else is served from disk outside the run's own files. */
function staticFiles(): Record<string, { file: string; type: string }> {
  // Compiled output (dist/) has no copy of static/: read it from the package's src.
  const dir = [path.join(here, 'static'), path.resolve(here, '../../../../src/search/explorer/static')].find((d) => fs.existsSync(path.join(d, 'explorer.html')));
  if (dir === undefined) throw new Error(`The explorer page is missing: expected ${path.join(here, 'static', 'explorer.html')}`);
  return {
    '/': { file: path.join(dir, 'explorer.html'), type: 'text/html; charset=utf-8' },
    '/static/app.js': { file: path.join(dir, 'app.js'), type: 'text/javascript; charset=utf-8' },
    '/static/gap.js': { file: path.join(dir, 'gap.js'), type: 'text/javascript; charset=utf-8' },
    '/static/app.css': { file: path.join(dir, 'app.css'), type: 'text/css; charset=utf-8' },
    '/static/plotly.min.js': { file: require.resolve('plotly.js-dist-min'), type: 'text/javascript; charset=utf-8' },
  };
}

// Plotly writes inline styles; nothing else needs more than 'self'.
const PAGE_CSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'; frame-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'";

/**
 * The embedding explorer: Node's http server on 127.0.0.1 with a static page (search box,
 * embedding map with a gap-shift slider, training curves) and a small JSON API over the run's
 * model and index. Every input is checked: query strings strictly, uploads by size and by
 * their bytes, file paths confined to the run folder; a bad request is a 4xx with a message.
 */
export async function startExplorer(options: ExplorerOptions): Promise<Explorer> {
  const log = options.log ?? ((line: string) => process.stderr.write(line + '\n'));
  const host = options.host ?? '127.0.0.1';
  const maxUpload = options.maxUploadBytes ?? DEFAULT_MAX_UPLOAD_BYTES;
  const files = staticFiles();
  const model = options.model ?? (await loadRunModel(options.run));
  const runDir = model.identity.dir;
  let index: SearchIndex | undefined;
  try {
    index = options.index === undefined ? undefined : await SearchIndex.open(options.index, { model });
  } catch (err) {
    if (!options.model) model.dispose();
    throw err;
  }
  const spaces = new Map<string, Promise<SpaceSample>>();
  const loopback = host === '127.0.0.1' || host === 'localhost' || host === '::1';

  const needIndex = (): SearchIndex => {
    if (!index) throw new HttpError(404, `no index loaded: start the explorer with --index <dir> (build one with pnpm exp index --run ${runDir} --data builtin:emoji --out <dir>)`);
    return index;
  };

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const pathname = q < 0 ? url : url.slice(0, q);
    const rawQuery = q < 0 ? '' : url.slice(q + 1);
    // DNS rebinding: a page from another origin resolving to 127.0.0.1 sends its own Host.
    if (loopback && !/^(127\.0\.0\.1|localhost|\[::1\])(:\d+)?$/.test(req.headers.host ?? '')) throw new HttpError(403, `Host '${String(req.headers.host).slice(0, 60)}' is not this local server`);
    if (req.method === 'POST' && pathname === '/api/search') return searchUpload(req, res, parseQuery(rawQuery, { keys: ['k', 'modality'] }));
    if (req.method !== 'GET' && req.method !== 'HEAD') throw new HttpError(405, `method ${req.method} is not allowed on ${pathname.slice(0, 80)}`);

    const file = files[pathname];
    if (file) {
      parseQuery(rawQuery, { keys: [] });
      return send(res, 200, file.type, fs.readFileSync(file.file), pathname === '/' ? { 'Content-Security-Policy': PAGE_CSP } : {});
    }
    if (pathname === '/api/info') {
      parseQuery(rawQuery, { keys: [] });
      return sendJson(res, 200, {
        run: { name: model.identity.name, dir: path.basename(runDir), fingerprint: model.identity.fingerprint.slice(0, 12), embedDim: model.identity.embedDim, modalities: model.identity.modalities },
        index: index ? { location: index.info.location, data: index.info.data.spec, counts: index.info.counts, ann: index.info.ann?.kind ?? null, updatedAt: index.info.updatedAt } : null,
        limits: { maxUploadBytes: maxUpload, maxResults: MAX_RESULTS, maxQueryChars: MAX_QUERY_CHARS },
      });
    }
    if (pathname === '/api/search') {
      const query = parseQuery(rawQuery, { keys: ['q', 'id', 'k', 'modality'] });
      const k = intParam(query, 'k', DEFAULT_K, 1, MAX_RESULTS);
      const modality = enumParam(query, 'modality', SEARCH_MODALITIES);
      const text = query.get('q');
      const id = query.get('id');
      if ((text === undefined) === (id === undefined)) throw new HttpError(400, 'give exactly one of q (a text query) or id (an indexed item)');
      if (text !== undefined && text.trim() === '') throw new HttpError(400, 'q is empty: type something to search for');
      if (text !== undefined && text.length > MAX_QUERY_CHARS) throw new HttpError(400, `q is ${text.length} characters; the limit is ${MAX_QUERY_CHARS}`);
      if (id !== undefined && id.length > 1000) throw new HttpError(400, 'id is too long');
      const idx = needIndex();
      if (id !== undefined && (await idx.store.rowById(id)) === undefined) throw new HttpError(404, `no item '${id.slice(0, 80)}' in the index`);
      const out = await idx.search(text !== undefined ? { text } : { id: id! }, { k, ...(modality === undefined ? {} : { modality }) });
      return sendJson(res, 200, { query: text !== undefined ? { text } : { id }, queryModality: out.queryModality, ms: out.ms, hits: out.hits.map(hitJson) });
    }
    if (pathname === '/api/space') {
      const query = parseQuery(rawQuery, { keys: ['method', 'n'] });
      const method = enumParam(query, 'method', PROJECTIONS) ?? 'pca';
      const n = intParam(query, 'n', 300, 3, MAX_SAMPLE);
      const idx = needIndex();
      const key = `${method}:${n}`;
      if (!spaces.has(key)) spaces.set(key, spaceSample(idx.store, { n, method }).catch((err: unknown) => (spaces.delete(key), Promise.reject(err))));
      return sendJson(res, 200, await spaces.get(key)!.catch((err: Error) => Promise.reject(new HttpError(422, err.message))));
    }
    if (pathname === '/api/run') {
      parseQuery(rawQuery, { keys: [] });
      return sendJson(res, 200, runView(runDir));
    }
    if (pathname.startsWith('/thumb/')) {
      parseQuery(rawQuery, { keys: [] });
      const name = pathname.slice('/thumb/'.length);
      if (!/^[0-9a-f]{64}\.png$/.test(name)) throw new HttpError(400, 'a thumbnail is named by its content hash: /thumb/<64 hex digits>.png');
      const png = await needIndex().store.thumb(name.slice(0, 64));
      if (!png) throw new HttpError(404, `no thumbnail ${name}`);
      return send(res, 200, 'image/png', png, { 'Cache-Control': 'max-age=3600' });
    }
    if (pathname.startsWith('/run/')) {
      parseQuery(rawQuery, { keys: [] });
      const target = confined(runDir, pathname.slice('/run/'.length));
      const rel = path.relative(runDir, target);
      if (!(RUN_FILES as readonly string[]).includes(rel) || !fs.existsSync(target)) throw new HttpError(404, `${rel} is not a run file the explorer serves; it serves ${RUN_FILES.join(', ')}`);
      const type = rel.endsWith('.html') ? 'text/html; charset=utf-8' : 'application/json; charset=utf-8';
      return send(res, 200, type, fs.readFileSync(target));
    }
    throw new HttpError(404, `nothing at ${pathname.slice(0, 120)}`);
  };

  const searchUpload = async (req: http.IncomingMessage, res: http.ServerResponse, query: Map<string, string>): Promise<void> => {
    const k = intParam(query, 'k', DEFAULT_K, 1, MAX_RESULTS);
    const modality = enumParam(query, 'modality', SEARCH_MODALITIES);
    const { type, kind, ext } = uploadType(req);
    // Refused before reading a byte: the run cannot place a sound in its space.
    if (kind === 'audio' && !model.identity.modalities.includes('audio')) throw new HttpError(400, missingEncoder(model.identity, 'audio').message);
    const idx = needIndex();
    const body = await readUpload(req, type, maxUpload);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'modalab-upload-'));
    try {
      const file = path.join(dir, `query${ext}`);
      fs.writeFileSync(file, body);
      let pixels: Float32Array;
      try {
        pixels = await loadImage(file, model.identity.imageSize ?? 0);
      } catch (err) {
        throw new HttpError(400, `the upload is not a decodable image: ${(err as Error).message.replace(file, 'upload')}`);
      }
      const out = await idx.search({ imagePixels: pixels }, { k, ...(modality === undefined ? {} : { modality }) });
      return sendJson(res, 200, { query: { upload: type }, queryModality: out.queryModality, ms: out.ms, hits: out.hits.map(hitJson) });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  };

  const server = http.createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      const status = err instanceof HttpError ? err.status : 500;
      if (status >= 500) log(`explorer: ${req.method} ${req.url}: ${(err as Error).stack ?? String(err)}`);
      // A refused body still has to be read (or cut) for the response to reach the client.
      if (!req.complete) discardBody(req);
      if (res.headersSent) return void res.destroy();
      sendJson(res, status, { error: err instanceof Error ? err.message : String(err), status }, req.complete ? {} : { Connection: 'close' });
    });
  });
  server.requestTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => reject(new Error(err.code === 'EADDRINUSE' ? `Port ${options.port} on ${host} is in use: pass --port <another> (or 0 for any free port)` : err.message)));
    server.listen(options.port ?? 8080, host, () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  if (!loopback) log(`warning: the explorer listens on ${host}: anyone who can reach this machine can query the run`);
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}/`,
    port,
    close: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      index?.close();
      if (!options.model) model.dispose();
    },
  };
}

function hitJson(h: Hit): Record<string, unknown> {
  return { id: h.id, group: h.group, modality: h.modality, text: h.text, label: h.label, score: h.score, thumb: h.modality === 'image' ? h.hash : null };
}

/** `rel` (still percent-encoded) resolved inside `root`; 403 if it (or a symlink on the way) leads out. */
export function confined(root: string, rel: string): string {
  let decoded: string;
  try {
    decoded = decodeURIComponent(rel);
  } catch {
    throw new HttpError(400, 'malformed path: bad percent-encoding');
  }
  if (decoded.includes('\0')) throw new HttpError(400, 'malformed path: NUL byte');
  const target = path.resolve(root, decoded);
  const inside = (p: string, r: string) => p === r || p.startsWith(r + path.sep);
  if (!inside(target, root)) throw new HttpError(403, `path '${decoded.slice(0, 80)}' leaves the run folder`);
  if (fs.existsSync(target) && !inside(fs.realpathSync(target), fs.realpathSync(root))) throw new HttpError(403, `path '${decoded.slice(0, 80)}' links out of the run folder`);
  return target;
}

function send(res: http.ServerResponse, status: number, type: string, body: Buffer | string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'Content-Type': type, 'X-Content-Type-Options': 'nosniff', 'Cache-Control': 'no-store', ...headers });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}

function sendJson(res: http.ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}): void {
  send(res, status, 'application/json; charset=utf-8', JSON.stringify(value), headers);
}
