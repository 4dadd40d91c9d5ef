#!/usr/bin/env python3
"""A local stand-in for the Hugging Face hub, for the tests and the quickstart (stdlib only).

It serves a directory of repositories laid out as

    ROOT/datasets/{owner}/{name}/...        dataset repos, revision "main"
    ROOT/models/{owner}/{name}/...          model repos, revision "main"
    ROOT/{datasets|models}/{owner}/{name}@{rev}/...   the same repo at another revision

with the parts of the hub's HTTP API that skytrain uses:

    GET /api/{datasets|models}/{id}/tree/{rev}?recursive=true   JSON listing, paged with a
        `Link: <...>; rel="next"` header (--page-size, default 1000 like the hub)
    GET /datasets/{id}/resolve/{rev}/{path}, GET /{id}/resolve/{rev}/{path}
        files; LFS files (by extension or size, as the hub's .gitattributes would) answer
        302 to /cdn/... like the hub's redirect to its CDN; Range requests get 206
    GET /cdn/{token}   the redirected download (signed path, no auth needed, like the CDN)

Listing entries carry `oid` (git blob sha1), `size`, and for LFS files `lfs: {oid: sha256, size}`.

Test switches:
    --gated ID          repo ID needs `Authorization: Bearer TOKEN` (--token): 401 without a
                        token, 403 with a wrong one (repeatable)
    --flaky N           the first N requests for each path fail (--flaky-mode: 503 = answer 503,
                        drop = close the connection without answering, truncate = send the
                        headers and half the body, then close)
    --corrupt ID/PATH   serve PATH of repo ID with one byte flipped (the listing keeps the true
                        checksums), to exercise checksum verification (repeatable)
    --rate BYTES        throttle file bodies to BYTES per second (for kill-during-download tests)

Usage: hub-server.py ROOT [--url-file F] [--pid-file F] [options]. Binds 127.0.0.1 on a free
port, prints the base URL on stdout (and writes it to --url-file), serves until SIGTERM/SIGINT.
"""
import argparse
import hashlib
import json
import os
import signal
import socket
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LFS_EXTENSIONS = (".parquet", ".safetensors", ".bin", ".arrow", ".gz", ".zst", ".pt", ".pth", ".h5", ".msgpack", ".model")
LFS_MIN_SIZE = 10 * 1024 * 1024


def git_blob_sha1(data):
    h = hashlib.sha1()
    h.update(b"blob %d\0" % len(data))
    h.update(data)
    return h.hexdigest()


class Hub:
    def __init__(self, args):
        self.root = os.path.abspath(args.root)
        self.page_size = args.page_size
        self.gated = set(args.gated or [])
        self.token = args.token
        self.flaky = args.flaky
        self.flaky_mode = args.flaky_mode
        self.corrupt = set(args.corrupt or [])
        self.rate = args.rate
        self.failures = {}
        self.lock = threading.Lock()
        self.secret = os.urandom(16).hex()
        self.sums = {}  # (abs path, mtime, size) -> (sha1, sha256)

    def repo_dir(self, kind, repo_id, rev):
        base = os.path.join(self.root, kind, *repo_id.split("/"))
        if rev in ("main", ""):
            return base
        return base + "@" + rev

    def checksums(self, path):
        st = os.stat(path)
        key = (path, st.st_mtime_ns, st.st_size)
        with self.lock:
            if key in self.sums:
                return self.sums[key]
        with open(path, "rb") as f:
            data = f.read()
        sums = (git_blob_sha1(data), hashlib.sha256(data).hexdigest())
        with self.lock:
            self.sums[key] = sums
        return sums

    def is_lfs(self, rel, size):
        return rel.endswith(LFS_EXTENSIONS) or size >= LFS_MIN_SIZE

    def tree(self, repo_dir):
        entries = []
        for dirpath, dirnames, filenames in os.walk(repo_dir):
            dirnames.sort()
            rel_dir = os.path.relpath(dirpath, repo_dir)
            for d in dirnames:
                rel = os.path.normpath(os.path.join(rel_dir, d)).replace(os.sep, "/")
                entries.append({"type": "directory", "oid": "0" * 40, "size": 0, "path": rel})
            for name in sorted(filenames):
                if name.startswith(".hub-"):
                    continue
                full = os.path.join(dirpath, name)
                rel = os.path.normpath(os.path.join(rel_dir, name)).replace(os.sep, "/")
                size = os.path.getsize(full)
                sha1, sha256 = self.checksums(full)
                e = {"type": "file", "oid": sha1, "size": size, "path": rel}
                if self.is_lfs(rel, size):
                    pointer = "version https://git-lfs.github.com/spec/v1\noid sha256:%s\nsize %d\n" % (sha256, size)
                    e["oid"] = git_blob_sha1(pointer.encode())
                    e["lfs"] = {"oid": sha256, "size": size, "pointerSize": len(pointer)}
                entries.append(e)
        entries.sort(key=lambda e: e["path"])
        return entries

    def sign(self, text):
        return hashlib.sha256((self.secret + text).encode()).hexdigest()[:32]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "skytrain-hub-server/1"

    def log_message(self, fmt, *args):
        if self.server.hub_verbose:
            sys.stderr.write("hub-server: " + (fmt % args) + "\n")

    @property
    def hub(self):
        return self.server.hub

    def send_json(self, status, obj, extra=None):
        body = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def error(self, status, message):
        self.send_json(status, {"error": message}, {"X-Error-Message": message})

    def flaky_failure(self, key, can_truncate=False):
        """Injects a failure for the first --flaky requests of each key. Returns None (serve
        normally), "done" (a failure was answered), or "truncate" (caller sends half a body)."""
        hub = self.hub
        if hub.flaky <= 0:
            return None
        with hub.lock:
            n = hub.failures.get(key, 0)
            if n >= hub.flaky:
                return None
            hub.failures[key] = n + 1
        mode = hub.flaky_mode
        if mode == "truncate" and can_truncate:
            return "truncate"
        if mode == "drop":
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        else:
            self.error(503, "injected failure %d/%d" % (n + 1, hub.flaky))
        return "done"

    def check_auth(self, repo_id):
        if repo_id not in self.hub.gated:
            return True
        auth = self.headers.get("Authorization", "")
        if not auth.startswith("Bearer "):
            self.error(401, "Access to repository %s is restricted. You must be authenticated to access it." % repo_id)
            return False
        if auth[len("Bearer "):] != self.hub.token:
            self.error(403, "Access to repository %s is restricted and you are not in the authorized list." % repo_id)
            return False
        return True

    def do_HEAD(self):
        self.do_GET()

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        parts = [urllib.parse.unquote(p) for p in url.path.split("/")[1:]]
        try:
            if len(parts) >= 2 and parts[0] == "api" and parts[1] in ("datasets", "models"):
                return self.api_tree(parts[1], parts[2:], urllib.parse.parse_qs(url.query))
            if parts and parts[0] == "cdn":
                return self.cdn(parts[1:], urllib.parse.parse_qs(url.query))
            if parts and parts[0] == "datasets":
                return self.resolve("datasets", parts[1:])
            return self.resolve("models", parts)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def api_tree(self, kind, parts, query):
        # {owner}/{name}/tree/{rev}[/{path}]
        if len(parts) < 4 or parts[2] != "tree":
            return self.error(404, "unknown API path")
        repo_id = parts[0] + "/" + parts[1]
        rev = parts[3]
        if self.flaky_failure(("tree", self.path)):
            return
        if not self.check_auth(repo_id):
            return
        repo_dir = self.hub.repo_dir(kind, repo_id, rev)
        if not os.path.isdir(self.hub.repo_dir(kind, repo_id, "main")):
            return self.error(404, "Repository not found")
        if not os.path.isdir(repo_dir):
            return self.error(404, "Revision Not Found for url: %s" % self.path)
        entries = self.hub.tree(repo_dir)
        if query.get("recursive", ["false"])[0] not in ("true", "1", "True"):
            entries = [e for e in entries if "/" not in e["path"]]
        start = int(query.get("cursor", ["0"])[0])
        page = entries[start:start + self.hub.page_size]
        extra = {}
        if start + self.hub.page_size < len(entries):
            q = {"recursive": "true", "cursor": str(start + self.hub.page_size)}
            nxt = "http://%s%s?%s" % (self.headers.get("Host"), urllib.parse.urlsplit(self.path).path, urllib.parse.urlencode(q))
            extra["Link"] = '<%s>; rel="next"' % nxt
        self.send_json(200, page, extra)

    def resolve(self, kind, parts):
        # {owner}/{name}/resolve/{rev}/{path...}
        if len(parts) < 5 or parts[2] != "resolve":
            return self.error(404, "Not found")
        repo_id = parts[0] + "/" + parts[1]
        rev = parts[3]
        rel = "/".join(parts[4:])
        if ".." in parts[4:]:
            return self.error(400, "bad path")
        if not self.check_auth(repo_id):
            return
        if not os.path.isdir(self.hub.repo_dir(kind, repo_id, "main")):
            return self.error(404, "Repository not found")
        repo_dir = self.hub.repo_dir(kind, repo_id, rev)
        if not os.path.isdir(repo_dir):
            return self.error(404, "Revision Not Found")
        full = os.path.join(repo_dir, *rel.split("/"))
        if not os.path.isfile(full):
            return self.error(404, "Entry not found")
        size = os.path.getsize(full)
        if self.hub.is_lfs(rel, size):
            token = "/".join(urllib.parse.quote(p, safe="") for p in (kind, repo_id.replace("/", "\x00"), rev, rel))
            sig = self.hub.sign(token)
            loc = "http://%s/cdn/%s?sig=%s" % (self.headers.get("Host"), urllib.parse.quote(token, safe=""), sig)
            self.send_response(302)
            self.send_header("Location", loc)
            self.send_header("Content-Length", "0")
            self.send_header("X-Repo-Commit", "0" * 40)
            self.end_headers()
            return
        self.send_file(kind, repo_id, rel, full)

    def cdn(self, parts, query):
        if len(parts) != 1:
            return self.error(404, "Not found")
        token = parts[0]
        if query.get("sig", [""])[0] != self.hub.sign(token):
            return self.error(403, "bad signature")
        kind, repo_id, rev, rel = (urllib.parse.unquote(p) for p in token.split("/"))
        repo_id = repo_id.replace("\x00", "/")
        full = os.path.join(self.hub.repo_dir(kind, repo_id, rev), *rel.split("/"))
        if not os.path.isfile(full):
            return self.error(404, "Not found")
        self.send_file(kind, repo_id, rel, full)

    def send_file(self, kind, repo_id, rel, full):
        with open(full, "rb") as f:
            data = f.read()
        if repo_id + "/" + rel in self.hub.corrupt and data:
            mid = len(data) // 2
            data = data[:mid] + bytes([data[mid] ^ 0xFF]) + data[mid + 1:]
        start, end = 0, len(data)
        status = 200
        rng = self.headers.get("Range")
        if rng and rng.startswith("bytes="):
            a, _, b = rng[len("bytes="):].partition("-")
            start = int(a) if a else 0
            end = int(b) + 1 if b else len(data)
            if start >= len(data):
                self.send_response(416)
                self.send_header("Content-Range", "bytes */%d" % len(data))
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            status = 206
        body = data[start:end]
        injected = self.flaky_failure(("file", kind, repo_id, rel), can_truncate=len(body) > 1)
        if injected == "done":
            return
        if injected == "truncate":
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            if status == 206:
                self.send_header("Content-Range", "bytes %d-%d/%d" % (start, end - 1, len(data)))
            self.end_headers()
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("ETag", '"%s"' % self.hub.checksums(full)[1])
        if status == 206:
            self.send_header("Content-Range", "bytes %d-%d/%d" % (start, end - 1, len(data)))
        self.end_headers()
        if self.command == "HEAD":
            return
        if not self.hub.rate:
            self.wfile.write(body)
            return
        chunk = 65536
        for off in range(0, len(body), chunk):
            self.wfile.write(body[off:off + chunk])
            time.sleep(min(chunk, len(body) - off) / self.hub.rate)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("root")
    p.add_argument("--url-file")
    p.add_argument("--pid-file")
    p.add_argument("--page-size", type=int, default=1000)
    p.add_argument("--gated", action="append")
    p.add_argument("--token", default="hf_test_token")
    p.add_argument("--flaky", type=int, default=0)
    p.add_argument("--flaky-mode", choices=["503", "drop", "truncate"], default="503")
    p.add_argument("--corrupt", action="append")
    p.add_argument("--rate", type=float, default=0, help="throttle file bodies to this many bytes/s (0 = no limit)")
    p.add_argument("--verbose", action="store_true")
    args = p.parse_args()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.hub = Hub(args)
    server.hub_verbose = args.verbose
    url = "http://127.0.0.1:%d" % server.server_address[1]
    if args.pid_file:
        with open(args.pid_file, "w") as f:
            f.write("%d\n" % os.getpid())
    if args.url_file:
        tmp = args.url_file + ".tmp"
        with open(tmp, "w") as f:
            f.write(url + "\n")
        os.rename(tmp, args.url_file)
    print(url, flush=True)
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    server.server_close()


if __name__ == "__main__":
    main()
