import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trainTinyIndex } from '../test-fixtures.js';
import { type Explorer, startExplorer } from './server.js';

interface Reply {
  status: number;
  type: string;
  body: string;
  json: { error?: string } & Record<string, unknown>;
}

/** A raw request: the path goes out exactly as written (no URL normalisation of '..'). */
function request(port: number, rawPath: string, init: { method?: string; headers?: Record<string, string>; body?: Buffer } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: rawPath, method: init.method ?? 'GET', headers: init.headers ?? {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        let json = {};
        try {
          json = JSON.parse(body);
        } catch {
          // not JSON (the page, a PNG)
        }
        resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body, json });
      });
    });
    // An early 413 may close the connection while the client is still sending.
    req.on('error', reject);
    req.end(init.body);
  });
}

describe('explorer server: every bad input is a clear 4xx and the server keeps serving', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'modalab-explorer-'));
  let explorer: Explorer;
  let port: number;
  let png: Buffer;
  let run: string;
  const alive = async () => expect((await request(port, '/api/info')).status).toBe(200);

  beforeAll(async () => {
    ({ run } = await trainTinyIndex(root));
    // A symlink inside the run folder that points out of it.
    fs.writeFileSync(path.join(root, 'secret.txt'), 'secret');
    fs.symlinkSync(path.join(root, 'secret.txt'), path.join(run, 'summary-link.json'));
    explorer = await startExplorer({ run, index: path.join(root, 'index'), port: 0, maxUploadBytes: 64 * 1024, log: () => undefined });
    port = explorer.port;
    png = await sharp({ create: { width: 24, height: 24, channels: 3, background: { r: 220, g: 40, b: 40 } } }).png().toBuffer();
  });
  afterAll(async () => {
    await explorer?.close();
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('serves the page, its scripts and the API on 127.0.0.1', async () => {
    expect(explorer.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const page = await request(port, '/');
    expect(page.status).toBe(200);
    expect(page.body).toContain('<script src="/static/plotly.min.js">');
    expect(page.body).not.toMatch(/https?:\/\/(?!127\.0\.0\.1)/);
    for (const p of ['/static/app.js', '/static/gap.js', '/static/app.css', '/static/plotly.min.js']) expect((await request(port, p)).status, p).toBe(200);
    const info = await request(port, '/api/info');
    expect(info.json).toMatchObject({ run: { name: 'search-tiny', modalities: ['image', 'text'] }, index: { counts: { image: 20, text: 20 } } });
    const search = await request(port, '/api/search?q=red+heart&k=3&modality=image');
    expect(search.status).toBe(200);
    const hits = search.json['hits'] as Array<{ modality: string; thumb: string; score: number }>;
    expect(hits).toHaveLength(3);
    expect(hits.every((h) => h.modality === 'image' && /^[0-9a-f]{64}$/.test(h.thumb))).toBe(true);
    const thumb = await request(port, `/thumb/${hits[0]!.thumb}.png`);
    expect([thumb.status, thumb.type]).toEqual([200, 'image/png']);
    const next = await request(port, `/api/search?id=${encodeURIComponent(String((search.json['hits'] as Array<{ id: string }>)[0]!.id))}&modality=text&k=2`);
    expect((next.json['hits'] as unknown[]).length).toBe(2);
    expect((await request(port, '/run/summary.json')).status).toBe(200);
    const space = await request(port, '/api/space?method=pca&n=10');
    expect(space.json).toMatchObject({ n: 10, projection: { method: 'pca' } });
    const umap = await request(port, '/api/space?method=umap&n=12');
    expect(umap.json).toMatchObject({ n: 12, projection: { method: 'umap', axisTitles: ['UMAP 1', 'UMAP 2'] } });
    expect((umap.json['projection'] as { text: number[][] }).text).toHaveLength(12);
    expect((await request(port, '/api/run')).json['figures']).toHaveLength(3);
  });

  it('an uploaded PNG is a query; oversized, mistyped and mislabelled uploads are refused', async () => {
    const ok = await request(port, '/api/search?k=4', { method: 'POST', headers: { 'Content-Type': 'image/png' }, body: png });
    expect(ok.status).toBe(200);
    expect((ok.json['hits'] as unknown[]).length).toBe(4);

    const big = Buffer.concat([png, Buffer.alloc(200 * 1024)]);
    const tooBig = await request(port, '/api/search', { method: 'POST', headers: { 'Content-Type': 'image/png' }, body: big });
    expect(tooBig.status).toBe(413);
    expect(tooBig.json.error).toMatch(/upload is \d+ bytes; the limit is 65536/);
    // Without a Content-Length the limit is enforced while reading.
    const chunked = await new Promise<number>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port, path: '/api/search', method: 'POST', headers: { 'Content-Type': 'image/png', 'Transfer-Encoding': 'chunked' } }, (res) => (res.resume(), resolve(res.statusCode ?? 0)));
      req.on('error', reject);
      for (let i = 0; i < 10; i++) req.write(big.subarray(i * 20_000, (i + 1) * 20_000));
      req.end();
    });
    expect(chunked).toBe(413);
    await alive();

    const wrongType = await request(port, '/api/search', { method: 'POST', headers: { 'Content-Type': 'application/pdf' }, body: Buffer.from('%PDF-1.4') });
    expect(wrongType.status).toBe(415);
    expect(wrongType.json.error).toMatch(/unsupported upload type 'application\/pdf'; send one of image\/png, image\/jpeg, image\/webp, audio\/wav/);
    const lies = await request(port, '/api/search', { method: 'POST', headers: { 'Content-Type': 'image/png' }, body: Buffer.from('GIF89a not really a png') });
    expect(lies.status).toBe(415);
    expect(lies.json.error).toMatch(/declared image\/png but its bytes are not a PNG/);
    const broken = await request(port, '/api/search', { method: 'POST', headers: { 'Content-Type': 'image/png' }, body: png.subarray(0, 40) });
    expect(broken.status).toBe(400);
    expect(broken.json.error).toMatch(/not a decodable image/);
    const audio = await request(port, '/api/search', { method: 'POST', headers: { 'Content-Type': 'audio/wav' }, body: Buffer.from('RIFF\0\0\0\0WAVEfmt ') });
    expect(audio.status).toBe(400);
    expect(audio.json.error).toMatch(/has no audio encoder/);
    expect((await request(port, '/api/search', { method: 'POST', headers: { 'Content-Type': 'image/png' } })).status).toBe(400);
    await alive();
  });

  it('paths never leave the run folder', async () => {
    for (const p of ['/run/../../../etc/passwd', '/run/..%2f..%2f..%2fetc%2fpasswd', '/run/%2e%2e/secret.txt', '/run/%2Fetc%2Fpasswd']) {
      const r = await request(port, p);
      expect(r.status, p).toBe(403);
      expect(r.json.error).toMatch(/leaves the run folder/);
    }
    const link = await request(port, '/run/summary-link.json');
    expect(link.status).toBe(403);
    expect(link.json.error).toMatch(/links out of the run folder/);
    const notServed = await request(port, '/run/checkpoint.ckpt');
    expect(notServed.status).toBe(404);
    expect(notServed.json.error).toMatch(/not a run file the explorer serves; it serves report.html, summary.json/);
    expect((await request(port, '/static/../server.ts')).status).toBe(404);
    expect((await request(port, '/thumb/../../etc/passwd')).status).toBe(400);
    expect((await request(port, `/thumb/${'0'.repeat(64)}.png`)).status).toBe(404);
    await alive();
  });

  it('a malformed or unexpected query string is a 400 naming the problem', async () => {
    const cases: Array<[string, number, RegExp]> = [
      ['/api/search?q=%E0%A4%A', 400, /not valid percent-encoding/],
      ['/api/search?q=cat&k=abc', 400, /k must be an integer in \[1, 100\], received 'abc'/],
      ['/api/search?q=cat&k=0', 400, /k must be an integer in \[1, 100\], received 0/],
      ['/api/search?q=cat&k=5000', 400, /received 5000/],
      ['/api/search?q=cat&q=dog', 400, /'q' is given twice/],
      ['/api/search?q=cat&sql=drop', 400, /unknown query parameter 'sql'; allowed: q, id, k, modality/],
      ['/api/search?q=cat&modality=smell', 400, /modality must be one of image, text, audio/],
      ['/api/search?q=', 400, /q is empty/],
      ['/api/search', 400, /exactly one of q .* or id/],
      [`/api/search?q=${'a'.repeat(600)}`, 400, /q is 600 characters; the limit is 500/],
      ['/api/search?id=nope%27%20OR%201%3D1', 404, /no item 'nope' OR 1=1' in the index/],
      ['/api/space?method=tsne', 400, /method must be one of pca, umap/],
      ['/api/space?n=2', 400, /n must be an integer in \[3, 1000\]/],
      ['/api/info?x=1', 400, /unknown query parameter 'x'; allowed: none/],
      ['/nowhere', 404, /nothing at \/nowhere/],
    ];
    for (const [p, status, message] of cases) {
      const r = await request(port, p);
      expect(r.status, p).toBe(status);
      expect(r.type, p).toMatch(/application\/json/);
      expect(r.json.error, p).toMatch(message);
    }
    expect((await request(port, '/api/info', { method: 'DELETE' })).status).toBe(405);
    const rebinding = await request(port, '/api/info', { headers: { Host: 'evil.example:80' } });
    expect(rebinding.status).toBe(403);
    await alive();
  });

  it('without an index the run is still shown, and search says how to build one', async () => {
    const bare = await startExplorer({ run, port: 0, log: () => undefined });
    try {
      const info = await request(bare.port, '/api/info');
      expect(info.json['index']).toBeNull();
      const search = await request(bare.port, '/api/search?q=cat');
      expect(search.status).toBe(404);
      expect(search.json.error).toMatch(/no index loaded: start the explorer with --index <dir> \(build one with pnpm exp index/);
      expect((await request(bare.port, '/api/run')).status).toBe(200);
    } finally {
      await bare.close();
    }
    await expect(startExplorer({ run, index: path.join(root, 'missing'), port: 0, log: () => undefined })).rejects.toThrow(/No index at .*missing/);
  });
});
