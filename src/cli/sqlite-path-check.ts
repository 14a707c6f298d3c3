import { statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { CliRuntimeError } from './cli-runtime-error';

/**
 * Check the file of a `sqlite:PATH` flag before anything opens it, so that a mistyped path is
 * one line and exit 1 instead of an SQLite error or a new empty database: its directory must
 * exist, and with `mustExist` the file itself (a table someone else fills, such as the
 * registrants). `':memory:'` always passes.
 * @throws {@link CliRuntimeError} such as `--store sqlite:/nonexistent/x.db: directory /nonexistent does not exist`
 */
export function checkSqlitePath(flag: string, spec: string, path: string, mustExist: boolean): void {
  if (path === ':memory:') return;
  const dir = dirname(resolve(path));
  const kind = (p: string): 'file' | 'directory' | 'other' | undefined => {
    try {
      const s = statSync(p);
      return s.isDirectory() ? 'directory' : s.isFile() ? 'file' : 'other';
    } catch {
      return undefined;
    }
  };
  const dirKind = kind(dir);
  if (dirKind === undefined) throw new CliRuntimeError(`${flag} ${spec}: directory ${dir} does not exist`);
  if (dirKind !== 'directory') throw new CliRuntimeError(`${flag} ${spec}: ${dir} is not a directory`);
  const fileKind = kind(path);
  if (fileKind === 'directory') throw new CliRuntimeError(`${flag} ${spec}: ${resolve(path)} is a directory, not a database file`);
  if (mustExist && fileKind === undefined) throw new CliRuntimeError(`${flag} ${spec}: file ${resolve(path)} does not exist`);
}
