#!/usr/bin/env bash
# Instructions per pod create: a figure this noisy 2-core machine cannot blur. Runs the host
# under callgrind (memory backend) twice — once with N creates, once with none — and prints the
# difference divided by N: the user-space instructions of the whole process (every thread) per
# create. Kernel time (the socket calls) is not counted; compare builds with it, not with nginx.
#
#   bench/instructions.sh [BUILD_DIR] [N]     # default build/ and 1000 creates
#
# Needs valgrind and a build with the load generator (APISERVER_BUILD_BENCH=ON).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
if [ "${1:-}" = --help ] || [ "${1:-}" = -h ]; then
  sed -n '2,/^set -euo/{/^#/s/^# \{0,1\}//p}' "$0"
  exit 0
fi
(($# <= 2)) || { echo "instructions: at most two arguments, BUILD_DIR and N (see --help)" >&2; exit 2; }
build=${1:-$repo/build}
n=${2:-1000}
[[ $n =~ ^[1-9][0-9]*$ ]] || { echo "instructions: N must be a positive number of creates, not '$n'" >&2; exit 2; }
host=$build/bin/apiserver-host
loadgen=$build/bin/loadgen
for b in "$host" "$loadgen"; do
  [ -x "$b" ] || { echo "instructions: $b not found (build it first)" >&2; exit 1; }
done
command -v valgrind >/dev/null || { echo "instructions: valgrind is not installed" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cat > "$work/apiserver.yaml" <<'EOF'
serving:
  shutdownGracePeriod: 2s
handlerChain:
  - panic-recovery
  - request-info
  - {name: request-log, config: {level: debug}}
  - max-in-flight
  - timeout
logging:
  level: warn
EOF
request="1 POST /api/v1/namespaces/default/pods @$here/templates/pod.json"

# instructions COUNT: the process's total instructions with 300 warm-up creates, then COUNT more.
instructions() {
  local port out pid
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  out="$work/callgrind.$1"
  valgrind --tool=callgrind --callgrind-out-file="$out" "$host" --config "$work/apiserver.yaml" \
    --insecure-port "$port" --secure-port -1 --storage-backend memory > "$work/host.log" 2>&1 &
  pid=$!
  for _ in $(seq 600); do
    curl -sf "http://127.0.0.1:$port/readyz" > /dev/null && break
    sleep 0.2
  done
  "$loadgen" http --port "$port" --connections 4 -n 300 --start-index 1 --request "$request" > /dev/null
  if (($1 > 0)); then
    "$loadgen" http --port "$port" --connections 4 -n "$1" --start-index 1000000 --request "$request" \
      > "$work/load.json"
    python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); sys.exit(0 if d["ok"] == int(sys.argv[2]) else
                "instructions: not every create succeeded: %s" % d.get("statuses"))' "$work/load.json" "$1"
  fi
  kill "$pid"
  wait "$pid" || true
  awk '/^(summary|totals):/ { print $2; exit }' "$out"
}

base=$(instructions 0)
with=$(instructions "$n")
echo "$(( (with - base) / n )) instructions per create ($n creates, memory backend, $build)"
