import { checkMiParams } from '../../src/management/check-mi-params';
import { MiError, type MiCommand } from '../../src/management/mi-command';

/**
 * Run command `name` of `commands` as the management interface server does, without HTTP: its
 * parameters checked against the declared ones first. Resolves to the `result`; rejects with the
 * {@link MiError} the call is answered with.
 */
export async function runMiCommand(commands: readonly MiCommand[], name: string, params?: Readonly<Record<string, unknown>> | readonly unknown[]): Promise<unknown> {
  const command = commands.find((c) => c.name === name);
  if (command === undefined) throw new Error(`no command '${name}' among ${commands.map((c) => c.name).join(', ')}`);
  const checked = checkMiParams(command, params);
  if (checked instanceof MiError) throw checked;
  return command.run(checked);
}
