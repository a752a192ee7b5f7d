/**
 * Runs the built CLI (dist/cli/main.js, what the package's bin points at) in a child process.
 * ensureBuilt() compiles lib/ first when dist/ is missing or older than any source file; a lock
 * directory keeps test files running in parallel from compiling at the same time.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdir, readdir, rmdir, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHash } from 'node:crypto';

export const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));
export const cliPath = join(root, 'dist', 'cli', 'main.js');

async function newestMtime(dir: string): Promise<number> {
  let newest = 0;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? await newestMtime(path) : (await stat(path)).mtimeMs);
  }
  return newest;
}

async function isStale(): Promise<boolean> {
  const built = await stat(cliPath).catch(() => undefined);
  return !built || (await newestMtime(join(root, 'lib'))) > built.mtimeMs;
}

function exec(file: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<CliResult> {
  return new Promise((resolvePromise) => {
    execFile(
      file,
      args,
      { cwd: options.cwd ?? root, env: options.env ?? process.env, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolvePromise({ code, stdout, stderr });
      },
    );
  });
}

export async function ensureBuilt(): Promise<void> {
  if (!(await isStale())) return;
  const lock = join(tmpdir(), `tensorrt-node-build-${createHash('sha1').update(root).digest('hex').slice(0, 12)}.lock`);
  const deadline = Date.now() + 5 * 60_000;
  for (;;) {
    try {
      await mkdir(lock);
      break;
    } catch {
      // A lock left by a killed run: builds take well under two minutes.
      const held = await stat(lock).catch(() => undefined);
      if (held && Date.now() - held.mtimeMs > 120_000) await rmdir(lock).catch(() => undefined);
      if (Date.now() > deadline) throw new Error(`timed out waiting for the build lock ${lock}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  try {
    if (await isStale()) {
      const result = await exec(process.execPath, [
        join(root, 'node_modules', 'typescript', 'bin', 'tsc'),
        '-p',
        join(root, 'tsconfig.build.json'),
      ]);
      if (result.code !== 0) throw new Error(`npm run build failed:\n${result.stdout}${result.stderr}`);
    }
  } finally {
    await rmdir(lock);
  }
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], options: { cwd?: string } = {}): Promise<CliResult> {
  return exec(process.execPath, [cliPath, ...args], options);
}

/** The one-line error the CLI prints for an expected failure. */
export function expectedError(result: CliResult): { code: string; message: string } | undefined {
  const match = /^error \[([A-Z_]+)\]: (.*)\n$/.exec(result.stderr);
  return match ? { code: match[1], message: match[2] } : undefined;
}

/**
 * Starts the CLI with the simulator holding builds at their first step (TRTN_SIM_HOLD_BUILDS) and
 * resolves once the command says it is building; `interrupt()` sends Ctrl-C and waits for the exit.
 */
export async function startHeldBuild(args: string[]): Promise<{ interrupt(): Promise<{ code: number | null; stderr: string }> }> {
  const child = spawn(process.execPath, [cliPath, ...args], { env: { ...process.env, TRTN_SIM_HOLD_BUILDS: '1' } });
  let stderr = '';
  await new Promise<void>((resolve) => {
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (stderr.includes('building ')) resolve();
    });
  });
  return {
    async interrupt() {
      child.kill('SIGINT');
      const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
      return { code, stderr };
    },
  };
}
