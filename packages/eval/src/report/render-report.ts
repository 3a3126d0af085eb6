import { z } from 'zod';
import type { FigureSpec } from '../plots/figure.js';
import { escapeHtml, jsonForScript, OFFLINE_CSP } from './html.js';
import { plotlyInlineSource } from './plotly-source.js';
import { REPORT_CSS } from './report-style.js';
import { writeFileAtomic } from '@modalab/core';

export interface ReportTable {
  columns: string[];
  /** Numbers are formatted (4 significant digits, integers as is); strings pass through. */
  rows: Array<Array<string | number>>;
}

export interface ReportSection {
  title: string;
  /** Plain text, HTML-escaped; a blank line starts a new paragraph. */
  text?: string;
  figures?: FigureSpec[];
  table?: ReportTable;
}

export interface ReportSpec {
  title: string;
  subtitle?: string;
  sections: ReportSection[];
}

const FigureSpecSchema = z.object({ data: z.array(z.record(z.unknown())), layout: z.record(z.unknown()) }).strict();
const ReportSpecSchema = z
  .object({
    title: z.string(),
    subtitle: z.string().optional(),
    sections: z.array(
      z
        .object({
          title: z.string(),
          text: z.string().optional(),
          figures: z.array(FigureSpecSchema).optional(),
          table: z.object({ columns: z.array(z.string()), rows: z.array(z.array(z.union([z.string(), z.number(), z.nan()]))) }).strict().optional(),
        })
        .strict(),
    ),
  })
  .strict();

/**
 * Figures are drawn on load; when all are done `<body data-plots-ready="N">` is set, which
 * tests and the PNG renderer wait for. A figure that fails shows its error in place.
 */
const LOADER = `
(function () {
  var figures = JSON.parse(document.getElementById('modalab-figures').textContent);
  var jobs = figures.map(function (fig, i) {
    var el = document.getElementById('figure-' + i);
    return Promise.resolve()
      .then(function () { return Plotly.newPlot(el, fig.data, fig.layout, { responsive: true, displaylogo: false }); })
      .catch(function (err) {
        el.className += ' figure-error';
        el.textContent = 'Figure ' + (i + 1) + ' failed: ' + (err && err.message ? err.message : err);
        console.error(err);
      });
  });
  Promise.all(jobs).then(function () { document.body.setAttribute('data-plots-ready', String(figures.length)); });
})();
`;

/**
 * One self-contained HTML page: plotly.js inlined, figures as JSON, no network references,
 * so it opens from a file, an archive or an e-mail attachment years later.
 */
export function renderReport(spec: ReportSpec): string {
  const parsed = ReportSpecSchema.safeParse(spec);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`renderReport: invalid spec at ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  const figures: FigureSpec[] = [];
  const body = spec.sections.map((section, i) => renderSection(section, i, figures)).join('\n');
  const toc =
    spec.sections.length > 1
      ? `<nav><ol>${spec.sections.map((s, i) => `<li><a href="#section-${i + 1}">${escapeHtml(s.title)}</a></li>`).join('')}</ol></nav>`
      : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${OFFLINE_CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(spec.title)}</title>
<style>${REPORT_CSS}</style>
</head>
<body>
<main>
<header>
<h1>${escapeHtml(spec.title)}</h1>
${spec.subtitle === undefined ? '' : `<p class="subtitle">${escapeHtml(spec.subtitle)}</p>`}
${toc}
</header>
${body}
</main>
<script type="application/json" id="modalab-figures">${jsonForScript(figures)}</script>
<script>${plotlyInlineSource()}</script>
<script>${LOADER}</script>
</body>
</html>
`;
}

/** renderReport, then an atomic write (a crash never leaves a half-written page). */
export async function writeReport(path: string, spec: ReportSpec): Promise<void> {
  await writeFileAtomic(path, renderReport(spec));
}

function renderSection(section: ReportSection, index: number, figures: FigureSpec[]): string {
  const parts = [`<section id="section-${index + 1}">`, `<h2>${escapeHtml(section.title)}</h2>`];
  if (section.text !== undefined) parts.push(renderText(section.text));
  for (const figure of section.figures ?? []) {
    parts.push(`<div class="figure" id="figure-${figures.length}"></div>`);
    figures.push(figure);
  }
  if (section.table !== undefined) parts.push(renderTable(section.table, section.title));
  parts.push('</section>');
  return parts.join('\n');
}

function renderText(text: string): string {
  return text
    .split(/\n\s*\n/)
    .map((para) => para.trim())
    .filter((para) => para !== '')
    .map((para) => `<p>${escapeHtml(para).replace(/\n/g, '<br>')}</p>`)
    .join('\n');
}

function renderTable(table: ReportTable, sectionTitle: string): string {
  table.rows.forEach((row, r) => {
    if (row.length !== table.columns.length) {
      throw new Error(
        `renderReport: table in section '${sectionTitle}' row ${r} has ${row.length} cells but there are ${table.columns.length} columns`,
      );
    }
  });
  const head = table.columns.map((c) => `<th>${escapeHtml(c)}</th>`).join('');
  const rows = table.rows
    .map((row) => `<tr>${row.map((cell) => (typeof cell === 'number' ? `<td class="num">${formatNumber(cell)}</td>` : `<td>${escapeHtml(cell)}</td>`)).join('')}</tr>`)
    .join('\n');
  return `<table>\n<thead><tr>${head}</tr></thead>\n<tbody>\n${rows}\n</tbody>\n</table>`;
}

export function formatNumber(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (!Number.isFinite(value)) return value > 0 ? '∞' : '−∞';
  if (Number.isInteger(value)) return String(value);
  // Four significant digits, but never exponent notation for ordinary magnitudes.
  const abs = Math.abs(value);
  if (abs >= 1000) return value.toFixed(1);
  if (abs >= 1e-4) return String(Number(value.toPrecision(4)));
  return value.toExponential(3);
}
