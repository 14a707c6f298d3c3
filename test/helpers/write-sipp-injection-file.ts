import { writeFileSync } from 'node:fs';

/**
 * Write a SIPp injection file (`-inf FILE`): the `SEQUENTIAL` order line, then one line per call,
 * its fields separated by `;` (`[field0]`, `[field1]` ... in the scenario). Call N of the run
 * reads line N, so each call of a run of `rows.length` calls has its own row.
 *
 * @param path - the file to write.
 * @param rows - one row of fields per call; a field must contain neither `;` nor a line break.
 */
export function writeSippInjectionFile(path: string, rows: readonly (readonly string[])[]): void {
  for (const row of rows) {
    const bad = row.find((field) => /[;\r\n]/.test(field));
    if (bad !== undefined) throw new Error(`SIPp injection field ${JSON.stringify(bad)} contains ';' or a line break`);
  }
  writeFileSync(path, `SEQUENTIAL\n${rows.map((row) => `${row.join(';')};`).join('\n')}\n`);
}
