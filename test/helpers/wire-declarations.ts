// The members lib/native.ts declares for each wire type, read with the TypeScript compiler's parser, so a test
// can hold what the addon returns against the declarations themselves (not a copy of them).
import * as fs from 'fs';
import * as path from 'path';
import * as ts from 'typescript';

/** A declared object shape: its members, which of them are optional, and the nested shapes of object members. */
export interface Shape {
  members: Record<string, { optional: boolean; nested: Shape[] }>;
  /** A map (`Record<string, …>`): any keys, each holding the nested shapes. */
  values?: Shape[];
}

const file = path.join(__dirname, '..', '..', 'lib', 'native.ts');
const source = ts.createSourceFile(file, fs.readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);

const declarations = new Map<string, ts.InterfaceDeclaration | ts.TypeAliasDeclaration>();
source.forEachChild((node) => {
  if (ts.isInterfaceDeclaration(node) || ts.isTypeAliasDeclaration(node)) declarations.set(node.name.text, node);
});

function membersOf(nodes: ts.NodeArray<ts.TypeElement>): Shape['members'] {
  const members: Shape['members'] = {};
  for (const member of nodes) {
    if (!ts.isPropertySignature(member) || !member.type) continue;
    members[member.name.getText(source)] = { optional: member.questionToken !== undefined, nested: shapesOf(member.type) };
  }
  return members;
}

/** The object shapes a type can take (one per union member; none for primitives and functions). */
function shapesOf(type: ts.TypeNode): Shape[] {
  if (ts.isParenthesizedTypeNode(type)) return shapesOf(type.type);
  if (ts.isUnionTypeNode(type)) return type.types.flatMap(shapesOf);
  if (ts.isArrayTypeNode(type)) return shapesOf(type.elementType);
  if (ts.isTypeLiteralNode(type)) return [{ members: membersOf(type.members) }];
  if (ts.isIntersectionTypeNode(type)) {
    const parts = type.types.map(shapesOf);
    return [{ members: Object.assign({}, ...parts.map((p) => p[0]?.members ?? {})) }];
  }
  if (ts.isTypeReferenceNode(type) && ts.isIdentifier(type.typeName) && type.typeName.text === 'Record' && type.typeArguments?.length === 2) {
    return [{ members: {}, values: shapesOf(type.typeArguments[1]) }];
  }
  if (ts.isTypeReferenceNode(type) && ts.isIdentifier(type.typeName) && declarations.has(type.typeName.text)) {
    return declared(type.typeName.text);
  }
  return [];
}

/** The shapes of an interface (with the members it extends) or type alias of lib/native.ts. */
export function declared(name: string): Shape[] {
  const node = declarations.get(name);
  if (!node) throw new Error(`lib/native.ts declares no ${name}`);
  if (ts.isTypeAliasDeclaration(node)) return shapesOf(node.type);
  const inherited = (node.heritageClauses ?? []).flatMap((clause) => clause.types)
    .map((base) => declared(base.expression.getText(source))[0]?.members ?? {});
  return [{ members: Object.assign({}, ...inherited, membersOf(node.members)) }];
}

/**
 * The differences between a value and the shape it should have: members it has that the declaration lacks,
 * and required members it lacks, with their paths. Nested objects are compared with the declared shape whose
 * members fit them best (a union's variants).
 */
export function mismatches(value: unknown, shapes: Shape[], at = ''): string[] {
  if (value === null || typeof value !== 'object' || ArrayBuffer.isView(value)) return [];
  if (Array.isArray(value)) return value.flatMap((item, i) => mismatches(item, shapes, `${at}[${i}]`));
  if (shapes.length === 0) return [`${at || '(value)'}: an object where the declaration has none`];
  const candidates = shapes.map((shape) => {
    const found: string[] = [];
    const object = value as Record<string, unknown>;
    if (shape.values) return Object.entries(object).flatMap(([key, item]) => mismatches(item, shape.values ?? [], `${at}.${key}`));
    for (const key of Object.keys(object)) {
      const member = shape.members[key];
      if (!member) found.push(`${at}.${key}: returned, not declared`);
      else found.push(...mismatches(object[key], member.nested, `${at}.${key}`));
    }
    for (const [key, member] of Object.entries(shape.members)) {
      if (!member.optional && !(key in object)) found.push(`${at}.${key}: declared, not returned`);
    }
    return found;
  });
  return candidates.reduce((best, next) => (next.length < best.length ? next : best));
}
