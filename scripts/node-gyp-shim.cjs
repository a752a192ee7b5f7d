#!/usr/bin/env node
// prebuildify drives node-gyp and has no cmake-js backend. It is pointed at this file instead
// (PREBUILD_NODE_GYP) and calls it as `node-gyp rebuild --target=.. --arch=.. --release ...`;
// the shim runs the equivalent cmake-js build, which leaves build/Release/tensorrt_node.node
// where prebuildify looks for it. N-API builds ignore --target (one binary for every Node).
'use strict';

const { spawnSync } = require('node:child_process');
const path = require('node:path');

const args = process.argv.slice(2);
const option = (name) => args.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
if (args[0] !== 'rebuild') {
  console.error(`node-gyp-shim: only "rebuild" is supported, got: ${args.join(' ')}`);
  process.exit(1);
}

const root = path.join(__dirname, '..');
const cmakeArgs = [require.resolve('cmake-js/bin/cmake-js'), 'rebuild', '--directory', root, '--out', path.join(root, 'build')];
if (option('arch')) cmakeArgs.push('--arch', option('arch'));
if (args.includes('--debug')) cmakeArgs.push('--debug');
if (process.env.TRTN_WERROR === '1') cmakeArgs.push('--CDTRTN_WERROR=ON');
const result = spawnSync(process.execPath, cmakeArgs, { cwd: root, stdio: 'inherit' });
process.exit(result.status ?? 1);
