import { invalidParam, MiError, MI_ERROR_CODES, type MiCommand, type MiParams, type StatisticsGroup } from './mi-command';

/** Options of {@link coreCommands}. */
export interface CoreCommandsOptions {
  /** The statistics groups `get_statistics` and `reset_statistics` see. */
  readonly groups: readonly StatisticsGroup[];
  /** The server's other commands, which `which` lists after the core ones. */
  readonly commands: readonly MiCommand[];
  /** What `version` answers as the server's version (sipreg's package version). */
  readonly version: string;
}

/** The statistics `selectors` name, as `group:name` keys: `all`, a group `registrar:`, `registrar:accepted_regs`, or a name alone. */
async function selectStatistics(groups: readonly StatisticsGroup[], selectors: readonly string[]): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  const read = new Map<StatisticsGroup, Readonly<Record<string, number>>>();
  const valuesOf = async (g: StatisticsGroup): Promise<Readonly<Record<string, number>>> => {
    const values = read.get(g) ?? (await g.read());
    read.set(g, values);
    return values;
  };
  for (const selector of selectors) {
    const colon = selector.indexOf(':');
    const groupName = colon < 0 ? undefined : selector.slice(0, colon);
    const name = colon < 0 ? selector : selector.slice(colon + 1);
    const inGroups = selector === 'all' ? groups : groups.filter((g) => groupName === undefined || g.group === groupName);
    let found = false;
    for (const g of inGroups) {
      for (const [stat, value] of Object.entries(await valuesOf(g))) {
        if (selector !== 'all' && name !== '' && stat !== name) continue;
        out[`${g.group}:${stat}`] = value;
        found = true;
      }
    }
    if (!found) throw invalidParam('statistics', `no statistic or group '${selector}'; groups here: ${groups.map((g) => `${g.group}:`).join(', ')} (or all)`);
  }
  return out;
}

const STATISTICS_PARAM = { name: 'statistics', kind: 'string[]', required: true, help: "'all', groups ('registrar:', 'usrloc:', 'mid_registrar:', 'uac_registrant:') or names ('registrar:accepted_regs', 'accepted_regs')" } as const;

/**
 * The OpenSIPS core MI commands over these groups and commands: `uptime`, `version`, `which`,
 * `get_statistics` (answers `{"registrar:accepted_regs": 12, ...}` as OpenSIPS does) and
 * `reset_statistics` (zeroes the counters among the selected statistics; gauges and settings stay).
 */
export function coreCommands(options: CoreCommandsOptions): MiCommand[] {
  const startedAt = new Date();
  const { groups } = options;
  const core: MiCommand[] = [
    {
      name: 'uptime',
      help: 'when the server started and how long it has run',
      params: [],
      run: () => {
        const now = new Date();
        return { Now: now.toString(), 'Up since': startedAt.toString(), 'Up time': `${Math.floor((now.getTime() - startedAt.getTime()) / 1000)} [sec]` };
      },
    },
    {
      name: 'version',
      help: "the server's version and the Node.js running it",
      params: [],
      run: () => ({ Server: `sipreg (${options.version} (node ${process.version} ${process.platform}/${process.arch}))`, version: options.version, node: process.version }),
    },
    {
      name: 'which',
      help: 'the commands with their parameters, or those of one command',
      params: [{ name: 'command', kind: 'string', help: 'only this command' }],
      run: (params: MiParams) => {
        const all = [...core, ...options.commands];
        const wanted = params.command === undefined ? all : all.filter((c) => c.name === params.command);
        if (wanted.length === 0) throw new MiError(MI_ERROR_CODES.notFound, `no command '${String(params.command)}'`, { command: params.command });
        return wanted.map((c) => ({ name: c.name, help: c.help, params: c.params.map((p) => ({ name: p.name, kind: p.kind, required: p.required ?? false, help: p.help })) }));
      },
    },
    {
      name: 'get_statistics',
      help: 'statistics by group:name, e.g. statistics=["registrar:", "usrloc:"] or ["all"]',
      params: [STATISTICS_PARAM],
      run: (params: MiParams) => selectStatistics(groups, params.statistics as string[]),
    },
    {
      name: 'reset_statistics',
      help: 'zero the counters among the statistics selected as for get_statistics (gauges and settings stay)',
      params: [STATISTICS_PARAM],
      run: async (params: MiParams) => {
        const selected = await selectStatistics(groups, params.statistics as string[]);
        await Promise.all(groups.map((g) => {
          const names = Object.keys(selected).filter((key) => key.startsWith(`${g.group}:`)).map((key) => key.slice(g.group.length + 1));
          return names.length === 0 ? undefined : g.reset?.(names);
        }));
        return selectStatistics(groups, params.statistics as string[]);
      },
    },
  ];
  return core;
}
