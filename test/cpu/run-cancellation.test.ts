// Cancellation cancels on the CPU backend: a run whose signal fires while it waits leaves the queue
// and never reaches ONNX Runtime; a started run rejects at once. Counted with the backend's count of
// runs handed to ORT, never timed.
import { afterEach, describe, expect, it } from 'vitest';
import { CpuBackend, type RunOn } from '../../lib/backends/cpu.js';
import { ErrorCode, InferenceSession, Tensor, type TensorRTNodeError } from '../../lib/index.js';
import { tinyMlp } from '../fixtures/onnx-models.js';
import { randomFloats } from '../fixtures/random.js';
import { rejection } from '../shared/rejection.js';

const model = tinyMlp();
const input = () => ({ x: new Tensor('float32', randomFloats(8, 3), [2, 4]) });

let open: { dispose(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(open.map((backend) => backend.dispose()));
  open = [];
});

async function backendOn(runOn: RunOn, maxQueue?: number): Promise<CpuBackend> {
  const backend = await CpuBackend.create(model, { runOn, maxQueue });
  open.push(backend);
  return backend;
}

describe.each(['main', 'worker'] as const)('abort on the CPU backend (runOn %s)', (runOn) => {
  it('20 runs aborted while waiting never compute, and a fresh run after them computes alone', async () => {
    const backend = await backendOn(runOn);
    const first = backend.run(input(), ['probabilities']);
    const controller = new AbortController();
    const aborted = Array.from({ length: 20 }, () => backend.run(input(), ['probabilities'], controller.signal));
    controller.abort(new Error('client went away'));
    const fresh = backend.run(input(), ['probabilities']);
    for (const run of aborted) {
      const error = await rejection(run);
      expect(error.code).toBe(ErrorCode.ABORTED);
      expect(error.message).toBe('The operation was aborted: client went away');
    }
    await first;
    expect((await fresh).probabilities.dims).toEqual([2, 3]);
    expect(backend.computedRuns).toBe(2);
  });

  it('a started run rejects as soon as its signal fires, and the next run still computes', async () => {
    const backend = await backendOn(runOn);
    const controller = new AbortController();
    const started = backend.run(input(), ['probabilities'], controller.signal);
    const next = backend.run(input(), ['probabilities']);
    controller.abort();
    const order: string[] = [];
    await Promise.all([
      rejection(started).then((error) => order.push(`started: ${error.code}`)),
      next.then(() => order.push('next: resolved')),
    ]);
    // The started run settles with the abort, not with its result: before the run behind it.
    expect(order).toEqual(['started: ERR_ABORTED', 'next: resolved']);
    expect(backend.computedRuns).toBe(2);
  });

  it('maxQueue: runs past the limit reject with ERR_QUEUE_FULL; the others all complete', async () => {
    const backend = await backendOn(runOn, 3);
    const runs = Array.from({ length: 6 }, () =>
      backend.run(input(), ['probabilities']).then(
        () => 'ok',
        (error: TensorRTNodeError) => error.code,
      ),
    );
    // One runs and three wait; the fifth and sixth find the queue full.
    expect(await Promise.all(runs)).toEqual(['ok', 'ok', 'ok', 'ok', ErrorCode.QUEUE_FULL, ErrorCode.QUEUE_FULL]);
    expect(backend.computedRuns).toBe(4);
  });
});

describe('abort and inputs while runOn auto moves to a worker', () => {
  it('runs waiting for the worker leave at once when aborted, and the others see their inputs as they were at the call', async () => {
    // A threshold of 0 ms: the first main-thread run moves the session to a worker.
    const backend = await CpuBackend.create(model, { runOn: 'auto', workerThresholdMs: 0 });
    open.push(backend);
    await backend.run(input(), ['probabilities']);
    expect(backend.runningOn).toBe('main');
    const expected = await CpuBackend.create(model, { runOn: 'main' }).then(async (reference) => {
      open.push(reference);
      return (await reference.run(input(), ['probabilities'])).probabilities.data;
    });
    const controller = new AbortController();
    const aborted = Array.from({ length: 5 }, () => backend.run(input(), ['probabilities'], controller.signal));
    const feeds = input();
    const fresh = backend.run(feeds, ['probabilities']);
    feeds.x.data.fill(1000);
    controller.abort();
    for (const run of aborted) expect((await rejection(run)).code).toBe(ErrorCode.ABORTED);
    expect((await fresh).probabilities.data).toEqual(expected);
    expect(backend.runningOn).toBe('worker');
    expect(backend.computedRuns).toBe(2);
  });
});

describe('options.maxQueue on InferenceSession (cpu)', () => {
  it('is validated and applies to the CPU backend', async () => {
    const error = await rejection(InferenceSession.create(model, { backend: 'cpu', maxQueue: -1 }));
    expect(error.code).toBe(ErrorCode.INVALID_ARGUMENT);
    expect(error.message).toBe('Expected a non-negative integer for options.maxQueue but received -1');
    const session = await InferenceSession.create(model, { backend: 'cpu', runOn: 'main', maxQueue: 0 });
    open.push(session);
    const [first, second] = await Promise.allSettled([session.run(input()), session.run(input())]);
    expect(first.status).toBe('fulfilled');
    expect(second.status === 'rejected' && (second.reason as TensorRTNodeError).code).toBe(ErrorCode.QUEUE_FULL);
  });
});

describe('one AbortSignal shared by many runs', () => {
  it.each(['main', 'worker'] as const)('adds one listener, without MaxListenersExceededWarning (runOn %s)', async (runOn) => {
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    process.on('warning', onWarning);
    try {
      const session = await InferenceSession.create(model, { backend: 'cpu', runOn });
      open.push(session);
      const controller = new AbortController();
      const results = await Promise.all(Array.from({ length: 25 }, () => session.run(input(), { signal: controller.signal })));
      expect(results).toHaveLength(25);
      // emitWarning reports on the next tick.
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings.filter((warning) => warning.name === 'MaxListenersExceededWarning')).toEqual([]);
    } finally {
      process.off('warning', onWarning);
    }
  });
});
