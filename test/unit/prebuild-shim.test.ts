// The prebuild shim (prebuildify's node-gyp stand-in) builds release binaries with the TensorRT
// runtime compiled in: the headers come from TENSORRT_INCLUDE, checked before the build starts
// and handed to CMake explicitly; a binary without them is only built when asked for.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const require = createRequire(import.meta.url);
const { cmakeJsArgs } = require('../../scripts/node-gyp-shim.cjs') as {
  cmakeJsArgs(args: string[], env: Record<string, string | undefined>): string[] | Error;
};

const dir = mkdtempSync(join(tmpdir(), 'trtn-prebuild-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A folder shaped like TensorRT's include/ (our own placeholder text, not NVIDIA's headers). */
function headers(name: string, versionText: string): string {
  const include = join(dir, name);
  mkdirSync(include, { recursive: true });
  writeFileSync(join(include, 'NvInfer.h'), '// placeholder\n');
  writeFileSync(join(include, 'NvInferVersion.h'), versionText);
  return include;
}

const prebuildifyCall = ['rebuild', '--target=20.0.0', '--arch=x64', '--release'];

describe('build:prebuild', () => {
  it('hands the headers in TENSORRT_INCLUDE to CMake', () => {
    const include = headers('real', '#define NV_TENSORRT_MAJOR 10\n#define NV_TENSORRT_MINOR 16\n');
    const args = cmakeJsArgs(prebuildifyCall, { TENSORRT_INCLUDE: include });
    expect(args).toBeInstanceOf(Array);
    expect(args).toContain(`--CDTRTN_TENSORRT_INCLUDE_DIR=${include}`);
    expect(args).toEqual(expect.arrayContaining(['rebuild', '--arch', 'x64']));
  });

  it('refuses to build a release without TensorRT headers unless asked to', () => {
    const missing = cmakeJsArgs(prebuildifyCall, {});
    expect(missing).toBeInstanceOf(Error);
    expect((missing as Error).message).toContain('set TENSORRT_INCLUDE');
    const onPurpose = cmakeJsArgs(prebuildifyCall, { TENSORRT_NODE_PREBUILD_WITHOUT_TENSORRT: '1' });
    expect(onPurpose).toBeInstanceOf(Array);
    expect((onPurpose as string[]).some((arg) => arg.startsWith('--CDTRTN_TENSORRT_INCLUDE_DIR'))).toBe(false);
  });

  it('refuses a folder without TensorRT headers and the simulator’s headers', () => {
    const empty = join(dir, 'empty');
    mkdirSync(empty, { recursive: true });
    expect((cmakeJsArgs(prebuildifyCall, { TENSORRT_INCLUDE: empty }) as Error).message).toContain('has no NvInfer.h');
    const sim = headers('sim', '#define NV_TENSORRT_MAJOR 11\n#define TENSORRT_NODE_SIMULATOR 1\n');
    expect((cmakeJsArgs(prebuildifyCall, { TENSORRT_INCLUDE: sim }) as Error).message).toContain("simulator's headers");
  });
});
