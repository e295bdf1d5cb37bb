#!/usr/bin/env bash
# Sets everything up on a fresh Debian machine and runs the server on its built-in default
# configuration (config/apiserver.yaml). Extra arguments go to apiserver-host, e.g.
#   scripts/run.sh --insecure-port 8080 --log-level debug
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-deps.sh
scripts/build.sh -DAPISERVER_BUILD_TESTS=OFF
exec build/bin/apiserver-host "$@"
