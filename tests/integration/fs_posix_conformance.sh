#!/usr/bin/env bash
# POSIX conformance of the mount (issue 18): ownership, permission checks, special files, times
# and errno, as root and as two unprivileged users (setpriv, numeric ids: nothing is added to
# /etc/passwd) on an allow_other mount against moto, with persistence checked after a remount,
# and a mount without allow_other made by an unprivileged user. One named assertion per rule
# (fs_posix_conformance.py); prints the passed/failed counts and fails if any assertion failed.
source "$SKYTRAIN_SRC/tests/lib/harness.sh"
harness_init
[ "$(id -u)" = 0 ] || skip_test "needs root (setpriv to other users, allow_other)"
command -v setpriv >/dev/null || skip_test "setpriv (util-linux) is not installed"
# moto by default; ctest runs it again as fs_posix_conformance.versitygw (SKYTRAIN_TEST_S3).
start_s3 "$(test_s3 moto)"
make_bucket pbkt
chmod 755 "$T"  # the unprivileged users must reach the mount point
M="$T/mnt"
LOG="$T/results"
DRIVER="$SKYTRAIN_SRC/tests/integration/fs_posix_conformance.py"
OPTS=(--allow-other --stat-ttl 1 --negative-ttl 1)

mount_bucket pbkt "$M" "${OPTS[@]}"
# whether the allow_other mount asked the kernel to check permissions (checked by the driver)
ALLOW_OTHER_OPTS=$(findmnt -rn -o OPTIONS --mountpoint "$M" | tr ',' '\n' | grep -x default_permissions || true)
export ALLOW_OTHER_OPTS
python3 "$DRIVER" session "$M" "$T/state.json" pbkt | tee -a "$LOG"
unmount "$M"
mount_bucket pbkt "$M" "${OPTS[@]}"
python3 "$DRIVER" remount "$M" "$T/state.json" pbkt | tee -a "$LOG"
unmount "$M"

# A mount without allow_other: today's behaviour for its owner, other users kept out.
make_bucket obkt
printf 'x' | awsl s3 cp --quiet - s3://obkt/foreign
MO="$T/mnt-owner"
mount_bucket obkt "$MO"
python3 "$DRIVER" owner "$MO" | tee -a "$LOG"
unmount "$MO"

passed=$(grep -c '^PASS ' "$LOG" || true)
failed=$(grep -c '^FAIL ' "$LOG" || true)
echo "fs_posix_conformance: $passed passed, $failed failed"
[ "$failed" = 0 ] && [ "$passed" -gt 0 ]
