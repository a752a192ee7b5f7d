#!/usr/bin/env node
// prebuildify drives node-gyp and has no cmake-js backend. It is pointed at this file instead
// (PREBUILD_NODE_GYP) and calls it as `node-gyp rebuild --target=.. --arch=.. --release ...`;
// the shim runs the equivalent cmake-js build, which leaves build/Release/tensorrt_node.node
// where prebuildify looks for it. N-API builds ignore --target (one binary for every Node).
//
// A prebuilt binary is what users without TensorRT headers (TensorRT from pip, the lean runtime)
// get, so it must have the TensorRT runtime compiled in: the headers come from TENSORRT_INCLUDE
// (the include/ folder of NVIDIA/TensorRT, Apache-2.0), checked here and handed to CMake
// explicitly. TENSORRT_NODE_PREBUILD_WITHOUT_TENSORRT=1 builds a CUDA-only binary on purpose.
'use strict';

const { spawnSync } = require('node:child_process');
const { existsSync, readFileSync } = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');

/** The TensorRT include folder to build with, or an Error saying what is wrong. */
function tensorrtInclude(env) {
  const dir = env.TENSORRT_INCLUDE;
  if (dir === undefined || dir === '') {
    if (env.TENSORRT_NODE_PREBUILD_WITHOUT_TENSORRT === '1') return undefined;
    return new Error(
      'node-gyp-shim: set TENSORRT_INCLUDE to the include/ folder of TensorRT 10.x or 11.x headers (NVIDIA/TensorRT on GitHub): ' +
        'a prebuilt binary without them cannot run TensorRT (README: "Building a release"). ' +
        'Set TENSORRT_NODE_PREBUILD_WITHOUT_TENSORRT=1 to build one without TensorRT on purpose.',
    );
  }
  const version = path.join(dir, 'NvInferVersion.h');
  if (!existsSync(path.join(dir, 'NvInfer.h')) || !existsSync(version)) {
    return new Error(`node-gyp-shim: TENSORRT_INCLUDE=${dir} has no NvInfer.h / NvInferVersion.h`);
  }
  if (readFileSync(version, 'utf8').includes('TENSORRT_NODE_SIMULATOR')) {
    return new Error(`node-gyp-shim: TENSORRT_INCLUDE=${dir} holds the simulator's headers; point it at real TensorRT headers`);
  }
  return path.resolve(dir);
}

/** cmake-js's arguments for node-gyp's `args` (an Error when the build must not start). */
function cmakeJsArgs(args, env) {
  if (args[0] !== 'rebuild') return new Error(`node-gyp-shim: only "rebuild" is supported, got: ${args.join(' ')}`);
  const include = tensorrtInclude(env);
  if (include instanceof Error) return include;
  const option = (name) => args.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
  const cmakeArgs = [require.resolve('cmake-js/bin/cmake-js'), 'rebuild', '--directory', root, '--out', path.join(root, 'build')];
  if (option('arch')) cmakeArgs.push('--arch', option('arch'));
  if (args.includes('--debug')) cmakeArgs.push('--debug');
  if (env.TRTN_WERROR === '1') cmakeArgs.push('--CDTRTN_WERROR=ON');
  if (include !== undefined) cmakeArgs.push(`--CDTRTN_TENSORRT_INCLUDE_DIR=${include}`);
  return cmakeArgs;
}

module.exports = { cmakeJsArgs, tensorrtInclude };

if (require.main === module) {
  const cmakeArgs = cmakeJsArgs(process.argv.slice(2), process.env);
  if (cmakeArgs instanceof Error) {
    console.error(cmakeArgs.message);
    process.exit(1);
  }
  const result = spawnSync(process.execPath, cmakeArgs, { cwd: root, stdio: 'inherit' });
  process.exit(result.status ?? 1);
}
