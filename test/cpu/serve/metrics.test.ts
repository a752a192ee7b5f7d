// Metrics of batchers and sessions: the plain snapshot and the prom-client export.
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';

import { ErrorCode, InferenceSession, Tensor, createBatcher, meterSession } from '../../../lib/index.js';
import { randomFloats } from '../../fixtures/random.js';
import { servingMlp } from '../../fixtures/serving-models.js';

const row = (seed: number) => new Tensor('float32', randomFloats(128, seed), [1, 128]);

/** The value of one sample line of Prometheus text, found by its metric name and labels. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    const labelText = line.slice(name.length + 1, line.lastIndexOf('}'));
    const found = Object.fromEntries([...labelText.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    const keys = Object.keys(found);
    if (keys.length === Object.keys(labels).length && keys.every((key) => found[key] === labels[key]))
      return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}

describe('serving metrics', () => {
  it('snapshots a batcher: latency percentiles, batch sizes, throughput and errors by code', async () => {
    await using session = await InferenceSession.create(servingMlp(), { backend: 'cpu' });
    await using batcher = createBatcher(session, { model: 'mlp', maxQueue: 8, adaptive: false });
    const settled = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => batcher.run({ x: row(i) })));
    await batcher.run({ x: new Tensor('float32', new Float32Array(3), [1, 3]) }).catch(() => undefined);
    expect(settled.filter((s) => s.status === 'rejected')).toHaveLength(2);
    const snapshot = batcher.metrics();
    expect(snapshot).toMatchObject({ model: 'mlp', backend: 'cpu', source: 'batcher', completed: 8, queued: 0, inFlight: 0 });
    expect(snapshot.errors).toEqual({ [ErrorCode.QUEUE_FULL]: 2, [ErrorCode.SHAPE_MISMATCH]: 1 });
    expect(snapshot.totalMs.count).toBe(8);
    expect(snapshot.totalMs.p50).toBeGreaterThan(0);
    expect(snapshot.totalMs.p99).toBeGreaterThanOrEqual(snapshot.totalMs.p90);
    expect(snapshot.totalMs.p90).toBeGreaterThanOrEqual(snapshot.totalMs.p50);
    expect(snapshot.totalMs.min).toBeGreaterThanOrEqual(snapshot.computeMs.min);
    expect(snapshot.batchSize).toMatchObject({ count: 1, sum: 8, max: 8 });
    expect(snapshot.throughput).toBeGreaterThan(0);
    // A plain object: it survives JSON as it is.
    expect(JSON.parse(JSON.stringify(snapshot))).toEqual(snapshot);
  });

  it('meters a plain session', async () => {
    await using session = await InferenceSession.create(servingMlp(), { backend: 'cpu' });
    const metered = meterSession(session, { model: 'mlp' });
    for (let i = 0; i < 5; i++) await metered.run({ x: row(i) });
    await expect(metered.run({ x: Tensor.zeros('float32', [1, 7]) })).rejects.toMatchObject({ code: ErrorCode.SHAPE_MISMATCH });
    const snapshot = metered.metrics();
    expect(snapshot).toMatchObject({ source: 'session', completed: 5, errors: { ERR_SHAPE_MISMATCH: 1 } });
    expect(snapshot.computeMs.count).toBe(5);
    expect(snapshot.queueMs.count).toBe(5);
    expect(snapshot.queueMs.max).toBe(0);
  });

  it('exports to a prom-client registry under tensorrt_node_* names with model and backend labels', async () => {
    await using session = await InferenceSession.create(servingMlp(), { backend: 'cpu' });
    await using batcher = createBatcher(session, { model: 'mlp', adaptive: false });
    const metered = meterSession(session, { model: 'mlp' });
    const registry = new Registry();
    await batcher.registerMetrics(registry);
    const stop = await metered.registerMetrics(registry);
    await Promise.all(Array.from({ length: 6 }, (_, i) => batcher.run({ x: row(i) })));
    await batcher.run({ x: Tensor.zeros('int32', [1, 128]) }).catch(() => undefined);
    await metered.run({ x: row(1) });
    const text = await registry.metrics();
    const batcherLabels = { model: 'mlp', backend: 'cpu', source: 'batcher' };
    expect(sample(text, 'tensorrt_node_requests_total', batcherLabels)).toBe(6);
    expect(sample(text, 'tensorrt_node_requests_total', { ...batcherLabels, source: 'session' })).toBe(1);
    expect(sample(text, 'tensorrt_node_errors_total', { ...batcherLabels, code: 'ERR_DTYPE_MISMATCH' })).toBe(1);
    expect(sample(text, 'tensorrt_node_request_seconds_count', batcherLabels)).toBe(6);
    expect(sample(text, 'tensorrt_node_queue_seconds_count', batcherLabels)).toBe(6);
    expect(sample(text, 'tensorrt_node_compute_seconds_count', batcherLabels)).toBe(6);
    expect(sample(text, 'tensorrt_node_batch_size_sum', batcherLabels)).toBe(6);
    expect(sample(text, 'tensorrt_node_batch_size_bucket', { ...batcherLabels, le: '8' })).toBe(1);
    expect(sample(text, 'tensorrt_node_queue_depth', batcherLabels)).toBe(0);
    expect(sample(text, 'tensorrt_node_in_flight', batcherLabels)).toBe(0);
    stop();
    await metered.run({ x: row(2) });
    expect(sample(await registry.metrics(), 'tensorrt_node_requests_total', { ...batcherLabels, source: 'session' })).toBe(1);
  });
});
