/**
 * GET `url` (a `/metrics` endpoint) and return its samples in the Prometheus text exposition
 * format, each keyed by what precedes its value on the line: the name and labels as printed, e.g.
 * `sipreg_register_replies_total{code="200"}`. Rejects when the status is not 200.
 */
export async function scrapeMetrics(url: string, token?: string): Promise<Map<string, number>> {
  const response = await fetch(url, token === undefined ? {} : { headers: { authorization: `Bearer ${token}` } });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`GET ${url}: HTTP ${response.status}: ${text}`);
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    samples.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return samples;
}
