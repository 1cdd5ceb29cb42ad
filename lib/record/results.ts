// Machine-readable results: results.json and results.csv.
import * as fs from 'fs';
import * as path from 'path';

function csvCell(value: unknown): string {
  const text = value === null || value === undefined ? '' : typeof value === 'number' ? String(value) : String(value);
  return /[",\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function writeResults(dir: string, json: unknown, rows: Record<string, unknown>[]): { json: string; csv: string } {
  fs.mkdirSync(dir, { recursive: true });
  const jsonPath = path.join(dir, 'results.json');
  const csvPath = path.join(dir, 'results.csv');
  const columns = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const csv = [columns.join(','), ...rows.map((r) => columns.map((c) => csvCell(r[c])).join(','))].join('\n') + '\n';
  // results.json last: its presence marks a finished run (ablate relies on it).
  fs.writeFileSync(csvPath, csv);
  fs.writeFileSync(`${jsonPath}.tmp`, JSON.stringify(json, null, 2));
  fs.renameSync(`${jsonPath}.tmp`, jsonPath);
  return { json: jsonPath, csv: csvPath };
}
