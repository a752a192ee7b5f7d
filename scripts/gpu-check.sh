#!/usr/bin/env bash
# The GPU check, as one prepared script for a machine with an NVIDIA GPU and driver:
# builds the real addon (warnings as errors), shows what CUDA and TensorRT look like, and runs
# the GPU tests (test/gpu) plus the real-build tests (test/native, which skip themselves when a
# GPU is present). Fails if no GPU is usable, since then the GPU tests would only be skipped.
# Usage: npm run test:gpu   (or bash scripts/gpu-check.sh)
set -euo pipefail
cd "$(dirname "$0")/.."

command -v nvidia-smi >/dev/null && nvidia-smi -L || echo "gpu-check: nvidia-smi not found"
[ -d node_modules ] || npm ci --ignore-scripts
start=$(date +%s)
npx cmake-js build --CDTRTN_WERROR=ON --log-level warn
echo "gpu-check: real addon built in $(( $(date +%s) - start )) s"

node -e '
  const b = require("./build/Release/tensorrt_node.node");
  const info = b.cudaInfo();
  console.log("gpu-check: cudaInfo", JSON.stringify(info));
  console.log("gpu-check: tensorrtInfo", JSON.stringify(b.tensorrtInfo()));
  if (!info.available) { console.error("gpu-check: CUDA is not usable here; the GPU tests would all be skipped"); process.exit(1); }
  console.log("gpu-check: devices", JSON.stringify(b.devices()));
'
TENSORRT_NODE_BINDING=release npx vitest run test/gpu test/native
