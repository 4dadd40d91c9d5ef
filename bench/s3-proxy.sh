#!/usr/bin/env bash
# Starts/stops bench/s3_proxy.py (latency and fault injection in front of a loopback S3 server).
#
#   s3-proxy.sh start STATE_DIR UPSTREAM_URL [s3_proxy.py options...]   prints the proxy's URL
#   s3-proxy.sh stop STATE_DIR                                          kills it by its PID
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cmd=${1:-}; state=${2:-}
[ -n "$cmd" ] && [ -n "$state" ] || { echo "usage: $0 start|stop STATE_DIR [UPSTREAM [options]]" >&2; exit 2; }
case "$cmd" in
start)
  upstream=${3:?upstream URL}
  shift 3
  mkdir -p "$state"
  rm -f "$state/port"
  py=/usr/bin/python3; [ -x "$py" ] || py=python3  # the PATH python3 may be a slow shim
  setsid "$py" "$here/s3_proxy.py" --upstream "$upstream" --port-file "$state/port" \
    --stats-file "$state/stats.json" "$@" >"$state/log" 2>&1 </dev/null &
  pid=$!
  echo "$pid" >"$state/pid"
  for _ in $(seq 1 100); do
    if [ -s "$state/port" ]; then echo "http://127.0.0.1:$(cat "$state/port")"; exit 0; fi
    kill -0 "$pid" 2>/dev/null || { echo "s3-proxy.sh: proxy exited; log:" >&2; cat "$state/log" >&2; exit 1; }
    sleep 0.1
  done
  echo "s3-proxy.sh: proxy did not start" >&2
  kill "$pid" 2>/dev/null || true
  exit 1
  ;;
stop)
  [ -f "$state/pid" ] || exit 0
  pid=$(cat "$state/pid")
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
  rm -f "$state/pid"
  ;;
*) echo "usage: $0 start|stop STATE_DIR [UPSTREAM [options]]" >&2; exit 2 ;;
esac
