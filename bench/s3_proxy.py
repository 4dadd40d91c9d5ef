#!/usr/bin/env python3
"""HTTP/1.1 proxy for loopback S3 servers that adds latency and injects faults.

Cloud object stores answer in tens of milliseconds; a loopback server answers in tens of
microseconds, which hides every design choice that costs round trips. This kernel has no netem,
so we emulate the latency at the HTTP level: every request is held for --delay-ms before it is
forwarded (one added round trip per request, which is what dominates S3 clients: each GET, HEAD,
LIST or PUT pays it once, while bandwidth is unaffected).

It also injects faults for retry tests: --faults "503,reset,slowdown,stall" makes the first
requests (in that order) fail that way instead of being forwarded:
  503       answers 503 ServiceUnavailable with an S3 <Error> body
  slowdown  answers 503 SlowDown
  500       answers 500 InternalError
  reset     closes the client connection abruptly (RST) without an answer
  truncate  forwards the request but cuts the response body in half and resets (an answer
            without a body: cuts its head in half)
  stall     holds the request for --stall-s seconds, then closes (a client timeout must fire)
  slow      forwards the request, then holds the answer for --stall-s seconds (a server that
            works silently before answering, as S3-likes do for CompleteMultipartUpload)
--fault-match restricts fault injection to requests whose request line contains the text.

Random mode (--random-faults RATE --seed S): each request, with probability RATE (drawn from a
generator seeded with S), fails in one of --random-kinds (default 500,slowdown,reset,truncate,
stall); the first faults go through the kinds once in a shuffled order, so every kind occurs as
soon as there have been that many faults, and the kinds are uniform after that. A truncated
answer without a body loses half its head (the server did the work; the client never hears of
it). The stats file counts the faults by kind ("faults_by_kind").

Each client connection gets its own upstream connection (keep-alive on both sides), so
connection reuse by the client is preserved. It parses just enough HTTP to find message
boundaries: Content-Length and chunked bodies, HEAD/204/304 without body. Bodies of 1 MiB or
more are relayed socket to socket through one buffer (relay_body), so that the proxy takes as
little of the bench machine's CPU as it can: the mounts under test share it. Listens on
127.0.0.1 only, on a free port that it writes to --port-file; stop it by its PID.

  s3_proxy.py --upstream http://127.0.0.1:PORT [--delay-ms 20] [--faults 503,reset]
              [--random-faults 0.1 --seed S] [--stall-s 5]
              [--port-file FILE] [--stats-file FILE] [--log-requests FILE]
"""
import argparse
import asyncio
import json
import os
import random
import signal
import socket
import struct
import sys
import time

CHUNK = 1 << 18
FAULT_KINDS = ("503", "slowdown", "500", "reset", "truncate", "stall", "slow")


class Stats:
    def __init__(self):
        self.requests = 0
        self.faults = 0
        self.connections = 0
        self.by_kind = {}  # "HEAD", "GET", "LIST", "PUT", "COPY", "DELETE", "POST": counts
        self.faults_by_kind = {}  # "500", "slowdown", "reset", ...: counts
        self.relayed_bytes = 0  # body bytes moved by relay_body

    def count(self, request_line, headers):
        method, _, rest = request_line.partition(" ")
        target = rest.split(" ", 1)[0]
        kind = method
        if method == "GET" and ("list-type" in target or "delimiter" in target or target.count("/") <= 1):
            kind = "LIST"
        elif method == "PUT" and any(k.lower() == "x-amz-copy-source" for k in headers):
            kind = "COPY"
        self.by_kind[kind] = self.by_kind.get(kind, 0) + 1


async def read_head(reader):
    """Reads up to and including the blank line; returns bytes or None at EOF."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as e:
        if e.partial:
            raise ConnectionError("truncated HTTP head")
        return None
    except asyncio.LimitOverrunError:
        raise ConnectionError("HTTP head too large")
    return head


def parse_headers(head):
    lines = head.split(b"\r\n")
    first = lines[0].decode("latin-1")
    headers = {}
    for line in lines[1:]:
        if not line:
            continue
        name, _, value = line.partition(b":")
        headers[name.strip().lower().decode("latin-1")] = value.strip().decode("latin-1")
    return first, headers


RELAY_MIN = 1 << 20  # Content-Length bodies at least this long go through relay_body
RELAY_CHUNK = 1 << 20


async def _until_ready(loop, fd, add, remove):
    fut = loop.create_future()
    add(fd, lambda: fut.done() or fut.set_result(None))
    try:
        await fut
    finally:
        remove(fd)


async def relay_body(reader, source, writer, left, stats):
    """Moves `left` body bytes from reader's socket to writer's socket through one reused
    buffer: a read into it and a write from it, two copies per byte. Why: asyncio's streams
    copy each byte four or five times (the transport's recv into a new bytes object, the
    StreamReader's buffer, read()'s slice, a partial send's buffer), which cost this proxy
    about 0.9 CPU-seconds per GiB. On a 2-core bench machine that CPU is taken from the mount
    under test, and a real network adds its latency without using the client's CPU.
    `source` is the StreamWriter of reader's connection: its transport is paused while the
    socket is read directly. The bytes asyncio has already buffered are sent first."""
    loop = asyncio.get_running_loop()
    st, dt = source.transport, writer.transport
    st.pause_reading()
    try:
        # Bytes the StreamReader already holds (read() returns them without yielding).
        while left and reader._buffer:
            data = await reader.read(min(len(reader._buffer), left))
            writer.write(data)
            left -= len(data)
        st.pause_reading()  # read() may have resumed a transport the reader had paused
        # The writer's transport must have sent all it holds before its socket is written.
        low, high = dt.get_write_buffer_limits()
        dt.set_write_buffer_limits(high=0)
        try:
            await writer.drain()
        finally:
            dt.set_write_buffer_limits(high=high, low=low)
        if dt.get_write_buffer_size() or dt.is_closing():
            raise ConnectionError("peer closed")
        # Own descriptors: the loop refuses add_reader on a descriptor that a transport owns.
        sfd = os.dup(st.get_extra_info("socket").fileno())
        try:
            dfd = os.dup(dt.get_extra_info("socket").fileno())
        except BaseException:
            os.close(sfd)
            raise
        view = memoryview(bytearray(RELAY_CHUNK))
        try:
            while left:
                try:
                    n = os.readv(sfd, [view[:min(left, RELAY_CHUNK)]])
                except BlockingIOError:
                    await _until_ready(loop, sfd, loop.add_reader, loop.remove_reader)
                    continue
                if n == 0:
                    raise ConnectionError("peer closed inside a body")
                left -= n
                stats.relayed_bytes += n
                sent = 0
                while sent < n:
                    try:
                        sent += os.write(dfd, view[sent:n])
                    except BlockingIOError:
                        await _until_ready(loop, dfd, loop.add_writer, loop.remove_writer)
        finally:
            os.close(sfd)
            os.close(dfd)
    finally:
        if not st.is_closing():
            st.resume_reading()


async def copy_body(reader, writer, headers, limit=None, source=None, stats=None):
    """Copies a message body delimited by Content-Length or chunked encoding.
    With limit, copies at most that many body bytes and returns False (truncated).
    With source (the StreamWriter of reader's connection), long Content-Length bodies go
    through relay_body."""
    te = headers.get("transfer-encoding", "").lower()
    if "chunked" in te:
        while True:
            size_line = await reader.readuntil(b"\r\n")
            writer.write(size_line)
            size = int(size_line.split(b";")[0].strip(), 16)
            if size == 0:
                # trailers until blank line
                while True:
                    line = await reader.readuntil(b"\r\n")
                    writer.write(line)
                    if line == b"\r\n":
                        break
                await writer.drain()
                return True
            left = size + 2
            while left:
                data = await reader.read(min(CHUNK, left))
                if not data:
                    raise ConnectionError("upstream closed inside a chunk")
                writer.write(data)
                left -= len(data)
                await writer.drain()
    length = int(headers.get("content-length", "0") or 0)
    left = length if limit is None else min(length, limit)
    if source is not None and limit is None and left >= RELAY_MIN and hasattr(reader, "_buffer"):
        await relay_body(reader, source, writer, left, stats)
        return True
    while left:
        data = await reader.read(min(CHUNK, left))
        if not data:
            raise ConnectionError("peer closed inside a body")
        writer.write(data)
        left -= len(data)
        if writer.transport.get_write_buffer_size() > 4 * CHUNK:
            await writer.drain()
    await writer.drain()
    return limit is None or limit >= length


def reset(writer):
    sock = writer.get_extra_info("socket")
    if sock is not None:
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
    writer.transport.abort()


def error_response(status, code, message):
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>%s</Code><Message>%s</Message>'
        "<RequestId>proxy-fault</RequestId></Error>" % (code, message)
    ).encode()
    reason = {500: "Internal Server Error", 503: "Service Unavailable"}[status]
    head = (
        "HTTP/1.1 %d %s\r\nContent-Type: application/xml\r\nContent-Length: %d\r\n"
        "x-amz-request-id: proxy-fault\r\n\r\n" % (status, reason, len(body))
    ).encode()
    return head + body


class Proxy:
    def __init__(self, args):
        self.args = args
        up = args.upstream.split("://", 1)[-1].rstrip("/")
        host, _, port = up.rpartition(":")
        self.up_host, self.up_port = host, int(port)
        self.faults = [f for f in args.faults.split(",") if f] if args.faults else []
        self.rng = random.Random(args.seed)
        self.random_kinds = [k for k in args.random_kinds.split(",") if k]
        unknown = set(self.faults + self.random_kinds) - set(FAULT_KINDS)
        if unknown:
            sys.exit("s3_proxy: unknown fault kind(s): " + ",".join(sorted(unknown)))
        self.first_round = self.rng.sample(self.random_kinds, len(self.random_kinds))
        self.stats = Stats()
        self.stats_written = 0  # requests the stats file counts
        self.log = open(args.log_requests, "a") if args.log_requests else None

    def next_fault(self, request_line):
        if self.args.fault_match and self.args.fault_match not in request_line:
            return None
        if self.faults:
            fault = self.faults.pop(0)
        elif self.args.random_faults > 0 and self.rng.random() < self.args.random_faults:
            fault = self.first_round.pop(0) if self.first_round else self.rng.choice(self.random_kinds)
        else:
            return None
        self.stats.faults += 1
        self.stats.faults_by_kind[fault] = self.stats.faults_by_kind.get(fault, 0) + 1
        return fault

    def write_stats(self, through=None):
        """Writes the stats file, unless it already counts request number `through`.
        Why not after every request: a write (a new file renamed over the old) cost about
        180 us of CPU on ext4, a third of what this proxy spent per small PUT, taken from the
        mounts under test. Callers pass `through` before anything of that request reaches the
        client (an answer, a reset), so whoever has seen an answer reads counts that include
        its request; one write covers every request counted so far, so with 32 requests in
        flight about one answer in 32 writes."""
        if through is not None and self.stats_written >= through:
            return
        self.stats_written = self.stats.requests
        if self.args.stats_file:
            tmp = self.args.stats_file + ".tmp"
            with open(tmp, "w") as f:
                json.dump(vars(self.stats), f)
            os.replace(tmp, self.args.stats_file)

    async def handle(self, creader, cwriter):
        self.stats.connections += 1
        ureader = uwriter = None
        try:
            while True:
                head = await read_head(creader)
                if head is None:
                    break
                request_line, headers = parse_headers(head)
                method = request_line.split(" ", 1)[0]
                self.stats.requests += 1
                self.stats.count(request_line, headers)
                if self.log:
                    self.log.write("%.6f %s %s\n" % (time.time(), request_line, headers.get("range", "")))
                    self.log.flush()
                seq = self.stats.requests
                fault = self.next_fault(request_line)
                if fault:
                    self.write_stats()
                if self.args.delay_ms:
                    await asyncio.sleep(self.args.delay_ms / 1000.0)
                if fault in ("503", "slowdown", "500"):
                    # Consume the request body, then answer with the error; keep the connection.
                    await copy_body(creader, _Sink(), headers)
                    status, code = {"503": (503, "ServiceUnavailable"), "slowdown": (503, "SlowDown"),
                                    "500": (500, "InternalError")}[fault]
                    cwriter.write(error_response(status, code, "injected by s3_proxy"))
                    await cwriter.drain()
                    continue
                if fault == "reset":
                    reset(cwriter)
                    return
                if fault == "stall":
                    await asyncio.sleep(self.args.stall_s)
                    reset(cwriter)
                    return
                if ureader is None:
                    ureader, uwriter = await asyncio.open_connection(self.up_host, self.up_port, limit=1 << 20)
                    s = uwriter.get_extra_info("socket")
                    if s is not None:
                        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                if headers.get("expect", "").lower() == "100-continue":
                    # The client (libcurl: s3fs, the aws CLI) holds the body until it sees
                    # "100 Continue", for up to a second. Answer it here and drop the header
                    # upstream; relaying the upstream's 100 would need the body first (deadlock).
                    head = b"\r\n".join(l for l in head.split(b"\r\n")
                                         if not l.lower().startswith(b"expect:"))
                    cwriter.write(b"HTTP/1.1 100 Continue\r\n\r\n")
                    await cwriter.drain()
                uwriter.write(head)
                await copy_body(creader, uwriter, headers, source=cwriter, stats=self.stats)
                if fault == "slow":
                    await asyncio.sleep(self.args.stall_s)
                # Response(s): skip interim 1xx answers.
                while True:
                    rhead = await read_head(ureader)
                    if rhead is None:
                        raise ConnectionError("upstream closed before answering")
                    status_line, rheaders = parse_headers(rhead)
                    status = int(status_line.split(" ")[1])
                    self.write_stats(through=seq)
                    if fault == "truncate" and status >= 200 and not (
                            method != "HEAD" and status not in (204, 304)
                            and int(rheaders.get("content-length", "0") or 0) > 1):
                        # No body worth halving: cut the head itself.
                        cwriter.write(rhead[: len(rhead) // 2])
                        await cwriter.drain()
                        reset(cwriter)
                        return
                    cwriter.write(rhead)
                    if 100 <= status < 200:
                        await cwriter.drain()
                        continue
                    break
                if method == "HEAD" or status in (204, 304):
                    await cwriter.drain()
                elif "content-length" in rheaders or "chunked" in rheaders.get("transfer-encoding", "").lower():
                    if fault == "truncate":
                        length = int(rheaders.get("content-length", "0") or 0)
                        await copy_body(ureader, cwriter, rheaders, limit=length // 2)
                        reset(cwriter)
                        return
                    await copy_body(ureader, cwriter, rheaders, source=uwriter, stats=self.stats)
                else:
                    # Body delimited by connection close.
                    while True:
                        data = await ureader.read(CHUNK)
                        if not data:
                            break
                        cwriter.write(data)
                        await cwriter.drain()
                    break
                if rheaders.get("connection", "").lower() == "close" or headers.get("connection", "").lower() == "close":
                    break
        except (ConnectionError, asyncio.IncompleteReadError, OSError, ValueError):
            pass
        finally:
            self.write_stats(through=self.stats.requests)  # a closed connection is an answer too
            for w in (uwriter, cwriter):
                if w is not None:
                    try:
                        w.close()
                    except Exception:
                        pass


class _Sink:
    """A writer that discards (for the bodies of requests we answer ourselves)."""

    class _T:
        def get_write_buffer_size(self):
            return 0

    transport = _T()

    def write(self, data):
        pass

    async def drain(self):
        pass


async def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--upstream", required=True, help="http://127.0.0.1:PORT of the S3 server")
    ap.add_argument("--delay-ms", type=float, default=0.0, help="latency added to every request (default 0)")
    ap.add_argument("--faults", default="", help="comma-separated faults for the first requests")
    ap.add_argument("--fault-match", default="", help="only requests whose request line contains this")
    ap.add_argument("--random-faults", type=float, default=0.0, metavar="RATE",
                    help="fraction of requests (0-1) that fail with a random kind of fault (default 0)")
    ap.add_argument("--random-kinds", default="500,slowdown,reset,truncate,stall",
                    help="the kinds --random-faults draws from (default 500,slowdown,reset,truncate,stall)")
    ap.add_argument("--seed", type=int, default=0, help="seed of --random-faults (default 0)")
    ap.add_argument("--stall-s", type=float, default=30.0, help="how long a 'stall' or 'slow' fault holds (default 30)")
    ap.add_argument("--port-file", help="write the listening port here")
    ap.add_argument("--stats-file", help="write request/fault counts here (JSON)")
    ap.add_argument("--log-requests", help="append each request line, with a wall-clock timestamp and its Range header, to this file")
    args = ap.parse_args()
    if not args.upstream.startswith("http://127.") and not args.upstream.startswith("http://localhost"):
        sys.exit("s3_proxy: upstream must be a loopback http:// URL")
    proxy = Proxy(args)
    proxy.write_stats()  # readers may look before the first request
    server = await asyncio.start_server(proxy.handle, "127.0.0.1", 0, limit=1 << 20)
    port = server.sockets[0].getsockname()[1]
    if args.port_file:
        tmp = args.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % port)
        os.replace(tmp, args.port_file)
    print(port, flush=True)
    loop = asyncio.get_running_loop()
    stop = loop.create_future()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, lambda: stop.done() or stop.set_result(None))
    async with server:
        await stop
    proxy.write_stats()


if __name__ == "__main__":
    asyncio.run(main())
