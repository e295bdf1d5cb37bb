#!/usr/bin/env bash
# Sets everything up on a fresh Debian machine, builds, and runs every test: unit, integration
# (the real binary on loopback ports), end-to-end (real kubectl and the Python client, on each
# storage backend) and the benchmark smoke test; then the unit and integration tests again in an
# AddressSanitizer + UndefinedBehaviorSanitizer build.
#   scripts/test.sh              # everything
#   SKIP_SANITIZERS=1 scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-deps.sh
bench/setup-deps.sh  # nginx, wrk, gnuplot for the benchmark smoke test (bench_quick)
export CTEST_OUTPUT_ON_FAILURE=1
jobs=$(nproc)

scripts/build.sh
(cd build && ctest --parallel "$jobs" --timeout 600)

if [ -z "${SKIP_SANITIZERS:-}" ]; then
  BUILD_DIR=build-asan BUILD_TYPE=Debug scripts/build.sh -DAPISERVER_SANITIZE=ON -DAPISERVER_BUILD_BENCH=OFF
  (cd build-asan && ASAN_OPTIONS=detect_leaks=0 UBSAN_OPTIONS=print_stacktrace=1 \
     ctest --parallel "$jobs" --timeout 900 -L 'unit|integration')
fi
