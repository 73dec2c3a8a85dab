#!/usr/bin/env python3
"""Folder benchmark (issue 15): large folders, moves and zips, each figure beside its target.

  python3 bench/folders.py [--quick] [--backend sqlite|postgres|both] [--no-build | --bin PATH]

For each backend (SQLite, and PostgreSQL in a throwaway cluster) it starts the release
binary on a fresh data dir under target/bench/ (the real disk: every upload is fsynced),
logs in as a user made with `mycloud user create`, and measures over HTTP on loopback:

  seeding   100,000 one-byte files PUT into one folder through the API, 16 threads each
            with a keep-alive connection; the wall time and files/s are a figure too
            (the small-file upload rate into one folder).
  page 1    GET /api/folders/ID/contents?limit=200 under `wrk -t2 -c16 -d10s --latency`:
            req/s and p99. Target: >= 1,000 req/s.
  page 100  the same URL with the cursor reached by following next_cursor 99 times
            (checked: it carries a cursor and returns files 19,801 to 20,000).
            Target: within 20 % of page 1 (req/s at least 80 % of page 1's).
  move      PATCH /api/folders/ID {"parent_id": DEST} and back to the root
            ({"parent_id": null}), 10 times each way, for folders holding 10, 10,000 and
            100,000 files (interleaved, so they share the disk's mood); curl's
            time_total, median and max. Target: a move costs the same whatever the subtree
            (it is one row update): the 10,000-file median at most 1.5x the 10-file one,
            or 2 ms above it (a commit's fsync moves by more than that from one to the next).
  zip       GET /api/folders/ID/zip of a 1 GiB tree (4 folders x 4 files x 64 MiB of
            random bytes, one cached file uploaded 16 times with PUT) with
            `curl -o /dev/null`, 3 times: MB/s of the median time, and the server's peak
            VmRSS during the three (bench/helper.py rss, every 20 ms). Targets: >= 1,000
            MB/s, <= 32 MiB. Once per run, on the first backend (SQLite unless
            --backend postgres); one more download is opened with zipfile to check it.

--quick: 10,000 files, page 10, 1,000 files in the moved folder, a 64 MiB tree, 2 s of
wrk: a smoke test. Progress goes to stderr, the report (starting with the exact commands)
to stdout; raw outputs (wrk, server logs, every timing) stay in
target/bench/last-run/folders/. It is not a test: it exits 0 even when a target is
missed. See bench/README.md.
"""

import argparse
import atexit
import http.client
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import zipfile

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PASSWORD = "Bench-pass-1234!"
USER = "bench"
SEED_THREADS = 16
WRK_CONNS = 16
# How long the server is left alone before a memory figure: it trims after 0.25 s and
# again after 1.5 s of quiet.
QUIET_SECS = 3
PAGE_LIMIT = 200
MOVES_EACH_WAY = 10
ZIP_RUNS = 3
ZIP_FOLDERS, ZIP_FILES_PER_FOLDER = 4, 4
MIB = 1 << 20

T0 = time.time()


# --- small helpers -----------------------------------------------------------------


def log(msg):
    print(f"{int(time.time() - T0):4d}s  {msg}", file=sys.stderr, flush=True)


def die(msg):
    print(f"bench: {msg}", file=sys.stderr, flush=True)
    sys.exit(1)


def num(x):
    """12345.6 -> '12,346'."""
    return f"{x:,.0f}"


def verdict(ok):
    return "PASS" if ok else "MISS"


def size_label(n):
    if n >= 1 << 30 and n % (1 << 30) == 0:
        return f"{n >> 30} GiB"
    return f"{n // MIB} MiB"


# --- settings -----------------------------------------------------------------------


def parse_args():
    p = argparse.ArgumentParser(
        description="Folder benchmark (issue 15): see the docstring of bench/folders.py."
    )
    p.add_argument("--quick", action="store_true", help="small sizes, 2 s of wrk: a smoke test")
    p.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    p.add_argument("--no-build", action="store_true", help="use the binary as it is")
    p.add_argument("--bin", help="the mycloud binary to run (implies --no-build)")
    a = p.parse_args()
    a.build = not a.no_build and a.bin is None
    a.bin = os.path.abspath(a.bin or os.path.join(REPO, "target/release/mycloud"))
    if a.quick:
        a.big_n, a.page_no, a.move_n, a.zip_file_mib, a.wrk_secs = 10_000, 10, 1_000, 4, 2
    else:
        a.big_n, a.page_no, a.move_n, a.zip_file_mib, a.wrk_secs = 100_000, 100, 10_000, 64, 10
    a.zip_bytes = ZIP_FOLDERS * ZIP_FILES_PER_FOLDER * a.zip_file_mib * MIB
    a.backends = ["sqlite", "postgres"] if a.backend == "both" else [a.backend]
    return a


class Dirs:
    """target/bench/{cache, last-run/NAME, NAME.XXXXXX}; the work dir goes at exit.
    NAME is the script's (bench/trash.py uses this class too)."""

    def __init__(self, name="folders"):
        root = os.environ.get("MYCLOUD_BENCH_DIR") or os.path.join(REPO, "target/bench")
        self.cache = os.path.join(root, "cache")
        self.raw = os.path.join(root, "last-run", name)
        os.makedirs(self.cache, exist_ok=True)
        shutil.rmtree(self.raw, ignore_errors=True)
        os.makedirs(self.raw)
        self.work = tempfile.mkdtemp(prefix=f"{name}.", dir=root)
        os.chmod(self.work, 0o755)  # the postgres user walks into it
        self.fs_type = subprocess.run(
            ["stat", "-f", "-c", "%T", self.work], capture_output=True, text=True
        ).stdout.strip()


# --- processes we start, and their cleanup -------------------------------------------

CLEANUPS = []  # run in reverse order at exit, each at most once


def at_cleanup(fn):
    CLEANUPS.append(fn)
    return fn


def run_cleanups():
    while CLEANUPS:
        fn = CLEANUPS.pop()
        try:
            fn()
        except Exception as e:  # cleanup must go on
            print(f"bench: cleanup: {e}", file=sys.stderr)


def stop_process(proc, timeout=15):
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


# --- PostgreSQL: a throwaway cluster, as bench/run.sh starts one ---------------------


def pg_bin_dir():
    found = sorted(
        (d for d in _glob("/usr/lib/postgresql") if os.access(f"{d}/bin/initdb", os.X_OK)),
        key=lambda d: [int(x) if x.isdigit() else x for x in re.split(r"(\d+)", d)],
    )
    if found:
        return f"{found[-1]}/bin"
    initdb = shutil.which("initdb")
    return os.path.dirname(os.path.realpath(initdb)) if initdb else None


def _glob(parent):
    try:
        return [os.path.join(parent, d) for d in os.listdir(parent)]
    except OSError:
        return []


def as_pg_user(argv):
    """initdb refuses root: run as the postgres user then."""
    return ["runuser", "-u", "postgres", "--", *argv] if os.getuid() == 0 else argv


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_postgres(dirs):
    """A fresh cluster in the work dir (fsync and synchronous_commit on); returns its URL."""
    bin_dir = pg_bin_dir()
    if not bin_dir:
        return None
    pg_dir = os.path.join(dirs.work, "pg")
    os.makedirs(pg_dir)
    if os.getuid() == 0:
        shutil.chown(pg_dir, user="postgres")
    if subprocess.run(as_pg_user(["test", "-w", pg_dir])).returncode != 0:
        die(f"the postgres user cannot write {pg_dir} (set MYCLOUD_BENCH_DIR)")
    port = free_port()
    log(f"starting a throwaway PostgreSQL cluster ({bin_dir}) on port {port}")
    with open(os.path.join(dirs.raw, "initdb.log"), "w") as out:
        subprocess.run(
            as_pg_user([f"{bin_dir}/initdb", "-D", f"{pg_dir}/db", "-U", "postgres",
                        "--auth=trust", "-E", "UTF8"]),
            stdout=out, stderr=subprocess.STDOUT, check=True,
        )
    subprocess.run(
        as_pg_user([f"{bin_dir}/pg_ctl", "-D", f"{pg_dir}/db", "-l", f"{pg_dir}/log", "-w",
                    "-o", f"-p {port} -k {pg_dir} -c listen_addresses=127.0.0.1", "start"]),
        stdout=subprocess.DEVNULL, check=True,
    )
    at_cleanup(lambda: subprocess.run(
        as_pg_user([f"{bin_dir}/pg_ctl", "-D", f"{pg_dir}/db", "-m", "immediate", "stop"]),
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    ))
    return f"postgres://postgres@127.0.0.1:{port}/postgres"


# --- the mycloud server ---------------------------------------------------------------


class Server:
    """`mycloud serve` on a free port, with a logged-in user; `db_args` go on every command."""

    def __init__(self, args, dirs, backend, db_url):
        self.bin, self.raw = args.bin, dirs.raw
        self.data = os.path.join(dirs.work, f"data-{backend}")
        self.db_args = ["--database-url", db_url] if db_url else []
        self.backend = backend
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("MYCLOUD_")}
        self.create_user()
        self.start()
        self.token = self.login()
        self.auth = {"Authorization": f"Token {self.token}"}

    def create_user(self):
        os.makedirs(self.data, exist_ok=True)
        subprocess.run(
            [self.bin, "--data-dir", self.data, *self.db_args, "user", "create", USER,
             "--password-stdin"],
            input=PASSWORD + "\n", text=True, env=self.env, stdout=subprocess.DEVNULL, check=True,
        )

    def start(self):
        out_path = os.path.join(self.data, "serve.stdout")
        self.log_path = os.path.join(self.raw, f"server-{self.backend}.log")
        with open(out_path, "w") as out, open(self.log_path, "w") as err:
            self.proc = subprocess.Popen(
                [self.bin, "--data-dir", self.data, *self.db_args, "serve",
                 "--listen", "127.0.0.1:0"],
                stdout=out, stderr=err, env=self.env,
            )
        at_cleanup(self.stop)
        deadline = time.time() + 30
        while time.time() < deadline:
            with open(out_path) as f:
                m = re.match(r"mycloud listening on (http://[^ ]+/)\n", f.readline())
            if m:
                self.url = m.group(1).rstrip("/")
                u = urllib.parse.urlsplit(self.url)
                self.host, self.port = u.hostname, u.port
                log(f"mycloud on {self.backend} at {self.url} (pid {self.proc.pid})")
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        sys.stderr.write(open(self.log_path).read()[-3000:])
        die("mycloud did not start (its log is above)")

    def stop(self):
        stop_process(self.proc)

    def rss_mib(self):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        return 0.0

    def conn(self):
        return http.client.HTTPConnection(self.host, self.port, timeout=120)

    def request(self, method, path, body=None, auth=True):
        """One request on a fresh connection: (status, the answer's bytes)."""
        headers = dict(self.auth) if auth else {}
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        c = self.conn()
        try:
            c.request(method, path, body=body, headers=headers)
            r = c.getresponse()
            data = r.read()
        finally:
            c.close()
        return r.status, data

    def call(self, method, path, body=None, want=200, auth=True):
        """One request; the JSON answer (fails on another status than `want`)."""
        status, data = self.request(method, path, body, auth)
        if status != want:
            die(f"{method} {path} answered {status}, not {want}: {data[:300]!r}")
        return json.loads(data) if data else None

    def login(self):
        self.auth = {}
        answer = self.call("POST", "/api/auth/login",
                           {"username": USER, "password": PASSWORD}, auth=False)
        return answer["token"]

    def mkdir(self, name, parent=None):
        body = {"name": name}
        if parent:
            body["parent_id"] = parent
        return self.call("POST", "/api/folders", body, want=201)["folder"]["id"]

    def contents_path(self, folder, limit, cursor=None):
        path = f"/api/folders/{folder}/contents?limit={limit}"
        if cursor:
            path += "&cursor=" + urllib.parse.quote(cursor, safe="")
        return path


# --- seeding: many small files through the API -----------------------------------------


def seed(srv, folder, count, prefix):
    """PUT `count` one-byte files named PREFIXnnnnnn.txt into `folder`, SEED_THREADS
    threads each on its own keep-alive connection. Returns the wall time in seconds."""
    next_n, lock, errors = [0], threading.Lock(), []
    headers = {**srv.auth, "Content-Type": "application/octet-stream"}

    def take():
        with lock:
            n = next_n[0]
            next_n[0] += 1
            return n

    def put(conn, path):
        conn.request("PUT", path, body=b"x", headers=headers)
        r = conn.getresponse()
        r.read()
        return r

    def work():
        conn = srv.conn()
        try:
            while not errors:
                n = take()
                if n >= count:
                    return
                path = f"/api/files?name={prefix}{n + 1:06d}.txt&folder_id={folder}"
                try:
                    r = put(conn, path)
                    ok = r.status == 201
                except (http.client.HTTPException, OSError):
                    conn.close()  # one retry on a connection the server closed; if the
                    conn = srv.conn()  # first try did land, the name is taken: 409
                    r = put(conn, path)
                    ok = r.status in (201, 409)
                if not ok:
                    errors.append(f"PUT {path} answered {r.status}")
                if r.getheader("connection", "").lower() == "close":
                    conn.close()
                    conn = srv.conn()
        except Exception as e:
            errors.append(f"seeding: {e!r}")
        finally:
            conn.close()

    t0 = time.perf_counter()
    threads = [threading.Thread(target=work, daemon=True) for _ in range(SEED_THREADS)]
    for t in threads:
        t.start()
    last = t0
    while any(t.is_alive() for t in threads):
        threads[0].join(timeout=1)
        now = time.perf_counter()
        if now - last >= 15:
            done = min(next_n[0], count)
            log(f"  {num(done)} of {num(count)} files, {num(done / (now - t0))} files/s")
            last = now
    for t in threads:
        t.join()
    if errors:
        die(errors[0])
    return time.perf_counter() - t0


def count_files(srv, folder):
    """Every file of the folder, walked with limit=1000: (count, first name, last name)."""
    n, cursor, first, last = 0, None, None, None
    while True:
        page = srv.call("GET", srv.contents_path(folder, 1000, cursor))
        if page["files"]:
            first = first or page["files"][0]["name"]
            last = page["files"][-1]["name"]
        n += len(page["files"])
        cursor = page["next_cursor"]
        if not cursor:
            return n, first, last


# --- wrk -------------------------------------------------------------------------------


def wrk(name, url, token, secs, raw):
    """wrk -t2 -c16 -dSECS --latency on url: (req/s, p99 ms, errors or '')."""
    argv = ["wrk", "-t2", f"-c{WRK_CONNS}", f"-d{secs}s", "--latency",
            "-H", f"Authorization: Token {token}", url]
    out = subprocess.run(argv, capture_output=True, text=True)
    shown = " ".join(a.replace(token, "TOKEN") for a in argv)
    with open(os.path.join(raw, f"wrk-{name}.txt"), "w") as f:
        f.write(f"{shown}\n{out.stdout}{out.stderr}")
    if out.returncode != 0:
        die(f"{shown} failed: {out.stderr or out.stdout}")
    rps = re.search(r"^Requests/sec:\s+([\d.]+)", out.stdout, re.M)
    p99 = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s|m)\s*$", out.stdout, re.M)
    if not rps or not p99:
        die(f"could not read wrk's output (in {raw}/wrk-{name}.txt)")
    scale = {"us": 0.001, "ms": 1, "s": 1000, "m": 60000}[p99.group(2)]
    bad = "; ".join(
        " ".join(line.split()) for line in out.stdout.splitlines()
        if "Non-2xx" in line or "Socket errors" in line
    )
    return float(rps.group(1)), float(p99.group(1)) * scale, bad


def rate_cell(rps, p99, bad):
    s = f"{num(rps)} req/s, p99 {p99:.2f} ms"
    return s + (f" (ERRORS: {bad})" if bad else "")


# --- the phases ------------------------------------------------------------------------


def listing_phase(srv, args, raw, rows):
    """Seed the big folder, then wrk on its page 1 and page N."""
    big = srv.mkdir("big")
    log(f"seeding {num(args.big_n)} files into one folder ({SEED_THREADS} threads, keep-alive)")
    secs = seed(srv, big, args.big_n, "f")
    rate = args.big_n / secs
    log(f"  done in {secs:.1f} s ({num(rate)} files/s); mycloud's RSS {srv.rss_mib():.1f} MiB")
    n, first, last = count_files(srv, big)
    if n != args.big_n:
        die(f"the folder should hold {args.big_n} files, its pages list {n}")
    rows.append((f"seed {num(args.big_n)} 1-byte files into one folder, "
                 f"{SEED_THREADS} threads", f"{secs:.1f} s, {num(rate)} files/s",
                 "(a figure)", "SLOW: over 5 min" if secs > 300 else ""))

    page1 = srv.contents_path(big, PAGE_LIMIT)
    status, raw_page = srv.request("GET", page1)
    body = json.loads(raw_page) if status == 200 else {"files": [], "next_cursor": None}
    if len(body["files"]) != PAGE_LIMIT or not body["next_cursor"]:
        die(f"page 1 answered {status} with {len(body['files'])} files, "
            f"next_cursor {body['next_cursor']!r}")
    size_kib = len(raw_page) / 1024
    cursor = body["next_cursor"]
    for _ in range(args.page_no - 2):
        cursor = srv.call("GET", srv.contents_path(big, PAGE_LIMIT, cursor))["next_cursor"]
    pageN = srv.contents_path(big, PAGE_LIMIT, cursor)
    body = srv.call("GET", pageN)
    want_first = f"f{(args.page_no - 1) * PAGE_LIMIT + 1:06d}.txt"
    got = [f["name"] for f in body["files"]]
    if "cursor=" not in pageN or len(got) != PAGE_LIMIT or got[0] != want_first:
        die(f"page {args.page_no}: {len(got)} files from {got[:1]}, expected "
            f"{PAGE_LIMIT} from {want_first}")
    log(f"  page {args.page_no}: {PAGE_LIMIT} files, {got[0]} to {got[-1]}; "
        f"URL {len(pageN)} chars with the cursor")
    with open(os.path.join(raw, f"urls-{srv.backend}.txt"), "w") as f:
        f.write(f"all pages (limit=1000): {n} files, {first} to {last}\n"
                f"page 1: {srv.url}{page1}\npage {args.page_no}: {srv.url}{pageN}\n"
                f"page {args.page_no} lists {got[0]} to {got[-1]}\n")

    p1 = wrk(f"{srv.backend}-page1", srv.url + page1, srv.token, args.wrk_secs, raw)
    log(f"  page 1:   {rate_cell(*p1)}; mycloud's RSS {srv.rss_mib():.1f} MiB")
    pn = wrk(f"{srv.backend}-page{args.page_no}", srv.url + pageN, srv.token, args.wrk_secs, raw)
    log(f"  page {args.page_no}: {rate_cell(*pn)}; mycloud's RSS {srv.rss_mib():.1f} MiB")
    ratio = pn[0] / p1[0] if p1[0] else 0
    rows.append((f"GET contents page 1 (limit={PAGE_LIMIT}, {size_kib:.0f} KiB), "
                 f"wrk -c{WRK_CONNS}", rate_cell(*p1), ">= 1,000 req/s", verdict(p1[0] >= 1000)))
    rows.append((f"GET contents page {args.page_no} (by cursor), wrk -c{WRK_CONNS}",
                 rate_cell(*pn), ">= 80% of page 1",
                 f"{verdict(ratio >= 0.8)} ({ratio:.2f}x)"))
    return big


def curl_time(argv, output="-"):
    """curl -o OUTPUT -w '%{http_code} %{time_total}' ARGV: (status, seconds, body);
    the body is what went to stdout (nothing when OUTPUT is a file)."""
    out = subprocess.run(
        ["curl", "-sS", "-o", output, "-w", "\n%{http_code} %{time_total}", *argv],
        capture_output=True, text=True, errors="replace",
    )
    body, _, tail = out.stdout.rpartition("\n")
    code, secs = tail.split()
    return int(code), float(secs), body


def move_once(srv, folder, parent):
    """PATCH the folder's parent_id (None: the root) with curl; ms by time_total."""
    code, secs, body = curl_time([
        "-X", "PATCH", "-H", f"Authorization: Token {srv.token}",
        "-H", "Content-Type: application/json",
        "-d", json.dumps({"parent_id": parent}), f"{srv.url}/api/folders/{folder}",
    ])
    if code != 200 or json.loads(body)["folder"]["parent_id"] != parent:
        die(f"PATCH /api/folders/{folder} to {parent} answered {code}: {body[:300]}")
    return secs * 1000


def move_phase(srv, args, big, raw, rows):
    """Move folders of 10, move_n and big_n files into `dest` and back, interleaved."""
    dest = srv.mkdir("dest")
    folders = [("10", srv.mkdir("move-10"), 10)]
    mid = srv.mkdir(f"move-{args.move_n}")
    folders.append((str(args.move_n), mid, args.move_n))
    log(f"seeding the folders to move: 10 and {num(args.move_n)} files")
    seed(srv, folders[0][1], 10, "m")
    secs = seed(srv, mid, args.move_n, "m")
    log(f"  {num(args.move_n)} files in {secs:.1f} s")
    folders.append((str(args.big_n), big, args.big_n))
    times = {label: [] for label, _, _ in folders}
    log(f"moving each {MOVES_EACH_WAY} times into another folder and back")
    for _ in range(MOVES_EACH_WAY):
        for label, fid, _ in folders:
            times[label].append(move_once(srv, fid, dest))
            times[label].append(move_once(srv, fid, None))
    with open(os.path.join(raw, f"moves-{srv.backend}.txt"), "w") as f:
        for label, ms in times.items():
            f.write(f"{label} files: " + " ".join(f"{t:.2f}" for t in ms) + " ms\n")
    base = statistics.median(times["10"])
    for label, _, n in folders:
        med, top = statistics.median(times[label]), max(times[label])
        log(f"  {num(n)} files: median {med:.2f} ms, max {top:.2f} ms")
        if n == 10:
            target, v = "(baseline)", ""
        else:
            target = "<= 1.5x or +2 ms"
            v = f"{verdict(med <= max(1.5 * base, base + 2))} ({med / base:.2f}x)"
        rows.append((f"move a folder of {num(n)} files ({2 * MOVES_EACH_WAY} PATCHes)",
                     f"median {med:.2f} ms, max {top:.2f} ms", target, v))


def cached_random(cache, mib):
    """cache/random-NM.bin, N MiB of random bytes, made once (as bench/run.sh does)."""
    path = os.path.join(cache, f"random-{mib}M.bin")
    if not os.path.isfile(path) or os.path.getsize(path) != mib * MIB:
        log(f"creating {path} ({mib} MiB of random bytes, once)")
        with open(path + ".tmp", "wb") as out:
            subprocess.run(["head", "-c", str(mib * MIB), "/dev/urandom"], stdout=out, check=True)
        os.replace(path + ".tmp", path)
    return path


def dd_once(source, work):
    """The disk alone: dd the upload's file with conv=fsync; seconds, the copy removed."""
    probe = os.path.join(work, "dd-probe.bin")
    subprocess.run(["sync"])
    t0 = time.perf_counter()
    subprocess.run(["dd", f"if={source}", f"of={probe}", "bs=1M", "conv=fsync", "status=none"],
                   check=True)
    secs = time.perf_counter() - t0
    os.remove(probe)
    return secs


def upload_tree(srv, args, source):
    """tree/d1..d4, each with 4 copies of `source`, PUT with curl -T. Returns tree's id."""
    tree = srv.mkdir("zip-tree")
    for d in range(1, ZIP_FOLDERS + 1):
        sub = srv.mkdir(f"d{d}", tree)
        for k in range(1, ZIP_FILES_PER_FOLDER + 1):
            code, _, body = curl_time([
                "-H", "Expect:", "-H", f"Authorization: Token {srv.token}", "-T", source,
                f"{srv.url}/api/files?name=part-{k}.bin&folder_id={sub}",
            ])
            if code != 201:
                die(f"upload into d{d} answered {code}: {body[:300]}")
    return tree


def rss_sampler(raw, pid, label="zip"):
    """bench/helper.py rss in the background; returns (process, output file)."""
    out = os.path.join(raw, f"rss-{label}-{pid}.txt")
    proc = subprocess.Popen([sys.executable, os.path.join(REPO, "bench/helper.py"), "rss",
                             out, "--interval", "0.02", str(pid)])
    for _ in range(300):
        if os.path.exists(out + ".ready"):
            return proc, out
        time.sleep(0.01)
    die("the RSS sampler did not start")


def check_zip(srv, tree, args, work):
    """One more download to a file, opened with zipfile: 16 entries of the right size."""
    path = os.path.join(work, "check.zip")
    code, _, _ = curl_time(["-H", f"Authorization: Token {srv.token}",
                            f"{srv.url}/api/folders/{tree}/zip"], output=path)
    try:
        with zipfile.ZipFile(path) as z:
            sizes = [i.file_size for i in z.infolist() if not i.is_dir()]
            names = z.namelist()
    finally:
        os.remove(path)
    want = ZIP_FOLDERS * ZIP_FILES_PER_FOLDER
    if code != 200 or len(sizes) != want or set(sizes) != {args.zip_file_mib * MIB}:
        die(f"the zip ({code}) holds {len(sizes)} files of sizes {set(sizes)}, not {want}")
    return names


def zip_phase(srv, args, dirs, rows):
    source = cached_random(dirs.cache, args.zip_file_mib)
    label = size_label(args.zip_bytes)
    log(f"uploading a {label} tree ({ZIP_FOLDERS} folders x {ZIP_FILES_PER_FOLDER} files "
        f"x {args.zip_file_mib} MiB)")
    tree = upload_tree(srv, args, source)
    subprocess.run(["sync"])
    # The uploads and listings before this phase leave freed memory that the server hands
    # back once it has been quiet for a moment (src/memory.rs); let it, so that the peak
    # below is the zip's and not what came before.
    time.sleep(QUIET_SECS)
    before_mib = srv.rss_mib()
    log(f"zip download of the tree, {ZIP_RUNS} times (mycloud's RSS before: {before_mib:.1f} MiB)")
    sampler, rss_out = rss_sampler(dirs.raw, srv.proc.pid)
    runs = []
    try:
        for _ in range(ZIP_RUNS):
            out = subprocess.run(
                ["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code} %{size_download} %{time_total}",
                 "-H", f"Authorization: Token {srv.token}", f"{srv.url}/api/folders/{tree}/zip"],
                capture_output=True, text=True,
            )
            code, size, secs = out.stdout.split()
            if code != "200" or int(size) < args.zip_bytes:
                die(f"zip download answered {code} with {size} bytes: {out.stderr}")
            runs.append((int(size), float(secs)))
    finally:
        sampler.send_signal(signal.SIGTERM)
        sampler.wait()
    peak_mib = int(open(rss_out).read()) / 1024
    names = check_zip(srv, tree, args, dirs.work)
    size = runs[0][0]
    secs = statistics.median(t for _, t in runs)
    mbps = size / secs / 1e6
    with open(os.path.join(dirs.raw, "zip.txt"), "w") as f:
        f.write(f"zip of {label}: {size} bytes; times (s): {' '.join(str(t) for _, t in runs)}\n"
                f"peak VmRSS {peak_mib:.1f} MiB; entries: {' '.join(names)}\n")
    log(f"  {size} bytes, times {' '.join(f'{t:.2f}' for _, t in runs)} s, {num(mbps)} MB/s; "
        f"peak RSS {peak_mib:.1f} MiB")
    rows.append((f"zip of a {label} tree, curl (median of {ZIP_RUNS})", f"{num(mbps)} MB/s",
                 ">= 1,000 MB/s", verdict(mbps >= 1000)))
    rows.append(("peak RSS during the zip downloads", f"{peak_mib:.1f} MiB (before: {before_mib:.1f})",
                 "<= 32 MiB", verdict(peak_mib <= 32)))


def run_backend(args, dirs, backend, with_zip):
    """Every phase on one backend: (the report's rows, whether the zip ran)."""
    rows = []
    db_url = None
    if backend == "postgres":
        db_url = start_postgres(dirs)
        if not db_url:
            return [("PostgreSQL", "SKIPPED: not installed (apt-get install postgresql)",
                     "", "")], False
    srv = Server(args, dirs, backend, db_url)
    big = listing_phase(srv, args, dirs.raw, rows)
    move_phase(srv, args, big, dirs.raw, rows)
    if with_zip:
        zip_phase(srv, args, dirs, rows)
    log(f"mycloud's RSS at the end: {srv.rss_mib():.1f} MiB")
    srv.stop()
    return rows, with_zip


# --- the report ----------------------------------------------------------------------


def machine():
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo")
                if l.startswith("model name")), os.uname().machine)
    mem = next(int(l.split()[1]) for l in open("/proc/meminfo") if l.startswith("MemTotal"))
    return f"{os.cpu_count()} CPUs ({cpu}), {mem / 2**20:.0f} GiB RAM, {os.uname().release}"


def binary_version(path):
    v = subprocess.run([path, "--version"], capture_output=True, text=True).stdout.strip()
    rev = subprocess.run(["git", "-C", REPO, "rev-parse", "--short", "HEAD"],
                         capture_output=True, text=True).stdout.strip() or "?"
    dirty = subprocess.run(["git", "-C", REPO, "status", "--porcelain", "--", "src",
                            "Cargo.toml", "Cargo.lock"], capture_output=True, text=True).stdout
    return f"{v or 'mycloud'}; the checkout is git {rev}{'+dirty' if dirty.strip() else ''}"


def print_header(args, dirs):
    mode = "QUICK (small sizes, not the figures of the issue)" if args.quick else "full"
    tok = "-H 'Authorization: Token TOKEN'"
    s = args.wrk_secs
    print(f"""mycloud folder benchmark (issue 15), {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, mode: {mode}
machine: {machine()}
work dir: {dirs.work} ({dirs.fs_type}): data dirs and PostgreSQL's cluster, fsync cost included
binary: {args.bin} ({binary_version(args.bin)}); backends: {', '.join(args.backends)}
MB/s = 10^6 bytes per second; MiB/GiB = 2^20/2^30 bytes.
commands (URL = the server, TOKEN = a session from POST /api/auth/login, BIG = a folder of {num(args.big_n)} files):
  seed        PUT URL/api/files?name=fNNNNNN.txt&folder_id=BIG (body 'x'), {SEED_THREADS} Python threads,
                one keep-alive http.client connection each; wall time from the first to the last 201
  page 1      wrk -t2 -c{WRK_CONNS} -d{s}s --latency {tok} 'URL/api/folders/BIG/contents?limit={PAGE_LIMIT}'
  page {args.page_no:<6} the same on '...contents?limit={PAGE_LIMIT}&cursor=C', C from following next_cursor {args.page_no - 1} times
  move        curl -sS -w '%{{time_total}}' -X PATCH {tok} -H 'Content-Type: application/json'
                -d '{{"parent_id":"DEST"}}' URL/api/folders/ID, then -d '{{"parent_id":null}}';
                {MOVES_EACH_WAY} times each way for folders of 10, {num(args.move_n)} and {num(args.big_n)} files, interleaved
  zip         curl -sS -o /dev/null -w '%{{http_code}} %{{size_download}} %{{time_total}}' {tok} URL/api/folders/TREE/zip
                TREE: {ZIP_FOLDERS} folders x {ZIP_FILES_PER_FOLDER} files x {args.zip_file_mib} MiB (one cached random file, PUT 16 times);
                {ZIP_RUNS} times, MB/s of the median time; once per run, on the first backend
  memory      VmRSS from /proc/PID/status every 20 ms during the zip downloads (bench/helper.py rss)
""", flush=True)


def print_rows(sections):
    fmt = "{:<58} {:<38} {:<20} {}"
    print(fmt.format("figure", "value", "target", "verdict"))
    print("-" * 128)
    for title, rows in sections:
        print(f"\n{title}")
        for r in rows:
            print(fmt.format(*r).rstrip())


def remove_work(work):
    """The work dir goes at exit. Unlinking 100,000 files takes minutes on this VM's
    disk: say so, rather than seem to hang."""
    t0 = time.time()
    log(f"removing {work}")
    shutil.rmtree(work, ignore_errors=True)
    log(f"  removed in {time.time() - t0:.0f} s")


def main():
    args = parse_args()
    if shutil.which("wrk") is None:
        die("wrk not found (apt-get install wrk)")
    if shutil.which("curl") is None:
        die("curl not found (apt-get install curl)")
    if args.build:
        log("building the release binary (cargo build --release)")
        if subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=REPO).returncode:
            die("cargo build --release failed (--no-build uses the binary as it is)")
    if not os.access(args.bin, os.X_OK):
        die(f"{args.bin} not found (build it, or --bin PATH)")
    dirs = Dirs()
    at_cleanup(lambda: remove_work(dirs.work))
    if dirs.fs_type in ("tmpfs", "ramfs"):
        log(f"WARNING: {dirs.work} is on {dirs.fs_type}: fsync costs nothing there")
    # Per backend: the small files (a 4 KiB block each) and the tree; the zip checked on disk.
    need = len(args.backends) * ((args.big_n + args.move_n) * 4096 + args.zip_bytes) \
        + args.zip_bytes + (200 << 20)
    st = os.statvfs(dirs.work)
    if st.f_bavail * st.f_frsize < need:
        die(f"need about {need >> 20} MiB free under {dirs.work}, "
            f"have {st.f_bavail * st.f_frsize >> 20}")
    print_header(args, dirs)
    sections, zip_on = [], None
    for backend in args.backends:
        rows, zipped = run_backend(args, dirs, backend, with_zip=zip_on is None)
        zip_on = backend if zipped else zip_on
        sections.append((backend, rows))
    print_rows(sections)
    if zip_on:
        print(f"\nThe zip ran on {zip_on} only: its time is the files' bytes; the database's "
              "part is one read of the tree's rows before the first byte.")
    if args.quick:
        print(f"QUICK mode: {num(args.big_n)} files, page {args.page_no}, a {num(args.move_n)}-file "
              f"move, a {size_label(args.zip_bytes)} tree, {args.wrk_secs} s of wrk: a smoke test.")
    print(f"raw outputs (wrk, moves, zip times, server logs): {dirs.raw}")


if __name__ == "__main__":
    atexit.register(run_cleanups)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        main()
    except KeyboardInterrupt:
        sys.exit(130)
