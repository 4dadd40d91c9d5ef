#!/usr/bin/env bash
# Write path and POSIX semantics of the mount against moto: small and multipart files, append,
# overwrite, truncate, O_EXCL, ENOENT, mkdir/rmdir, rename (files, onto files, directories),
# chmod/chown/utimens and symlinks persisted across a remount, defaults for foreign objects,
# fsync and --wait-on-close durability, and every object cross-checked with the aws CLI.
source "$SKYTRAIN_SRC/tests/lib/harness.sh"
harness_init
start_s3 "$(test_s3 moto)"
make_bucket wbkt
M="$T/mnt"
R="$T/ref"
mkdir -p "$R"
mount_bucket wbkt "$M" --uid 4321 --gid 4322 --file-mode 0640 --dir-mode 0750 --stat-ttl 1 --negative-ttl 1

same_as_s3() {  # same_as_s3 LOCAL KEY: the bucket holds exactly these bytes
  awsl s3 cp --quiet "s3://wbkt/$2" "$T/dl" && cmp "$1" "$T/dl"
}
meta() { awsl s3api head-object --bucket wbkt --key "$1" --query "Metadata.$2" --output text; }
errno_of() {  # errno_of PYTHON-EXPR: prints the errno name an os call fails with, or OK
  python3 -c "import os,errno,sys
try:
    $1
    print('OK')
except OSError as e:
    print(errno.errorcode[e.errno])"
}

# --- small file: one PUT, same bytes, our metadata ---
printf 'hello world\n' > "$R/small"
cp "$R/small" "$M/small"
check "small file reads back" cmp "$R/small" "$M/small"
python3 -c "import os; fd=os.open('$M/small', os.O_WRONLY); os.fsync(fd); os.close(fd)"
check "small file in the bucket (aws s3 cp)" same_as_s3 "$R/small" small
check "mode metadata" test "$(meta small mode)" = $((0100000 + 8#$(stat -c '%a' "$M/small")))
check "uid metadata" test "$(meta small uid)" = "$(id -u)"

# --- fsync makes a file durable before close ---
python3 - "$M/fsynced" <<'PY'
import os, subprocess, sys
fd = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
os.write(fd, b"durable" * 1000)
os.fsync(fd)
out = subprocess.run(["aws", "--endpoint-url", os.environ["S3_ENDPOINT"], "s3", "cp", "s3://wbkt/fsynced", "-"],
                     check=True, capture_output=True).stdout
assert out == b"durable" * 1000, "fsync returned before the object was stored"
os.close(fd)
PY

# --- multipart: 50 MiB streams as parts ---
head -c $((50 * 1024 * 1024 + 123)) /dev/urandom > "$R/big"
dd if="$R/big" of="$M/big" bs=1M status=none conv=fsync
check "multipart file reads back" cmp "$R/big" "$M/big"
check "multipart file in the bucket" same_as_s3 "$R/big" big

# --- append, overwrite in the middle, truncate grow/shrink on existing objects ---
head -c 3000 /dev/urandom > "$T/chunk"
cat "$T/chunk" >> "$R/big"; cat "$T/chunk" >> "$M/big"
printf 'PATCHED' | dd of="$R/big" bs=1 seek=20000000 conv=notrunc status=none
printf 'PATCHED' | dd of="$M/big" bs=1 seek=20000000 conv=notrunc status=none
check "append + overwrite read back" cmp "$R/big" "$M/big"
truncate -s 30000000 "$R/big"; truncate -s 30000000 "$M/big"
check "truncate shrink" cmp "$R/big" "$M/big"
truncate -s 40000000 "$R/big"; truncate -s 40000000 "$M/big"
check "truncate grow" cmp "$R/big" "$M/big"
check "edited object in the bucket" same_as_s3 "$R/big" big
cp "$R/small" "$R/s2"; cp "$R/small" "$M/s2"
truncate -s 3 "$R/s2"; truncate -s 3 "$M/s2"
check "small truncate" same_as_s3 "$R/s2" s2

# --- O_EXCL, ENOENT ---
check "O_EXCL on existing -> EEXIST" test "$(errno_of "os.open('$M/small', os.O_CREAT|os.O_EXCL|os.O_WRONLY)")" = EEXIST
check "open missing -> ENOENT" test "$(errno_of "os.open('$M/missing', os.O_RDONLY)")" = ENOENT
check "unlink missing -> ENOENT" test "$(errno_of "os.unlink('$M/missing')")" = ENOENT
check "rename missing -> ENOENT" test "$(errno_of "os.rename('$M/missing', '$M/x')")" = ENOENT
check "stat missing -> ENOENT" test "$(errno_of "os.stat('$M/nodir/missing')")" = ENOENT

# --- mkdir / rmdir ---
mkdir "$M/d"
# mkdir returns before its marker's PUT, like close before its upload; fsync of the parent waits
python3 -c "import os; fd=os.open('$M', os.O_RDONLY); os.fsync(fd); os.close(fd)"
check "mkdir marker object" awsl s3api head-object --bucket wbkt --key d/ >/dev/null
echo x > "$M/d/f"
check "rmdir non-empty -> ENOTEMPTY" test "$(errno_of "os.rmdir('$M/d')")" = ENOTEMPTY
rm "$M/d/f"
rmdir "$M/d"
check "rmdir removed the directory" test ! -e "$M/d"
# rm and rmdir return before their DELETEs; fsync of the parent directory waits for them
python3 -c "import os; fd=os.open('$M', os.O_RDONLY); os.fsync(fd); os.close(fd)"
check "marker gone" test -z "$(awsl s3api list-objects-v2 --bucket wbkt --prefix d/ --query 'Contents[].Key' --output text | grep -v None || true)"

# --- rename: file, onto an existing file, directory with contents ---
echo one > "$M/r1"; echo two > "$M/r2"
mv "$M/r1" "$M/r2"
check "rename replaces target" test "$(cat "$M/r2")" = one
check "rename source gone" test ! -e "$M/r1"
if [ "$(test_s3 moto)" = versitygw ]; then
  # versitygw 1.8.0 cannot copy a directory object: CopyObject of "tree/" answers 400
  # DirectoryObjectContainsData, for the AWS CLI too (its posix backend sends the directory's stat
  # size as the copy's length). The rest of the test uses the tree, so it is made in place.
  echo "fs_write_posix: directory rename not checked on versitygw (its CopyObject of a directory marker fails)"
  mkdir -p "$M/moved/sub/deeper"
  for i in 1 2 3; do echo "file $i" > "$M/moved/sub/deeper/f$i"; done
  cp "$R/big" "$M/moved/bigcopy"
else
  mkdir -p "$M/tree/sub/deeper"
  for i in 1 2 3; do echo "file $i" > "$M/tree/sub/deeper/f$i"; done
  cp "$R/big" "$M/tree/bigcopy"
  mv "$M/tree" "$M/moved"
  check "renamed dir listing" test "$(cd "$M/moved" && find . | sort | tr '\n' ' ')" = ". ./bigcopy ./sub ./sub/deeper ./sub/deeper/f1 ./sub/deeper/f2 ./sub/deeper/f3 "
  check "renamed big file" cmp "$R/big" "$M/moved/bigcopy"
  check "renamed in bucket" same_as_s3 "$R/big" moved/bigcopy
  check "old tree gone from bucket" test "$(awsl s3api list-objects-v2 --bucket wbkt --prefix tree/ --query 'length(Contents || `[]`)' --output text)" = 0
fi

# --- metadata: chmod, chown, utimens, symlink; then remount ---
echo meta > "$M/m"
chmod 0604 "$M/m"
chown 1001:1002 "$M/m"
touch -m -d '2001-02-03 04:05:06' "$M/m"
ln -s "moved/sub/deeper/f1" "$M/link"
mkdir "$M/emptydir"
before=$(stat -c '%a %u %g %Y' "$M/m")
# directories: stored on the "dir/" marker (made for an implicit directory on first chmod)
chmod 0715 "$M/emptydir"
chown 1003:1004 "$M/emptydir"
touch -m -d '2002-03-04 05:06:07' "$M/emptydir"
chmod 0701 "$M/moved/sub"
dir_before=$(stat -c '%a %u %g %Y' "$M/emptydir")
check "dir attrs set" test "$dir_before" = "715 1003 1004 $(date -d '2002-03-04 05:06:07' +%s)"
check "head-object of the dir marker shows mode" test "$(meta emptydir/ mode)" = $((0040715))
check "attrs set" test "$before" = "604 1001 1002 $(date -d '2001-02-03 04:05:06' +%s)"
check "readlink" test "$(readlink "$M/link")" = moved/sub/deeper/f1
check "symlink followed" test "$(cat "$M/link")" = "file 1"
check "head-object shows mode" test "$(meta m mode)" = $((0100604))
check "head-object shows uid" test "$(meta m uid)" = 1001

# a foreign object (no metadata) gets the flags' defaults
printf 'foreign' | awsl s3 cp --quiet - s3://wbkt/foreign
check "foreign file mode/uid/gid from flags" test "$(stat -c '%a %u %g' "$M/foreign")" = "640 4321 4322"

# rm -rf of another client's tree right after ls -lR: the listings ls read answer rm's reads and
# rmdir's emptiness checks; a key added after the listing is still found by name, then listed
printf 'x' | awsl s3 cp --quiet - s3://wbkt/ftree/d1/a
printf 'x' | awsl s3 cp --quiet - s3://wbkt/ftree/d2/b
ls -lR "$M/ftree" >/dev/null
printf 'y' | awsl s3 cp --quiet - s3://wbkt/ftree/d1/late
check "key added after ls found by name" test "$(cat "$M/ftree/d1/late")" = y
check "key added after ls then listed" test "$(ls "$M/ftree/d1" | tr '\n' ' ')" = "a late "
rm -rf "$M/ftree"
check "rm -rf after ls -lR" test ! -e "$M/ftree"
python3 -c "import os; fd=os.open('$M', os.O_RDONLY); os.fsync(fd); os.close(fd)"
check "rm -rf removed every key" test "$(awsl s3api list-objects-v2 --bucket wbkt --prefix ftree/ --query 'length(Contents || `[]`)' --output text)" = 0

unmount "$M"
check "no multipart uploads left" test "$(awsl s3api list-multipart-uploads --bucket wbkt --query 'length(Uploads || `[]`)' --output text)" = 0
mount_bucket wbkt "$M" --uid 4321 --gid 4322 --file-mode 0640 --dir-mode 0750
check "attrs survive remount" test "$(stat -c '%a %u %g %Y' "$M/m")" = "$before"
check "symlink survives remount" test "$(readlink "$M/link")" = moved/sub/deeper/f1
check "symlink is a symlink after remount" test -L "$M/link"
check "big file survives remount" cmp "$R/big" "$M/moved/bigcopy"
check "empty dir survives remount" test -d "$M/emptydir"
check "dir attrs survive remount (lookup)" test "$(stat -c '%a %u %g %Y' "$M/emptydir")" = "$dir_before"
unmount "$M"
# again, but the directory is first seen in a listing (readdirplus), which carries no metadata
mount_bucket wbkt "$M" --uid 4321 --gid 4322 --file-mode 0640 --dir-mode 0750
check "dir attrs in ls -l after remount" test "$(ls -l "$M" | awk '$NF == "emptydir" {print $1, $3, $4}')" = "drwx--xr-x 1003 1004"
check "dir attrs survive remount (listing)" test "$(stat -c '%a %u %g %Y' "$M/emptydir")" = "$dir_before"
check "chmod of a nested dir survives remount" test "$(stat -c '%a' "$M/moved/sub")" = 701
printf 'x' | awsl s3 cp --quiet - s3://wbkt/implicit/x
check "implicit dir (no marker) gets --dir-mode" test "$(stat -c '%a %u %g' "$M/implicit")" = "750 4321 4322"
unmount "$M"

# --- --wait-on-close: the object is in the bucket when close (or mkdir) returns ---
mount_bucket wbkt "$M" --wait-on-close
head -c 200000 /dev/urandom > "$R/woc"
cp "$R/woc" "$M/woc"
check "--wait-on-close stored at close" same_as_s3 "$R/woc" woc
mkdir "$M/wocdir"
check "--wait-on-close: mkdir's marker stored when it returns" awsl s3api head-object --bucket wbkt --key wocdir/ >/dev/null
unmount "$M"
echo "fs_write_posix: all checks passed"
