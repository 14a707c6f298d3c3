import { createInterface } from 'node:readline';

/**
 * The first line of standard input without its line end (`\n` or `\r\n`), or undefined when
 * stdin ends before any line; stdin is released afterwards, so the command can exit. On a
 * terminal `prompt` is written to stderr first (the typed line is echoed: pipe a secret in
 * rather than type it where others can see the screen).
 */
export function readStdinLine(prompt: string): Promise<string | undefined> {
  const input = process.stdin;
  if (input.isTTY) process.stderr.write(prompt);
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input, terminal: false });
    let line: string | undefined;
    lines.once('line', (text) => {
      line = text;
      lines.close();
    });
    lines.once('close', () => {
      input.destroy();
      resolve(line);
    });
    input.once('error', reject);
  });
}
