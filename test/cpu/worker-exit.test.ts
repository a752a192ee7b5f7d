// A worker-thread run that fails before it reaches the worker must reject with a coded error and
// leave the process free to exit: an idle worker is unref'd. Run in a child process, which must end
// on its own (no dispose, no process.exit).
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tinyMlp } from '../fixtures/onnx-models.js';
import { ensureBuilt, root } from '../cli/cli-helper.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'worker-exit-'));
  await ensureBuilt();
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function runChild(script: string): Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    // The limit only catches a process that would never exit; a healthy one ends in about a second.
    execFile(process.execPath, [script], { cwd: dir, timeout: 45_000, killSignal: 'SIGKILL' }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, signal: error?.signal ?? null, stdout, stderr });
    });
  });
}

describe('a worker run that fails before posting', () => {
  it('rejects with a coded error and lets the process exit', async () => {
    const modelPath = join(dir, 'mlp.onnx');
    await writeFile(modelPath, tinyMlp());
    const script = join(dir, 'detached.mjs');
    await writeFile(
      script,
      `import { InferenceSession, Tensor } from ${JSON.stringify(pathToFileURL(join(root, 'dist', 'index.js')).href)};
const session = await InferenceSession.create(${JSON.stringify(modelPath)}, { backend: 'cpu', runOn: 'worker' });
const data = new Float32Array(8);
const x = new Tensor('float32', data, [2, 4]);
structuredClone(data.buffer, { transfer: [data.buffer] });
try {
  await session.run({ x });
  console.log('resolved');
} catch (error) {
  console.log(error.name, error.code);
}
// A good run afterwards, then nothing: an idle worker must not hold the process open.
const ok = await session.run({ x: new Tensor('float32', new Float32Array(8), [2, 4]) });
console.log('then', ok.probabilities.dims.join('x'));
`,
    );
    const result = await runChild(script);
    expect(result.stderr).toBe('');
    expect(result.signal).toBeNull();
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('TensorRTNodeError ERR_INVALID_ARGUMENT\nthen 2x3\n');
  });
});
