#!/usr/bin/env bash
# Start-up failures and shutdown: wrong credentials (s3rver checks SigV4), a missing bucket, an
# unreachable endpoint, a bad mountpoint and a bad option each fail before mounting, with a
# one-line reason and a non-zero exit, and leave no mount and no process behind. Secrets appear
# in neither the log, --help, nor the process's command line. fstab-style -o options work, and
# SIGTERM unmounts cleanly.
source "$SKYTRAIN_SRC/tests/lib/harness.sh"
harness_init
FS="$FS_BIN"
M="$T/mnt"
mkdir -p "$M"

# expect_failure WHAT PATTERN CMD...: CMD fails, prints PATTERN in one line, leaves no mount.
expect_failure() {
  local what=$1 pattern=$2
  shift 2
  local rc=0
  "$@" >"$T/out" 2>"$T/err" || rc=$?
  if [ "$rc" = 0 ]; then echo "CHECK FAILED: $what: exit 0" >&2; cat "$T/err" >&2; exit 1; fi
  if ! grep -q -- "$pattern" "$T/err"; then
    echo "CHECK FAILED: $what: stderr lacks '$pattern':" >&2; cat "$T/err" >&2; exit 1
  fi
  if in_mount_table "$M"; then echo "CHECK FAILED: $what: left a mount behind" >&2; exit 1; fi
  if pgrep -f "skytrain-fs.*$M" >/dev/null; then echo "CHECK FAILED: $what: left a process behind" >&2; exit 1; fi
  echo "ok: $what: $(grep -- "$pattern" "$T/err" | head -1)"
}

# --- wrong secret against a server that checks signatures ---
start_s3 s3rver
awsl s3 mb s3://authbkt >/dev/null
SECRET=wrong-secret-$RANDOM-do-not-print
expect_failure "wrong credentials" "denied\|403\|SignatureDoesNotMatch\|InvalidAccessKeyId" \
  env AWS_SECRET_ACCESS_KEY="$SECRET" "$FS" --endpoint "$S3_ENDPOINT" --log-file "$T/auth.log" authbkt "$M"
check "secret not in stderr" test -z "$(grep -F -- "$SECRET" "$T/err" || true)"
# The right secret mounts.
"$FS" --endpoint "$S3_ENDPOINT" --log-file "$T/ok.log" authbkt "$M"
_H_MOUNTS+=("$M")
check "mounted with the right secret" mountpoint -q "$M"
pid=$(pgrep -f "skytrain-fs.*authbkt $M")
check "secret not in the process title" test -z "$(tr '\0' ' ' </proc/"$pid"/cmdline | grep -F -- "$AWS_SECRET_ACCESS_KEY" || true)"
check "secret not in the log" test -z "$(grep -F -- "$AWS_SECRET_ACCESS_KEY" "$T/ok.log" || true)"

# --- SIGTERM unmounts and exits ---
kill -TERM "$pid"
for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
check "process exited after SIGTERM" test ! -e "/proc/$pid"
check "unmounted after SIGTERM" test ! "$(in_mount_table "$M" && echo yes)"

# --- moto: missing bucket, fstab options ---
start_s3 moto
expect_failure "missing bucket" "does not exist" "$FS" --endpoint "$S3_ENDPOINT" no-such-bucket "$M"
make_bucket optsbkt
printf 'abc' > "$T/f"
awsl s3 cp --quiet "$T/f" s3://optsbkt/sub/f
"$FS" --endpoint "$S3_ENDPOINT" -o ro,_netdev,uid=1234,gid=2345,file_mode=0600,stat_ttl=3,x-systemd.automount optsbkt:sub "$M"
check "mounted with -o options" mountpoint -q "$M"
check "prefix is the root" test "$(cat "$M/f")" = abc
check "-o uid/gid/file_mode" test "$(stat -c '%u %g %a' "$M/f")" = "1234 2345 600"
check "-o ro is read-only" test "$(touch "$M/new" 2>&1 | grep -c 'Read-only file system')" = 1
check "mount is listed read-only" grep -q " $M fuse.skytrain-fs ro," /proc/mounts
unmount "$M"

# --- unreachable endpoint (a free port with nothing listening) ---
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
expect_failure "unreachable endpoint" "reach\|connect" "$FS" --endpoint "http://127.0.0.1:$port" --retries 1 optsbkt "$M"

# --- bad input ---
expect_failure "mountpoint missing" "mountpoint" "$FS" --endpoint "$S3_ENDPOINT" optsbkt "$T/does-not-exist"
expect_failure "unknown -o option" "-o frobnicate: unknown option" "$FS" --endpoint "$S3_ENDPOINT" -o frobnicate optsbkt "$M"
expect_failure "bad size" "memory-limit" "$FS" --endpoint "$S3_ENDPOINT" --memory-limit 12Q optsbkt "$M"
expect_failure "no arguments" "required" "$FS"

# --- --help documents every option with its default, and no secret ---
"$FS" --help > "$T/help"
for opt in --foreground --uid --gid --file-mode --dir-mode --stat-ttl --negative-ttl --memory-limit \
           --read-ahead-max --max-parallel --log-level --endpoint --region --profile --wait-on-close; do
  check "--help lists $opt" grep -q -- "$opt" "$T/help"
done
check "--help shows defaults" grep -q -- "--stat-ttl SECONDS=10" "$T/help"
check "--help has no secret" test -z "$(grep -F -- "$AWS_SECRET_ACCESS_KEY" "$T/help" || true)"
echo "fs_mount_failures: OK"
