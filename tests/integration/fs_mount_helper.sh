#!/usr/bin/env bash
# The system integration of skytrain-fs: the mount(8) helper (mount.fuse.skytrain-fs) with an
# fstab line and with `mount -t fuse.skytrain-fs`, credentials from an env_file, and the systemd
# unit template checked by systemd-analyze verify (which must also reject a broken copy).
# Needs root (mount(8) runs helpers from /sbin only); skipped, visibly, otherwise.
source "$SKYTRAIN_SRC/tests/lib/harness.sh"
harness_init
[ "$(id -u)" = 0 ] || skip_test "needs root: mount(8) helpers live in /sbin"
command -v systemd-analyze >/dev/null || skip_test "systemd-analyze is not installed"

# --- systemd unit: verify an instance whose ExecStart is this build's skytrain-fs.
mkdir -p "$T/units"
sed "s|/usr/local/bin/skytrain-fs|$FS_BIN|" "$SKYTRAIN_SRC/mount-scripts/skytrain-fs@.service" \
  > "$T/units/skytrain-fs@my-bucket.service"
check "systemd-analyze verify skytrain-fs@my-bucket.service" systemd-analyze verify "$T/units/skytrain-fs@my-bucket.service"
sed "s|^ExecStart=.*|ExecStart=/nonexistent/skytrain-fs %i /mnt|" "$T/units/skytrain-fs@my-bucket.service" \
  > "$T/units/broken-fs@my-bucket.service"
if systemd-analyze verify "$T/units/broken-fs@my-bucket.service" 2>"$T/verify.err"; then
  echo "systemd-analyze accepted a unit whose ExecStart does not exist" >&2; exit 1
fi
check "verify names the missing command" grep -q "nonexistent" "$T/verify.err"

# --- mount(8) helper. Install ours as /sbin/mount.fuse.skytrain-fs for the test (restoring
# whatever was there), so mount(8) runs it instead of fuse3's generic mount.fuse.
helper=/sbin/mount.fuse.skytrain-fs
if [ -e "$helper" ]; then
  saved=$(mktemp /tmp/skytrain-helper-XXXXXX)  # outside $T: the restore runs before $T goes, but be safe
  cp -p "$helper" "$saved"
  on_exit "cp -p '$saved' '$helper'; rm -f '$saved'"
else
  on_exit "rm -f '$helper'"
fi
install -m 0755 "$SKYTRAIN_SRC/mount-scripts/mount.fuse.skytrain-fs" "$helper"

start_s3 moto
make_bucket fstab-bucket
echo "written by aws" > "$T/seed.txt"
awsl s3 cp --quiet "$T/seed.txt" s3://fstab-bucket/data/seed.txt

# Credentials live in a root-only env file, not in the world-readable fstab.
cat > "$T/bucket.env" <<ENV
AWS_ACCESS_KEY_ID=$AWS_ACCESS_KEY_ID
AWS_SECRET_ACCESS_KEY=$AWS_SECRET_ACCESS_KEY
AWS_ENDPOINT_URL_S3=$S3_ENDPOINT
AWS_REGION=us-east-1
SKYTRAIN_FS_BIN=$FS_BIN
ENV
chmod 600 "$T/bucket.env"
mnt=$T/mnt
mkdir -p "$mnt"
_H_MOUNTS+=("$mnt")
printf 'fstab-bucket %s fuse.skytrain-fs _netdev,nofail,allow_other,env_file=%s,stat_ttl=1 0 0\n' "$mnt" "$T/bucket.env" > "$T/fstab"

# Without the AWS_* of this shell: everything must come from the env_file.
clean_mount() { env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY -u AWS_ENDPOINT_URL -u S3_ENDPOINT mount "$@"; }
check "mount -T FSTAB MOUNTPOINT (fstab line)" clean_mount -T "$T/fstab" "$mnt"
check "fstab mount is a fuse.skytrain-fs mount" bash -c "findmnt -n -o FSTYPE '$mnt' | grep -qx 'fuse.skytrain-fs'"
check "reads an object written by aws" cmp "$T/seed.txt" "$mnt/data/seed.txt"
echo "written through the fstab mount" > "$mnt/data/from-mount.txt"
check "sync" sync "$mnt/data/from-mount.txt"
check "umount" umount "$mnt"
awsl s3 cp --quiet s3://fstab-bucket/data/from-mount.txt "$T/back.txt"
check "aws sees the file written through the mount" grep -qx "written through the fstab mount" "$T/back.txt"

check "mount -t fuse.skytrain-fs -o ..." clean_mount -t fuse.skytrain-fs -o "env_file=$T/bucket.env,read-only" fstab-bucket "$mnt"
check "read-only option reached skytrain-fs" bash -c "! touch '$mnt/data/nope.txt' 2>/dev/null"
check "reads back" grep -qx "written through the fstab mount" "$mnt/data/from-mount.txt"
check "umount (-t mount)" umount "$mnt"

# A missing env_file is a clear error naming it, and nothing gets mounted.
if clean_mount -t fuse.skytrain-fs -o "env_file=$T/missing.env" fstab-bucket "$mnt" 2>"$T/err"; then
  echo "mount with a missing env_file succeeded" >&2; exit 1
fi
check "missing env_file named" grep -q "missing.env" "$T/err"
check "nothing mounted" bash -c "! findmnt -rn --mountpoint '$mnt' >/dev/null"
echo "fs_mount_helper: OK"
