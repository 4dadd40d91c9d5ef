# Sourced by integration tests (bash). Gives each test a private temp dir, local S3 servers on
# free loopback ports and mounts, and tears all of it down on exit, whether the test passed,
# failed or was interrupted: unmount first, then kill the servers it started (by PID), then
# remove the temp dir.
#
#   source "$SKYTRAIN_SRC/tests/lib/harness.sh"
#   harness_init                      # sets T (temp dir), BIN (build dir with the tools)
#   start_s3 moto                     # sets S3_ENDPOINT, exports AWS_* for it
#   start_s3 "$(test_s3 moto)"        # moto, or the backend ctest names in SKYTRAIN_TEST_S3
#   make_bucket mybucket
#   mount_bucket mybucket "$T/mnt" [skytrain-fs options...]
#   check "what" cmd...               # runs cmd, fails the test with "what" if it fails
set -euo pipefail

SKYTRAIN_SRC=${SKYTRAIN_SRC:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
SKYTRAIN_BUILD=${SKYTRAIN_BUILD:-$SKYTRAIN_SRC/build}
BIN=$SKYTRAIN_BUILD
# Tools are built into their part's folder (build/pipeline, build/trainer); skytrain-fs at the build root.
FS_BIN=$SKYTRAIN_BUILD/skytrain-fs
# python3 is the project virtualenv's (moto, torch and the reference packages; see setup.sh).
export PATH="$SKYTRAIN_BUILD:$SKYTRAIN_BUILD/pipeline:$SKYTRAIN_BUILD/trainer:$SKYTRAIN_SRC/.venv/bin:$PATH"
_H_MOUNTS=()
_H_SERVERS=()
_H_PIDS=()
_H_ON_EXIT=()

# in_mount_table PATH: whether PATH is in the kernel's mount table. Not `mountpoint -q`: that
# stats the path, which fails on the stale mount a killed driver leaves ("Transport endpoint is
# not connected"), so a dead mount would look unmounted and be left behind.
in_mount_table() { findmnt -rn --mountpoint "$1" >/dev/null 2>&1; }
# mounts_under DIR: mount points below DIR, deepest first (also those a script the test ran made).
mounts_under() { awk -v p="$1/" 'index($2, p) == 1 { print $2 }' /proc/self/mounts | sort -r; }

harness_cleanup() {
  local rc=$?
  set +e
  local m
  for m in "${_H_MOUNTS[@]}" $([ -n "${T:-}" ] && mounts_under "$T"); do
    if in_mount_table "$m"; then
      fusermount3 -u "$m" 2>/dev/null || { sleep 1; fusermount3 -u "$m" 2>/dev/null; } || fusermount3 -uz "$m"
    fi
  done
  for p in "${_H_PIDS[@]}"; do kill "$p" 2>/dev/null; done
  for s in "${_H_SERVERS[@]}"; do bash "$SKYTRAIN_SRC/mount-scripts/s3-server.sh" stop "$s"; done
  for c in "${_H_ON_EXIT[@]}"; do eval "$c"; done
  [ -n "${T:-}" ] && [ -d "$T" ] && rm -rf "$T"
  if [ $rc -ne 0 ] && [ $rc -ne 77 ]; then echo "FAILED: $(basename "$0") (exit $rc)" >&2; fi
  exit $rc
}

harness_init() {
  T=$(mktemp -d /tmp/skytrain-test-XXXXXX)
  # The hub download cache, per test: tests running side by side (ctest -j2) import the same
  # sample dataset, and a cache in $HOME would also outlive the test.
  export SKYTRAIN_CACHE="$T/cache"
  trap harness_cleanup EXIT
  trap 'exit 130' INT TERM
}

# start_s3 [moto|s3rver|s3rver3|versitygw]: starts a server; exports AWS_* so aws/boto3/skytrain-fs
# find it. Tests that hold for any real S3 server name "$(test_s3 moto)": ctest runs them once more
# with SKYTRAIN_TEST_S3=versitygw (tests/CMakeLists.txt lists them).
test_s3() { echo "${SKYTRAIN_TEST_S3:-$1}"; }
start_s3() {
  local kind=${1:-moto}
  local state="$T/s3-$kind-${#_H_SERVERS[@]}"
  _H_SERVERS+=("$state")
  S3_ENDPOINT=$(bash "$SKYTRAIN_SRC/mount-scripts/s3-server.sh" start "$state" "$kind")
  export S3_ENDPOINT AWS_ENDPOINT_URL="$S3_ENDPOINT" AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
  case "$kind" in
    moto) export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing ;;
    versitygw) export AWS_ACCESS_KEY_ID=skytrain AWS_SECRET_ACCESS_KEY=skytrain-secret ;;
    *) export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER ;;
  esac
  unset AWS_PROFILE AWS_SESSION_TOKEN
}

awsl() { aws --endpoint-url "$S3_ENDPOINT" "$@"; }
make_bucket() { awsl s3 mb "s3://$1" >/dev/null; }

# mount_bucket BUCKET[:PREFIX] MOUNTPOINT [options]: mounts in daemon mode, registered for unmount.
mount_bucket() {
  local src=$1 mnt=$2
  shift 2
  mkdir -p "$mnt"
  _H_MOUNTS+=("$mnt")
  "$FS_BIN" --endpoint "$S3_ENDPOINT" "$@" "$src" "$mnt"
}

unmount() {
  fusermount3 -u "$1"
}

# Registers a background PID to kill at exit.
track_pid() { _H_PIDS+=("$1"); }
# on_exit 'COMMAND': runs COMMAND (eval) at exit, after unmounting and stopping servers.
on_exit() { _H_ON_EXIT+=("$1"); }
# A free TCP port on loopback (for a rendezvous or a server that cannot pick its own).
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
# wait_while_running PID TEST-ARGS...: polls (up to an hour) until `test TEST-ARGS...` holds or
# PID has exited; the caller checks which.
wait_while_running() {
  local pid=$1
  shift
  for _ in $(seq 1 36000); do
    test "$@" && return 0
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
}
# skip_test REASON: ctest reports the test as skipped (SKIP_RETURN_CODE 77), not passed.
skip_test() {
  echo "SKIPPED: $1"
  exit 77
}

check() {
  local what=$1
  shift
  if ! "$@"; then
    echo "CHECK FAILED: $what" >&2
    exit 1
  fi
}
