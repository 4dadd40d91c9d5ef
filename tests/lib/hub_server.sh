# Sourced by integration tests after harness.sh: a local Hugging Face hub (mount-scripts/hub-server.py)
# on a free loopback port, killed by PID at exit through the harness.
#
#   start_hub ROOT [hub-server.py options...]   # sets HUB_URL and HUB_PID
#   stop_hub PID

start_hub() {
  local root=$1
  shift
  local state
  state=$(mktemp -d "$T/hub-XXXXXX")
  python3 "$SKYTRAIN_SRC/mount-scripts/hub-server.py" "$root" --url-file "$state/url" "$@" >"$state/log" 2>&1 </dev/null &
  HUB_PID=$!
  track_pid "$HUB_PID"
  for _ in $(seq 1 300); do
    [ -s "$state/url" ] && break
    if ! kill -0 "$HUB_PID" 2>/dev/null; then
      echo "hub-server exited during start-up:" >&2
      cat "$state/log" >&2
      return 1
    fi
    sleep 0.1
  done
  [ -s "$state/url" ] || { echo "hub-server did not start" >&2; return 1; }
  HUB_URL=$(cat "$state/url")
}

stop_hub() {
  kill "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}
