/**
 * The two markdown tables of a bench that measures servers with `rate-search.ts`: the summary
 * (CPU per call from the alternating rounds next to the highest clean and lowest saturated rate
 * of the search), and every step of the rate searches. The benches differ only in their words
 * (what a row is, what one SIPp call is) and in the decimals of CPU per call.
 * Not a bench itself (`bench/run.ts` runs `*.bench.ts` files only).
 */
import { fmt, median } from '../bench-kit';
import type { StepResult } from './rate-search';

/** How a bench names its columns. */
export interface RateTableWords {
  /** Headers of the two label columns, the first naming what is measured (the steps' CPU headers say it too), e.g. `['server', 'REGISTER']`. */
  readonly labels: readonly [measured: string, string];
  /** One SIPp call: `'REGISTER'`, `'call'`. */
  readonly unit: string;
  /** Calls per second: `'REGISTER/s'`, `'calls/s'`. */
  readonly perSecond: string;
  /** Headers of the steps' offered, achieved (SIPp `CallRate(C)`) and completed rates. */
  readonly rates: readonly [offered: string, achieved: string, completed: string];
  /** Decimals of CPU µs per call. */
  readonly decimals: number;
  /** The rate of the alternating CPU rounds, calls/s. */
  readonly cpuRate: number;
}

/** What one target did under one load kind: its label cells, CPU rounds and rate search. */
export interface RateRow {
  readonly labels: readonly [string, string];
  /** The alternating rounds at the CPU rate. */
  readonly rounds: readonly StepResult[];
  /** The steps of the rate search (empty when the budget ran out first). */
  readonly search: readonly StepResult[];
}

/** A share (0–1) as a percentage with two decimals. */
export const percent = (share: number): string => (share * 100).toFixed(2);

const table = (header: readonly string[], align: string, lines: readonly (readonly string[])[]): string =>
  [`| ${header.join(' | ')} |`, align, ...lines.map((line) => `| ${line.join(' | ')} |`)].join('\n');

/** The CPU rounds and the rate search side by side: one line per row. */
export function rateSummaryTable(words: RateTableWords, rows: readonly RateRow[]): string {
  const cpuUs = (step: StepResult): number => step.cpuUsPerCall;
  const lines = rows.map((row) => {
    const clean = row.search.filter((step) => step.clean).map((step) => step.offeredRate);
    const saturated = row.search.filter((step) => !step.clean).map((step) => step.offeredRate);
    const measured = row.rounds.length > 0;
    return [
      ...row.labels,
      measured ? median(row.rounds.map(cpuUs)).toFixed(words.decimals) : '–',
      row.rounds.map((step) => cpuUs(step).toFixed(words.decimals)).join(', '),
      measured ? percent(Math.max(...row.rounds.map((step) => step.failedShare))) : '–',
      clean.length === 0 ? (row.search.length === 0 ? 'not searched' : 'none') : fmt(Math.max(...clean)),
      saturated.length === 0 ? '–' : fmt(Math.min(...saturated)),
    ];
  });
  const at = `at ${fmt(words.cpuRate)}/s`;
  const header = [
    ...words.labels,
    `CPU µs / ${words.unit} ${at} (median)`,
    'the rounds',
    `worst failed % ${at}`,
    `highest clean ${words.perSecond}`,
    `lowest saturated ${words.perSecond}`,
  ];
  return table(header, '|---|---|---:|---|---:|---:|---:|', lines);
}

/** Every step of the rate searches, one line each. */
export function rateStepsTable(words: RateTableWords, rows: readonly RateRow[]): string {
  const lines = rows.flatMap((row) =>
    row.search.map((step) => [
      ...row.labels,
      fmt(step.offeredRate),
      fmt(step.achievedRate),
      fmt(step.answeredRate),
      percent(step.failedShare),
      fmt(step.retransmissions),
      step.cpuPercent.toFixed(0),
      step.cpuUsPerCall.toFixed(words.decimals),
      step.memoryMb.toFixed(0),
    ]),
  );
  const header = [...words.labels, ...words.rates, 'failed %', 'retransmissions', `${words.labels[0]} CPU %`, `${words.labels[0]} CPU µs / ${words.unit}`, 'RSS MB (PSS)'];
  return table(header, '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|', lines);
}
