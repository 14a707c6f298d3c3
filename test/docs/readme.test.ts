import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import ts from 'typescript';
import { REGISTRAR_USAGE } from '../../src/cli/registrar-command';
import { MID_REGISTRAR_USAGE } from '../../src/cli/mid-registrar-command';
import { REGISTRANT_USAGE } from '../../src/cli/registrant-command';
import { USER_USAGE } from '../../src/cli/user-command';
import { MI_USAGE } from '../../src/cli/mi-client-command';

/**
 * The README and the pages under docs/ promise only what exists: every `sipreg` flag they name
 * is a flag of a command, every relative link reaches a file (and heading), and the README's
 * library example type-checks as written against the sources.
 */
const ROOT = resolve(import.meta.dirname, '../..');
const PAGES = ['README.md', ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
const text = (page: string): string => readFileSync(join(ROOT, page), 'utf8');

/** Flags of other programs the pages show: node, npm, tsc, valgrind and the examples' self-check. */
const OTHER_PROGRAMS_FLAGS = new Set(['import', 'expose-gc', 'omit', 'noEmit', 'smoke', 'cpu-prof', 'trace-gc', 'single-threaded-gc', 'single-threaded', 'no-allocation-site-pretenuring', 'tool', 'cache-sim', 'no-concurrent-marking', 'max-semi-space-size']);

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces as hyphens. */
const anchorOf = (heading: string): string => heading.trim().toLowerCase().replace(/[^\p{L}\p{N} _-]/gu, '').replace(/ /g, '-');

describe('README and docs/', () => {
  it.each(PAGES)('%s names only flags the sipreg commands have', (page) => {
    const known = new Set([...`${REGISTRAR_USAGE}${MID_REGISTRAR_USAGE}${REGISTRANT_USAGE}${USER_USAGE}${MI_USAGE}`.matchAll(/--([a-z][a-z0-9-]*)/g)].map((m) => m[1]));
    known.add('help').add('version');
    // `--pn-*` names a family of flags: some flag must start with `pn-`.
    const exists = (flag: string): boolean => (flag.endsWith('*') ? [...known].some((k) => k.startsWith(flag.slice(0, -1))) : known.has(flag));
    const named = [...text(page).matchAll(/(?<![\w-])--([a-zA-Z][a-zA-Z0-9-]*\*?)/g)].map((m) => m[1]);
    expect(named.filter((flag) => !exists(flag) && !OTHER_PROGRAMS_FLAGS.has(flag))).toEqual([]);
  });

  it.each(PAGES)('%s links only to files and headings that exist', (page) => {
    const broken: string[] = [];
    for (const [, target] of text(page).matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^[a-z]+:/.test(target)) continue;
      const [path, anchor] = target.split('#');
      const file = path === '' ? join(ROOT, page) : resolve(ROOT, dirname(page), path);
      if (!existsSync(file)) broken.push(target);
      else if (anchor !== undefined && file.endsWith('.md')) {
        const anchors = [...readFileSync(file, 'utf8').matchAll(/^#+ (.+)$/gm)].map((m) => anchorOf(m[1]));
        if (!anchors.includes(anchor)) broken.push(target);
      }
    }
    expect(broken).toEqual([]);
  });

  it("the README's library example type-checks as written", () => {
    const readme = text('README.md');
    const section = readme.slice(readme.indexOf('## Use it as a library'));
    const example = /```ts\n([\s\S]*?)```/.exec(section)?.[1];
    expect(example).toContain("from 'sipreg'");
    const config = ts.getParsedCommandLineOfConfigFile(join(ROOT, 'tsconfig.json'), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => undefined });
    const file = join(ROOT, 'readme-example.ts');
    const host = ts.createCompilerHost(config!.options);
    const getSourceFile = host.getSourceFile.bind(host);
    host.getSourceFile = (name, version, ...rest) => (name === file ? ts.createSourceFile(name, example!, version) : getSourceFile(name, version, ...rest));
    const fileExists = host.fileExists.bind(host);
    host.fileExists = (name) => name === file || fileExists(name);
    const program = ts.createProgram({ rootNames: [file], options: config!.options, host });
    const problems = ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    expect(problems).toEqual([]);
  }, 60_000);
});
