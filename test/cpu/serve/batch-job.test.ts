// The batch runner as a library function on the CPU backend: results, per-item failures, resume,
// a torn last line, a failing disk (ENOSPC from an injected output stream) and stopping early.
import { appendFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ErrorCode, InferenceSession, Tensor, runBatchJob } from '../../../lib/index.js';
import { idCounts, readResults, writeNpyItems } from '../../fixtures/batch-inputs.js';
import { servingMlp, tableLookup } from '../../fixtures/serving-models.js';

let dir: string;
let modelPath: string;
let items: Map<string, Float32Array>;
let expected: Map<string, Float32Array>;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'batch-job-'));
  modelPath = join(dir, 'mlp.onnx');
  await writeFile(modelPath, servingMlp());
  items = await writeNpyItems(join(dir, 'npy'), 40);
  await writeFile(join(dir, 'npy', 'broken.npy'), 'not a numpy file');
  await using session = await InferenceSession.create(modelPath, { backend: 'cpu' });
  expected = new Map();
  for (const [id, data] of items)
    expected.set(id, (await session.run({ x: new Tensor('float32', data, [1, 128]) })).y?.data as Float32Array);
});
afterAll(() => rm(dir, { recursive: true, force: true }));

function expectCorrect(records: Awaited<ReturnType<typeof readResults>>): void {
  for (const record of records) {
    if (record.id === 'broken') continue;
    const want = expected.get(record.id) as Float32Array;
    const got = record.outputs?.y?.data as number[];
    expect(got).toHaveLength(16);
    got.forEach((value, k) => expect(value).toBeCloseTo(want[k] as number, 4));
  }
}

describe('runBatchJob', () => {
  it('writes one line per item, records a bad item without stopping, and resumes with nothing to do', async () => {
    const out = join(dir, 'all.jsonl');
    const seen: number[] = [];
    const summary = await runBatchJob(modelPath, {
      inputs: join(dir, 'npy'),
      out,
      batchSize: 8,
      session: { backend: 'cpu' },
      onProgress: (p) => seen.push(p.done),
    });
    expect(summary).toMatchObject({ total: 41, done: 41, succeeded: 40, failed: 1, skipped: 0, aborted: false, tornBytes: 0 });
    expect(summary.failures).toEqual([
      { id: 'broken', code: ErrorCode.INVALID_ARGUMENT, message: expect.stringContaining('Expected a .npy file') },
    ]);
    expect(seen.at(-1)).toBe(41);
    const records = await readResults(out);
    expect(records).toHaveLength(41);
    expect([...idCounts(records).values()].every((count) => count === 1)).toBe(true);
    expectCorrect(records);
    const bare = records.find((record) => record.id === 'item-2');
    expect(bare?.outputs?.y?.dims).toEqual([16]);
    expect(records.find((record) => record.id === 'item-0')?.outputs?.y?.dims).toEqual([1, 16]);
    expect(records.find((record) => record.id === 'broken')?.error?.code).toBe(ErrorCode.INVALID_ARGUMENT);

    const again = await runBatchJob(modelPath, { inputs: join(dir, 'npy'), out, session: { backend: 'cpu' } });
    expect(again).toMatchObject({ total: 41, skipped: 41, succeeded: 0, failed: 0 });
    expect(await readResults(out)).toHaveLength(41);
  });

  it('drops a torn last line on resume and runs that item again', async () => {
    const out = join(dir, 'torn.jsonl');
    await runBatchJob(modelPath, { inputs: join(dir, 'npy'), out, session: { backend: 'cpu' } });
    const text = await readFile(out, 'utf8');
    const lines = text.split('\n').filter(Boolean);
    const last = lines.pop() as string;
    const lastId = (JSON.parse(last) as { id: string }).id;
    await writeFile(out, `${lines.join('\n')}\n${last.slice(0, Math.floor(last.length / 2))}`);
    const summary = await runBatchJob(modelPath, { inputs: join(dir, 'npy'), out, session: { backend: 'cpu' } });
    expect(summary.tornBytes).toBe(Math.floor(last.length / 2));
    expect(summary.skipped).toBe(40);
    expect(summary.succeeded + summary.failed).toBe(1);
    const records = await readResults(out);
    expect(records).toHaveLength(41);
    expect(idCounts(records).get(lastId)).toBe(1);
    expectCorrect(records);
  });

  it('stops with a clear error when the disk fills (ENOSPC) and loses nothing written', async () => {
    const out = join(dir, 'enospc.jsonl');
    let lines = 0;
    const fullDisk = (path: string) =>
      new Writable({
        write(chunk: Buffer, _encoding, callback) {
          if (lines >= 7) {
            callback(Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', errno: -28, syscall: 'write' }));
            return;
          }
          appendFileSync(path, chunk);
          lines++;
          callback();
        },
      });
    const failed = await runBatchJob(modelPath, {
      inputs: join(dir, 'npy'),
      out,
      batchSize: 4,
      session: { backend: 'cpu' },
      createOutputStream: fullDisk,
    }).catch((error: unknown) => error);
    expect(failed).toMatchObject({
      code: ErrorCode.IO,
      message: expect.stringMatching(
        /^Could not write results to .*enospc\.jsonl \(ENOSPC: no space left on the device\); the 7 results written in this run are kept/,
      ),
    });
    expect((failed as Error).cause).toMatchObject({ code: 'ENOSPC' });
    const kept = await readResults(out);
    expect(kept).toHaveLength(7);
    const resumed = await runBatchJob(modelPath, { inputs: join(dir, 'npy'), out, session: { backend: 'cpu' } });
    expect(resumed.skipped).toBe(7);
    const records = await readResults(out);
    expect(records).toHaveLength(41);
    expect([...idCounts(records).values()].every((count) => count === 1)).toBe(true);
    expectCorrect(records);
  });

  it('stops taking items when its signal fires, writes what ran, and resumes to the end', async () => {
    const out = join(dir, 'abort.jsonl');
    const controller = new AbortController();
    const first = await runBatchJob(modelPath, {
      inputs: join(dir, 'npy'),
      out,
      batchSize: 2,
      concurrency: 1,
      session: { backend: 'cpu' },
      signal: controller.signal,
      onProgress: (progress) => progress.done >= 5 && controller.abort(),
    });
    expect(first.aborted).toBe(true);
    expect(first.done).toBeLessThan(41);
    expect(await readResults(out)).toHaveLength(first.done);
    const second = await runBatchJob(modelPath, { inputs: join(dir, 'npy'), out, session: { backend: 'cpu' } });
    expect(second.skipped).toBe(first.done);
    const records = await readResults(out);
    expect(records).toHaveLength(41);
    expect([...idCounts(records).values()].every((count) => count === 1)).toBe(true);
  });

  it('reads .jsonl inputs (int64 as numbers or strings) and records bad lines by their line number', async () => {
    const jsonl = join(dir, 'lookup.jsonl');
    await writeFile(
      jsonl,
      [
        JSON.stringify({ id: 'a', inputs: { index: { dims: [1, 1], data: [3] } } }),
        JSON.stringify({ id: 'b', inputs: { index: { dims: [1], data: ['4'] } } }),
        'not json',
        JSON.stringify({ id: 'a', inputs: { index: { dims: [1, 1], data: [1] } } }),
        JSON.stringify({ id: 'c', inputs: { index: { dims: [1, 1], data: [99] } } }),
        JSON.stringify({ id: 7, inputs: {} }),
        '',
      ].join('\n'),
    );
    const model = join(dir, 'lookup.onnx');
    await writeFile(model, tableLookup());
    const out = join(dir, 'lookup-out.jsonl');
    const summary = await runBatchJob(model, { inputs: jsonl, out, session: { backend: 'cpu' } });
    expect(summary).toMatchObject({ total: 6, succeeded: 2, failed: 4 });
    const byId = new Map((await readResults(out)).map((record) => [record.id, record]));
    expect(byId.get('a')?.outputs?.row).toEqual({ dtype: 'float32', dims: [1, 1, 2], data: [6, 7] });
    expect(byId.get('b')?.outputs?.row).toEqual({ dtype: 'float32', dims: [1, 2], data: [8, 9] });
    expect(byId.get('line-3')?.error?.message).toMatch(/^Expected a JSON object for line 3 of .*lookup\.jsonl but received "not json"/);
    expect(byId.get('line-4')?.error?.message).toMatch(/Expected ids that are unique in .* but received "a" again on line 4/);
    expect(byId.get('c')?.error?.code).toBe(ErrorCode.INFERENCE_FAILED);
    expect(byId.get('7')?.error?.code).toBe(ErrorCode.MISSING_INPUT);
  });

  it('refuses a results path that is not a regular file', async () => {
    await expect(runBatchJob(modelPath, { inputs: join(dir, 'npy'), out: dir, session: { backend: 'cpu' } })).rejects.toMatchObject({
      code: ErrorCode.IO,
      message: expect.stringContaining('but it is a directory'),
    });
  });
});
