#!/usr/bin/env bash
# Holds what `tensorrt-node export triton` writes against Triton's own model configuration schema:
# every field the config.pbtxt writer declares, every enum value it may emit, and whole configs it
# writes are checked against model_config.proto from triton-inference-server/common (protobuf/).
# The proto is never part of this repository; point the variable at a copy outside it.
#   TRITON_MODEL_CONFIG_PROTO=/path/to/model_config.proto npm run check:triton
set -euo pipefail
cd "$(dirname "$0")/.."

proto="${TRITON_MODEL_CONFIG_PROTO:-}"
if [[ -z "$proto" ]]; then
  echo "check:triton: set TRITON_MODEL_CONFIG_PROTO to Triton's model_config.proto (triton-inference-server/common, protobuf/model_config.proto)" >&2
  exit 2
fi
if [[ ! -f "$proto" ]]; then
  echo "check:triton: $proto is not a file" >&2
  exit 2
fi
case "$(cd "$(dirname "$proto")" && pwd -P)/" in
  "$(pwd -P)/"*) echo "check:triton: keep model_config.proto outside the repository" >&2; exit 2 ;;
esac
if ! grep -q '^message ModelConfig' "$proto"; then
  echo "check:triton: $proto declares no message ModelConfig" >&2
  exit 2
fi
export TRITON_MODEL_CONFIG_PROTO="$(cd "$(dirname "$proto")" && pwd -P)/$(basename "$proto")"
exec npx vitest run --config scripts/check-triton.config.ts
