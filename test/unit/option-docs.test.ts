// An option is described twice: by the TSDoc of its interface field (docs/api.md, editors) and by the help
// text of its table entry (--help, docs/options.md). The two are written for different readers, so they are
// not the same words, but they must not contradict each other. This test reads the TSDoc with the TypeScript
// compiler, for every exported `*OptionTable` of lib/options (a new table is covered without listing it), and
// checks for each option:
// - it has TSDoc at all (it is the API reference);
// - a default the TSDoc or the help states ("Default 16", "default `cpu`") is the table's default;
// - a device the help names (CPU, CUDA) is named by the TSDoc too, and "CUDA only" is said by both or neither.
import * as path from 'path';
import * as ts from 'typescript';
import * as options from '../../lib/options';
import type { OptionSpec } from '../../lib/options';

const root = path.join(__dirname, '..', '..');

interface Described {
  table: string;
  key: string;
  doc: string;
  spec: OptionSpec<unknown>;
}

/** Every option of every exported table, with the TSDoc of the interface field the table entry is typed by. */
function describedOptions(): Described[] {
  const entry = path.join(root, 'lib', 'options', 'index.ts');
  const program = ts.createProgram([entry], { strict: true, target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.CommonJS, types: [], noEmit: true });
  const checker = program.getTypeChecker();
  const moduleSymbol = checker.getSymbolAtLocation(program.getSourceFile(entry)!)!;
  const out: Described[] = [];
  for (const exported of checker.getExportsOfModule(moduleSymbol)) {
    if (!exported.name.endsWith('OptionTable')) continue;
    const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
    const declaration = symbol.valueDeclaration;
    if (!declaration) continue; // the OptionTable type itself
    if ( !ts.isVariableDeclaration(declaration) || !declaration.type || !ts.isTypeReferenceNode(declaration.type)) {
      throw new Error(`${exported.name}: expected a declaration typed OptionTable<Interface>`);
    }
    const optionsType = checker.getTypeFromTypeNode(declaration.type.typeArguments![0]);
    const table = (options as unknown as Record<string, Record<string, OptionSpec<unknown>>>)[exported.name];
    for (const property of optionsType.getProperties()) {
      const doc = ts.displayPartsToString(property.getDocumentationComment(checker));
      out.push({ table: exported.name, key: property.name, doc, spec: table[property.name] });
    }
  }
  return out;
}

const described = describedOptions();
const name = (d: Described): string => `${d.table}.${d.key}`;

/** The constant defaults a text states: "Default 16", "default: `cpu`", "(default 0.01)". */
function statedDefaults(text: string): string[] {
  const found = text.matchAll(/\b[Dd]efault:?\s+(`[^`]+`|'[^']+'|true\b|false\b|-?\d[\d_.]*(?:e-?\d+)?)/g);
  return [...found].map((m) => m[1].replace(/^[`']|[`']$/g, '').replace(/_/g, '').replace(/\.$/, ''));
}

/** Whether a stated default is the table's (numbers by value: "5e-4" is 0.0005). */
const sameDefault = (stated: string, value: unknown): boolean => (typeof value === 'number' ? Number(stated) === value : stated === String(value));

/** The devices a text names, and whether it restricts the option to CUDA. */
function devices(text: string): { names: Set<string>; cudaOnly: boolean } {
  return { names: new Set(text.match(/\b(CPU|CUDA)\b/g) ?? []), cudaOnly: /\bCUDA only\b/.test(text) };
}

test('the check reads the tables and their TSDoc', () => {
  expect(new Set(described.map((d) => d.table))).toEqual(new Set(Object.keys(options).filter((k) => k.endsWith('OptionTable'))));
  const amp = described.find((d) => d.table === 'trainOptionTable' && d.key === 'amp')!;
  expect(amp.doc).toMatch(/bf16|bfloat16/);
  expect(amp.spec.help).toMatch(/bf16/);
  // The checks themselves, on the texts this test was written against.
  expect(statedDefaults('Backbone depth. Default `resnet18`.')).toEqual(['resnet18']);
  expect(statedDefaults('Decoupled weight decay (default 0.01).')).toEqual(['0.01']);
  expect(statedDefaults('Host (MASTER_ADDR; default 127.0.0.1).')).toEqual(['127.0.0.1']);
  expect(statedDefaults('Default: true on CUDA')).toEqual(['true']);
  expect(devices('Mixed precision on CUDA ... CUDA only.')).toEqual({ names: new Set(['CUDA']), cudaOnly: true });
});

test('every option has TSDoc', () => {
  expect(described.filter((d) => d.doc.trim() === '').map(name)).toEqual([]);
});

test('a default stated in the TSDoc or the help is the table\'s', () => {
  const wrong: string[] = [];
  for (const d of described) {
    if (d.spec.default === undefined || typeof d.spec.default === 'object') continue;
    for (const [where, text] of [['TSDoc', d.doc], ['help', d.spec.help]]) {
      for (const stated of statedDefaults(text)) {
        if (!sameDefault(stated, d.spec.default)) wrong.push(`${name(d)}: the ${where} says default ${stated}, the table ${String(d.spec.default)}`);
      }
    }
  }
  expect(wrong).toEqual([]);
});

test('the TSDoc names every device the help names, and both or neither say "CUDA only"', () => {
  const wrong: string[] = [];
  for (const d of described) {
    const doc = devices(d.doc);
    const help = devices(d.spec.help);
    const missing = [...help.names].filter((n) => !doc.names.has(n));
    if (missing.length) wrong.push(`${name(d)}: the help names ${missing.join(', ')}, the TSDoc does not`);
    if (doc.cudaOnly !== help.cudaOnly) wrong.push(`${name(d)}: ${doc.cudaOnly ? 'the TSDoc' : 'the help'} says CUDA only, the ${doc.cudaOnly ? 'help' : 'TSDoc'} does not`);
  }
  expect(wrong).toEqual([]);
});
