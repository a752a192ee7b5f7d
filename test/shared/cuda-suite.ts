/**
 * CUDA layer tests that must hold on the simulator and on a real GPU alike: test/sim runs them
 * against the simulator build, test/gpu against the real build on a GPU machine.
 */
import { describe, expect, it } from 'vitest';

import { CudaEvent, CudaStream, DeviceBuffer, PinnedBuffer, type DeviceInfo, devices, memoryInfo } from '../../lib/index.js';
import { isTensorRTNodeError } from '../../lib/errors.js';
import { bytePattern } from './byte-pattern.js';

/** Device 0 onwards as the suite should find them: known beforehand (the simulator's configuration, or nvidia-smi's view of a real GPU). */
export type ExpectedDevice = Pick<DeviceInfo, 'name' | 'computeCapability' | 'uuid'> & Partial<DeviceInfo>;

export function defineCudaSuite(expectedDevices: () => ExpectedDevice[]): void {
  describe('devices', () => {
    it('lists the devices with the properties known beforehand, matched by UUID', () => {
      const list = devices();
      const expected = expectedDevices();
      expect(list.map((device) => device.uuid).sort()).toEqual(expected.map((device) => device.uuid).sort());
      for (const want of expected) expect(list.find((device) => device.uuid === want.uuid)).toMatchObject(want);
      list.forEach((device, i) => expect(device.index).toBe(i));
    });

    it("reports each device's memory as its properties do, free never above total", () => {
      for (const device of devices()) {
        const info = memoryInfo(device.index);
        expect(info.total).toBe(device.totalMemory);
        expect(info.free).toBeLessThanOrEqual(info.total);
      }
    });
  });

  describe('copies', () => {
    it('round-trips pinned memory through the device without copying on the host side', async () => {
      const count = 4096;
      const stream = new CudaStream();
      const input = new PinnedBuffer(count * 4);
      const output = new PinnedBuffer(count * 4);
      const device = new DeviceBuffer(count * 4);
      try {
        // Written through a view of the pinned memory itself...
        const values = input.view(Float32Array);
        for (let i = 0; i < count; i++) values[i] = i * 0.25 - 100;
        const result = output.view(Float32Array);
        await Promise.all([stream.copyToDevice(device, values), stream.copyToHost(result, device)]);
        expect(Array.from(result)).toEqual(Array.from(values));
        // ...and the same ArrayBuffer sees later writes and results in place (no staging copies).
        expect(input.buffer).toBe(input.buffer);
        values[7] = 42;
        await stream.copyToDevice(device, values.subarray(7, 8), 7 * 4);
        await stream.copyToHost(result.subarray(0, 8), device);
        expect(new Float32Array(output.buffer, 0, 8)[7]).toBe(42);
      } finally {
        stream.dispose();
        input.dispose();
        output.dispose();
        device.dispose();
      }
    });

    it('copies pageable arrays, views with offsets and DataViews in place', async () => {
      const stream = new CudaStream();
      const device = new DeviceBuffer(64);
      try {
        const backing = new ArrayBuffer(128);
        const source = new Uint8Array(backing, 16, 64);
        source.set(bytePattern(64, 5));
        await stream.copyToDevice(device, new DataView(backing, 16, 64));
        const target = Buffer.alloc(80);
        await stream.copyToHost(target.subarray(8, 72), device);
        expect(Array.from(target.subarray(8, 72))).toEqual(Array.from(bytePattern(64, 5)));
        expect(target[7]).toBe(0);
        expect(target[72]).toBe(0);
      } finally {
        stream.dispose();
        device.dispose();
      }
    });

    it('runs many queued copies in order on one stream', async () => {
      const stream = new CudaStream();
      const device = new DeviceBuffer(4);
      try {
        const writes: Promise<void>[] = [];
        for (let i = 0; i < 300; i++) writes.push(stream.copyToDevice(device, new Uint32Array([i])));
        const result = new Uint32Array(1);
        const read = stream.copyToHost(result, device);
        await Promise.all([...writes, read]);
        expect(result[0]).toBe(299);
      } finally {
        stream.dispose();
        device.dispose();
      }
    });

    it('chains fill, host-to-device, device-to-device and device-to-host without awaiting in between', async () => {
      const stream = new CudaStream();
      const a = new DeviceBuffer(32);
      const b = new DeviceBuffer(32);
      try {
        const pending = [
          stream.fill(a, 7),
          stream.copyToDevice(a, new Uint8Array([1, 2, 3, 4]), 4),
          stream.fill(b, 0),
          stream.copyDeviceToDevice(b, a, { dstOffset: 16, srcOffset: 2, byteLength: 8 }),
        ];
        const result = new Uint8Array(32);
        await Promise.all([...pending, stream.copyToHost(result, b)]);
        const expected = new Uint8Array(32);
        expected.set([7, 7, 1, 2, 3, 4, 7, 7], 16);
        expect(Array.from(result)).toEqual(Array.from(expected));
      } finally {
        stream.dispose();
        a.dispose();
        b.dispose();
      }
    });

    it('resolves the promises of one stream in the order the work was enqueued', async () => {
      const stream = new CudaStream();
      const device = new DeviceBuffer(1 << 16);
      try {
        const order: number[] = [];
        const pending: Promise<void>[] = [];
        for (let i = 0; i < 100; i++) {
          // Alternate big and tiny copies: completion order must still follow enqueue order.
          const size = i % 2 === 0 ? 1 << 16 : 4;
          const p = i % 3 === 0 ? stream.copyToHost(new Uint8Array(size), device) : stream.copyToDevice(device, new Uint8Array(size));
          pending.push(p.then(() => void order.push(i)));
        }
        pending.push(stream.synchronize().then(() => void order.push(100)));
        await Promise.all(pending);
        expect(order).toEqual(Array.from({ length: 101 }, (_, i) => i));
        expect(stream.idle).toBe(true);
      } finally {
        stream.dispose();
        device.dispose();
      }
    });

    it('orders work across streams with events and times it', async () => {
      const producer = new CudaStream();
      const consumer = new CudaStream();
      const device = new DeviceBuffer(1024);
      const start = new CudaEvent();
      const done = new CudaEvent();
      try {
        start.record(producer);
        const write = producer.copyToDevice(device, bytePattern(1024, 9));
        done.record(producer);
        consumer.waitEvent(done);
        const result = new Uint8Array(1024);
        await Promise.all([write, consumer.copyToHost(result, device)]);
        expect(Array.from(result)).toEqual(Array.from(bytePattern(1024, 9)));
        await producer.synchronize();
        expect(done.completed).toBe(true);
        expect(start.elapsedTime(done)).toBeGreaterThanOrEqual(0);
      } finally {
        for (const r of [producer, consumer, device, start, done]) r.dispose();
      }
    });
  });

  describe('errors', () => {
    it('rejects bad arguments in TypeScript with ERR_INVALID_ARGUMENT', async () => {
      const stream = new CudaStream();
      const device = new DeviceBuffer(16);
      try {
        await expect(stream.copyToDevice(device, new Uint8Array(17))).rejects.toThrow(
          'Expected a range inside the 16-byte buffer for dstOffset + src.byteLength but received "bytes 0..17"',
        );
        await expect(stream.copyToHost(new Uint8Array(4), device, 13)).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
        await expect(stream.copyToDevice(device, [1, 2] as unknown as Uint8Array)).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
        await expect(stream.fill(device, 256)).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
        expect(() => new DeviceBuffer(0)).toThrow('Expected a positive integer byte count for byteLength but received 0');
        expect(() => new PinnedBuffer(1.5)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }));
      } finally {
        stream.dispose();
        device.dispose();
      }
    });

    it('turns device out-of-memory into ERR_OUT_OF_MEMORY with the CUDA error', () => {
      const tooBig = memoryInfo(0).total + (1 << 20);
      let caught: unknown;
      try {
        new DeviceBuffer(tooBig);
      } catch (error) {
        caught = error;
      }
      expect(isTensorRTNodeError(caught, 'ERR_OUT_OF_MEMORY')).toBe(true);
      expect((caught as Error).message).toContain('cudaErrorMemoryAllocation');
      expect((caught as { details?: string }).details).toBe('cudaErrorMemoryAllocation: out of memory');
    });

    it('makes dispose idempotent and later use fail with ERR_DISPOSED', async () => {
      const stream = new CudaStream();
      const device = new DeviceBuffer(8);
      const pinned = new PinnedBuffer(8);
      const event = new CudaEvent();
      const view = pinned.view(Uint8Array);
      for (const r of [stream, device, pinned, event]) {
        r.dispose();
        r.dispose();
        expect(r.disposed).toBe(true);
      }
      expect(view.byteLength).toBe(0); // detached: JS can no longer reach freed pinned memory
      expect(() => pinned.buffer).toThrow(expect.objectContaining({ code: 'ERR_DISPOSED' }));
      await expect(stream.synchronize()).rejects.toMatchObject({ code: 'ERR_DISPOSED', message: 'Stream has been disposed' });
      const other = new CudaStream();
      try {
        await expect(other.copyToDevice(device, new Uint8Array(8))).rejects.toMatchObject({ code: 'ERR_DISPOSED' });
        expect(() => event.record(other)).toThrow(expect.objectContaining({ code: 'ERR_DISPOSED' }));
      } finally {
        other.dispose();
      }
    });
  });
}
