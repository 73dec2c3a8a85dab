#!/usr/bin/env python3
"""Small timing helpers for bench/run.sh, where bash alone is too coarse.

  helper.py rss OUT [--interval S] [--tree] PID...
      Samples VmRSS of PID (plus its descendants with --tree, summed) from
      /proc/PID/status every S seconds (default 0.02) until SIGTERM/SIGINT or until every
      PID is gone, then writes the peak in KiB to OUT. OUT.ready appears after the first
      sample, so the caller knows sampling has begun.

  helper.py coldstart --runs N [--idle-after S] -- CMD ARG...
      N times: pick a free loopback port, spawn CMD (every "{port}" in it replaced), poll
      GET /api/health on that port in a tight loop (a fresh TCP connection per attempt,
      0.2 ms apart) until it answers 200, and note the time from just before the spawn
      to that answer. With --idle-after, waits S seconds more and reads the server's
      VmRSS. Then SIGTERM and wait. Prints one line per run: "MS RSS_KIB".

  helper.py populate URL_PREFIX COUNT [--header H] [--mycloud] [--threads T]
      Uploads COUNT small files over keep-alive connections, T threads (default 4).
      Plain mode: PUT URL_PREFIX/fNNNN.txt (a WebDAV-style server).
      --mycloud: PUT URL_PREFIX/api/files?name=fNNNN.txt&comment=bench.
      Fails on the first answer that is not 2xx.

  helper.py json PATH
      Reads JSON on stdin, prints the value at PATH (dot-separated keys).
"""

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse


def read_rss_kib(pid):
    try:
        with open(f"/proc/{pid}/status", "rb") as f:
            for line in f:
                if line.startswith(b"VmRSS:"):
                    return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    return 0  # a zombie has no VmRSS line


def descendants(pids):
    """pids plus every process whose ancestor is one of them (one /proc walk)."""
    children = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue
        # The command name may hold spaces and parentheses: split after the last ')'.
        ppid = int(stat[stat.rindex(b")") + 2 :].split()[1])
        children.setdefault(ppid, []).append(int(entry))
    out, todo = [], list(pids)
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, []))
    return out


def cmd_rss(args):
    out, interval, tree, pids = None, 0.02, False, []
    i = 0
    while i < len(args):
        a = args[i]
        if a == "--interval":
            interval = float(args[i + 1])
            i += 1
        elif a == "--tree":
            tree = True
        elif out is None:
            out = a
        else:
            pids.append(int(a))
        i += 1
    if out is None or not pids:
        sys.exit("usage: helper.py rss OUT [--interval S] [--tree] PID...")
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    peak, tick, first = 0, 0, True
    members = descendants(pids) if tree else pids
    while not stop.is_set():
        if tree and tick % 25 == 0:  # re-walk the tree every ~0.5 s: workers may change
            members = descendants(pids)
        tick += 1
        values = [read_rss_kib(p) for p in members]
        alive = [v for v in values if v is not None]
        if not alive:
            break
        peak = max(peak, sum(alive))
        if first:
            open(out + ".ready", "w").close()
            first = False
        stop.wait(interval)
    with open(out, "w") as f:
        f.write(f"{peak}\n")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


HEALTH = b"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"


def health_ok(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
            s.sendall(HEALTH)
            head = s.recv(64)
            return head.startswith(b"HTTP/1.1 200")
    except OSError:
        return False


def cmd_coldstart(args):
    runs, idle_after = 5, None
    while args and args[0] != "--":
        if args[0] == "--runs":
            runs = int(args[1])
        elif args[0] == "--idle-after":
            idle_after = float(args[1])
        else:
            sys.exit(f"coldstart: unknown option {args[0]}")
        args = args[2:]
    cmd = args[1:]
    if not cmd:
        sys.exit("usage: helper.py coldstart --runs N [--idle-after S] -- CMD ARG...")
    for _ in range(runs):
        port = free_port()
        argv = [a.replace("{port}", str(port)) for a in cmd]
        t0 = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        ok = False
        while time.perf_counter() - t0 < 30:
            if health_ok(port):
                ok = True
                break
            if proc.poll() is not None:
                break
            time.sleep(0.0002)
        ms = (time.perf_counter() - t0) * 1000
        rss = 0
        if ok and idle_after is not None:
            time.sleep(idle_after)
            rss = read_rss_kib(proc.pid) or 0
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if not ok:
            sys.exit(f"coldstart: {' '.join(argv)} never answered 200 on /api/health")
        print(f"{ms:.1f} {rss}", flush=True)


def cmd_populate(args):
    prefix, count, headers, mycloud, threads = None, None, {}, False, 4
    i = 0
    while i < len(args):
        a = args[i]
        if a == "--header":
            k, _, v = args[i + 1].partition(":")
            headers[k.strip()] = v.strip()
            i += 1
        elif a == "--mycloud":
            mycloud = True
        elif a == "--threads":
            threads = int(args[i + 1])
            i += 1
        elif prefix is None:
            prefix = a.rstrip("/")
        else:
            count = int(a)
        i += 1
    if prefix is None or count is None:
        sys.exit("usage: helper.py populate URL_PREFIX COUNT [--header H] [--mycloud]")
    u = urllib.parse.urlsplit(prefix)
    errors = []

    def work(first):
        conn = http.client.HTTPConnection(u.hostname, u.port or 80, timeout=60)
        for n in range(first, count, threads):
            name = f"f{n + 1:04d}.txt"
            if mycloud:
                path = f"{u.path}/api/files?name={name}&comment=bench"
            else:
                path = f"{u.path}/{name}"
            body = f"file {n + 1}\n".encode()
            for attempt in (1, 2):  # one retry on a connection the server closed
                try:
                    conn.request("PUT", path, body=body, headers=headers)
                    r = conn.getresponse()
                    r.read()
                    break
                except (http.client.HTTPException, OSError):
                    conn.close()
                    conn = http.client.HTTPConnection(u.hostname, u.port or 80, timeout=60)
                    if attempt == 2:
                        raise
            if not 200 <= r.status < 300:
                errors.append(f"PUT {path} answered {r.status}")
                return
            if r.getheader("connection", "").lower() == "close":
                conn.close()
                conn = http.client.HTTPConnection(u.hostname, u.port or 80, timeout=60)
        conn.close()

    ts = [threading.Thread(target=work, args=(k,)) for k in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    if errors:
        sys.exit(errors[0])


def cmd_json(args):
    v = json.load(sys.stdin)
    for k in args[0].split("."):
        v = v[int(k)] if isinstance(v, list) else v[k]
    print(v)


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    cmd, args = sys.argv[1], sys.argv[2:]
    {"rss": cmd_rss, "coldstart": cmd_coldstart, "populate": cmd_populate, "json": cmd_json}.get(
        cmd, lambda _: sys.exit(__doc__)
    )(args)


if __name__ == "__main__":
    main()
