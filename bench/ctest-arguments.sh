#!/usr/bin/env bash
# CTest's bench_arguments: bench/run.sh refuses a wrong scenario name or option before it installs
# or builds anything (a build directory it would have built into stays absent), and --help prints
# the usage without doing either; bench/instructions.sh answers --help and refuses a bad count.
#   bench/ctest-arguments.sh SCRATCH_DIR
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
scratch=$1
rm -rf "$scratch"
mkdir -p "$scratch"
fail() { echo "bench_arguments: $*" >&2; exit 1; }

out=$("$here/run.sh" --no-install --build-dir "$scratch/build" no-such-scenario 2>&1)
rc=$?
[ "$rc" -eq 2 ] || fail "an unknown scenario: exit $rc, want 2"
grep -q "unknown scenario(s) no-such-scenario; known: get," <<<"$out" || fail "no message naming it: $out"
[ ! -e "$scratch/build" ] || fail "an unknown scenario started a build"

out=$("$here/run.sh" --no-install --build-dir "$scratch/build" --no-such-option 2>&1)
rc=$?
[ "$rc" -eq 2 ] || fail "an unknown option: exit $rc, want 2"
grep -q "unrecognized arguments: --no-such-option" <<<"$out" || fail "no message naming it: $out"
[ ! -e "$scratch/build" ] || fail "an unknown option started a build"

out=$("$here/run.sh" --build-dir 2>&1)
rc=$?
[ "$rc" -eq 2 ] || fail "--build-dir without a directory: exit $rc, want 2"

out=$("$here/run.sh" --no-install --build-dir "$scratch/build" --help 2>&1)
rc=$?
[ "$rc" -eq 0 ] || fail "--help: exit $rc, want 0"
grep -q "bench/run.sh get list" <<<"$out" || fail "--help does not show run.sh's usage: $out"
grep -q "usage: bench.py" <<<"$out" || fail "--help does not show bench.py's options: $out"
[ ! -e "$scratch/build" ] || fail "--help started a build"
# bench/instructions.sh: --help, and a count that is not one.
out=$("$here/instructions.sh" --help 2>&1)
rc=$?
[ "$rc" -eq 0 ] || fail "instructions.sh --help: exit $rc, want 0"
grep -q "bench/instructions.sh \[BUILD_DIR\] \[N\]" <<<"$out" || fail "instructions.sh --help: $out"
out=$("$here/instructions.sh" "$scratch/build" ten 2>&1)
rc=$?
[ "$rc" -eq 2 ] || fail "instructions.sh with N=ten: exit $rc, want 2"
grep -q "N must be a positive number of creates, not 'ten'" <<<"$out" || fail "instructions.sh: $out"
echo "bench_arguments: ok"
