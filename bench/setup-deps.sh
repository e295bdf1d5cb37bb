#!/usr/bin/env bash
# Installs the benchmark's tools from Debian if missing: nginx (the HTTP reference), wrk (the GET
# client), etcd (the storage reference), gnuplot (plots), curl; and the build's own dependencies
# (scripts/setup-deps.sh). Idempotent: nothing is installed when everything is there.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(nginx-light wrk etcd-server gnuplot-nox curl)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
# nginx-light or any other flavour of nginx will do.
if command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ]; then
  missing=("${missing[@]/nginx-light}")
fi
missing=($(printf '%s\n' "${missing[@]}" | grep -v '^$' || true))

if ((${#missing[@]})); then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  echo "bench: installing ${missing[*]}" >&2
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
  # Debian starts the packaged nginx and etcd services on install; the benchmark runs its own
  # instances on free loopback ports, so stop the packaged ones where a service manager runs.
  if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
    $SUDO systemctl disable --now nginx etcd >/dev/null 2>&1 || true
  fi
fi

scripts/setup-deps.sh
