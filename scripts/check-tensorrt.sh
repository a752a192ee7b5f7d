#!/usr/bin/env bash
# Compiles every native source that includes TensorRT headers with -fsyntax-only against the real
# TensorRT headers in $TENSORRT_INCLUDE (the include/ folder of a TensorRT 10.x or 11.x release),
# so API drift between TensorRT versions shows up here rather than on a user's machine. The
# headers are never part of this repository; point the variable at a folder outside it.
#   TENSORRT_INCLUDE=/path/to/TensorRT/include npm run check:tensorrt
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ -z "${TENSORRT_INCLUDE:-}" ]]; then
  echo "check:tensorrt: set TENSORRT_INCLUDE to the include/ folder of TensorRT 10.x or 11.x headers" >&2
  exit 2
fi
if [[ ! -f "$TENSORRT_INCLUDE/NvInfer.h" || ! -f "$TENSORRT_INCLUDE/NvInferVersion.h" ]]; then
  echo "check:tensorrt: $TENSORRT_INCLUDE has no NvInfer.h / NvInferVersion.h" >&2
  exit 2
fi
case "$(cd "$TENSORRT_INCLUDE" && pwd -P)/" in
  "$(pwd -P)/"*) echo "check:tensorrt: keep the TensorRT headers outside the repository" >&2; exit 2 ;;
esac
if grep -q "TENSORRT_NODE_SIMULATOR" "$TENSORRT_INCLUDE/NvInferVersion.h"; then
  echo "check:tensorrt: $TENSORRT_INCLUDE holds the simulator's headers; point it at real TensorRT headers" >&2
  exit 2
fi

cuda_include="${CUDA_INCLUDE:-}"
if [[ -z "$cuda_include" ]]; then
  for candidate in "${CUDA_PATH:-}" "${CUDA_HOME:-}" /usr/local/cuda "$(dirname "$(command -v nvcc 2>/dev/null || echo /nonexistent/bin/nvcc)")/.."; do
    if [[ -n "$candidate" && -f "$candidate/include/cuda_runtime_api.h" ]]; then cuda_include="$candidate/include"; break; fi
  done
fi
if [[ -z "$cuda_include" ]]; then
  echo "check:tensorrt: CUDA headers not found; set CUDA_INCLUDE" >&2
  exit 2
fi
napi_include="$(node -p "require('path').dirname(require.resolve('node-addon-api'))")"
node_api_include="$(node -p "require('node-api-headers').include_dir")"

major="$(sed -n 's/^#define TRT_MAJOR_ENTERPRISE \([0-9]*\).*/\1/p; s/^#define NV_TENSORRT_MAJOR \([0-9][0-9]*\).*/\1/p' "$TENSORRT_INCLUDE/NvInferVersion.h" | head -1)"
minor="$(sed -n 's/^#define TRT_MINOR_ENTERPRISE \([0-9]*\).*/\1/p; s/^#define NV_TENSORRT_MINOR \([0-9][0-9]*\).*/\1/p' "$TENSORRT_INCLUDE/NvInferVersion.h" | head -1)"

# Every addon source of the real build (TensorRT headers reach most through other headers), plus
# each header that includes TensorRT directly, checked on its own. The simulator is not part of it.
mapfile -t sources < <(
  { find native -name '*.cc' -not -path 'native/sim/*' -not -path 'native/testing/*';
    grep -rlE '#include[[:space:]]*[<"](NvInfer|NvOnnxParser)' native --include='*.h' | grep -v '^native/sim/'; } | sort -u)
if [[ ${#sources[@]} -eq 0 ]]; then
  echo "check:tensorrt: no native source includes TensorRT headers" >&2
  exit 1
fi

tensorrt_users=0
for source in "${sources[@]}"; do
  if grep -qE '#include[[:space:]]*[<"](NvInfer|NvOnnxParser|tensorrt/(engine|execution_context|logger|tensorrt_types|engine_builder|progress_monitor)\.h)' "$source"; then
    tensorrt_users=$((tensorrt_users + 1))
  fi
done
cxx="${CXX:-c++}"
failed=0
for source in "${sources[@]}"; do
  # Headers are checked through a one-line translation unit that includes them (on their own,
  # so each header is self-contained).
  if [[ "$source" == *.h ]]; then
    unit="#include \"${source#native/}\""
  else
    unit="#line 1 \"$source\""$'\n'"$(cat "$source")"
  fi
  if ! printf '%s\n' "$unit" | "$cxx" -std=c++17 -fsyntax-only -Wall -Wextra -Werror -x c++ \
      -DNAPI_VERSION=8 -DNAPI_CPP_EXCEPTIONS -DNODE_ADDON_API_DISABLE_DEPRECATED -DTRTN_HAVE_TENSORRT=1 \
      -isystem "$TENSORRT_INCLUDE" -isystem "$cuda_include" -isystem "$napi_include" -isystem "$node_api_include" \
      -Inative -I"$(dirname "$source")" -; then
    echo "check:tensorrt: $source does not compile" >&2
    failed=1
  fi
done
if [[ $failed -ne 0 ]]; then
  echo "check:tensorrt: FAILED against TensorRT ${major}.${minor} headers in $TENSORRT_INCLUDE" >&2
  exit 1
fi
echo "check:tensorrt: ${#sources[@]} sources (${tensorrt_users} using TensorRT) compile against TensorRT ${major}.${minor} headers ($TENSORRT_INCLUDE)"
