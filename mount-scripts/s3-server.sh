#!/usr/bin/env bash
# Starts or stops a local S3 server on loopback, for the quickstart, the tests and the benchmarks.
#
#   s3-server.sh start STATE_DIR [moto|s3rver|s3rver3|versitygw] [PORT]
#       Starts the server on 127.0.0.1 (a free port unless PORT is given), waits until it answers,
#       and writes STATE_DIR/{pid,port,endpoint,kind,log}. Prints the endpoint URL.
#       S3_SERVER_HOST (moto only) binds another address instead: tests that run it inside a
#       network namespace of their own give 0.0.0.0 there, which reaches only their namespaces.
#   s3-server.sh stop STATE_DIR
#       Kills the server whose PID is in STATE_DIR/pid (and only that one).
#
# moto: broad, correct S3 semantics (does not check signatures).
# s3rver: @20minutes/s3rver 5.0.0, checks SigV4 signatures (keys S3RVER/S3RVER); listing bugs.
# s3rver3: s3rver 3.7.1, fast for benchmarks; no signature checks, buggy listing/ranges.
# versitygw: Versity S3 Gateway (Go, Apache-2.0; pinned in setup.sh, installed into .tools/bin), a
#   real S3 server: SigV4 checked (keys skytrain/skytrain-secret), multipart, copy, conditional
#   requests, AWS error bodies; objects are files under STATE_DIR/data, on tmpfs (/dev/shm) when
#   S3_SERVER_DATA is unset and /dev/shm exists, so benchmarks measure the server, not a disk.
#   (Not MinIO: it is AGPL-3.0, which this workplace's package lists mark not-to-use; see setup.sh.)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
# moto lives in the project virtualenv (setup.sh installs it there).
[ -x "$root/.venv/bin/python3" ] && export PATH="$root/.venv/bin:$PATH"

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

cmd=${1:-}
state=${2:-}
if [ -z "$cmd" ] || [ -z "$state" ]; then echo "usage: $0 start|stop STATE_DIR [moto|s3rver|s3rver3|versitygw] [PORT]" >&2; exit 2; fi

case "$cmd" in
start)
  kind=${3:-moto}
  port=${4:-$(free_port)}
  mkdir -p "$state"
  log="$state/server.log"
  case "$kind" in
    moto)
      python3 -c 'import moto.server' 2>/dev/null || {
        echo "s3-server.sh: python3 has no 'moto': run ./setup.sh (it installs requirements.txt into .venv)" >&2; exit 1; }
      # setsid: the server gets its own process group, so stop can kill it and its children.
      setsid python3 -m moto.server -H "${S3_SERVER_HOST:-127.0.0.1}" -p "$port" >"$log" 2>&1 </dev/null &
      ;;
    s3rver|s3rver3)
      [ -d "$root/tests/node/node_modules" ] || { echo "s3-server.sh: run ./setup.sh first (npm fixtures missing)" >&2; exit 1; }
      mkdir -p "$state/data"
      setsid node "$here/s3rver-serve.js" "$kind" "$port" "$state/data" >"$log" 2>&1 </dev/null &
      ;;
    versitygw)
      vgw=$root/.tools/bin/versitygw
      [ -x "$vgw" ] || { echo "s3-server.sh: $vgw missing: run ./setup.sh (it installs the pinned versitygw)" >&2; exit 1; }
      # Data on tmpfs: a directory of ours under /dev/shm, linked from the state dir (removed at stop).
      if [ -z "${S3_SERVER_DATA:-}" ] && [ -d /dev/shm ] && [ -w /dev/shm ]; then
        data=$(mktemp -d /dev/shm/skytrain-vgw-XXXXXX)
        ln -sfn "$data" "$state/data"
      else
        data=${S3_SERVER_DATA:-$state/data}
        mkdir -p "$data"
      fi
      echo "$data" >"$state/data-dir"
      # --keep-alive: versitygw answers every request with "Connection: close" unless told
      # otherwise, so each request would cost every client a new TCP connection; S3 keeps them.
      setsid "$vgw" --access skytrain --secret skytrain-secret --region us-east-1 --quiet --keep-alive \
        --port "127.0.0.1:$port" posix "$data" >"$log" 2>&1 </dev/null &
      ;;
    *) echo "s3-server.sh: unknown server kind '$kind' (moto|s3rver|s3rver3|versitygw)" >&2; exit 2 ;;
  esac
  pid=$!
  echo "$pid" >"$state/pid"
  echo "$port" >"$state/port"
  echo "$kind" >"$state/kind"
  echo "http://127.0.0.1:$port" >"$state/endpoint"
  for _ in $(seq 1 300); do
    if curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$port/"; then
      echo "http://127.0.0.1:$port"
      exit 0
    fi
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "s3-server.sh: $kind exited during start-up; log:" >&2; cat "$log" >&2; exit 1
    fi
    sleep 0.1
  done
  echo "s3-server.sh: $kind did not answer on port $port within 30 s" >&2
  kill -- "-$pid" 2>/dev/null || true
  exit 1
  ;;
stop)
  [ -f "$state/pid" ] || exit 0
  pid=$(cat "$state/pid")
  kill -- "-$pid" 2>/dev/null || kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -9 -- "-$pid" 2>/dev/null || true
  rm -f "$state/pid"
  # versitygw's objects on tmpfs: only the directory start made (its path is in data-dir).
  if [ -f "$state/data-dir" ]; then
    d=$(cat "$state/data-dir")
    case "$d" in /dev/shm/skytrain-vgw-*) rm -rf "$d" ;; esac
    rm -f "$state/data-dir" "$state/data"
  fi
  ;;
*) echo "usage: $0 start|stop STATE_DIR [moto|s3rver|s3rver3|versitygw] [PORT]" >&2; exit 2 ;;
esac
