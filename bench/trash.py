#!/usr/bin/env python3
"""Trash and quota benchmark (issue 16): purging a big trash, and uploads under a quota.

  python3 bench/trash.py [--quick] [--backend sqlite|postgres|both] [--no-build | --bin PATH]

For each backend (SQLite, and PostgreSQL in a throwaway cluster) it starts the release
binary on a fresh data dir under target/bench/ (the real disk: every upload is fsynced),
with users made by `mycloud user create` before the start, and measures over HTTP on
loopback. The machinery (work dirs, PostgreSQL, the server, seeding, the RSS sampler) is
bench/folders.py's, imported from it.

  trash     100,000 one-byte files seeded into a folder (16 threads, keep-alive PUTs, as
            folders.py seeds), then DELETE /api/folders/ID (moving them all to the trash,
            timed, ms) and DELETE /api/trash until its 204 (timed: files/s). Checked
            after: GET /api/trash lists nothing, the user's files/ directory on disk
            holds no blob, GET /api/me counts no file and no trash. Peak VmRSS during the
            purge (bench/helper.py rss). Then the same with a second seeded folder purged
            by the reaper instead: DELETE the folder, sleep 1.1 s, and time the command
            `mycloud reap --trash-retention 1s` (same checks). No target: figures.
  quota     a 1 GiB file of random bytes (cached in target/bench/cache/) uploaded with a
            raw PUT (curl -T, Expect off) as a user without a quota and as a user with a
            quota of 100 GiB (set by an admin, PATCH /api/admin/users/ID), alternating,
            5 times each, each after a `sync`; each copy is then deleted and purged from
            the trash (untimed). Beside each pair, the disk alone: `dd` of the same file
            with conv=fsync. MB/s of the median time, and the ratio. Target: the quota
            user's rate within 5 % of the other's (0.95-1.05). Then all of it again with
            chunked transfer (no Content-Length: the server grows the quota hold as the
            bytes arrive). Last, a check that the quota is live: at a quota of 1 MiB a
            2 MiB upload must be refused with 507, with and without Content-Length.
  tmpfs     (SQLite) the same comparison, 11 rounds, on a second server whose data dir,
            and the uploaded file, live on tmpfs (/dev/shm): no disk, whose speed swings
            by more than 5 % between two uploads on this VM, so what is left is the
            server's own work per byte. Target: within 5 %, in MB/s and in server CPU.

--quick: 10,000 files, a 64 MiB upload, 3 runs each: a smoke test. Progress goes to
stderr, the report (starting with the exact commands) to stdout; raw outputs (every
time, the reaper's output, server logs) stay in target/bench/last-run/trash/. It is not a
test: it exits 0 even when a target is missed. See bench/README.md.
"""

import argparse
import atexit
import json
import os
import signal
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import types

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import folders  # noqa: E402  (bench/folders.py: the shared machinery)
from folders import (  # noqa: E402
    MIB, PASSWORD, Dirs, binary_version, cached_random, curl_time, dd_once, die, log,
    machine, num, print_rows, remove_work, rss_sampler, seed, size_label, start_postgres,
    verdict,
)

GIB = 1 << 30
PLAIN, LIMITED, ADMIN = "plain", "limited", "admin"  # no quota, 100 GiB quota, the admin
QUOTA = 100 * GIB
REAP_RETENTION, REAP_WAIT = "1s", 1.1


# --- settings -----------------------------------------------------------------------


def parse_args():
    p = argparse.ArgumentParser(
        description="Trash and quota benchmark (issue 16): see the docstring of bench/trash.py."
    )
    p.add_argument("--quick", action="store_true", help="small sizes, 3 runs: a smoke test")
    p.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    p.add_argument("--no-build", action="store_true", help="use the binary as it is")
    p.add_argument("--bin", help="the mycloud binary to run (implies --no-build)")
    a = p.parse_args()
    a.build = not a.no_build and a.bin is None
    a.bin = os.path.abspath(a.bin or os.path.join(folders.REPO, "target/release/mycloud"))
    a.trash_n, a.upload_mib, a.runs = (10_000, 64, 3) if a.quick else (100_000, 1024, 5)
    a.mem_runs = 3 if a.quick else 11
    a.upload_bytes = a.upload_mib * MIB
    a.backends = ["sqlite", "postgres"] if a.backend == "both" else [a.backend]
    return a


# --- the server, with the users of this benchmark --------------------------------------


class Server(folders.Server):
    """folders.Server with three more users made before the start: one without a quota,
    one to get a quota, an admin to set it; and a way to act as each."""

    def create_user(self):
        super().create_user()
        for name, extra in ((PLAIN, []), (LIMITED, []), (ADMIN, ["--admin"])):
            subprocess.run(
                [self.bin, "--data-dir", self.data, *self.db_args, "user", "create", name,
                 *extra, "--password-stdin"],
                input=PASSWORD + "\n", text=True, env=self.env, stdout=subprocess.DEVNULL,
                check=True,
            )

    def login_as(self, name):
        answer = self.call("POST", "/api/auth/login",
                           {"username": name, "password": PASSWORD}, auth=False)
        return answer["token"]

    def call_as(self, token, method, path, body=None, want=200):
        """srv.call with another user's session."""
        saved = self.auth
        self.auth = {"Authorization": f"Token {token}"}
        try:
            return self.call(method, path, body, want)
        finally:
            self.auth = saved

    def cli(self, *argv):
        """`mycloud --data-dir D [--database-url U] ARGV` beside the running server:
        (seconds, exit code, its output)."""
        t0 = time.perf_counter()
        out = subprocess.run([self.bin, "--data-dir", self.data, *self.db_args, *argv],
                             capture_output=True, text=True, env=self.env)
        return time.perf_counter() - t0, out.returncode, out.stdout + out.stderr


# --- the trash: seed, delete, purge, check ---------------------------------------------


def blobs_on_disk(srv, user_id):
    """Regular files under DATA/files/USER_ID/ (the user's blobs)."""
    n = 0
    for _, _, names in os.walk(os.path.join(srv.data, "files", user_id)):
        n += len(names)
    return n


def seeded_folder(srv, name, count, prefix):
    """A new folder with `count` one-byte files; checks the blobs landed on disk."""
    folder = srv.mkdir(name)
    log(f"seeding {num(count)} files into {name} ({folders.SEED_THREADS} threads, keep-alive)")
    secs = seed(srv, folder, count, prefix)
    log(f"  done in {secs:.1f} s ({num(count / secs)} files/s)")
    return folder, secs


def trash_folder(srv, folder, count):
    """DELETE /api/folders/ID with curl: ms by time_total; checks the trash lists it."""
    code, secs, body = curl_time(["-X", "DELETE", "-H", f"Authorization: Token {srv.token}",
                                  f"{srv.url}/api/folders/{folder}"])
    if code != 204:
        die(f"DELETE /api/folders/{folder} answered {code}: {body[:300]}")
    items = srv.call("GET", "/api/trash")["items"]
    if len(items) != 1 or items[0]["id"] != folder or items[0]["size"] != count:
        die(f"after DELETE of the folder the trash lists {items[:3]}, not one folder "
            f"of {count} bytes")
    return secs * 1000


def after_purge(srv, user_id):
    """What is left once the trash was emptied: '' when nothing is, else what is."""
    left = []
    trash = srv.call("GET", "/api/trash")
    if trash["items"] or trash["next_cursor"]:
        left.append(f"GET /api/trash lists {len(trash['items'])} items")
    blobs = blobs_on_disk(srv, user_id)
    if blobs:
        left.append(f"{num(blobs)} blobs in files/{user_id}/")
    storage = srv.call("GET", "/api/me")["user"]["storage"]
    if storage["file_count"] or storage["trash_size"] or storage["total_size"]:
        left.append(f"/api/me storage {storage}")
    return "; ".join(left)


def purge_by_api(srv, dirs):
    """DELETE /api/trash with curl, the RSS sampled meanwhile: (seconds, peak MiB)."""
    sampler, rss_out = rss_sampler(dirs.raw, srv.proc.pid, f"purge-{srv.backend}")
    try:
        code, secs, body = curl_time(["-X", "DELETE", "-H", f"Authorization: Token {srv.token}",
                                      f"{srv.url}/api/trash"])
    finally:
        sampler.send_signal(signal.SIGTERM)
        sampler.wait()
    if code != 204:
        die(f"DELETE /api/trash answered {code} after {secs:.1f} s: {body[:300]}")
    return secs, int(open(rss_out).read()) / 1024


def purge_by_reaper(srv, dirs):
    """Sleep past the retention, then time `mycloud reap --trash-retention 1s`."""
    time.sleep(REAP_WAIT)
    secs, code, out = srv.cli("--trash-retention", REAP_RETENTION, "reap")
    with open(os.path.join(dirs.raw, f"reap-{srv.backend}.txt"), "w") as f:
        f.write(f"exit {code}, {secs:.3f} s\n{out}")
    if code != 0:
        die(f"mycloud reap exited {code}: {out[-500:]}")
    return secs, out


def reaped_items(out):
    """The 'expired trash items' count of the reaper's table, or None."""
    for line in out.splitlines():
        if line.startswith("expired trash items"):
            return int(line.split()[3])
    return None


def check_cell(left):
    return "checked: trash empty, 0 blobs" if not left else f"LEFT: {left}"


def trash_phase(srv, args, dirs, rows):
    """Seed, trash and purge one folder through the API, then another by the reaper."""
    n = args.trash_n
    user_id = srv.call("GET", "/api/me")["user"]["id"]
    lines = []

    folder, seed_secs = seeded_folder(srv, "to-purge", n, "p")
    if blobs_on_disk(srv, user_id) != n:
        die(f"after seeding, files/{user_id}/ holds {blobs_on_disk(srv, user_id)} blobs, not {n}")
    move_ms = trash_folder(srv, folder, n)
    log(f"  DELETE of the folder (to the trash): {move_ms:.1f} ms; emptying the trash")
    secs, peak = purge_by_api(srv, dirs)
    left = after_purge(srv, user_id)
    log(f"  DELETE /api/trash: {secs:.2f} s, {num(n / secs)} files/s, peak RSS {peak:.1f} MiB; "
        f"{check_cell(left)}")
    lines.append(f"API: seed {seed_secs:.1f} s, DELETE folder {move_ms:.2f} ms, "
                 f"DELETE /api/trash {secs:.3f} s, peak RSS {peak:.1f} MiB; {check_cell(left)}")
    rows.append((f"DELETE a folder of {num(n)} files (to the trash)", f"{move_ms:.1f} ms",
                 "(a figure)", ""))
    rows.append((f"DELETE /api/trash: purge {num(n)} files", f"{secs:.2f} s, "
                 f"{num(n / secs)} files/s", "(a figure)", check_cell(left)))
    rows.append(("peak RSS during that purge", f"{peak:.1f} MiB", "(a figure)", ""))

    folder, seed_secs = seeded_folder(srv, "to-reap", n, "r")
    move_ms = trash_folder(srv, folder, n)
    log(f"  DELETE of the folder: {move_ms:.1f} ms; {REAP_WAIT} s, then mycloud reap")
    secs, out = purge_by_reaper(srv, dirs)
    items = reaped_items(out)
    left = after_purge(srv, user_id)
    if items != 1:
        left = "; ".join(x for x in (left, f"the reaper reports {items} trash items, not 1") if x)
    log(f"  mycloud reap: {secs:.2f} s, {num(n / secs)} files/s; {check_cell(left)}")
    lines.append(f"reaper: seed {seed_secs:.1f} s, DELETE folder {move_ms:.2f} ms, "
                 f"mycloud reap {secs:.3f} s; {check_cell(left)}")
    rows.append((f"mycloud reap --trash-retention {REAP_RETENTION}: {num(n)} files",
                 f"{secs:.2f} s, {num(n / secs)} files/s", "(a figure)", check_cell(left)))
    rows.append(("  (its folder's DELETE, to the trash)", f"{move_ms:.1f} ms", "", ""))
    with open(os.path.join(dirs.raw, f"purge-{srv.backend}.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")


# --- uploads with and without a quota ----------------------------------------------------


def upload_once(srv, token, source, name, chunked, want=201):
    """curl -T SOURCE as TOKEN's user after a sync: (seconds, the file's id or None)."""
    subprocess.run(["sync"])
    argv = ["-H", "Expect:", "-H", f"Authorization: Token {token}", "-T", source,
            f"{srv.url}/api/files?name={name}"]
    if chunked:
        argv[0:0] = ["-H", "Transfer-Encoding: chunked"]
    code, secs, body = curl_time(argv)
    if code != want:
        die(f"upload of {name} answered {code}, not {want}: {body[:300]}")
    if want != 201:
        return secs, None
    file = json.loads(body)["file"]
    if file["size"] != os.path.getsize(source):
        die(f"{name}: the server stored {file['size']} bytes of {os.path.getsize(source)}")
    return secs, file["id"]


def discard(srv, token, file_id):
    """Delete the copy and purge it from the trash, so its bytes go at once."""
    srv.call_as(token, "DELETE", f"/api/files/{file_id}", want=204)
    srv.call_as(token, "DELETE", f"/api/trash/files/{file_id}", want=204)


def set_quota(srv, tokens, name, quota):
    user_id = srv.call_as(tokens[name], "GET", "/api/me")["user"]["id"]
    srv.call_as(tokens[ADMIN], "PATCH", f"/api/admin/users/{user_id}", {"quota_bytes": quota})
    got = srv.call_as(tokens[name], "GET", "/api/me")["user"]["storage"]["quota_bytes"]
    if got != quota:
        die(f"{name}'s quota reads {got} after the admin set {quota}")


def cpu_secs(pid):
    """The process's user + system CPU time so far (/proc/PID/stat), in seconds: what an
    upload costs the server, whatever the disk's speed that moment."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def upload_rounds(srv, runs, tokens, source, work, chunked, with_dd=True):
    """RUNS rounds of: dd (unless with_dd is off), then one upload per user (the order
    alternating). Returns {'dd': [s], PLAIN: [s], LIMITED: [s], 'cpu ' + user: [server CPU s]}."""
    times = {"dd": [], PLAIN: [], LIMITED: [], f"cpu {PLAIN}": [], f"cpu {LIMITED}": []}
    mode = "chunked" if chunked else "put"
    for i in range(runs):
        if with_dd:
            times["dd"].append(dd_once(source, work))
        for name in (PLAIN, LIMITED) if i % 2 == 0 else (LIMITED, PLAIN):
            cpu_before = cpu_secs(srv.proc.pid)
            secs, file_id = upload_once(srv, tokens[name], source, f"{mode}-{i}.bin", chunked)
            times[f"cpu {name}"].append(cpu_secs(srv.proc.pid) - cpu_before)
            times[name].append(secs)
            discard(srv, tokens[name], file_id)
        disk = f"dd {times['dd'][-1]:.2f} s, " if with_dd else ""
        log(f"  round {i + 1}: {disk}no quota {times[PLAIN][-1]:.3f} s, "
            f"quota {times[LIMITED][-1]:.3f} s")
    return times


def mbps(nbytes, secs_list):
    return nbytes / statistics.median(secs_list) / 1e6


def quota_is_live(srv, tokens, work):
    """At a quota of 1 MiB a 2 MiB upload is 507, with and without Content-Length, and
    stores no file. Returns the two statuses as a cell, and whether both were 507."""
    small = os.path.join(work, "two-mib.bin")
    with open(small, "wb") as f:
        f.write(os.urandom(2 * MIB))
    me = "/api/me"
    before = srv.call_as(tokens[LIMITED], "GET", me)["user"]["storage"]["file_count"]
    set_quota(srv, tokens, LIMITED, MIB)
    codes = []
    for chunked in (False, True):
        argv = ["-H", "Expect:", "-H", f"Authorization: Token {tokens[LIMITED]}", "-T", small,
                f"{srv.url}/api/files?name=over-{int(chunked)}.bin"]
        if chunked:
            argv[0:0] = ["-H", "Transfer-Encoding: chunked"]
        codes.append(curl_time(argv)[0])
    stored = srv.call_as(tokens[LIMITED], "GET", me)["user"]["storage"]["file_count"] - before
    os.remove(small)
    ok = codes == [507, 507] and stored == 0
    return f"{codes[0]} / {codes[1]} (chunked), {stored} stored", ok


def quota_users(srv):
    """Sessions for PLAIN, LIMITED (given a 100 GiB quota) and ADMIN; each of the first two
    uploads one byte first, so that no timed upload also makes the user's blob folder."""
    tokens = {name: srv.login_as(name) for name in (PLAIN, LIMITED, ADMIN)}
    set_quota(srv, tokens, LIMITED, QUOTA)
    if srv.call_as(tokens[PLAIN], "GET", "/api/me")["user"]["storage"]["quota_bytes"] is not None:
        die(f"{PLAIN} has a quota: is --default-quota set?")
    for name in (PLAIN, LIMITED):
        code, _, body = curl_time(["-H", f"Authorization: Token {tokens[name]}", "-X", "PUT",
                                   "-H", "Content-Type: application/octet-stream",
                                   "--data-binary", "x",
                                   f"{srv.url}/api/files?name=warm-up.txt"])
        if code != 201:
            die(f"warm-up upload as {name} answered {code}: {body[:300]}")
    return tokens


def compare_uploads(srv, args, tokens, source, work, rows, runs, where, with_dd):
    """Upload rounds as PLAIN and LIMITED, with Content-Length then chunked: the rows of
    their rates, ratio and server CPU. WHERE says what the data dir is on."""
    label = size_label(args.upload_bytes)
    raw = open(os.path.join(args.raw_dir, f"uploads-{srv.backend}.txt"), "w")
    for chunked in (False, True):
        how = "chunked" if chunked else "raw PUT"
        log(f"upload {label}, {how}, {where}: {runs} rounds of "
            f"{'dd + ' if with_dd else ''}one upload per user")
        times = upload_rounds(srv, runs, tokens, source, work, chunked, with_dd)
        for key, secs in times.items():
            raw.write(f"{how} {key} times (s): {' '.join(f'{t:.3f}' for t in secs)}\n")
        plain, limited = (mbps(args.upload_bytes, times[k]) for k in (PLAIN, LIMITED))
        ratio = limited / plain
        log(f"  no quota {num(plain)} MB/s, quota {num(limited)} MB/s, ratio {ratio:.3f}")
        med = f"median of {runs}"
        if with_dd:
            disk = mbps(args.upload_bytes, times["dd"])
            log(f"  dd {num(disk)} MB/s")
            rows.append((f"disk alone (dd conv=fsync), {how} rounds ({med})",
                         f"{num(disk)} MB/s", "(beside the uploads)", ""))
        rows.append((f"upload {label} {how}, {where}, no quota ({med})", f"{num(plain)} MB/s",
                     "", ""))
        rows.append((f"upload {label} {how}, {where}, quota 100 GiB ({med})",
                     f"{num(limited)} MB/s", "0.95-1.05x no quota",
                     f"{verdict(0.95 <= ratio <= 1.05)} ({ratio:.3f}x)"))
        cpu_plain = statistics.median(times[f"cpu {PLAIN}"])
        cpu_limited = statistics.median(times[f"cpu {LIMITED}"])
        cpu_ratio = cpu_limited / cpu_plain if cpu_plain else float("nan")
        log(f"  server CPU per upload: no quota {cpu_plain * 1000:.0f} ms, "
            f"quota {cpu_limited * 1000:.0f} ms, ratio {cpu_ratio:.3f}")
        rows.append((f"server CPU per {label} upload {how}, {where}, no quota / quota",
                     f"{cpu_plain * 1000:.0f} / {cpu_limited * 1000:.0f} ms",
                     "0.95-1.05x", f"{verdict(0.95 <= cpu_ratio <= 1.05)} ({cpu_ratio:.3f}x)"))
    raw.close()


def quota_phase(srv, args, dirs, rows):
    """Uploads as PLAIN and LIMITED on the disk, dd beside them; then the quota is live."""
    tokens = quota_users(srv)
    source = cached_random(dirs.cache, args.upload_mib)
    compare_uploads(srv, args, tokens, source, dirs.work, rows, args.runs, "on disk",
                    with_dd=True)
    cell, ok = quota_is_live(srv, tokens, dirs.work)
    log(f"  at a 1 MiB quota, 2 MiB uploads answered {cell}")
    rows.append(("the quota is live: 2 MiB at a 1 MiB quota", cell, "507 / 507, 0 stored",
                 "checked" if ok else "FAILED"))


def memory_phase(args, dirs):
    """The same comparison with the data dir and the source file on tmpfs (/dev/shm), on
    SQLite: no disk in the way, so what is left is the server's work per byte, and with
    and without a quota it must be the same. The rows, or a SKIPPED row."""
    shm = "/dev/shm"
    need = 3 * args.upload_bytes + (100 << 20)
    if not os.path.isdir(shm):
        return [("tmpfs uploads", f"SKIPPED: no {shm}", "", "")]
    st = os.statvfs(shm)
    if st.f_bavail * st.f_frsize < need:
        return [("tmpfs uploads", f"SKIPPED: {shm} has less than {need >> 20} MiB free", "", "")]
    work = tempfile.mkdtemp(prefix="mycloud-bench-trash.", dir=shm)
    folders.at_cleanup(lambda: shutil.rmtree(work, ignore_errors=True))
    source = os.path.join(work, "upload.bin")
    shutil.copyfile(cached_random(dirs.cache, args.upload_mib), source)
    rows = []
    srv = Server(args, types.SimpleNamespace(work=work, raw=dirs.raw), "sqlite-tmpfs", None)
    tokens = quota_users(srv)
    compare_uploads(srv, args, tokens, source, work, rows, args.mem_runs, "tmpfs",
                    with_dd=False)
    srv.stop()
    shutil.rmtree(work, ignore_errors=True)
    return rows


def run_backend(args, dirs, backend):
    """Both phases on one backend's server: the report's rows."""
    rows = []
    db_url = None
    if backend == "postgres":
        db_url = start_postgres(dirs)
        if not db_url:
            return [("PostgreSQL", "SKIPPED: not installed (apt-get install postgresql)", "", "")]
    srv = Server(args, dirs, backend, db_url)
    trash_phase(srv, args, dirs, rows)
    quota_phase(srv, args, dirs, rows)
    log(f"mycloud's RSS at the end: {srv.rss_mib():.1f} MiB")
    srv.stop()
    return rows


# --- the report ----------------------------------------------------------------------


def print_header(args, dirs):
    mode = "QUICK (small sizes, not the figures of the issue)" if args.quick else "full"
    tok = "-H 'Authorization: Token TOKEN'"
    label = size_label(args.upload_bytes)
    print(f"""mycloud trash and quota benchmark (issue 16), {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, mode: {mode}
machine: {machine()}
work dir: {dirs.work} ({dirs.fs_type}): data dirs and PostgreSQL's cluster, fsync cost included
binary: {args.bin} ({binary_version(args.bin)}); backends: {', '.join(args.backends)}
MB/s = 10^6 bytes per second; MiB/GiB = 2^20/2^30 bytes; times are curl's time_total unless said.
commands (URL = the server, TOKEN = a session from POST /api/auth/login, F = a folder of {num(args.trash_n)} files):
  seed        PUT URL/api/files?name=pNNNNNN.txt&folder_id=F (body 'x'), {folders.SEED_THREADS} Python threads,
                one keep-alive http.client connection each (as bench/folders.py)
  to trash    curl -sS -X DELETE {tok} URL/api/folders/F   (204; the trash then lists F, size {num(args.trash_n)})
  purge       curl -sS -X DELETE {tok} URL/api/trash   (until its 204); files/s = {num(args.trash_n)} / time_total
  reaper      a second F, DELETE'd, {REAP_WAIT} s of sleep, then the command (wall time, beside the server):
                mycloud --data-dir DATA [--database-url PG] --trash-retention {REAP_RETENTION} reap
  checked     after each: GET URL/api/trash lists nothing, DATA/files/USER_ID/ holds no file, GET /api/me
                counts 0 files, 0 bytes, 0 in the trash
  upload      sync; curl -sS -H 'Expect:' {tok} -T random-{args.upload_mib}M.bin 'URL/api/files?name=N'
                as '{PLAIN}' (no quota) and '{LIMITED}' (quota_bytes {QUOTA} by PATCH URL/api/admin/users/ID as an admin),
                alternating, {args.runs} each; each copy then DELETE'd and purged (DELETE URL/api/trash/files/ID), untimed
  chunked     the same with -H 'Transfer-Encoding: chunked' (no Content-Length)
  disk alone  sync; dd if=random-{args.upload_mib}M.bin of=WORK/dd-probe.bin bs=1M conv=fsync (wall time), before each pair
  tmpfs       the upload and chunked rounds again ({args.mem_runs} each, no dd, no fsync cost) on a second SQLite
                server whose data dir and source file are under /dev/shm
  quota live  quota_bytes {MIB} and a 2 MiB curl -T, with and without Content-Length: 507 expected
  memory      VmRSS from /proc/PID/status every 20 ms during DELETE /api/trash (bench/helper.py rss)
""", flush=True)


def main():
    args = parse_args()
    if shutil.which("curl") is None:
        die("curl not found (apt-get install curl)")
    if args.build:
        log("building the release binary (cargo build --release)")
        if subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=folders.REPO).returncode:
            die("cargo build --release failed (--no-build uses the binary as it is)")
    if not os.access(args.bin, os.X_OK):
        die(f"{args.bin} not found (build it, or --bin PATH)")
    dirs = Dirs("trash")
    folders.at_cleanup(lambda: remove_work(dirs.work))
    if dirs.fs_type in ("tmpfs", "ramfs"):
        log(f"WARNING: {dirs.work} is on {dirs.fs_type}: fsync costs nothing there")
    # The small files (a 4 KiB block each, one folder at a time), an upload in place, a dd
    # copy, the cached file.
    need = args.trash_n * 4096 + 3 * args.upload_bytes + (200 << 20)
    st = os.statvfs(dirs.work)
    if st.f_bavail * st.f_frsize < need:
        die(f"need about {need >> 20} MiB free under {dirs.work}, "
            f"have {st.f_bavail * st.f_frsize >> 20}")
    print_header(args, dirs)
    args.raw_dir = dirs.raw
    sections = [(backend, run_backend(args, dirs, backend)) for backend in args.backends]
    if "sqlite" in args.backends:
        sections.append(("sqlite, data dir on tmpfs", memory_phase(args, dirs)))
    print_rows(sections)
    if args.quick:
        print(f"\nQUICK mode: {num(args.trash_n)} files, a {size_label(args.upload_bytes)} upload, "
              f"{args.runs} runs each: a smoke test.")
    print(f"raw outputs (times, the reaper's output, server logs): {dirs.raw}")


if __name__ == "__main__":
    atexit.register(folders.run_cleanups)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        main()
    except KeyboardInterrupt:
        sys.exit(130)
