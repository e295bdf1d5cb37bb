#!/usr/bin/env bash
# The benchmark suite: one command, every scenario against its references, in the same run.
#
#   bench/run.sh                     # everything (minutes); installs the tools, builds
#   bench/run.sh get list            # some scenarios, by name
#   bench/run.sh --quick             # every scenario for seconds (CI smoke test, no thresholds)
#
# Options (the others go to bench/bench.py; see bench/bench.py --help):
#   --no-install      do not install missing tools (scenarios that need them are skipped)
#   --no-build        use the build directory as it is
#   --build-dir DIR   default build-bench/ (RelWithDebInfo, tests off)
# Results: bench/results/<timestamp>.json, .md and plots. See docs/performance.md.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")

install=1
build=1
build_dir="$repo/build-bench"
pass=()
while (($#)); do
  case "$1" in
    -h|--help)
      sed -n '2,/^set -euo/{/^#/s/^# \{0,1\}//p}' "$0"
      [ -x /usr/bin/python3 ] || exit 0  # bench.py's own options once the tools are installed
      echo
      exec /usr/bin/python3 "$here/bench.py" --help ;;
    --no-install) install=0 ;;
    --no-build) build=0 ;;
    --build-dir)
      (($# > 1)) || { echo "bench: --build-dir needs a directory" >&2; exit 2; }
      build_dir=$2; shift ;;
    --build-dir=*) build_dir=${1#*=} ;;
    *) pass+=("$1") ;;
  esac
  shift
done

# A wrong scenario name or option is refused before anything is installed or built (on a fresh
# machine without Python yet, once the tools are installed: bench.py checks them again).
if [ -x /usr/bin/python3 ]; then
  /usr/bin/python3 "$here/bench.py" --check --build-dir "$build_dir" ${pass[@]+"${pass[@]}"}
fi

if ((install)); then
  "$here/setup-deps.sh"
fi
if ((build)); then
  echo "bench: building into $build_dir (RelWithDebInfo)" >&2
  (cd "$repo" && BUILD_DIR="$build_dir" BUILD_TYPE=RelWithDebInfo scripts/build.sh \
     -DAPISERVER_BUILD_TESTS=OFF -DAPISERVER_BUILD_BENCH=ON) >&2
fi

# 10,000 watch streams need 10,000 descriptors in the server and as many in the load generator.
hard=$(ulimit -Hn)
if [ "$hard" != unlimited ] && [ "$hard" -lt 65536 ]; then
  ulimit -Hn 65536 2>/dev/null || true
fi
ulimit -Sn "$(ulimit -Hn)" 2>/dev/null || true

exec /usr/bin/python3 "$here/bench.py" --build-dir "$build_dir" ${pass[@]+"${pass[@]}"}
