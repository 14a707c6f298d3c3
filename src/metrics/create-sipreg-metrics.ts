import { Registry } from 'prom-client';
import { registerSipregMetrics } from './register-sipreg-metrics';
import type { SipregMetrics } from './register-sipreg-metrics';
import type { SipregMetricSources } from './sipreg-metric-sources';

/** Options of {@link createSipregMetrics}. */
export interface CreateSipregMetricsOptions {
  /** The Node process metrics (CPU, memory, event loop lag, GC) too. @defaultValue true */
  readonly processMetrics?: boolean;
}

/** A registry of its own with the sipreg metrics, for a `GET /metrics` endpoint. */
export interface SipregMetricsEndpoint extends SipregMetrics {
  readonly registry: Registry;
  /** The `Content-Type` of {@link SipregMetricsEndpoint.metrics}: the Prometheus text format 0.0.4. */
  readonly contentType: string;
  /** Every metric in the Prometheus text format, read now. */
  metrics(): Promise<string>;
}

/**
 * The sipreg metrics ({@link registerSipregMetrics}) on a new prom-client registry, with the Node
 * process metrics unless `processMetrics` is false: what the CLI serves at `GET /metrics`.
 */
export function createSipregMetrics(sources: SipregMetricSources, options: CreateSipregMetricsOptions = {}): SipregMetricsEndpoint {
  const registry = new Registry();
  const { onRegisterAnswered } = registerSipregMetrics(registry, sources, { processMetrics: options.processMetrics ?? true });
  return { registry, contentType: registry.contentType, metrics: () => registry.metrics(), onRegisterAnswered };
}
