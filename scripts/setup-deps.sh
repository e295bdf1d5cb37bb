#!/usr/bin/env bash
# Installs every Debian package the build, the tests and the e2e suites need.
# Idempotent: packages already present are skipped by apt-get.
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config git
  # Boost 1.81 by name: its -dev packages conflict with the default 1.74 ones.
  libboost1.81-dev libboost-program-options1.81-dev libboost-json1.81-dev
  libboost-url1.81-dev libboost-filesystem1.81-dev libboost-system1.81-dev
  libyaml-cpp-dev libspdlog-dev libfmt-dev
  libgtest-dev libgmock-dev
  libsqlite3-dev sqlite3 libssl-dev openssl libsodium-dev
  libmimalloc-dev  # the host's allocator (APISERVER_MIMALLOC)
  liburing-dev  # the watch fan-out's batched writes (host/server/send_ring.cpp)
  libprotobuf-dev protobuf-compiler libgrpc++-dev protobuf-compiler-grpc
  # judges: real kubectl is provided by the machine; etcd and the python client from Debian
  etcd-server etcd-client python3-kubernetes python3-pytest python3-yaml
  curl
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

if ((${#missing[@]})); then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
