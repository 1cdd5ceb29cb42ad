// report.html: one self-contained page of tables and Vega-Lite charts rendered
// to inline SVG in Node (no scripts, no network: it opens anywhere, offline).
import * as fs from 'fs';
import * as path from 'path';
import { CurvePoint, curveSpec, renderSvg } from './charts';

export interface ReportTable {
  title: string;
  header: string[];
  rows: string[][];
  /** A line under the title (how to read the table). */
  note?: string;
  /** Cells of words, left-aligned (default: figures, right-aligned). */
  text?: boolean;
}

export interface ReportChart {
  title: string;
  yTitle: string;
  points: CurvePoint[];
  /** Mean line with a ±1 std band over seeds. */
  band?: boolean;
}

/** A piece of the page, in order: a table, a chart (any Vega-Lite spec), or blocks side by side. */
export type ReportBlock =
  | { kind: 'table'; table: ReportTable }
  | { kind: 'chart'; title: string; spec: object }
  | { kind: 'heading'; text: string }
  | { kind: 'row'; blocks: ReportBlock[] };

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function table(t: ReportTable): string {
  const head = t.header.map((h) => `<th>${escape(h)}</th>`).join('');
  const body = t.rows.map((r) => `<tr>${r.map((c) => `<td>${escape(c)}</td>`).join('')}</tr>`).join('\n');
  return `<section data-table="${escape(t.title)}"><h2>${escape(t.title)}</h2>\n${t.note ? `<p class="note">${escape(t.note)}</p>\n` : ''}` +
    `<table${t.text ? ' class="text"' : ''}><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table></section>`;
}

async function block(b: ReportBlock): Promise<string> {
  switch (b.kind) {
    case 'table':
      return table(b.table);
    case 'chart':
      return `<figure data-chart="${escape(b.title)}">${await renderSvg(b.spec)}</figure>`;
    case 'heading':
      return `<h2>${escape(b.text)}</h2>`;
    case 'row':
      return `<div class="row">${(await Promise.all(b.blocks.map(block))).join('\n')}</div>`;
  }
}

/** Line charts of curves; empty ones are left out. */
export function curveBlocks(charts: ReportChart[]): ReportBlock[] {
  return charts.filter((c) => c.points.length > 0).map((c) => ({ kind: 'chart', title: c.title, spec: curveSpec(c.title, c.yTitle, c.points, c.band ?? false) }));
}

/** Writes `<dir>/report.html` from `blocks` in order. */
export async function writePage(dir: string, title: string, subtitle: string, blocks: ReportBlock[]): Promise<string> {
  const parts: string[] = [];
  for (const b of blocks) parts.push(await block(b));
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escape(title)}</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 2rem; color: #222; }
table { border-collapse: collapse; margin: 0.5rem 0 1.5rem; }
th, td { border: 1px solid #ccc; padding: 4px 8px; text-align: right; }
th:first-child, td:first-child, table.text td, table.text th { text-align: left; }
figure { margin: 1rem 0; }
.row { display: flex; flex-wrap: wrap; gap: 1.5rem; align-items: flex-start; }
.note { color: #555; max-width: 60rem; }
</style></head>
<body>
<h1>${escape(title)}</h1>
<p>${escape(subtitle)}</p>
${parts.join('\n')}
</body></html>
`;
  const file = path.join(dir, 'report.html');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(file, html);
  return file;
}

/** The page of one run: its tables, then its curves. */
export async function writeReport(dir: string, title: string, subtitle: string, charts: ReportChart[], tables: ReportTable[]): Promise<string> {
  return writePage(dir, title, subtitle, [...tables.map((t): ReportBlock => ({ kind: 'table', table: t })), ...curveBlocks(charts)]);
}
