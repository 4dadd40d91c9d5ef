#!/usr/bin/env python3
"""Crash-consistency workload and checker for the mount (after JuiceFS's crash tests).

  crash_workload.py run MOUNT_DIR JOURNAL_DIR --seed S [--writers N] [--seconds T] [--ops K] [--ready FILE]
  crash_workload.py check MOUNT_DIR JOURNAL_DIR [--crashed]
  crash_workload.py durable MOUNT_DIR JOURNAL_DIR   (the names `check` requires present)
  crash_workload.py renamed MOUNT_DIR JOURNAL_DIR   (last names of renamed files, not fsynced since)

`run` starts N writer processes that create, append to, fsync and rename their own files in
MOUNT_DIR until an operation fails (the test kills the driver under them), T seconds pass, or
each has done K operations (a run that must end in a known state: the same seed and K give the
same files on any machine, however loaded).
Each writer journals to JOURNAL_DIR/w<N> (a local disk; the writers outlive the driver, so
nothing there is lost), line by line and in order:
  S name sha   the file's whole content is `sha` and close() or fsync() is about to be called:
               a state the file may be found in from now on
  F name sha   fsync() returned: the file must be found whole with this content
  R a b        rename(a, b) is about to be called;  r a b: it returned
  X            the writer is done (T passed, K operations done, or an operation failed; the
               error follows)

`check` replays the journals and compares with what MOUNT_DIR (a fresh mount) shows:
  - a file whose fsync returned (and that no later, unconfirmed rename may have moved) is
    present, with the fsynced content or a state a later close or fsync was called on;
  - any other file is absent or equal to a state a close or fsync was called on: never torn,
    never a mix, never content that was only ever written but not closed;
  - a rename that returned made the content durable under the old name or the new one (or
    any later name it was renamed to): rename stores unsaved data first, then copies in the
    background and deletes the old name only once the copy is stored, so until a directory
    fsync the old name may still hold the content it had, and the new one may be missing;
  - no name appears that no writer made.
Exit status 1 on a violation, with every violation listed.
"""
import argparse
import hashlib
import os
import random
import sys
import time


def write_all(fd, data):
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def sha(data):
    return hashlib.sha256(data).hexdigest()[:32]


def writer(root, journal_path, seed, wid, seconds, max_ops):
    rng = random.Random(seed * 1000 + wid)
    live = {}  # name -> content
    counter = 0
    deadline = time.monotonic() + seconds
    ops = 0
    with open(journal_path, "w", buffering=1) as j:
        def new_name():
            nonlocal counter
            counter += 1
            return "w%d-%d" % (wid, counter)

        def payload():
            # Mostly small files; now and then one past the 5 MiB part size (a multipart upload).
            if rng.random() < 0.08:
                return rng.randbytes((5 << 20) + rng.randrange(1, 2 << 20))
            return rng.randbytes(rng.randrange(0, 96 << 10))

        try:
            while time.monotonic() < deadline and (max_ops is None or ops < max_ops):
                ops += 1
                r = rng.random()
                if not live or (r < 0.25 and len(live) < 8):
                    name, data = new_name(), payload()
                    fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644, dir_fd=root)
                    write_all(fd, data)
                    live[name] = data
                    j.write("S %s %s %d\n" % (name, sha(data), len(data)))
                    if rng.random() < 0.5:
                        os.fsync(fd)
                        j.write("F %s %s\n" % (name, sha(data)))
                    os.close(fd)
                elif r < 0.75:  # append, then close (half the time fsync first)
                    name = rng.choice(sorted(live))
                    data = rng.randbytes(rng.randrange(1, 32 << 10))
                    j.write("W %s %d\n" % (name, len(live[name]) + len(data)))
                    fd = os.open(name, os.O_WRONLY | os.O_APPEND, dir_fd=root)
                    write_all(fd, data)
                    live[name] += data
                    j.write("S %s %s %d\n" % (name, sha(live[name]), len(live[name])))
                    if rng.random() < 0.5:
                        os.fsync(fd)
                        j.write("F %s %s\n" % (name, sha(live[name])))
                    os.close(fd)
                else:  # rename onto a new name
                    a = rng.choice(sorted(live))
                    b = new_name()
                    j.write("R %s %s\n" % (a, b))
                    os.rename(a, b, src_dir_fd=root, dst_dir_fd=root)
                    j.write("r %s %s\n" % (a, b))
                    live[b] = live.pop(a)
            j.write("X done\n")
        except OSError as e:
            j.write("X %s\n" % e)


def run(args):
    os.makedirs(args.journal, exist_ok=True)
    # Names resolve against a descriptor of the mount's root, opened while the mount is known
    # to be up: once the dead mount is detached, a path would silently resolve in the directory
    # underneath, while the descriptor keeps failing.
    root = os.open(args.mount, os.O_RDONLY | os.O_DIRECTORY)
    if args.ready:
        with open(args.ready, "w") as f:
            f.write("%d\n" % os.getpid())
    pids = []
    for w in range(args.writers):
        pid = os.fork()
        if pid == 0:
            code = 0
            try:
                writer(root, os.path.join(args.journal, "w%d" % w), args.seed, w, args.seconds,
                       args.ops)
            except BaseException as e:  # never let a child return into the parent's code
                print("writer %d: %r" % (w, e), file=sys.stderr)
                code = 1
            os._exit(code)
        pids.append(pid)
    bad = 0
    for pid in pids:
        _, status = os.waitpid(pid, 0)
        bad += status != 0
    sys.exit(1 if bad else 0)


class Name:
    def __init__(self):
        self.allowed = set()  # contents the name may be found with
        # The content of the last fsync (or rename) that returned: the name must exist, with that
        # content or one a later close/fsync was called on (all in `allowed`).
        self.must = None
        self.latest = None  # last state a close/fsync was called on
        self.sizes = {}  # state -> size (for the diagnosis of a violation)
        self.writing = None  # size an append was about to reach


def replay(journal_dir):
    """Replays the writers' journals: (names, interrupted renames, operation counts)."""
    names = {}
    pairs = []  # (a, b, durable content) of renames that never returned
    lineages = []  # names one content went through by returned renames: one of them must exist
    stats = {"S": 0, "F": 0, "r": 0, "writers killed mid-op": 0}
    for jf in sorted(os.listdir(journal_dir)):
        get = lambda n: names.setdefault(n, Name())  # noqa: E731
        pending = None
        for line in open(os.path.join(journal_dir, jf)):
            op, _, rest = line.rstrip("\n").partition(" ")
            if op == "S":
                n, h, size = rest.split()
                get(n).allowed.add(h)
                get(n).latest = h
                get(n).sizes[h] = int(size)
            elif op == "W":
                n, size = rest.split()
                get(n).writing = int(size)
            elif op == "F":
                n, h = rest.split()
                get(n).must, get(n).allowed = h, {h}
            elif op == "R":
                pending = rest.split()
            elif op == "r":
                a, b = rest.split()
                pending = None
                src, dst = get(a), get(b)
                content = src.latest
                dst.latest, dst.allowed, dst.must = content, {content}, None
                # The old name keeps the content it had until the background copy is stored
                # and its DELETE sent.
                src.must, src.allowed, src.latest = None, {content}, None
                group = next((g for g in lineages if a in g), None)
                if group is None:
                    lineages.append([a, b])
                else:
                    group.append(b)
            elif op == "X":
                if rest != "done":
                    stats["writers killed mid-op"] += 1
            stats[op] = stats.get(op, 0) + 1
        if pending:  # killed inside rename(a, b): either name may hold the content, or both
            a, b = pending
            src, dst = get(a), get(b)
            dst.allowed = {src.latest}
            if src.must is not None:
                pairs.append((a, b, src.must))
            src.must = None
            group = next((g for g in lineages if a in g), None)
            if group is not None:
                group.append(b)  # the content may have got there
    return names, pairs, lineages, stats


def renamed(args):
    # The last name of each returned rename's lineage whose presence only that lineage requires
    # (no fsync since): the checker's self-test deletes one of them.
    names, _, lineages, _ = replay(args.journal)
    for group in lineages:
        if names[group[-1]].must is None:
            print(group[-1])


def durable(args):
    # The names the checker requires present: the checker's own self-test deletes one of them.
    names, _, _, _ = replay(args.journal)
    for n, st in sorted(names.items()):
        if st.must is not None:
            print(n)


def check(args):
    names, pairs, lineages, stats = replay(args.journal)
    present, sizes = {}, {}
    for entry in os.listdir(args.mount):
        with open(os.path.join(args.mount, entry), "rb") as f:
            data = f.read()
            present[entry], sizes[entry] = sha(data), len(data)
    errors = []
    for entry, h in sorted(present.items()):
        if entry not in names:
            errors.append("%s: present, but no writer made this name" % entry)
        elif h not in names[entry].allowed:
            st = names[entry]
            errors.append("%s: content %s (%d bytes) is no state a close/fsync produced (torn or stale; allowed: %s; "
                          "last append was to reach %s bytes)"
                          % (entry, h, sizes[entry], ", ".join("%s (%d bytes)" % (a, st.sizes.get(a, -1))
                                                                for a in sorted(st.allowed)) or "absent", st.writing))
    for n, st in sorted(names.items()):
        if st.must is not None and n not in present:
            errors.append("%s: fsync (or rename) returned with %s, but the file is missing" % (n, st.must))
    for a, b, h in pairs:
        if a not in present and b not in present:
            errors.append("rename %s -> %s interrupted: the fsynced file (%s) is under neither name" % (a, b, h))
    for group in lineages:
        if not any(n in present for n in group):
            errors.append("renames %s returned, but the file is under none of these names" % " -> ".join(group))
    durable = sum(1 for st in names.values() if st.must is not None)
    print("  check: %d names, %d present, %d must be present (fsynced or renamed); journal: %d closes/fsyncs "
          "called, %d fsyncs and %d renames returned, %d writers cut off mid-operation"
          % (len(names), len(present), durable, stats["S"], stats["F"], stats["r"], stats["writers killed mid-op"]))
    if args.crashed and not stats["writers killed mid-op"]:
        errors.append("no writer was cut off: the driver died after the workload, or not under this mount")
    for e in errors:
        print("  VIOLATION: " + e)
    sys.exit(1 if errors else 0)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("cmd", choices=["run", "check", "durable", "renamed"])
    ap.add_argument("mount")
    ap.add_argument("journal")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--writers", type=int, default=6)
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--ops", type=int, help="run: each writer stops after this many operations")
    ap.add_argument("--ready", help="run: create this file once the writers are about to start")
    ap.add_argument("--crashed", action="store_true", help="check: the driver was killed under the writers")
    args = ap.parse_args()
    {"run": run, "check": check, "durable": durable, "renamed": renamed}[args.cmd](args)


if __name__ == "__main__":
    main()
