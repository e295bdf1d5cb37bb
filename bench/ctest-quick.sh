#!/usr/bin/env bash
# CTest's bench_quick: bench/run.sh --quick against an existing build, without installing or
# building anything; passes when the run completes (no scenario failed; scenarios whose tools are
# missing are skipped) and wrote its JSON report. No thresholds: CI machines are shared and noisy.
#   bench/ctest-quick.sh BUILD_DIR RESULTS_DIR
set -euo pipefail
build_dir=$1
results_dir=$2
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$results_dir"
shopt -s nullglob
before=("$results_dir"/*.json)
rc=0
"$here/run.sh" --quick --no-install --no-build --build-dir "$build_dir" \
  --results-dir "$results_dir" >/dev/null || rc=$?
after=("$results_dir"/*.json)
report=$(ls -t "$results_dir"/*.json 2>/dev/null | head -1 || true)
if [ -z "$report" ] || [ "${#after[@]}" -le "${#before[@]}" ]; then
  echo "bench_quick: no JSON report was written (run.sh exit $rc)" >&2
  exit 1
fi
/usr/bin/python3 - "$report" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
for name, status in r["status"].items():
    print(f"{name}: {status.splitlines()[0]}")
PY
exit "$rc"
