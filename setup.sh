#!/usr/bin/env bash
# Installs everything the build, the tests, the benchmarks and the quickstart need on Debian 12.
# Idempotent: installs only what is missing, so a second run takes a second.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

apt_packages=(
  # build
  build-essential cmake ninja-build pkg-config ccache git
  # libraries
  libfuse3-dev fuse3 libcurl4-openssl-dev libssl-dev libpugixml-dev libexpat1-dev
  libsimdjson-dev libfmt-dev libcli11-dev doctest-dev libboost-filesystem-dev
  libsnappy-dev libzstd-dev zlib1g-dev libicu-dev
  libtorch-dev libopenblas0-pthread
  # reference implementations, peers and tools used by tests, benchmarks and the quickstart
  python3 python3-torch python3-jinja2 python3-jsonschema python3-yaml awscli curl jq
  s3fs rclone fio gnuplot-nox shellcheck systemd procps psmisc util-linux
)

missing=()
for p in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Node.js may come from elsewhere than Debian (its npm then conflicts with Debian's): only when absent.
command -v node >/dev/null || missing+=(nodejs)
command -v npm >/dev/null || missing+=(npm)
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Node fixtures (local S3 servers, HF tokenizers, DuckDB, real tokenizer files), pinned by the lock file.
stamp=tests/node/node_modules/.skytrain-lock
if [ ! -f "$stamp" ] || ! cmp -s tests/node/package-lock.json "$stamp"; then
  echo "setup: installing npm test fixtures"
  (cd tests/node && npm install --no-audit --no-fund --loglevel=error)  # npm ci trips over optional per-platform deps in the lock
  cp tests/node/package-lock.json "$stamp"
fi

# moto (the S3 semantics reference) comes with the machine image's python3; Debian has no package.
if ! python3 -c 'import moto.server' 2>/dev/null; then
  echo "setup: python3 lacks moto; trying pip" >&2
  python3 -m pip install --quiet 'moto[server]' || {
    echo "setup: cannot install moto: the tests need 'moto[server]' in python3" >&2; exit 1; }
fi
