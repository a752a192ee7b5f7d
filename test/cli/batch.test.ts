// `tensorrt-node batch` as a user runs it: a run killed with SIGKILL mid-way and then rerun ends with
// every item exactly once; per-item failures give exit code 2 and a summary.
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { idCounts, readResults, writeJsonlItems, writeNpyItems } from '../fixtures/batch-inputs.js';
import { servingMlp } from '../fixtures/serving-models.js';
import { cliPath, ensureBuilt, root, runCli } from './cli-helper.js';

let dir: string;
let model: string;
beforeAll(async () => {
  await ensureBuilt();
  dir = await mkdtemp(join(tmpdir(), 'batch-cli-'));
  model = join(dir, 'mlp.onnx');
  await writeFile(model, servingMlp());
}, 300_000);
afterAll(() => rm(dir, { recursive: true, force: true }));

/** Complete lines in the file (a kill may leave a torn last one, which does not count). */
async function completeLines(path: string): Promise<number> {
  const text = await readFile(path, 'utf8').catch(() => '');
  return text.split('\n').length - 1;
}

describe('tensorrt-node batch', () => {
  it('resumes after SIGKILL with every item exactly once', async () => {
    const inputs = join(dir, 'items.jsonl');
    const items = await writeJsonlItems(inputs, 3000);
    const out = join(dir, 'killed.jsonl');
    const args = [cliPath, 'batch', model, '--inputs', inputs, '--out', out, '--batch-size', '1', '--concurrency', '1', '--backend', 'cpu'];
    const child = spawn(process.execPath, args, { cwd: root, stdio: 'ignore' });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
    // Kill it once some results are on disk (polling the file, not the clock).
    let ended = false;
    void exited.then(() => (ended = true));
    while (!ended && (await stat(out).catch(() => undefined))?.size === undefined) await new Promise((r) => setTimeout(r, 2));
    while (!ended && (await stat(out))?.size < 20_000) await new Promise((r) => setTimeout(r, 2));
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    const before = await completeLines(out);
    expect(before).toBeGreaterThan(0);
    expect(before).toBeLessThan(3000);

    const rerun = await runCli(['batch', model, '--inputs', inputs, '--out', out, '--backend', 'cpu', '--json']);
    expect(rerun.stderr).toBe('');
    expect(rerun.code).toBe(0);
    const summary = JSON.parse(rerun.stdout) as { total: number; skipped: number; succeeded: number; failed: number };
    expect(summary.total).toBe(3000);
    expect(summary.skipped).toBeGreaterThanOrEqual(before);
    expect(summary.skipped + summary.succeeded).toBe(3000);
    const records = await readResults(out);
    expect(records).toHaveLength(3000);
    const counts = idCounts(records);
    expect([...items.keys()].every((id) => counts.get(id) === 1)).toBe(true);
    expect(records.every((record) => record.outputs?.y?.dims.join() === '1,16')).toBe(true);
  });

  it('stops cleanly on Ctrl-C (SIGINT): running items are written, exit code 130, and a rerun finishes', async () => {
    const inputs = join(dir, 'items-int.jsonl');
    await writeJsonlItems(inputs, 3000);
    const out = join(dir, 'interrupted.jsonl');
    const args = [cliPath, 'batch', model, '--inputs', inputs, '--out', out, '--batch-size', '1', '--concurrency', '1', '--backend', 'cpu'];
    const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    let ended = false;
    void exited.then(() => (ended = true));
    while (!ended && ((await stat(out).catch(() => undefined))?.size ?? 0) < 20_000) await new Promise((r) => setTimeout(r, 2));
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    expect(stdout).toMatch(/^stopped early: \d+ succeeded, 0 failed/);
    const text = await readFile(out, 'utf8');
    expect(text.endsWith('\n')).toBe(true); // nothing torn: the items running at Ctrl-C were written whole
    const written = (await readResults(out)).length;
    expect(written).toBeLessThan(3000);
    const rerun = await runCli(['batch', model, '--inputs', inputs, '--out', out, '--backend', 'cpu', '--json']);
    expect(rerun.code).toBe(0);
    expect(JSON.parse(rerun.stdout)).toMatchObject({ skipped: written, succeeded: 3000 - written });
    expect([...idCounts(await readResults(out)).values()].every((count) => count === 1)).toBe(true);
  });

  it('exits 2 with a summary naming the failed items, which are recorded', async () => {
    const inputs = join(dir, 'npy');
    await writeNpyItems(inputs, 5);
    await writeFile(join(inputs, 'zz-bad.npy'), 'garbage');
    const out = join(dir, 'failures.jsonl');
    const result = await runCli(['batch', model, '--inputs', inputs, '--out', out, '--backend', 'cpu']);
    expect(result.code).toBe(2);
    expect(result.stdout).toMatch(/^done: 5 succeeded, 1 failed, 0 already in .*failures\.jsonl \(of 6\)\n/);
    expect(result.stdout).toContain('  failed zz-bad: [ERR_INVALID_ARGUMENT]');
    expect((await readResults(out)).find((record) => record.id === 'zz-bad')?.error?.code).toBe('ERR_INVALID_ARGUMENT');
  });

  it('reports a missing --inputs as an error', async () => {
    const result = await runCli(['batch', model, '--inputs', join(dir, 'nothing-here'), '--out', join(dir, 'x.jsonl')]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /^error \[ERR_IO\]: Expected a directory of \.npy files or a \.jsonl file for --inputs but .*nothing-here does not exist\n$/,
    );
  });
});
