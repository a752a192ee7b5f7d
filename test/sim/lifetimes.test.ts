// Lifetimes on the simulator: work held in flight by a stream gate (a sim-only test hook) while
// resources are disposed or garbage collected. Run under ASan (scripts/asan.sh) these also prove
// that nothing in flight touches freed memory and nothing leaks.
import './use-sim.js';

import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

import { requireBinding, simBindingPath } from '../../lib/binding.js';
import { nativeHandle } from '../../lib/cuda/native-handle.js';
import { CudaStream, DeviceBuffer, PinnedBuffer, memoryInfo } from '../../lib/index.js';
import { eventuallyReleased, releasesSettled } from '../shared/eventually.js';
import { bytePattern } from '../shared/byte-pattern.js';

const MiB = 1 << 20;

function gate(stream: CudaStream): () => void {
  const testing = requireBinding().testing;
  if (testing === undefined) throw new Error('the simulator build has no testing hooks');
  return testing.gateStream(stream[nativeHandle]);
}

function collect(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('run with --expose-gc (vitest.config.ts sets it)');
  gc();
}

describe('dispose during in-flight work', () => {
  it('lets in-flight copies finish, then frees the memory', async () => {
    await releasesSettled();
    const stream = new CudaStream();
    const device = new DeviceBuffer(MiB);
    const pinned = new PinnedBuffer(MiB);
    const afterAllocation = memoryInfo().free;
    pinned.view(Uint8Array).set(bytePattern(MiB, 1));
    const result = new Uint8Array(MiB);

    const release = gate(stream);
    const copies = Promise.all([stream.copyToDevice(device, pinned.view(Uint8Array)), stream.copyToHost(result, device)]);
    stream.dispose();
    device.dispose();
    pinned.dispose();
    // Held by the in-flight copies: not freed yet.
    expect(memoryInfo().free).toBe(afterAllocation);

    release();
    await copies;
    expect(Buffer.from(result).equals(Buffer.from(bytePattern(MiB, 1)))).toBe(true);
    expect(await eventuallyReleased(() => memoryInfo().free === afterAllocation + MiB)).toBe(true);
  });

  it('settles synchronize() of a disposed stream after its queued work', async () => {
    const stream = new CudaStream();
    const device = new DeviceBuffer(4);
    const release = gate(stream);
    const order: string[] = [];
    const write = stream.copyToDevice(device, new Uint32Array([5])).then(() => void order.push('write'));
    const synced = stream.synchronize().then(() => void order.push('synchronize'));
    stream.dispose();
    release();
    await Promise.all([write, synced]);
    expect(order).toEqual(['write', 'synchronize']);
    device.dispose();
  });
});

describe('pageable host memory', () => {
  it('never blocks the JS thread: copies are staged through pinned blocks', () => {
    // In a child process with a time limit: a blocking copy would hang it until killed.
    const script = fileURLToPath(new URL('./fixtures/pageable-no-block.cjs', import.meta.url));
    const output = execFileSync(process.execPath, [script, simBindingPath()], { encoding: 'utf8', timeout: 60_000 });
    expect(JSON.parse(output)).toEqual({ eventLoopTurned: true, values: [3] });
  });
});

describe('garbage collection', () => {
  it('frees the device and pinned memory of objects that were never disposed', async () => {
    await releasesSettled();
    const before = memoryInfo().free;
    let buffers: (DeviceBuffer | PinnedBuffer)[] | undefined = [];
    for (let i = 0; i < 8; i++) buffers.push(new DeviceBuffer(MiB), new PinnedBuffer(MiB));
    expect(memoryInfo().free).toBe(before - 8 * MiB);
    // eslint-disable-next-line no-useless-assignment -- drops the last references, for the garbage collector
    buffers = undefined;
    expect(await eventuallyReleased(() => memoryInfo().free === before)).toBe(true);
  });

  it('keeps the caller arrays, buffers and stream alive while copies are in flight, even unreferenced', async () => {
    await releasesSettled();
    const before = memoryInfo().free;
    const result = new Uint8Array(64 * 1024);
    let release: (() => void) | undefined;
    let done: Promise<void> | undefined;
    (() => {
      const stream = new CudaStream();
      const device = new DeviceBuffer(64 * 1024);
      release = gate(stream);
      // The source array is referenced by nothing but the in-flight copy.
      void stream.copyToDevice(device, bytePattern(64 * 1024, 7));
      done = stream.copyToHost(result, device);
    })();
    for (let i = 0; i < 5; i++) {
      collect();
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(memoryInfo().free).toBe(before - 64 * 1024); // the collected buffer's memory is still held
    release!();
    await done;
    expect(Buffer.from(result).equals(Buffer.from(bytePattern(64 * 1024, 7)))).toBe(true);
    expect(await eventuallyReleased(() => memoryInfo().free === before)).toBe(true);
  });
});
