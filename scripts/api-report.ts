import ts from 'typescript';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

/** The repository root (this file lives in `scripts/`). */
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/** The committed report, relative to the repository root. */
export const API_REPORT_FILE = 'api/sipreg.api.md';

/** {@link API_REPORT_FILE} as an absolute path. */
export const API_REPORT_PATH = join(ROOT, API_REPORT_FILE);

/** Every published entry point: its import specifier and its source file. */
export const API_ENTRY_POINTS: readonly { readonly specifier: string; readonly file: string }[] = [
  { specifier: 'sipreg', file: 'src/index.ts' },
  { specifier: 'sipreg/stores/memory', file: 'src/stores/memory.ts' },
  { specifier: 'sipreg/stores/sqlite', file: 'src/stores/sqlite.ts' },
  { specifier: 'sipreg/stores/redis', file: 'src/stores/redis.ts' },
  { specifier: 'sipreg/transports/node', file: 'src/transports/node.ts' },
  { specifier: 'sipreg/testing', file: 'src/testing/index.ts' },
];

const FORMAT = ts.TypeFormatFlags.NoTruncation | ts.TypeFormatFlags.UseAliasDefinedOutsideCurrentScope;

const printer = ts.createPrinter({ removeComments: true, newLine: ts.NewLineKind.LineFeed });

/** A node's source on one line, comments dropped. */
const textOf = (node: ts.Node): string =>
  printer.printNode(ts.EmitHint.Unspecified, node, node.getSourceFile()).replace(/\s+/g, ' ').trim();

const isInternal = (node: ts.Node): boolean => ts.getJSDocTags(node).some((t) => t.tagName.text === 'internal');

const hasModifier = (node: ts.Node, kind: ts.SyntaxKind): boolean =>
  ts.canHaveModifiers(node) && (ts.getModifiers(node) ?? []).some((m) => m.kind === kind);

/** Writes the declarations of one entry point, sorted by exported name. */
class EntryWriter {
  private readonly lines: string[] = [];

  constructor(private readonly checker: ts.TypeChecker) {}

  /** The text of a type: its annotation as written, else what the checker infers at `at`. */
  private typeText(annotation: ts.TypeNode | undefined, at: ts.Node): string {
    if (annotation !== undefined) return textOf(annotation);
    return this.checker.typeToString(this.checker.getTypeAtLocation(at), at, FORMAT);
  }

  /** An inferred type printed with one object member a line (indented two spaces a level). */
  private inferredMultiline(at: ts.Node): string {
    const flags = ts.NodeBuilderFlags.NoTruncation | ts.NodeBuilderFlags.MultilineObjectLiterals | ts.NodeBuilderFlags.UseAliasDefinedOutsideCurrentScope;
    const node = this.checker.typeToTypeNode(this.checker.getTypeAtLocation(at), at, flags);
    if (node === undefined) return this.typeText(undefined, at);
    return printer.printNode(ts.EmitHint.Unspecified, node, at.getSourceFile()).replace(/^( {4})+/gm, (indent) => '  '.repeat(indent.length / 4));
  }

  private params(node: ts.SignatureDeclaration): string {
    return node.parameters.map((p) => {
      const rest = p.dotDotDotToken === undefined ? '' : '...';
      const optional = p.questionToken !== undefined || p.initializer !== undefined ? '?' : '';
      return `${rest}${textOf(p.name)}${optional}: ${this.typeText(p.type, p)}`;
    }).join(', ');
  }

  /** `<T>(a: A, b?: B): R` of a function, method, constructor or call signature. */
  private signature(node: ts.SignatureDeclaration, withReturn = true): string {
    const tp = node.typeParameters === undefined ? '' : `<${node.typeParameters.map((t) => textOf(t)).join(', ')}>`;
    if (!withReturn) return `${tp}(${this.params(node)})`;
    let ret: string;
    if (node.type !== undefined) ret = textOf(node.type);
    else {
      const sig = this.checker.getSignatureFromDeclaration(node);
      ret = sig === undefined ? 'unknown' : this.checker.typeToString(this.checker.getReturnTypeOfSignature(sig), node, FORMAT);
    }
    return `${tp}(${this.params(node)}): ${ret}`;
  }

  /** Overloaded functions show their overloads, not the implementation. */
  private static signaturesOf<T extends ts.FunctionLikeDeclaration>(decls: readonly T[]): T[] {
    const overloads = decls.filter((d) => d.body === undefined);
    return overloads.length > 0 ? overloads : decls.slice();
  }

  /** A method whose symbol also has declarations without a body: the overloads are shown instead. */
  private isOverloaded(method: ts.MethodDeclaration): boolean {
    const decls = this.checker.getSymbolAtLocation(method.name)?.declarations ?? [];
    return decls.some((d) => d !== method && ts.isMethodDeclaration(d) && d.body === undefined);
  }

  private heritage(node: ts.ClassDeclaration | ts.InterfaceDeclaration): string {
    return (node.heritageClauses ?? []).map((h) => ` ${textOf(h)}`).join('');
  }

  private typeParams(node: ts.ClassDeclaration | ts.InterfaceDeclaration | ts.TypeAliasDeclaration): string {
    return node.typeParameters === undefined ? '' : `<${node.typeParameters.map((t) => textOf(t)).join(', ')}>`;
  }

  private member(member: ts.ClassElement | ts.TypeElement): string | undefined {
    if (hasModifier(member, ts.SyntaxKind.PrivateKeyword) || (member.name !== undefined && ts.isPrivateIdentifier(member.name))) return undefined;
    if (ts.isClassStaticBlockDeclaration(member) || ts.isSemicolonClassElement(member)) return undefined;
    const mods = [
      hasModifier(member, ts.SyntaxKind.ProtectedKeyword) ? 'protected ' : '',
      hasModifier(member, ts.SyntaxKind.StaticKeyword) ? 'static ' : '',
      hasModifier(member, ts.SyntaxKind.AbstractKeyword) ? 'abstract ' : '',
      hasModifier(member, ts.SyntaxKind.ReadonlyKeyword) ? 'readonly ' : '',
    ].join('');
    const name = member.name === undefined ? '' : textOf(member.name);
    const optional = 'questionToken' in member && member.questionToken !== undefined ? '?' : '';
    const tag = isInternal(member) ? '/** @internal */ ' : '';
    let text: string;
    if (ts.isConstructorDeclaration(member)) {
      if (member.body !== undefined && member.parent.members.some((m) => ts.isConstructorDeclaration(m) && m.body === undefined)) return undefined;
      text = `constructor${this.signature(member, false)}`;
    } else if (ts.isMethodDeclaration(member) || ts.isMethodSignature(member)) {
      if (ts.isMethodDeclaration(member) && member.body !== undefined && this.isOverloaded(member)) return undefined;
      text = `${name}${optional}${this.signature(member)}`;
    } else if (ts.isPropertyDeclaration(member) || ts.isPropertySignature(member)) {
      text = `${name}${optional}: ${this.typeText(member.type, member)}`;
    } else if (ts.isGetAccessorDeclaration(member)) {
      text = `get ${name}(): ${member.type === undefined ? this.typeText(undefined, member.name) : textOf(member.type)}`;
    } else if (ts.isSetAccessorDeclaration(member)) {
      text = `set ${name}(${this.params(member)})`;
    } else if (ts.isCallSignatureDeclaration(member) || ts.isConstructSignatureDeclaration(member)) {
      text = `${ts.isConstructSignatureDeclaration(member) ? 'new ' : ''}${this.signature(member)}`;
    } else {
      text = textOf(member).replace(/;$/, '');
    }
    return `  ${tag}${mods}${text};`;
  }

  private block(head: string, members: readonly (ts.ClassElement | ts.TypeElement)[]): void {
    const body = members.map((m) => this.member(m)).filter((m): m is string => m !== undefined);
    if (body.length === 0) this.lines.push(`${head} {}`);
    else this.lines.push(`${head} {`, ...body, '}');
  }

  /** One exported name: every declaration of the symbol it resolves to. */
  write(name: string, exported: ts.Symbol): void {
    const symbol = exported.flags & ts.SymbolFlags.Alias ? this.checker.getAliasedSymbol(exported) : exported;
    const decls = symbol.declarations ?? [];
    const functions = EntryWriter.signaturesOf(decls.filter(ts.isFunctionDeclaration));
    for (const d of decls) {
      const tag = isInternal(d) ? '/** @internal */\n' : '';
      const start = this.lines.length;
      if (ts.isFunctionDeclaration(d)) {
        if (!functions.includes(d)) continue;
        this.lines.push(`function ${name}${this.signature(d)};`);
      } else if (ts.isClassDeclaration(d)) {
        const abstract = hasModifier(d, ts.SyntaxKind.AbstractKeyword) ? 'abstract ' : '';
        this.block(`${abstract}class ${name}${this.typeParams(d)}${this.heritage(d)}`, d.members);
      } else if (ts.isInterfaceDeclaration(d)) {
        this.block(`interface ${name}${this.typeParams(d)}${this.heritage(d)}`, d.members);
      } else if (ts.isTypeAliasDeclaration(d)) {
        this.lines.push(`type ${name}${this.typeParams(d)} = ${textOf(d.type)};`);
      } else if (ts.isVariableDeclaration(d)) {
        const keyword = d.parent.flags & ts.NodeFlags.Const ? 'const' : 'let';
        // An inferred object type (an `as const` table) one member a line, so a changed entry is a one-line diff.
        const type = d.type === undefined ? this.inferredMultiline(d.name) : textOf(d.type);
        this.lines.push(`${keyword} ${name}: ${type};`);
      } else if (ts.isEnumDeclaration(d)) {
        this.lines.push(`enum ${name} { ${d.members.map((m) => textOf(m)).join(', ')} }`);
      } else if (ts.isModuleDeclaration(d)) {
        this.lines.push(`namespace ${name} ${d.body === undefined ? '{}' : textOf(d.body)}`);
      } else {
        this.lines.push(`/* ${ts.SyntaxKind[d.kind]} */ ${name};`);
      }
      if (tag !== '') this.lines[start] = `${tag}${this.lines[start]}`;
    }
  }

  text(): string {
    return this.lines.join('\n');
  }
}

/**
 * The public API of every entry point as Markdown: per entry point, each exported name with its
 * declaration (function signatures, class and interface members, type alias text, const types),
 * names sorted, `@internal` marked. Committed as {@link API_REPORT_FILE} so a change of the
 * public surface shows as a diff; `test/package/api-report.test.ts` fails when it is stale.
 */
export function apiReport(root: string = ROOT): string {
  const files = API_ENTRY_POINTS.map((e) => join(root, e.file));
  const program = ts.createProgram(files, {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    strict: true,
    skipLibCheck: true,
    noEmit: true,
    types: ['node'],
  });
  const checker = program.getTypeChecker();
  const out: string[] = [
    '# sipreg public API',
    '',
    'Generated by `npm run api-report` (scripts/write-api-report.ts) from the entry points; do not edit by hand.',
    'A change here is a change of the published surface: review it like one.',
  ];
  for (const entry of API_ENTRY_POINTS) {
    const source = program.getSourceFile(join(root, entry.file));
    const moduleSymbol = source === undefined ? undefined : checker.getSymbolAtLocation(source);
    if (moduleSymbol === undefined) throw new Error(`api-report: cannot read the exports of ${entry.file}`);
    const exports = checker.getExportsOfModule(moduleSymbol).slice().sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const writer = new EntryWriter(checker);
    for (const s of exports) writer.write(s.name, s);
    out.push('', `## \`${entry.specifier}\` (${entry.file}, ${exports.length} names)`, '', '```ts', writer.text(), '```');
  }
  return `${out.join('\n')}\n`;
}
