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
export function curveSpec(title: string, yTitle: string, points: CurvePoint[], band: boolean): object {
  const x = { field: 'iteration', type: 'quantitative', title: 'iteration' };
  const color = { field: 'series', type: 'nominal', title: null };
  const layers: object[] = [
    { mark: { type: 'line', point: points.length < 60 }, encoding: { x, y: { aggregate: 'mean', field: 'value', type: 'quantitative', title: yTitle, scale: { zero: false } }, color } },
  ];
  if (band) layers.unshift({ mark: { type: 'errorband', extent: 'stdev', opacity: 0.2 }, encoding: { x, y: { field: 'value', type: 'quantitative', title: yTitle }, color } });
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title, width: 560, height: 260, data: { values: points }, layer: layers,
  };
}
