// report.html: learning curves as inline SVG (rendered in Node) and tables.
import * as fs from 'fs';
import * as path from 'path';
import { CurvePoint, curveSpec, renderSvg } from './charts';

export interface ReportTable {
  title: string;
  header: string[];
  rows: string[][];
}

export interface ReportChart {
  title: string;
  yTitle: string;
  points: CurvePoint[];
  /** Mean line with a ±1 std band over seeds. */
  band?: boolean;
}

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function table(t: ReportTable): string {
  const head = t.header.map((h) => `<th>${escape(h)}</th>`).join('');
  const body = t.rows.map((r) => `<tr>${r.map((c) => `<td>${escape(c)}</td>`).join('')}</tr>`).join('\n');
  return `<h2>${escape(t.title)}</h2>\n<table><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

export async function writeReport(dir: string, title: string, subtitle: string, charts: ReportChart[], tables: ReportTable[]): Promise<string> {
  const svgs: string[] = [];
  for (const c of charts) {
    if (c.points.length === 0) continue;
    svgs.push(`<figure data-chart="${escape(c.title)}">${await renderSvg(curveSpec(c.title, c.yTitle, c.points, c.band ?? false))}</figure>`);
  }
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escape(title)}</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 2rem; color: #222; }
table { border-collapse: collapse; margin: 0.5rem 0 1.5rem; }
th, td { border: 1px solid #ccc; padding: 4px 8px; text-align: right; }
th:first-child, td:first-child { text-align: left; }
figure { margin: 1rem 0; }
</style></head>
<body>
<h1>${escape(title)}</h1>
<p>${escape(subtitle)}</p>
${tables.map(table).join('\n')}
${svgs.join('\n')}
</body></html>
`;
  const file = path.join(dir, 'report.html');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(file, html);
  return file;
}
