import type { AorPage, LocationStore } from '../ports/location-store';
import { ConfigError } from '../errors/sdk-error';
import { invalidParam } from './mi-command';

/** A cursor of the fallback listing: the number of AORs the previous pages listed. */
const OFFSET = /^\d{1,15}$/;

/**
 * One page of the store's AORs for `ul_dump`: through {@link LocationStore.aorPage} when the store
 * has it; otherwise by iterating {@link LocationStore.aors} and skipping the AORs of the pages
 * before (the cursor is their number), which reads every earlier AOR again for each page: slow
 * for a large custom store, never more than one page in memory. A cursor the store refuses is a
 * -32602 error naming `cursor`.
 */
export async function pageAors(store: LocationStore, cursor: string | undefined, limit: number): Promise<AorPage> {
  if (store.aorPage !== undefined) {
    try {
      return await store.aorPage(cursor, limit);
    } catch (error) {
      if (cursor !== undefined && error instanceof ConfigError) throw invalidParam('cursor', error.message);
      throw error;
    }
  }
  if (cursor !== undefined && !OFFSET.test(cursor)) throw invalidParam('cursor', `'${cursor}' is not a cursor of this listing; start again without one`);
  const skip = cursor === undefined ? 0 : Number(cursor);
  const aors: string[] = [];
  let seen = 0;
  for await (const aor of store.aors()) {
    if (seen++ < skip) continue;
    if (aors.length === limit) return { aors, next: String(skip + limit) };
    aors.push(aor);
  }
  return { aors, next: undefined };
}
