import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Histogram, Registry } from 'prom-client';
import { registerSipregMetrics } from '../../src/metrics/register-sipreg-metrics';
import { createRegistrar } from '../../src/registrar/registrar';
import { createSourceGuard } from '../../src/auth/source-guard';
import { setup as midSetup } from '../mid-registrar/mid-harness';
import { harness } from '../registrant/registrant-harness';

const DASHBOARD = join(import.meta.dirname, '../../examples/grafana/sipreg-dashboard.json');

/** Every PromQL expression of the dashboard: its panels' targets and its template variables' queries. */
function expressions(dashboard: unknown): string[] {
  const found: string[] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (node !== null && typeof node === 'object') {
      for (const [key, value] of Object.entries(node)) {
        if ((key === 'expr' || key === 'query' || key === 'definition') && typeof value === 'string') found.push(value);
        else walk(value);
      }
    }
  };
  walk(dashboard);
  return found;
}

/** The metric a series name belongs to: a histogram's `_bucket`, `_sum` and `_count` series are its own. */
const metricOf = (series: string, histograms: ReadonlySet<string>): string => {
  const base = series.replace(/_(bucket|sum|count)$/, '');
  return histograms.has(base) ? base : series;
};

describe('examples/grafana/sipreg-dashboard.json', () => {
  it('uses only sipreg_* metrics the registry exports with every source given', async () => {
    const dashboard: unknown = JSON.parse(readFileSync(DASHBOARD, 'utf8'));
    const registrant = await harness([], () => 'timeout');
    const registry = new Registry();
    registerSipregMetrics(registry, {
      registrar: createRegistrar({ purgeIntervalMs: 0 }),
      midRegistrar: midSetup('mirror').mid,
      registrant: registrant.scheduler,
      guard: createSourceGuard({ ban: { after: 3 }, pike: { reqsDensityPerUnit: 10 } }),
    });
    const metrics = registry.getMetricsAsArray();
    const exported = new Set(metrics.map((m) => m.name));
    const histograms = new Set(metrics.filter((m) => m instanceof Histogram).map((m) => m.name));
    const used = new Set(expressions(dashboard).flatMap((e) => e.match(/\bsipreg_[a-z0-9_]+/g) ?? []).map((s) => metricOf(s, histograms)));
    expect(used.size).toBeGreaterThanOrEqual(10);
    expect([...used].filter((name) => !exported.has(name))).toEqual([]);
    await registrant.scheduler.close({ unregister: false });
  });

  it('has the panels the operators asked for, each with a unique id and a place on the grid', () => {
    const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as { panels: { id: number; title: string; gridPos: object; targets: { expr: string }[] }[] };
    const ids = dashboard.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const p of dashboard.panels) expect(p.gridPos).toEqual(expect.objectContaining({ w: expect.any(Number), h: expect.any(Number) }));
    const exprs = dashboard.panels.flatMap((p) => p.targets.map((t) => t.expr)).join('\n');
    expect(exprs).toContain('sum by (code) (rate(sipreg_register_replies_total');
    expect(exprs).toContain('sipreg_bindings{');
    expect(exprs).toMatch(/sipreg_mid_registrar_registers_total\{[^}]*action="absorbed"\}.*\/ sum\(rate\(sipreg_mid_registrar_registers_total/);
    expect(exprs).toContain('sum by (state) (sipreg_registrants');
    expect(exprs).toContain('histogram_quantile(0.99, sum by (le) (rate(sipreg_register_handling_seconds_bucket');
  });
});
