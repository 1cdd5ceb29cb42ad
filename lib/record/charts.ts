// Vega-Lite charts rendered to SVG strings in Node (no browser, no canvas).
// eslint-disable-next-line @typescript-eslint/no-var-requires
const vega = require('vega') as { parse(spec: object): object; View: new (runtime: object, options: object) => { toSVG(): Promise<string> } };
// eslint-disable-next-line @typescript-eslint/no-var-requires
const vegaLite = require('vega-lite') as { compile(spec: object): { spec: object } };

export async function renderSvg(spec: object): Promise<string> {
  const view = new vega.View(vega.parse(vegaLite.compile(spec).spec), { renderer: 'none' });
  return view.toSVG();
}

export interface CurvePoint {
  series: string;
  iteration: number;
  value: number;
  seed?: number;
}

/** Lines per series; with several seeds per series, the mean line and a ±1 std band. */
export function curveSpec(title: string, yTitle: string, points: CurvePoint[], band: boolean, width = 560): object {
  const x = { field: 'iteration', type: 'quantitative', title: 'iteration' };
  const color = { field: 'series', type: 'nominal', title: null };
  const layers: object[] = [
    { mark: { type: 'line', point: points.length < 60 }, encoding: { x, y: { aggregate: 'mean', field: 'value', type: 'quantitative', title: yTitle, scale: { zero: false } }, color } },
  ];
  if (band) layers.unshift({ mark: { type: 'errorband', extent: 'stdev', opacity: 0.2 }, encoding: { x, y: { field: 'value', type: 'quantitative', title: yTitle }, color } });
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title, width, height: 260, data: { values: points }, layer: layers,
  };
}

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v5.json';

/** One row of the forest plot: a paired difference with its interval. */
export interface ForestRow {
  /** "dual-add vs se" (one row per comparison, in this order top to bottom). */
  label: string;
  difference: number;
  low: number;
  high: number;
  /** The interval's verdict, for the colour. */
  verdict: string;
}

/** Forest plot: each comparison's mean paired difference as a dot, its interval as a bar, a zero line. */
export function forestSpec(title: string, xTitle: string, rows: ForestRow[]): object {
  const y = { field: 'label', type: 'nominal', title: null, sort: rows.map((r) => r.label) };
  const color = { field: 'verdict', type: 'nominal', title: 'verdict', legend: { labelLimit: 260 }, scale: { domain: ['better', 'no significant difference', 'worse'], range: ['#1a7f37', '#777777', '#cf222e'] } };
  return {
    $schema: SCHEMA, title, width: 480, height: Math.max(60, 28 * rows.length),
    layer: [
      { data: { values: rows }, mark: { type: 'rule', strokeWidth: 2 }, encoding: { y, x: { field: 'low', type: 'quantitative', title: xTitle }, x2: { field: 'high' }, color } },
      { data: { values: rows }, mark: { type: 'point', filled: true, size: 70 }, encoding: { y, x: { field: 'difference', type: 'quantitative' }, color } },
      { data: { values: [{ zero: 0 }] }, mark: { type: 'rule', strokeDash: [4, 3], color: '#000' }, encoding: { x: { field: 'zero', type: 'quantitative' } } },
    ],
  };
}

/** Seeds as dots per variant, with the mean and its interval beside them. */
export function seedDotsSpec(title: string, yTitle: string, seeds: { variant: string; seed: number; value: number }[], means: { variant: string; mean: number; low: number; high: number }[]): object {
  const x = { field: 'variant', type: 'nominal', title: null, sort: means.map((m) => m.variant) };
  const withInterval = means.filter((m) => Number.isFinite(m.low));
  return {
    $schema: SCHEMA, title, width: Math.max(240, 80 * means.length), height: 260,
    layer: [
      ...(withInterval.length ? [{ data: { values: withInterval }, mark: { type: 'rule', strokeWidth: 2, color: '#333' }, encoding: { x, y: { field: 'low', type: 'quantitative', title: yTitle, scale: { zero: false } }, y2: { field: 'high' } } }] : []),
      { data: { values: means }, mark: { type: 'tick', thickness: 2, size: 28, color: '#333' }, encoding: { x, y: { field: 'mean', type: 'quantitative', title: yTitle, scale: { zero: false } } } },
      {
        data: { values: seeds }, mark: { type: 'point', filled: true, size: 50, opacity: 0.8 },
        encoding: { x, xOffset: { field: 'seed', type: 'nominal' }, y: { field: 'value', type: 'quantitative', title: yTitle, scale: { zero: false } }, color: { field: 'variant', type: 'nominal', legend: null } },
      },
    ],
  };
}

/** A confusion matrix as a heatmap: true class down, predicted across, counts written in the cells. */
export function confusionSpec(title: string, classNames: string[], confusion: number[][]): object {
  const values = confusion.flatMap((row, t) => row.map((count, p) => ({ truth: classNames[t] ?? String(t), predicted: classNames[p] ?? String(p), count })));
  const order = confusion.map((_, i) => classNames[i] ?? String(i));
  const x = { field: 'predicted', type: 'ordinal', sort: order, title: 'predicted' };
  const y = { field: 'truth', type: 'ordinal', sort: order, title: 'true class' };
  const max = Math.max(1, ...values.map((v) => v.count));
  return {
    $schema: SCHEMA, title, width: 28 * order.length + 40, height: 28 * order.length, data: { values },
    layer: [
      { mark: 'rect', encoding: { x, y, color: { field: 'count', type: 'quantitative', scale: { scheme: 'blues' }, title: 'count' } } },
      { mark: { type: 'text', fontSize: 9 }, encoding: { x, y, text: { field: 'count', type: 'quantitative' }, color: { condition: { test: `datum.count > ${max / 2}`, value: 'white' }, value: 'black' } } },
    ],
  };
}
