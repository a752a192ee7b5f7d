#!/usr/bin/env bash
# Builds the simulator addon with AddressSanitizer (build-asan/Release) and runs the sim tests
# under it with leak detection. Node is not built with ASan, so libasan is preloaded.
#  - The tests run in vitest worker threads of one process (vitest.asan.config.ts): vitest kills
#    its fork workers, which would skip LeakSanitizer's exit-time check; a normally exiting
#    process checks every environment the addon ran in, after each one's teardown.
#  - Child processes the tests start (simulator knobs) inherit the preload and are checked too.
#  - The addon is also loaded by the main thread (-r) so it stays mapped after worker threads
#    exit and leak stacks are symbolized.
#  - intercept_tls_get_addr=0 works around LeakSanitizer crashing ("Tracer caught signal 11")
#    on the dynamic TLS of dlopen'ed libraries with this gcc/glibc pair.
# Fails when any ASan error is reported or any leak stack contains a frame of ours
# (anything in build-asan/Release: the addon, the CUDA and TensorRT simulators; trtn::). Usage: npm run test:asan [-- test paths]
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

npx cmake-js build -O build-asan --CDTRTN_SIMULATOR=ON --CDTRTN_ASAN=ON --CDTRTN_WERROR=ON --log-level warn >/dev/null

libasan=$(g++ -print-file-name=libasan.so)
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
status=0
env LD_PRELOAD="$libasan" \
  ASAN_OPTIONS="detect_leaks=1:intercept_tls_get_addr=0:log_path=$logs/asan" \
  LSAN_OPTIONS="exitcode=0:suppressions=$root/scripts/lsan.supp:print_suppressions=0" \
  TENSORRT_NODE_SIM_DIR="$root/build-asan/Release" \
  node --expose-gc -r "$root/scripts/asan-preload.cjs" node_modules/vitest/vitest.mjs run \
  --config vitest.asan.config.ts "${@:-test/sim}" || status=$?

shopt -s nullglob
files=("$logs"/*)
all() { if [ ${#files[@]} -gt 0 ]; then cat "${files[@]}"; fi; }
reports=${#files[@]}
errors=$(all | grep -c "ERROR: AddressSanitizer" || true)
ours=$(all | awk '/leak of/{block=$0; next} /^$/{if (block ~ /build-asan\/Release\/|tensorrt_node|trtn_cudart_sim|trtn::/) n++; block=""; next} {block=block "\n" $0} END{if (block ~ /build-asan\/Release\/|tensorrt_node|trtn_cudart_sim|trtn::/) n++; print n+0}')
other=$(all | grep -c "leak of" || true)
echo "asan: vitest exit $status; $reports sanitizer reports; $errors ASan errors; $ours leaks with addon frames; $other leaks in total"
if [ "$errors" != 0 ] || [ "$ours" != 0 ]; then
  all
  exit 1
fi
if [ "$other" != 0 ]; then
  echo "asan: leaks outside the addon (node/vitest), for information:"
  all | grep -A6 "leak of" | head -60 || true  # head closing the pipe early is not a failure
fi
exit "$status"
