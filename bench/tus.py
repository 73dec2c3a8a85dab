#!/usr/bin/env python3
"""Resumable upload benchmark (issue 18): tus against the raw PUT, and memory under load.

  python3 bench/tus.py [--quick] [--no-build | --bin PATH]

Starts the release binary on SQLite on a fresh data dir under target/bench/ (the real
disk: every byte fsynced before it is acknowledged) and measures over HTTP on loopback.
The machinery (work dirs, the server, the random file, the RSS sampler, the table) is
bench/folders.py's.

  rate      a 1 GiB file of random bytes (cached in target/bench/cache/), sent 5 times each
            way, alternating: a raw PUT /api/files, and tus (POST /api/uploads, then PATCHes
            of 8 MiB, each after the last one's 204). Both are sent by this script the same
            way (os.sendfile from the page cache into a keep-alive socket), so the client
            costs the same on both sides and only the server's paths differ. Beside each
            pair, the disk alone: dd of the same file with conv=fsync. MB/s of the median,
            and the ratio. Target: tus within 15 % of the PUT (0.85x or better).
  memory    8 tus uploads of 256 MiB at once (8 threads, 8 MiB PATCHes), the server's
            VmRSS sampled every 20 ms (bench/helper.py rss): the peak. Target: 48 MiB.

--quick: a 64 MiB file and 3 runs; 8 × 32 MiB. Progress goes to stderr, the report
(starting with the exact commands) to stdout; raw times in target/bench/last-run/tus/.
It is not a test: it exits 0 even when a target is missed.
"""

import argparse
import atexit
import base64
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import folders  # noqa: E402  (bench/folders.py: the shared machinery)
from folders import (  # noqa: E402
    MIB, Dirs, binary_version, cached_random, dd_once, die, log, machine, num, print_rows,
    remove_work, rss_sampler, size_label, verdict,
)

CHUNK = 8 * MIB
PARALLEL = 8


def parse_args():
    p = argparse.ArgumentParser(description="tus benchmark (issue 18): see bench/tus.py's docstring.")
    p.add_argument("--quick", action="store_true", help="small sizes, 3 runs: a smoke test")
    p.add_argument("--no-build", action="store_true", help="use the binary as it is")
    p.add_argument("--bin", help="the mycloud binary to run (implies --no-build)")
    a = p.parse_args()
    a.build = not a.no_build and a.bin is None
    a.bin = os.path.abspath(a.bin or os.path.join(folders.REPO, "target/release/mycloud"))
    a.upload_mib, a.runs, a.parallel_mib = (64, 3, 32) if a.quick else (1024, 5, 256)
    a.upload_bytes = a.upload_mib * MIB
    return a


# --- a tiny HTTP/1.1 client that sends bodies with sendfile ------------------------------


class Conn:
    """One keep-alive connection; bodies go from a file with os.sendfile."""

    def __init__(self, srv):
        self.sock = socket.create_connection((srv.host, srv.port))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.reader = self.sock.makefile("rb")
        self.host = f"{srv.host}:{srv.port}"

    def request(self, method, path, headers, file=None, offset=0, count=0):
        """Sends one request (the body: COUNT bytes of FILE from OFFSET); returns (status,
        headers dict with lower-case names, body bytes)."""
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}",
                 f"Content-Length: {count}"]
        lines += [f"{k}: {v}" for k, v in headers.items()]
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        sent = 0
        while sent < count:
            n = os.sendfile(self.sock.fileno(), file.fileno(), offset + sent, count - sent)
            if n == 0:
                die("sendfile sent nothing")
            sent += n
        status_line = self.reader.readline().decode()
        status = int(status_line.split()[1])
        answer = {}
        while True:
            line = self.reader.readline().decode().rstrip("\r\n")
            if not line:
                break
            name, _, value = line.partition(":")
            answer[name.strip().lower()] = value.strip()
        body = self.reader.read(int(answer.get("content-length", "0")))
        return status, answer, body

    def close(self):
        self.reader.close()
        self.sock.close()


def put_once(srv, source, name):
    """A raw PUT of the whole file: seconds."""
    size = os.path.getsize(source)
    conn = Conn(srv)
    with open(source, "rb") as f:
        t0 = time.perf_counter()
        status, _, body = conn.request(
            "PUT", f"/api/files?name={name}",
            {"Authorization": f"Token {srv.token}", "Content-Type": "application/octet-stream"},
            f, 0, size)
        secs = time.perf_counter() - t0
    conn.close()
    if status != 201:
        die(f"PUT answered {status}: {body[:300]!r}")
    return secs, json.loads(body)["file"]["id"]


def tus_once(srv, source, name):
    """POST /api/uploads, then 8 MiB PATCHes until the end: (seconds, the file's id)."""
    size = os.path.getsize(source)
    meta = "filename " + base64.b64encode(name.encode()).decode()
    auth = {"Authorization": f"Token {srv.token}", "Tus-Resumable": "1.0.0"}
    conn = Conn(srv)
    with open(source, "rb") as f:
        t0 = time.perf_counter()
        status, headers, body = conn.request(
            "POST", "/api/uploads", {**auth, "Upload-Length": str(size), "Upload-Metadata": meta})
        if status != 201:
            die(f"POST /api/uploads answered {status}: {body[:300]!r}")
        path = "/api/uploads/" + headers["location"].rsplit("/", 1)[1]
        offset = 0
        while offset < size:
            n = min(CHUNK, size - offset)
            status, headers, body = conn.request(
                "PATCH", path,
                {**auth, "Upload-Offset": str(offset),
                 "Content-Type": "application/offset+octet-stream"},
                f, offset, n)
            if status != 204:
                die(f"PATCH answered {status}: {body[:300]!r}")
            offset = int(headers["upload-offset"])
        secs = time.perf_counter() - t0
    conn.close()
    return secs, headers["mycloud-file-id"]


def discard(srv, file_id):
    """Deletes the copy and purges it, so the disk does not fill."""
    srv.call("DELETE", f"/api/files/{file_id}", want=204)
    srv.call("DELETE", f"/api/trash/files/{file_id}", want=204)


def rate_phase(srv, args, dirs, rows):
    source = cached_random(dirs.cache, args.upload_mib)
    times = {"dd": [], "put": [], "tus": []}
    for i in range(args.runs):
        times["dd"].append(dd_once(source, dirs.work))
        for way in ("put", "tus") if i % 2 == 0 else ("tus", "put"):
            subprocess.run(["sync"])
            secs, file_id = (put_once if way == "put" else tus_once)(srv, source, f"{way}-{i}.bin")
            times[way].append(secs)
            discard(srv, file_id)
        log(f"  round {i + 1}: dd {times['dd'][-1]:.2f} s, PUT {times['put'][-1]:.2f} s, "
            f"tus {times['tus'][-1]:.2f} s")
    with open(os.path.join(dirs.raw, "rate.txt"), "w") as f:
        for k, v in times.items():
            f.write(f"{k}: {' '.join(f'{t:.3f}' for t in v)}\n")
    rate = {k: args.upload_bytes / statistics.median(v) / 1e6 for k, v in times.items()}
    ratio = rate["tus"] / rate["put"]
    label, med = size_label(args.upload_bytes), f"median of {args.runs}"
    rows.append((f"disk alone (dd conv=fsync) ({med})", f"{num(rate['dd'])} MB/s",
                 "(beside the uploads)", ""))
    rows.append((f"upload {label}, raw PUT ({med})", f"{num(rate['put'])} MB/s", "", ""))
    rows.append((f"upload {label}, tus, 8 MiB PATCHes ({med})", f"{num(rate['tus'])} MB/s",
                 "0.85x PUT or better", f"{verdict(ratio >= 0.85)} ({ratio:.3f}x)"))


def memory_phase(srv, args, dirs, rows):
    source = cached_random(dirs.cache, args.parallel_mib)
    sampler, out = rss_sampler(dirs.raw, srv.proc.pid, label="tus")
    results, errors = [], []

    def one(i):
        try:
            results.append(tus_once(srv, source, f"parallel-{i}.bin"))
        except SystemExit as e:
            errors.append(str(e))

    t0 = time.perf_counter()
    threads = [threading.Thread(target=one, args=(i,)) for i in range(PARALLEL)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    secs = time.perf_counter() - t0
    sampler.send_signal(signal.SIGTERM)
    sampler.wait()
    if errors:
        die(f"a parallel upload failed: {errors[0]}")
    peak = int(open(out).read().strip()) / 1024
    total = PARALLEL * args.parallel_mib * MIB
    log(f"  {PARALLEL} tus uploads of {args.parallel_mib} MiB: {secs:.1f} s, "
        f"{num(total / secs / 1e6)} MB/s together, peak RSS {peak:.1f} MiB")
    rows.append((f"{PARALLEL} tus uploads of {size_label(args.parallel_mib * MIB)} at once",
                 f"{num(total / secs / 1e6)} MB/s together", "(a figure)", ""))
    rows.append(("peak server RSS during them", f"{peak:.1f} MiB", "48 MiB or less",
                 verdict(peak <= 48)))
    for _, file_id in results:
        discard(srv, file_id)


def main():
    args = parse_args()
    if args.build:
        log("building the release binary (cargo build --release)")
        if subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=folders.REPO).returncode:
            die("cargo build --release failed (--no-build uses the binary as it is)")
    if not os.access(args.bin, os.X_OK):
        die(f"{args.bin} not found (build it, or --bin PATH)")
    dirs = Dirs("tus")
    folders.at_cleanup(lambda: remove_work(dirs.work))
    if dirs.fs_type in ("tmpfs", "ramfs"):
        log(f"WARNING: {dirs.work} is on {dirs.fs_type}: fsync costs nothing there")
    mode = "QUICK (small sizes, not the figures of the issue)" if args.quick else "full"
    label = size_label(args.upload_bytes)
    print(f"""mycloud tus benchmark (issue 18), {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, mode: {mode}
machine: {machine()}
work dir: {dirs.work} ({dirs.fs_type}); binary: {args.bin} ({binary_version(args.bin)}); SQLite
MB/s = 10^6 bytes per second; MiB/GiB = 2^20/2^30 bytes. Every request is sent by this script over one
keep-alive connection, its body by os.sendfile from the page cache (cached random file):
  PUT    PUT /api/files?name=N (Content-Length {args.upload_bytes}), 201 awaited
  tus    POST /api/uploads (Upload-Length, Upload-Metadata filename), then PATCH /api/uploads/ID with
         Content-Type application/offset+octet-stream, Upload-Offset, 8 MiB bodies, each after the last 204
  dd     sync; dd if=random-{args.upload_mib}M.bin of=WORK/dd-probe.bin bs=1M conv=fsync, before each pair
  order  {args.runs} rounds of dd, then PUT and tus (order swapped every round), each after a sync; each copy
         deleted and purged after (untimed)
  memory {PARALLEL} threads each sending a {args.parallel_mib} MiB file through tus at once; VmRSS every 20 ms
""", flush=True)
    srv = folders.Server(args, dirs, "sqlite", None)
    rows = []
    log(f"rate: {label}, {args.runs} rounds")
    rate_phase(srv, args, dirs, rows)
    log(f"memory: {PARALLEL} parallel tus uploads of {args.parallel_mib} MiB")
    memory_phase(srv, args, dirs, rows)
    srv.stop()
    print_rows([("sqlite", rows)])
    print(f"raw outputs: {dirs.raw}")


if __name__ == "__main__":
    atexit.register(folders.run_cleanups)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        main()
    except KeyboardInterrupt:
        sys.exit(130)
