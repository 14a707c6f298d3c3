import { Counter, Gauge } from 'prom-client';
import type { Registry } from 'prom-client';

/** What a scraped metric reads: one value, or one value per label value; undefined when it could not be read. */
export type ScrapedValue = number | Readonly<Record<string, number | undefined>> | undefined;

/** One metric whose value is read from a component at each scrape (prom-client `collect()`). */
export interface ScrapedMetric {
  readonly kind: 'counter' | 'gauge';
  readonly name: string;
  readonly help: string;
  /** The label of the values when {@link ScrapedMetric.read} answers a record by label value. */
  readonly label?: string;
  readonly read: () => Promise<ScrapedValue>;
}

/**
 * Register `metric` on `registry`. A counter shows the component's own count (it only grows,
 * until a `reset_statistics` zeroes it, which Prometheus takes as a counter reset). A read that
 * fails (a store that is away) keeps the values of the last scrape rather than failing the whole
 * scrape or dropping a counter to 0, which Prometheus would take for a reset (`GET /health` says
 * the store is away).
 */
export function registerScraped(registry: Registry, metric: ScrapedMetric): void {
  const { name, help, label, read } = metric;
  const labelNames = label === undefined ? [] : [label];
  const show = (target: Counter | Gauge, value: ScrapedValue): void => {
    if (value === undefined) return;
    target.reset();
    if (typeof value === 'number') {
      if (target instanceof Counter) target.inc(value);
      else target.set(value);
      return;
    }
    for (const key of Object.keys(value)) {
      const v = value[key];
      if (v === undefined || label === undefined) continue;
      if (target instanceof Counter) target.inc({ [label]: key }, v);
      else target.set({ [label]: key }, v);
    }
  };
  const collect = async function (this: Counter | Gauge): Promise<void> {
    show(this, await read().catch(() => undefined));
  };
  if (metric.kind === 'counter') new Counter({ name, help, labelNames, registers: [registry], collect });
  else new Gauge({ name, help, labelNames, registers: [registry], collect });
}
