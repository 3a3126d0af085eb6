// The explorer page: plain DOM and plotly (served by the explorer itself; no network beyond it).
import { gapOf, project, recallAtK, shift, unitRows } from './gap.js';

const $ = (id) => document.getElementById(id);
const state = { info: null, history: [], space: null, loaded: new Set() };
const KS = [1, 5, 10];

async function getJson(url, init) {
  const res = await fetch(url, init);
  const body = await res.json().catch(() => ({ error: `${res.status} ${res.statusText}` }));
  if (!res.ok) throw new Error(body.error ?? `${res.status} ${res.statusText}`);
  return body;
}

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') node.className = v;
    else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v);
  }
  for (const c of children) node.append(c);
  return node;
}

const pct = (x) => `${(100 * x).toFixed(1)}%`;
const thumbUrl = (hash) => `/thumb/${hash}.png`;

// Tabs
function showView(name) {
  for (const tab of document.querySelectorAll('nav [role=tab]')) tab.setAttribute('aria-selected', String(tab.dataset.view === name));
  for (const view of document.querySelectorAll('.view')) view.hidden = view.id !== `view-${name}`;
  if (name === 'map' && !state.loaded.has('map') && state.info?.index) loadSpace();
  if (name === 'training' && !state.loaded.has('training')) loadTraining();
  if (name === 'map' && state.space) Plotly.Plots.resize($('map'));
}

// Search
function describeQuery(query) {
  if (query.text !== undefined) return `“${query.text}”`;
  if (query.upload !== undefined) return 'an uploaded image';
  return `item ${query.label ?? query.id}`;
}

async function runSearch(query) {
  const k = $('k').value;
  const modality = query.modality ?? $('modality').value;
  $('modality').value = modality;
  $('search-status').textContent = 'searching…';
  document.body.removeAttribute('data-results');
  try {
    let out;
    if (query.file) {
      out = await getJson(`/api/search?k=${k}&modality=${encodeURIComponent(modality)}`, { method: 'POST', headers: { 'Content-Type': query.file.type || 'application/octet-stream' }, body: query.file });
    } else {
      const params = new URLSearchParams({ k, modality });
      if (query.text !== undefined) params.set('q', query.text);
      else params.set('id', query.id);
      out = await getJson(`/api/search?${params}`);
    }
    state.history.push(query);
    renderQueryLine();
    renderResults(out.hits);
    $('search-status').textContent = `${out.hits.length} results in ${out.ms.toFixed(1)} ms (exact search over the index)`;
    document.body.dataset.results = String(out.hits.length);
  } catch (err) {
    $('search-status').textContent = `error: ${err.message}`;
    document.body.dataset.results = 'error';
  }
}

function renderQueryLine() {
  const line = $('query-line');
  line.replaceChildren();
  const recent = state.history.slice(-5);
  recent.forEach((q, i) => {
    if (i > 0) line.append(el('span', { class: 'arrow' }, ' → '));
    const chip = el('span', { class: 'chip' });
    if (q.thumb) chip.append(el('img', { src: q.thumb, alt: '' }));
    chip.append(describeQuery(q));
    line.append(chip);
  });
}

function renderResults(hits) {
  const box = $('results');
  box.replaceChildren();
  for (const h of hits) {
    const card = el('article', { class: `card ${h.modality}`, tabindex: '0', title: 'click: use as the next query' });
    if (h.modality === 'image' && h.thumb) card.append(el('img', { src: thumbUrl(h.thumb), alt: h.text, loading: 'lazy' }));
    else card.append(el('blockquote', {}, h.text));
    card.append(el('div', { class: 'meta' }, el('span', { class: 'score' }, h.score.toFixed(3)), ' ', el('span', { class: 'muted' }, h.modality === 'image' ? h.text : h.label || h.group)));
    const next = (modality) => (e) => {
      e.stopPropagation();
      runSearch({ id: h.id, label: h.text, modality, thumb: h.thumb ? thumbUrl(h.thumb) : undefined });
    };
    card.append(el('div', { class: 'actions' }, el('button', { type: 'button', onclick: next('text') }, 'texts like this'), el('button', { type: 'button', onclick: next('image') }, 'images like this')));
    // A click crosses modalities: an image asks for its captions, a caption for its images.
    card.addEventListener('click', next(h.modality === 'image' ? 'text' : 'image'));
    box.append(card);
  }
}

function setupSearch() {
  $('search-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const text = $('q').value.trim();
    if (text === '') return void ($('search-status').textContent = 'type a description first');
    runSearch({ text });
  });
  $('upload').addEventListener('change', () => {
    const file = $('upload').files[0];
    if (!file) return;
    const limit = state.info.limits.maxUploadBytes;
    if (file.size > limit) return void ($('search-status').textContent = `error: ${file.name} is ${file.size} bytes; the limit is ${limit}`);
    runSearch({ file, upload: file.name, thumb: URL.createObjectURL(file), modality: $('modality').value });
    $('upload').value = '';
  });
}

// Embedding map and gap slider
async function loadSpace() {
  state.loaded.add('map');
  $('map-status').textContent = `projecting the sample…${$('projection').value === 'umap' ? ' (UMAP takes several seconds, longer on a busy CPU)' : ''}`;
  document.body.removeAttribute('data-map-ready');
  try {
    const space = await getJson(`/api/space?method=${$('projection').value}&n=${$('sample').value}`);
    state.space = { ...space, unitImage: unitRows(space.image), unitText: unitRows(space.text) };
    $('pair-count').textContent = String(space.n);
    drawMap();
    updateGap();
    $('map-status').textContent = '';
    document.body.dataset.mapReady = '1';
  } catch (err) {
    $('map-status').textContent = `error: ${err.message}`;
    state.loaded.delete('map');
  }
}

function pairLines(image, text) {
  const x = [];
  const y = [];
  image.forEach((p, i) => {
    x.push(p[0], text[i][0], null);
    y.push(p[1], text[i][1], null);
  });
  return { x, y };
}

function drawMap() {
  const s = state.space;
  const { image, text, axisTitles } = s.projection;
  const lines = pairLines(image, text);
  const markers = (pts, name, color) => ({
    type: 'scatter', mode: 'markers', name: `${name} (n=${pts.length})`,
    x: pts.map((p) => p[0]), y: pts.map((p) => p[1]),
    customdata: pts.map((_, i) => i), hoverinfo: 'none',
    marker: { color, size: 7, opacity: 0.8 },
  });
  const data = [
    { type: 'scatter', mode: 'lines', name: 'pairs', ...lines, line: { color: 'rgba(120,120,120,0.3)', width: 1 }, hoverinfo: 'skip' },
    markers(image, 'image', '#1f77b4'),
    markers(text, 'text', '#ff7f0e'),
  ];
  const layout = {
    title: { text: `${s.projection.method.toUpperCase()} of ${s.n} image-caption pairs` },
    xaxis: { title: { text: axisTitles[0] }, zeroline: false },
    yaxis: { title: { text: axisTitles[1] }, zeroline: false, scaleanchor: 'x', scaleratio: 1 },
    dragmode: 'pan', hovermode: 'closest', legend: { orientation: 'h', y: -0.15 },
    margin: { l: 60, r: 20, t: 50, b: 60 },
  };
  Plotly.newPlot('map', data, layout, { scrollZoom: true, displaylogo: false, responsive: true });
  const card = $('hover-card');
  $('map').on('plotly_hover', (ev) => {
    const p = ev.points[0];
    if (!p || p.curveNumber === 0) return;
    const i = p.customdata;
    card.querySelector('img').src = thumbUrl(s.thumbs[i]);
    card.querySelector('span').textContent = `${p.curveNumber === 1 ? 'image' : 'caption'}: ${s.captions[i]}${s.labels[i] ? ` (${s.labels[i]})` : ''}`;
    const e = ev.event;
    card.style.left = `${e.pageX + 14}px`;
    card.style.top = `${e.pageY + 14}px`;
    card.hidden = false;
  });
  $('map').on('plotly_unhover', () => (card.hidden = true));
}

let gapFrame = 0;
function updateGap() {
  const s = state.space;
  if (!s) return;
  const lambda = Number($('gap').value);
  $('lambda').textContent = lambda.toFixed(2);
  const shifted = shift(s.unitImage, s.unitText, lambda);
  const ks = KS.filter((k) => k <= s.n);
  const rows = [
    ['text → image', recallAtK(shifted.text, shifted.image, ks)],
    ['image → text', recallAtK(shifted.image, shifted.text, ks)],
  ];
  const body = $('recall-table').tBodies[0];
  body.replaceChildren(...rows.map(([name, r]) => el('tr', { 'data-direction': name.replace(' → ', '->') }, el('th', {}, name), ...KS.map((k) => (r[k] === undefined ? el('td', {}, '–') : el('td', { 'data-k': String(k), 'data-value': String(r[k]) }, pct(r[k])))))));
  const gap = gapOf(shifted.image, shifted.text);
  $('gap-value').textContent = gap.toFixed(3);
  $('gap-value').dataset.value = String(gap);
  document.body.dataset.lambda = String(lambda);
  if (s.projection.pca) {
    const image = project(shifted.image, s.projection.pca);
    const text = project(shifted.text, s.projection.pca);
    const lines = pairLines(image, text);
    Plotly.restyle('map', { x: [lines.x, image.map((p) => p[0]), text.map((p) => p[0])], y: [lines.y, image.map((p) => p[1]), text.map((p) => p[1])] }, [0, 1, 2]);
  }
}

function setupMap() {
  $('gap').addEventListener('input', () => {
    cancelAnimationFrame(gapFrame);
    gapFrame = requestAnimationFrame(updateGap);
  });
  for (const id of ['projection', 'sample']) {
    $(id).addEventListener('change', () => {
      $('gap').value = '0';
      loadSpace();
    });
  }
}

// Training curves and diagnostics
async function loadTraining() {
  state.loaded.add('training');
  $('training-status').textContent = 'loading the run…';
  try {
    const view = await getJson('/api/run');
    const rows = view.summary.map((r) =>
      el('tr', {}, el('td', {}, r.key), el('td', {}, r.value.toFixed(4)), el('td', {}, r.lower === undefined ? '' : `[${r.lower.toFixed(3)}, ${r.upper.toFixed(3)}]`), el('td', {}, r.chance === undefined ? '' : r.chance.toFixed(4))),
    );
    $('summary').replaceChildren(
      rows.length === 0
        ? el('p', { class: 'muted' }, 'No summary.json: the run has not finished its evaluation.')
        : el('table', { class: 'numbers' }, el('thead', {}, el('tr', {}, el('th', {}, 'metric'), el('th', {}, 'value'), el('th', {}, '95% CI'), el('th', {}, 'chance'))), el('tbody', {}, ...rows)),
    );
    if (view.files.includes('report.html')) $('report-link').replaceChildren(el('a', { href: '/run/report.html', target: '_blank', rel: 'noopener' }, 'the full run report'));
    const box = $('curves');
    box.replaceChildren();
    for (const f of view.figures) {
      const div = el('div', { class: 'plot curve' });
      box.append(el('h2', {}, f.title), el('p', { class: 'explain' }, f.caption), div);
      await Plotly.newPlot(div, f.figure.data, f.figure.layout, { displaylogo: false, responsive: true });
    }
    $('training-status').textContent = view.figures.length === 0 ? 'No metrics.jsonl rows to plot yet.' : '';
    document.body.dataset.trainingReady = String(view.figures.length);
  } catch (err) {
    $('training-status').textContent = `error: ${err.message}`;
    state.loaded.delete('training');
  }
}

async function main() {
  for (const tab of document.querySelectorAll('nav [role=tab]')) tab.addEventListener('click', () => showView(tab.dataset.view));
  setupSearch();
  setupMap();
  try {
    state.info = await getJson('/api/info');
  } catch (err) {
    $('run-info').textContent = `error: ${err.message}`;
    return;
  }
  const { run, index } = state.info;
  $('run-info').textContent = `run ${run.name} (${run.dir}, ${run.embedDim}-d, ${run.modalities.join(' + ')})` + (index ? ` · index of ${index.data}: ${Object.entries(index.counts).map(([m, n]) => `${n} ${m}`).join(', ')}` : '');
  if (!index) {
    $('no-index').hidden = false;
    $('no-index').textContent = 'No index loaded: search and the map need one. Build it with pnpm exp index --run <run> --data builtin:emoji --out <dir>, then pnpm exp serve --run <run> --index <dir>.';
    for (const id of ['q', 'upload', 'projection', 'sample', 'gap']) $(id).disabled = true;
  }
  document.body.dataset.ready = '1';
}

main();
