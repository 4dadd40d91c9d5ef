#!/usr/bin/env python3
"""POSIX conformance checks of a skytrain-fs mount, driven by fs_posix_conformance.sh.

Runs as root on an `allow_other` mount; operations of the two unprivileged users go through
`setpriv --reuid/--regid/--groups` with numeric ids (no passwd entries are needed, so nothing is
created on the machine and nothing has to be removed). One assertion per rule of issue 18, each
printed as `PASS name` or `FAIL name: why`; the shell script counts them.

  fs_posix_conformance.py session MOUNT STATE_JSON BUCKET   checks within one mount session
  fs_posix_conformance.py remount MOUNT STATE_JSON BUCKET   what must hold after a remount
  fs_posix_conformance.py owner MOUNT                       a mount without allow_other (run as its owner)
"""
import errno
import json
import os
import socket
import stat
import subprocess
import sys
import time

A = (41001, 41001)  # uid, gid of user A; both users share group SHARED
B = (41002, 41002)
SHARED = 41010
OTHER_GROUP = 41020  # neither user is in it
SYS_PY = "/usr/bin/python3"  # readable by any user, unlike the project's virtualenv

results = []


def record(name, ok, why=""):
    results.append((name, ok))
    print(("PASS " if ok else "FAIL ") + name + ("" if ok else ": " + why), flush=True)


def expect(name, got, want):
    """`got` is a value or a callable evaluated here (an exception is this assertion's failure)."""
    if callable(got):
        try:
            got = got()
        except Exception as e:  # noqa: BLE001
            got = "raised %s: %s" % (type(e).__name__, e)
    record(name, got == want, "got %r, want %r" % (got, want))


def do(fn):
    """A setup step: its failure is printed and shows up in the assertions that depend on it."""
    try:
        fn()
    except Exception as e:  # noqa: BLE001
        print("setup step failed: %s: %s" % (type(e).__name__, e), flush=True)


def L(p):
    try:
        return os.lstat(p)
    except OSError:
        return None


def as_user(user, code):
    """Runs python CODE as USER (a (uid, gid) pair); returns 'OK', an errno name, or 'ERROR ...'."""
    uid, gid = user
    wrapped = (
        "import os, errno, stat, socket, time\n"
        "try:\n" + "".join("    " + line + "\n" for line in code.strip().splitlines()) +
        "    print('OK')\n"
        "except OSError as e:\n"
        "    print(errno.errorcode.get(e.errno, str(e.errno)))\n"
    )
    cmd = ["setpriv", "--reuid=%d" % uid, "--regid=%d" % gid, "--groups=%d,%d" % (gid, SHARED), SYS_PY, "-c", wrapped]
    p = subprocess.run(cmd, capture_output=True, text=True, cwd="/")
    out = p.stdout.strip().splitlines()
    if p.returncode != 0 or not out:
        return "ERROR " + p.stderr.strip()[-300:]
    return out[-1]


def as_root(fn):
    try:
        fn()
        return "OK"
    except OSError as e:
        return errno.errorcode.get(e.errno, str(e.errno))


def lst(p):
    return os.lstat(p)


def perm(p):
    return stat.S_IMODE(os.lstat(p).st_mode)


def head_meta(bucket, key):
    out = subprocess.run(
        ["aws", "--endpoint-url", os.environ["S3_ENDPOINT"], "s3api", "head-object", "--bucket", bucket, "--key", key,
         "--query", "Metadata", "--output", "json"], capture_output=True, text=True)
    return json.loads(out.stdout) if out.returncode == 0 else {}


def advanced(path, field, op, name):
    """Asserts that stat field `field` (st_ctime_ns...) of `path` grows across `op`."""
    try:
        before = getattr(os.stat(path), field)
        time.sleep(0.02)
        r = op()
        after = getattr(os.stat(path), field)
        record(name, r in (None, "OK") and after > before, "op %r, %s %d -> %d" % (r, field, before, after))
    except Exception as e:  # noqa: BLE001
        record(name, False, "raised %s: %s" % (type(e).__name__, e))


def session(m, state_path, bucket):
    st = {}
    do(lambda: os.chmod(m, 0o755))
    # --- the mount root and implicit directories have true, stable attributes ---
    do(lambda: os.chmod(m, 0o1777))
    time.sleep(1.3)  # past --stat-ttl: attributes are asked again
    expect("root_mode_after_chmod", lambda: oct(perm(m)), oct(0o1777))
    expect("root_owner_is_mounting_user", lambda: (lst(m).st_uid, lst(m).st_gid), (0, 0))
    do(lambda: os.makedirs(m + "/imp_src", exist_ok=True))
    subprocess.run(["aws", "--endpoint-url", os.environ["S3_ENDPOINT"], "s3", "cp", "--quiet", "-",
                    "s3://%s/implicit/x" % bucket], input=b"x", check=True)
    s = L(m + "/implicit")
    expect("implicit_dir_owner_mode", lambda: (s.st_uid, s.st_gid, oct(stat.S_IMODE(s.st_mode))), (0, 0, oct(0o755)))
    expect("implicit_dir_not_writable_by_others", lambda: as_user(A, "open('%s/implicit/a', 'w')" % m), "EACCES")

    # --- home directories of the two users ---
    for user, name in ((A, "ua"), (B, "ub")):
        d = m + "/" + name
        do(lambda: os.mkdir(d, 0o755))
        do(lambda: os.chown(d, *user))
    ua, ub = m + "/ua", m + "/ub"

    # --- new files: owner and group ---
    expect("new_file_owned_by_caller", lambda: as_user(A, "open('%s/f', 'w').write('a')" % ua), "OK")
    s = L(ua + "/f")
    expect("new_file_uid_gid", lambda: (s.st_uid, s.st_gid), A)
    expect("new_dir_owned_by_caller", lambda: as_user(A, "os.mkdir('%s/d')" % ua), "OK")
    s = L(ua + "/d")
    expect("new_dir_uid_gid", lambda: (s.st_uid, s.st_gid), A)
    sg = m + "/sgid"
    do(lambda: os.mkdir(sg))
    do(lambda: os.chown(sg, 0, SHARED))
    do(lambda: os.chmod(sg, 0o2777))
    as_user(A, "open('%s/f', 'w').close()\nos.mkdir('%s/d')" % (sg, sg))
    expect("setgid_parent_gives_file_its_gid", lambda: lst(sg + "/f").st_gid, SHARED)
    s = L(sg + "/d")
    expect("setgid_parent_gives_dir_its_gid", lambda: s.st_gid, SHARED)
    expect("setgid_inherited_by_subdir", lambda: bool(s.st_mode & stat.S_ISGID), True)
    expect("setgid_not_set_on_plain_file", lambda: bool(lst(sg + "/f").st_mode & stat.S_ISGID), False)

    # --- permission checks on another user's file ---
    as_user(A, "open('%s/p', 'w').write('p')\nos.chmod('%s/p', 0o644)" % (ua, ua))
    p = ua + "/p"
    expect("chmod_other_users_file_eperm", lambda: as_user(B, "os.chmod('%s', 0o777)" % p), "EPERM")
    expect("chown_other_users_file_eperm", lambda: as_user(B, "os.chown('%s', %d, -1)" % (p, B[0])), "EPERM")
    expect("utimes_explicit_other_users_file_eperm", lambda: as_user(B, "os.utime('%s', (1, 1))" % p), "EPERM")
    expect("utimes_now_without_write_eacces", lambda: as_user(B, "os.utime('%s', None)" % p), "EACCES")
    expect("write_open_without_permission_eacces", lambda: as_user(B, "open('%s', 'a')" % p), "EACCES")
    expect("create_in_others_dir_eacces", lambda: as_user(B, "open('%s/new', 'w')" % ua), "EACCES")
    expect("unlink_in_others_dir_eacces", lambda: as_user(B, "os.unlink('%s')" % p), "EACCES")
    expect("mode_unchanged_after_refused_chmod", lambda: oct(perm(p)), oct(0o644))
    expect("chgrp_to_group_not_member_eperm", lambda: as_user(A, "os.chown('%s', -1, %d)" % (p, OTHER_GROUP)), "EPERM")
    expect("chgrp_to_own_group_ok", lambda: as_user(A, "os.chown('%s', -1, %d)" % (p, SHARED)), "OK")
    expect("chgrp_result", lambda: lst(p).st_gid, SHARED)
    expect("chown_uid_by_owner_eperm", lambda: as_user(A, "os.chown('%s', %d, -1)" % (p, B[0])), "EPERM")
    as_user(A, "os.chmod('%s', 0o666)" % p)
    expect("utimes_now_with_write_ok", lambda: as_user(B, "os.utime('%s', None)" % p), "OK")
    as_user(A, "os.chmod('%s', 0o600)" % p)
    expect("read_open_without_permission_eacces", lambda: as_user(B, "open('%s')" % p), "EACCES")
    as_user(A, "os.mkdir('%s/priv')\nopen('%s/priv/f', 'w').close()\nos.chmod('%s/priv', 0o700)" % (ua, ua, ua))
    expect("chmod_in_unsearchable_dir_eacces", lambda: as_user(B, "os.chmod('%s/priv/f', 0o777)" % ua), "EACCES")
    expect("root_may_chmod_any_file", lambda: as_root(lambda: os.chmod(p, 0o640)), "OK")
    expect("root_may_chown_any_file", lambda: as_root(lambda: os.chown(p, B[0], B[1])), "OK")
    expect("root_chown_result", lambda: (lst(p).st_uid, lst(p).st_gid), B)

    # --- chown by a non-root user clears setuid and setgid ---
    s = ua + "/suid"
    as_user(A, "open('%s', 'w').close()\nos.chmod('%s', 0o6755)" % (s, s))
    expect("setuid_set_by_owner", lambda: oct(perm(s)), oct(0o6755))
    as_user(A, "os.chown('%s', -1, %d)" % (s, SHARED))
    expect("chown_by_non_root_clears_setuid_setgid", lambda: oct(perm(s)), oct(0o755))

    # --- sticky directories ---
    sd = m + "/sticky"
    do(lambda: os.mkdir(sd))
    do(lambda: os.chmod(sd, 0o1777))
    do(lambda: os.chown(sd, B[0], B[1]))  # B owns the directory
    as_user(A, "\n".join("open('%s/%s', 'w').close()" % (sd, n) for n in ("a1", "a2", "a3", "a4", "a5")))
    c = m + "/sticky_c"  # a sticky directory owned by root: a third user's file in it
    do(lambda: os.mkdir(c))
    do(lambda: os.chmod(c, 0o1777))
    as_user(A, "open('%s/a', 'w').close()" % c)
    # B is not A, not the owner of sticky_c, not root
    expect("sticky_unlink_by_other_eperm", lambda: as_user(B, "os.unlink('%s/a')" % c), "EPERM")
    expect("sticky_rename_by_other_eperm", lambda: as_user(B, "os.rename('%s/a', '%s/b')" % (c, c)), "EPERM")
    expect("sticky_file_survives_refusals", lambda: os.path.exists(c + "/a"), True)
    expect("sticky_unlink_by_file_owner_ok", lambda: as_user(A, "os.unlink('%s/a1')" % sd), "OK")
    expect("sticky_unlink_by_dir_owner_ok", lambda: as_user(B, "os.unlink('%s/a2')" % sd), "OK")
    expect("sticky_rename_by_dir_owner_ok", lambda: as_user(B, "os.rename('%s/a3', '%s/b3')" % (sd, sd)), "OK")
    expect("sticky_unlink_by_root_ok", lambda: as_root(lambda: os.unlink(sd + "/a4")), "OK")

    # --- special files ---
    sp = m + "/special"
    do(lambda: os.mkdir(sp))
    expect("mkfifo", lambda: as_root(lambda: os.mkfifo(sp + "/fifo", 0o640)), "OK")
    expect("mkfifo_is_fifo", lambda: os.path.exists(sp + "/fifo") and stat.S_ISFIFO(lst(sp + "/fifo").st_mode), True)
    expect("mknod_char", lambda: as_root(lambda: os.mknod(sp + "/chr", stat.S_IFCHR | 0o600, os.makedev(1, 3))), "OK")
    s = L(sp + "/chr") if os.path.lexists(sp + "/chr") else None
    expect("mknod_char_type_rdev", lambda: s and (stat.S_ISCHR(s.st_mode), os.major(s.st_rdev), os.minor(s.st_rdev)), (True, 1, 3))
    expect("mknod_block", lambda: as_root(lambda: os.mknod(sp + "/blk", stat.S_IFBLK | 0o600, os.makedev(7, 42))), "OK")
    s = L(sp + "/blk") if os.path.lexists(sp + "/blk") else None
    expect("mknod_block_type_rdev", lambda: s and (stat.S_ISBLK(s.st_mode), os.major(s.st_rdev), os.minor(s.st_rdev)), (True, 7, 42))

    def bind_socket():
        so = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            so.bind(sp + "/sock")
        finally:
            so.close()
    expect("unix_socket_bind", lambda: as_root(bind_socket), "OK")
    expect("unix_socket_is_socket", lambda: os.path.lexists(sp + "/sock") and stat.S_ISSOCK(lst(sp + "/sock").st_mode), True)
    expect("user_mkfifo", lambda: as_user(A, "os.mkfifo('%s/ufifo', 0o600)" % ua), "OK")
    s = L(ua + "/ufifo") if os.path.lexists(ua + "/ufifo") else None
    expect("user_mkfifo_owner", lambda: s and (s.st_uid, s.st_gid), A)
    expect("special_chmod", lambda: as_root(lambda: os.chmod(sp + "/fifo", 0o604)), "OK")
    expect("special_chown", lambda: as_root(lambda: os.chown(sp + "/fifo", A[0], A[1])), "OK")
    expect("special_utime", lambda: as_root(lambda: os.utime(sp + "/fifo", (1000000000, 1100000000))), "OK")
    expect("special_rename", lambda: as_root(lambda: os.rename(sp + "/fifo", sp + "/fifo2")), "OK")
    s = L(sp + "/fifo2") if os.path.lexists(sp + "/fifo2") else None
    expect("special_attrs_after_ops", lambda: s and (stat.S_ISFIFO(s.st_mode), oct(stat.S_IMODE(s.st_mode)), s.st_uid,
                                             s.st_mtime_ns), (True, oct(0o604), A[0], 1100000000 * 10**9))
    expect("special_unlink", lambda: as_root(lambda: os.unlink(sp + "/blk")), "OK")
    expect("special_unlink_gone", lambda: os.path.lexists(sp + "/blk"), False)
    expect("fifo_opens_as_pipe", lambda: as_root(lambda: os.close(os.open(sp + "/fifo2", os.O_RDONLY | os.O_NONBLOCK))), "OK")
    subprocess.run(["sync", "-f", m], check=False)
    md = head_meta(bucket, "special/chr")
    expect("special_stored_with_mode_rdev_headers", lambda: (md.get("mode"), md.get("rdev")),
           (str(stat.S_IFCHR | 0o600), str(os.makedev(1, 3))))

    # --- times ---
    t = m + "/times"
    do(lambda: os.mkdir(t))
    f = t + "/f"
    do(lambda: open(f, "w").write("x"))
    advanced(f, "st_ctime_ns", lambda: os.chmod(f, 0o600), "ctime_advances_on_chmod")
    advanced(f, "st_ctime_ns", lambda: os.chown(f, A[0], A[1]), "ctime_advances_on_chown")
    advanced(f, "st_ctime_ns", lambda: os.truncate(f, 100), "ctime_advances_on_truncate")

    def write():
        with open(f, "a") as fh:
            fh.write("more")
    advanced(f, "st_ctime_ns", write, "ctime_advances_on_write")
    advanced(f, "st_mtime_ns", write, "mtime_advances_on_write")

    def rename_f():
        os.rename(f, t + "/g")
        os.rename(t + "/g", f)
    advanced(f, "st_ctime_ns", rename_f, "ctime_advances_on_rename")
    advanced(t, "st_mtime_ns", lambda: open(t + "/new", "w").close(), "dir_mtime_on_create")
    advanced(t, "st_ctime_ns", lambda: open(t + "/new2", "w").close(), "dir_ctime_on_create")
    advanced(t, "st_mtime_ns", lambda: os.mkdir(t + "/sub"), "dir_mtime_on_mkdir")
    advanced(t, "st_mtime_ns", lambda: os.unlink(t + "/new"), "dir_mtime_on_unlink")
    advanced(t, "st_ctime_ns", lambda: os.unlink(t + "/new2"), "dir_ctime_on_unlink")
    advanced(t, "st_mtime_ns", lambda: os.rmdir(t + "/sub"), "dir_mtime_on_rmdir")
    advanced(t, "st_mtime_ns", lambda: os.symlink("f", t + "/ln"), "dir_mtime_on_symlink")
    advanced(t, "st_mtime_ns", lambda: os.mkfifo(t + "/ff"), "dir_mtime_on_mknod")
    advanced(t, "st_mtime_ns", lambda: os.rename(t + "/ln", t + "/ln2"), "dir_mtime_on_rename")
    t2 = m + "/times2"
    do(lambda: os.mkdir(t2))
    advanced(t2, "st_mtime_ns", lambda: os.rename(t + "/ln2", t2 + "/ln"), "dir_mtime_on_rename_into")
    advanced(t, "st_ctime_ns", lambda: os.rename(t + "/ff", t2 + "/ff"), "dir_ctime_on_rename_out")
    time.sleep(1.3)  # past --stat-ttl: the store is asked again
    before = os.stat(t).st_mtime_ns
    open(t + "/late", "w").close()
    time.sleep(1.3)
    expect("dir_mtime_kept_past_stat_ttl", lambda: os.stat(t).st_mtime_ns >= before, True)

    u = t + "/u"
    open(u, "w").close()
    do(lambda: os.utime(u, ns=(100 * 10**9, 200 * 10**9)))
    s = os.stat(u)
    expect("atime_separate_from_mtime", lambda: (s.st_atime_ns, s.st_mtime_ns), (100 * 10**9, 200 * 10**9))
    subprocess.run(["touch", "-m", "-d", "@300", u], check=False)  # UTIME_OMIT for atime
    s = os.stat(u)
    expect("utime_omit_atime_keeps_atime", lambda: (s.st_atime_ns, s.st_mtime_ns), (100 * 10**9, 300 * 10**9))
    subprocess.run(["touch", "-a", "-d", "@400", u], check=False)  # UTIME_OMIT for mtime
    s = os.stat(u)
    expect("utime_omit_mtime_keeps_mtime", lambda: (s.st_atime_ns, s.st_mtime_ns), (400 * 10**9, 300 * 10**9))
    time.sleep(1.3)
    s = os.stat(u)
    expect("explicit_times_kept_past_stat_ttl", lambda: (s.st_atime_ns, s.st_mtime_ns), (400 * 10**9, 300 * 10**9))

    # --- errno ---
    expect("enotdir_stat_through_file", lambda: as_root(lambda: os.stat(f + "/x")), "ENOTDIR")
    expect("enotdir_create_through_file", lambda: as_root(lambda: open(f + "/x", "w")), "ENOTDIR")
    expect("enotdir_mkdir_through_file", lambda: as_root(lambda: os.mkdir(f + "/x")), "ENOTDIR")
    expect("enametoolong_create_256", lambda: as_root(lambda: open(t + "/" + "n" * 256, "w")), "ENAMETOOLONG")
    expect("enametoolong_mkdir_256", lambda: as_root(lambda: os.mkdir(t + "/" + "n" * 256)), "ENAMETOOLONG")
    expect("enametoolong_stat_256", lambda: as_root(lambda: os.stat(t + "/" + "n" * 256)), "ENAMETOOLONG")
    expect("name_of_255_bytes_ok", lambda: as_root(lambda: open(t + "/" + "n" * 255, "w").close()), "OK")
    expect("hard_link_eperm", lambda: as_root(lambda: os.link(f, t + "/hard")), "EPERM")
    expect("statvfs_namemax_255", lambda: os.statvfs(m).f_namemax, 255)

    # --- what the remount must show ---
    do(lambda: os.chmod(ua + "/d", 0o710))
    do(lambda: os.utime(ua + "/d", ns=(500 * 10**9, 600 * 10**9)))
    for rel in ("ua/f", "ua/p", "ua/suid", "ua/d", "ua/priv", "sgid", "sgid/f", "sgid/d", "sticky", "special/fifo2",
                "special/chr", "special/sock", "ua/ufifo", "times/u"):
        s = L(m + "/" + rel)
        # what the mount showed in this session; a name it could not show fails after the remount
        st[rel] = {"mode": s.st_mode, "uid": s.st_uid, "gid": s.st_gid, "rdev": s.st_rdev} if s else {"mode": -1}
    st["times/u"].update(atime=400 * 10**9, mtime=300 * 10**9)
    st["special/fifo2"].update(mtime=1100000000 * 10**9)
    st["ua/d"].update(atime=500 * 10**9, mtime=600 * 10**9)
    with open(state_path, "w") as out:
        json.dump(st, out)


def remount(m, state_path, bucket):
    with open(state_path) as f:
        st = json.load(f)
    # special files first seen in a listing (readdirplus), which carries no metadata
    subprocess.run(["ls", "-lR", m], capture_output=True)
    for rel, kind in (("special/fifo2", stat.S_IFIFO), ("special/chr", stat.S_IFCHR), ("special/sock", stat.S_IFSOCK)):
        expect("remount_listed_" + rel.replace("/", "_") + "_type", lambda: oct(stat.S_IFMT(os.lstat(m + "/" + rel).st_mode)), oct(kind))
    for rel, want in sorted(st.items()):
        name = "remount_" + rel.replace("/", "_")
        s = L(m + "/" + rel)
        got = s and {"mode": oct(s.st_mode), "uid": s.st_uid, "gid": s.st_gid, "rdev": s.st_rdev}
        expect(name + "_mode_owner_rdev", got,
               {k: oct(v) if k == "mode" else v for k, v in want.items() if k in ("mode", "uid", "gid", "rdev")})
        if "mtime" in want:
            expect(name + "_times", lambda: (s.st_atime_ns, s.st_mtime_ns), (want.get("atime", s and s.st_atime_ns), want["mtime"]))
    expect("remount_permissions_still_checked", lambda: as_user(B, "os.chmod('%s/ua/f', 0o777)" % m), "EPERM")
    expect("remount_sticky_still_enforced", lambda: as_user(B, "os.unlink('%s/sticky_c/a')" % m), "EPERM")
    expect("remount_special_unlink", lambda: as_root(lambda: os.unlink(m + "/special/sock")), "OK")
    expect("remount_fifo_chmod", lambda: as_root(lambda: os.chmod(m + "/special/fifo2", 0o600)), "OK")


def owner(m):
    # A mount without allow_other (made by root: /dev/fuse is root's here): the filesystem
    # checks permissions as before this issue (no default_permissions), and other users are
    # kept out by the kernel.
    def options():
        with open("/proc/self/mounts") as f:
            for line in f:
                fields = line.split()
                if fields[1] == m:
                    return fields[3].split(",")
        return []
    expect("no_allow_other_no_default_permissions", lambda: "default_permissions" in options(), False)
    expect("allow_other_mount_had_default_permissions", lambda: os.environ.get("ALLOW_OTHER_OPTS", ""), "default_permissions")
    expect("no_allow_other_owner_writes", lambda: as_root(lambda: open(m + "/mine", "w").write("x")), "OK")
    expect("no_allow_other_owner_chmods", lambda: as_root(lambda: os.chmod(m + "/foreign", 0o600)), "OK")
    expect("no_allow_other_other_user_refused", lambda: as_user(B, "os.stat('%s/mine')" % m), "EACCES")


def main():
    mode, m = sys.argv[1], sys.argv[2]
    if mode == "session":
        session(m, sys.argv[3], sys.argv[4])
    elif mode == "remount":
        remount(m, sys.argv[3], sys.argv[4])
    elif mode == "owner":
        owner(m)
    else:
        sys.exit("unknown mode " + mode)


if __name__ == "__main__":
    try:
        main()
    except Exception as e:  # a crash of the driver is a failure, not a silent stop
        import traceback
        traceback.print_exc()
        record("driver_crashed_" + type(e).__name__, False, str(e))
    finally:
        sys.exit(0)
