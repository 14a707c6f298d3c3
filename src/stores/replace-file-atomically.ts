import { randomBytes } from 'node:crypto';
import { closeSync, fchmodSync, fsyncSync, openSync, realpathSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileStoreError } from './file-store-error';

/**
 * Replace the content of the file at `path` atomically, so a reader (or a crash) sees the old
 * content or the new one, never a mix: a temporary file in the same directory with the
 * original's permissions (`newFileMode` when the file does not exist yet), written, fsynced,
 * then renamed over it, and the directory fsynced. A symlink is followed: its target is
 * replaced and the link kept. Writers in other processes are not locked out: the last rename wins.
 *
 * @param store - the store named in errors (`json registrant store`)
 * @param newFileMode - permissions of a file created here; when undefined the file must exist
 * @throws {@link StoreError} (via {@link fileStoreError}) when the file cannot be stat'ed or rewritten
 */
export function replaceFileAtomically(store: string, path: string, text: string, newFileMode?: number): void {
  let target: string;
  let mode: number;
  try {
    target = realpathSync(path);
    mode = statSync(target).mode & 0o777;
  } catch (error) {
    if (newFileMode === undefined || (error as { code?: unknown }).code !== 'ENOENT') throw fileStoreError(store, path, 'stat', error);
    target = path;
    mode = newFileMode;
  }
  const temp = join(dirname(target), `.${basename(target)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const fd = openSync(temp, 'wx', mode);
    try {
      const bytes = Buffer.from(text, 'utf8');
      for (let done = 0; done < bytes.length; ) done += writeSync(fd, bytes, done, bytes.length - done);
      fchmodSync(fd, mode);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, target);
  } catch (error) {
    try {
      unlinkSync(temp);
    } catch {
      // The temporary file was never created, or is already renamed.
    }
    throw fileStoreError(store, path, 'rewrite', error);
  }
  try {
    const dir = openSync(dirname(target), 'r');
    try {
      fsyncSync(dir);
    } finally {
      closeSync(dir);
    }
  } catch {
    // Best effort: some platforms cannot fsync a directory; the rename itself is done.
  }
}
