// Relative links in README.md, CONTRIBUTING.md and docs/*.md point at files
// that exist and, with a #fragment, at a heading of that file (GitHub's slugs).
// docs/api.md's own in-page fragments are TypeDoc's business and not checked
// (typedoc-plugin-markdown numbers one of them, #modelsummary-1, as if its
// heading were repeated).
import * as fs from 'fs';
import * as path from 'path';

const root = path.join(__dirname, '..', '..');
const files = ['README.md', 'CONTRIBUTING.md', ...fs.readdirSync(path.join(root, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

/** GitHub's heading anchors (lower case, punctuation dropped, spaces to hyphens, -1, -2 … for repeats) and explicit ids. */
function anchors(markdown: string): Set<string> {
  const out = new Set<string>();
  const text = markdown.replace(/```[\s\S]*?```/g, '');
  for (const line of text.split('\n')) {
    const m = line.match(/^#{1,6}\s+(.*)$/);
    if (!m) continue;
    const slug = m[1].trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-');
    let unique = slug;
    for (let n = 1; out.has(unique); n++) unique = `${slug}-${n}`;
    out.add(unique);
  }
  for (const [, id] of text.matchAll(/<a id="([^"]+)"/g)) out.add(id);
  return out;
}

test.each(files)('%s: relative links resolve', (file) => {
  const text = fs.readFileSync(path.join(root, file), 'utf8').replace(/```[\s\S]*?```/g, '');
  const broken: string[] = [];
  for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
    if (/^[a-z]+:/.test(target)) continue; // https:, mailto:
    const [link, fragment] = target.split('#');
    if (!link && file === 'docs/api.md') continue;
    const resolved = link ? path.join(path.dirname(path.join(root, file)), link) : path.join(root, file);
    if (!fs.existsSync(resolved)) broken.push(target);
    else if (fragment && resolved.endsWith('.md') && !anchors(fs.readFileSync(resolved, 'utf8')).has(fragment)) broken.push(target);
  }
  expect(broken).toEqual([]);
});
