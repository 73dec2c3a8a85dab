#!/usr/bin/env bash
# mycloud benchmark: one command, prints every figure of issue 7.1 next to its target.
#
#   bash bench/run.sh [--quick] [--backend sqlite|postgres|both] [--no-build | --bin PATH]
#                     [--peer URL [--peer-name NAME] [--peer-pid PID] [--peer-kind KIND]
#                                 [--peer-list LIST_URL]]...  [--no-mycloud]
#
# Builds the release binary, starts it on a throwaway data dir under target/bench/ (the
# real disk: uploads are fsynced and that cost is part of the figure), and measures
# transfers with curl, request rates with wrk, memory by sampling /proc/PID/status, and
# cold start with bench/helper.py. Each --peer URL is measured the same way over plain
# HTTP (raw PUT, GET, a listing); bench/compare.sh starts dufs, copyparty and nginx and
# calls this script with them. Progress goes to stderr, the report to stdout. It is not
# a test: it prints, and exits 0 even when a figure misses its target.
# See bench/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD

usage() {
    sed -n '3,6p' "$0" | sed 's/^# \{0,1\}//'
    echo "KIND: dufs | copyparty | nginx | other (default: detected). --quick: small sizes, 2 s of wrk."
}

# --- options -------------------------------------------------------------------------
quick=0
backend=both
build=1
mycloud=1
bin=target/release/mycloud
peer_urls=() peer_names=() peer_pids=() peer_kinds=() peer_lists=()
need_peer() {
    if ((${#peer_urls[@]} == 0)); then
        echo "$1 belongs after a --peer URL" >&2
        exit 2
    fi
}
while (($#)); do
    case $1 in
        --quick) quick=1 ;;
        --backend) backend=${2:?--backend needs sqlite, postgres or both}; shift ;;
        --no-build) build=0 ;;
        --bin) bin=${2:?--bin needs a path}; build=0; shift ;;
        --no-mycloud) mycloud=0 ;;
        --peer)
            peer_urls+=("${2:?--peer needs a URL}")
            peer_urls[-1]=${peer_urls[-1]%/}
            peer_names+=("") peer_pids+=("") peer_kinds+=("") peer_lists+=("")
            shift
            ;;
        --peer-name) need_peer "$1"; peer_names[-1]=${2:?}; shift ;;
        --peer-pid) need_peer "$1"; peer_pids[-1]=${2:?}; shift ;;
        --peer-kind) need_peer "$1"; peer_kinds[-1]=${2:?}; shift ;;
        --peer-list) need_peer "$1"; peer_lists[-1]=${2:?}; shift ;;
        -h | --help) usage; exit 0 ;;
        *) usage >&2; exit 2 ;;
    esac
    shift
done
case $backend in
    sqlite | postgres | both) ;;
    *) echo "--backend must be sqlite, postgres or both, not $backend" >&2; exit 2 ;;
esac
if ((!mycloud && ${#peer_urls[@]} == 0)); then
    echo "--no-mycloud without any --peer: nothing to measure" >&2
    exit 2
fi

# --- sizes ---------------------------------------------------------------------------
if ((quick)); then
    big_mib=64 par_mib=16 list_n=200 wrk_secs=2 cold_runs=3
else
    big_mib=1024 par_mib=256 list_n=1000 wrk_secs=10 cold_runs=7
fi
par_n=8 dl_runs=5 up_runs=5 api_conns=16 small_conns=64
big_bytes=$((big_mib * 1024 * 1024))
par_bytes=$((par_mib * 1024 * 1024))
small_bytes=1024
password='Bench-pass-1234!'

# --- helpers -------------------------------------------------------------------------
: "${BENCH_T0:=$(date +%s)}" # compare.sh passes its own start, so times run on
export BENCH_T0
log() { printf '%4ds  %s\n' "$(($(date +%s) - BENCH_T0))" "$*" >&2; }
die() {
    printf 'bench: %s\n' "$*" >&2
    exit 1
}
# size_label BYTES: "1 GiB", "256 MiB", "1 KiB"
size_label() {
    awk -v b="$1" 'BEGIN {
        if (b >= 2^30 && b % 2^30 == 0) printf "%d GiB", b / 2^30
        else if (b >= 2^20) printf "%d MiB", b / 2^20
        else printf "%d KiB", b / 2^10 }'
}
num() { # 12345.6 → 12,346
    awk -v n="$1" 'BEGIN { s = sprintf("%.0f", n); r = ""
        while (length(s) > 3) { r = "," substr(s, length(s) - 2) r; s = substr(s, 1, length(s) - 3) }
        print s r }'
}
mbps() { awk -v b="$1" -v t="$2" 'BEGIN { printf "%.0f", b / t / 1e6 }'; }
kib_to_mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
# meets VALUE OP TARGET (OP: ge | le) → PASS / MISS
meets() {
    if [[ -z $1 || $1 == "-" ]]; then echo "-"; return; fi
    awk -v v="$1" -v op="$2" -v t="$3" 'BEGIN { ok = (op == "ge") ? v >= t : v <= t; print ok ? "PASS" : "MISS" }'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }
json() { python3 bench/helper.py json "$1"; }
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# --- work dirs and cleanup ----------------------------------------------------------
bench_root=${MYCLOUD_BENCH_DIR:-$repo/target/bench}
cache=$bench_root/cache
raw=$bench_root/last-run
mkdir -p "$cache"
rm -rf "$raw"
mkdir -p "$raw"
work=$(mktemp -d "$bench_root/run.XXXXXX")
chmod 755 "$work"
fs_type=$(stat -f -c %T "$work")
fs_dev=$(df -P "$work" | awk 'NR == 2 { print $1 }')

srv_pid='' rss_pid='' pg_dir='' pg_bin=''
cleanup() {
    local p
    for p in $rss_pid $srv_pid; do
        kill -TERM "$p" 2>/dev/null || true
        wait "$p" 2>/dev/null || true
    done
    if [[ -n $pg_dir ]]; then
        pg_run "$pg_bin/pg_ctl" -D "$pg_dir/db" -m immediate stop >/dev/null 2>&1 || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

command -v wrk >/dev/null || die "wrk not found (apt-get install wrk)"
command -v curl >/dev/null || die "curl not found (apt-get install curl)"
if [[ $fs_type == tmpfs || $fs_type == ramfs ]]; then
    echo "WARNING: $work is on $fs_type: fsync costs nothing there; set MYCLOUD_BENCH_DIR to a real disk" >&2
fi
# Needs: two big uploads, one parallel file, the cached random files, per peer one more.
need_mib=$(((2 * big_mib + par_mib) * (mycloud + ${#peer_urls[@]}) + 2 * big_mib + 200))
avail_mib=$(($(df -Pk "$work" | awk 'NR == 2 { print $4 }') / 1024))
((avail_mib > need_mib)) || die "need about $need_mib MiB free under $bench_root, have $avail_mib"

# --- test files (random bytes, made once, kept in target/bench/cache) ---------------
make_random() { # NAME BYTES
    local f=$cache/$1
    if [[ ! -f $f || $(stat -c %s "$f") != "$2" ]]; then
        log "creating $f ($(size_label "$2") of random bytes, once)"
        head -c "$2" /dev/urandom >"$f.tmp"
        mv "$f.tmp" "$f"
    fi
    echo "$f"
}
big_file=$(make_random "random-${big_mib}M.bin" "$big_bytes")
par_file=$(make_random "random-${par_mib}M.bin" "$par_bytes")
small_file=$(make_random random-1K.bin "$small_bytes")
big_l=$(size_label "$big_bytes")
par_l=$(size_label "$par_bytes")
list_l=$(num "$list_n")

# --- transfers (the same code for mycloud and peers; $hdr holds the auth header) -----
hdr=()
# get_once URL BYTES: one download to /dev/null, prints curl's time_total (s).
get_once() {
    local out code size t
    out=$(curl -sS -o /dev/null -w '%{http_code} %{size_download} %{time_total}' "${hdr[@]}" "$1")
    read -r code size t <<<"$out"
    [[ $code == 200 && $size == "$2" ]] || die "GET $1 answered $code with $size bytes, not 200 with $2"
    echo "$t"
}
# download_median URL BYTES: $dl_runs downloads, prints the MB/s of the median time.
download_median() {
    local i times=()
    for ((i = 0; i < dl_runs; i++)); do times+=("$(get_once "$1" "$2")"); done
    echo "    download times (s): ${times[*]}" >>"$raw/transfers.txt"
    mbps "$2" "$(printf '%s\n' "${times[@]}" | median)"
}
# parallel_get URL BYTES: $par_n downloads started together; prints aggregate MB/s
# (all bytes over the wall time from the first start to the last end).
parallel_get() {
    local i t0 t1 code size pids=()
    t0=$(date +%s%N)
    for ((i = 1; i <= par_n; i++)); do
        curl -sS -o /dev/null -w '%{http_code} %{size_download}' "${hdr[@]}" "$1" >"$work/par.$i" 2>&1 &
        pids+=($!)
    done
    wait "${pids[@]}" || true
    t1=$(date +%s%N)
    for ((i = 1; i <= par_n; i++)); do
        read -r code size <"$work/par.$i" || true
        [[ $code == 200 && $size == "$2" ]] || die "parallel GET $1 #$i: $(cat "$work/par.$i")"
    done
    mbps $((par_n * $2)) "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print (b - a) / 1e9 }')"
}
# upload CODES CURL_ARGS...: prints time_total; the answer body is left in $work/answer.
# 'Expect:' turns off curl's 100-continue round trip, as browsers do.
upload() {
    local want=$1 out code t
    shift
    out=$(curl -sS -o "$work/answer" -w '%{http_code} %{time_total}' -H 'Expect:' "${hdr[@]}" "$@")
    read -r code t <<<"$out"
    [[ $code =~ ^($want)$ ]] || die "upload ($*) answered $code: $(head -c 300 "$work/answer")"
    echo "$t"
}

delete_file() { # ID: as the owner (the token in $hdr)
    curl -sS -o /dev/null --fail "${hdr[@]}" -X DELETE "$srv_url/api/files/$1" || die "DELETE $1 failed"
}

# --- memory: VmRSS sampled every 20 ms by bench/helper.py while a phase runs --------
rss_seq=0 rss_file='' rss_peak=''
rss_begin() { # PID [--tree]
    rss_file=$work/rss.$((++rss_seq))
    python3 bench/helper.py rss "$rss_file" --interval 0.02 "$@" &
    rss_pid=$!
    local _
    for _ in $(seq 300); do
        [[ -e $rss_file.ready ]] && return 0
        sleep 0.01
    done
    die "the RSS sampler did not start"
}
rss_end() { # sets rss_peak (KiB)
    kill -TERM "$rss_pid" 2>/dev/null || true
    wait "$rss_pid" || true
    rss_pid=
    rss_peak=$(cat "$rss_file")
}
status_kib() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }
# rss_now PID: "12.3 MiB (anonymous 3.4, file-backed 8.9)", for the progress log.
rss_now() {
    printf '%s MiB (anonymous %s, file-backed %s)' "$(kib_to_mib "$(status_kib "$1" VmRSS)")" \
        "$(kib_to_mib "$(status_kib "$1" RssAnon)")" "$(kib_to_mib "$(status_kib "$1" RssFile)")"
}

# --- wrk ---------------------------------------------------------------------------
wrk_rps='' wrk_p99='' wrk_bad=''
# wrk_run NAME CONNECTIONS URL [HEADER]: sets wrk_rps, wrk_p99 (ms), wrk_bad (errors).
wrk_run() {
    local args=(-t 2 -c "$2" -d "${wrk_secs}s" --latency) out
    if [[ -n ${4:-} ]]; then args+=(-H "$4"); fi
    out=$(wrk "${args[@]}" "$3" 2>&1) || die "wrk ${args[*]} $3 failed: $out"
    printf 'wrk %s %s\n%s\n' "${args[*]/%Token */Token TOKEN}" "$3" "$out" >"$raw/wrk-$1.txt"
    wrk_rps=$(awk '/^Requests\/sec:/ { printf "%.0f", $2 }' <<<"$out")
    wrk_p99=$(awk '$1 == "99%" {
        v = $2; u = v; sub(/^[0-9.]+/, "", u); sub(/[a-z]+$/, "", v)
        f = (u == "us") ? 0.001 : (u == "ms") ? 1 : (u == "s") ? 1000 : (u == "m") ? 60000 : 1
        printf "%.2f", v * f }' <<<"$out")
    wrk_bad=$(grep -E 'Non-2xx|Socket errors' <<<"$out" | tr -s ' ' | paste -sd ';' || true)
    [[ -n $wrk_rps ]] || die "could not read wrk's output (in $raw/wrk-$1.txt)"
    local rss=''
    if [[ -n $srv_pid ]]; then rss=" (mycloud's RSS now $(rss_now "$srv_pid"))"; fi
    log "$(printf '%-14s %8s req/s  p99 %s ms %s%s' "$1" "$wrk_rps" "$wrk_p99" "$wrk_bad" "$rss")"
}
rate_cell() { # "RPS req/s, p99 X ms" with errors flagged
    local s
    s="$(num "$1") req/s, p99 $2 ms"
    [[ -z ${3:-} ]] || s+=" (ERRORS: $3)"
    echo "$s"
}

# --- PostgreSQL: a throwaway cluster in the work dir ---------------------------------
pg_run() { # initdb refuses root: run as the postgres user then
    if [[ $(id -u) == 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}
have_postgres() {
    pg_bin=$(find /usr/lib/postgresql/*/bin -maxdepth 0 2>/dev/null | sort -V | tail -n 1 || true)
    if [[ -z $pg_bin ]] && command -v initdb >/dev/null; then
        pg_bin=$(dirname "$(readlink -f "$(command -v initdb)")")
    fi
    [[ -n $pg_bin && -x $pg_bin/initdb && -x $pg_bin/pg_ctl ]]
}
start_postgres() { # sets pg_url
    have_postgres || die "PostgreSQL not found (apt-get install postgresql)"
    pg_dir=$work/pg
    mkdir -p "$pg_dir"
    if [[ $(id -u) == 0 ]]; then chown postgres "$pg_dir"; fi
    pg_run test -w "$pg_dir" || die "the postgres user cannot write $pg_dir (set MYCLOUD_BENCH_DIR)"
    local port
    port=$(free_port)
    log "starting a throwaway PostgreSQL cluster ($pg_bin) on port $port"
    pg_run "$pg_bin/initdb" -D "$pg_dir/db" -U postgres --auth=trust -E UTF8 >"$raw/initdb.log" 2>&1
    # Durable defaults (fsync, synchronous_commit on), as a production server runs.
    pg_run "$pg_bin/pg_ctl" -D "$pg_dir/db" -l "$pg_dir/log" -w \
        -o "-p $port -k $pg_dir -c listen_addresses=127.0.0.1" start >/dev/null
    pg_url="postgres://postgres@127.0.0.1:$port/postgres"
}

# --- mycloud server ------------------------------------------------------------------
srv_url=
# start_mycloud DATA_DIR NAME: serve on a free port; sets srv_pid, srv_url.
start_mycloud() {
    "$bin" serve --data-dir "$1" --listen 127.0.0.1:0 >"$work/$2.stdout" 2>"$raw/server-$2.log" &
    srv_pid=$!
    srv_url=
    local _ line
    for _ in $(seq 600); do
        line=$(head -n 1 "$work/$2.stdout")
        if [[ $line =~ ^mycloud\ listening\ on\ (http://[^ ]+/)$ ]]; then
            srv_url=${BASH_REMATCH[1]%/}
            return 0
        fi
        kill -0 "$srv_pid" 2>/dev/null || break
        sleep 0.05
    done
    tail -n 20 "$raw/server-$2.log" >&2
    die "mycloud did not start (log above)"
}
stop_mycloud() {
    kill -TERM "$srv_pid" 2>/dev/null || true
    wait "$srv_pid" || true
    srv_pid=
}
make_users() { # DATA_DIR: an admin "bench" and "lister" (who gets the 1,000 files)
    local u
    for u in bench lister; do
        printf '%s\n' "$password" |
            "$bin" --data-dir "$1" user create "$u" --password-stdin >/dev/null
    done
}
login() { # USER → token
    curl -sS --fail-with-body -H 'Content-Type: application/json' \
        -d "{\"username\":\"$1\",\"password\":\"$password\"}" "$srv_url/api/auth/login" | json token
}
# populate_lister TOKEN: $list_n small files for "lister"; sets list_kib.
populate_lister() {
    log "uploading $list_l small files for the listing user"
    python3 bench/helper.py populate "$srv_url" "$list_n" --mycloud --header "Authorization: Token $1"
    local count
    count=$(curl -sS -H "Authorization: Token $1" "$srv_url/api/files" |
        python3 -c 'import json, sys; print(len(json.load(sys.stdin)["files"]))')
    [[ $count == "$list_n" ]] || die "the listing user should have $list_n files, has $count"
    list_kib=$(($(curl -sS -H "Authorization: Token $1" "$srv_url/api/files" | wc -c) / 1024))
}

# --- report ---------------------------------------------------------------------------
rows=()
row() { # LABEL VALUE [TARGET VERDICT]
    rows+=("$(printf '%-50s %-30s %-16s %s' "$1" "$2" "${3:-}" "${4:-}")")
}
section() { rows+=("" "$1"); }

machine() {
    local cpu
    cpu=$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo)
    echo "$(nproc) CPUs (${cpu:-$(uname -m)}), $(awk '/^MemTotal/ { printf "%.0f GiB", $2 / 2^20 }' /proc/meminfo) RAM, $(uname -r)"
}

# === header and commands (printed first) =============================================
if ((mycloud && build)); then
    log "building the release binary (cargo build --release)"
    cargo build --release --quiet || die "cargo build --release failed (--no-build uses the binary as it is)"
fi
if ((mycloud)); then
    [[ -x $bin ]] || die "$bin not found (build it, or --bin PATH)"
    mycloud_version=$("$bin" --version 2>/dev/null || echo mycloud)
    git_rev=$(git rev-parse --short HEAD 2>/dev/null || echo "?")
    if [[ -n $(git status --porcelain -- src Cargo.toml Cargo.lock 2>/dev/null) ]]; then git_rev+="+dirty"; fi
fi
main_backend=$([[ $backend == postgres ]] && echo postgres || echo sqlite)
tok="-H 'Authorization: Token TOKEN'"
mode=$([[ $quick == 1 ]] && echo "QUICK (small sizes, not the figures of the issue)" || echo full)

cat <<EOF
mycloud benchmark, $(date -u '+%Y-%m-%d %H:%M UTC'), mode: $mode
machine: $(machine)
work dir: $work ($fs_type on $fs_dev): data dirs, peers' roots, fsync cost included
EOF
if ((mycloud)); then
    echo "binary: $bin ($mycloud_version, git $git_rev), backend $main_backend$([[ $backend == both ]] && echo ", API rates on postgres too")"
fi
cat <<EOF
MB/s = 10^6 bytes per second; MiB/GiB = 2^20/2^30 bytes. Targets are those of issue 7.1.
commands (URL = the server, TOKEN = a session from POST /api/auth/login, ID = a file id):
  upload PUT    curl -sS -H 'Expect:' $tok -T random-${big_mib}M.bin 'URL/api/files?name=big-put.bin'
  multipart     curl -sS -H 'Expect:' $tok -F 'file=@random-${big_mib}M.bin;filename=big-multipart.bin' URL/api/files
                  each $up_runs times after a sync, MB/s of the median time (extra copies deleted)
  download      curl -sS -o /dev/null -w '%{http_code} %{size_download} %{time_total}' $tok URL/api/files/ID/content
                  $dl_runs times, MB/s of the median time
  parallel      $par_n of that download of a $par_l file started together;
                  MB/s = $par_n × size / wall time from the first start to the last end
  API rate      wrk -t2 -c$api_conns -d${wrk_secs}s --latency $tok URL/api/me
                  (and URL/api/files as a user with $list_l files)
  1 KiB file    wrk -t2 -c$small_conns -d${wrk_secs}s --latency $tok URL/api/files/ID/content
  memory        VmRSS from /proc/PID/status every 20 ms during the phase (bench/helper.py rss);
                  one server for the whole run, so a phase's peak is its own, not the lifetime VmHWM
  cold start    bench/helper.py coldstart: spawn 'mycloud serve --data-dir DATA --listen 127.0.0.1:PORT'
                  on this run's data dir (after the load), poll GET /api/health on a fresh connection
                  every 0.2 ms, time from spawn to the first 200; median of $cold_runs
  peers         curl -T FILE URL/bench.bin ($up_runs uploads, median), the same GETs without a token, 1 KiB file
                  URL/bench-1k.bin, $list_l files PUT under URL/bench-list/ and its listing
                  (dufs ?json, copyparty ?ls, nginx autoindex); memory: PID and its children, summed
EOF
echo

# === mycloud ========================================================================
run_pg_api() { # the two request rates on a second server backed by PostgreSQL
    local data_pg=$work/data-pg t_bench t_lister
    start_postgres
    export MYCLOUD_DATABASE_URL=$pg_url
    make_users "$data_pg"
    start_mycloud "$data_pg" pg
    log "mycloud on postgres at $srv_url (pid $srv_pid)"
    t_bench=$(login bench)
    t_lister=$(login lister)
    populate_lister "$t_lister"
    wrk_run pg-me "$api_conns" "$srv_url/api/me" "Authorization: Token $t_bench"
    pg_me=("$wrk_rps" "$wrk_p99" "$wrk_bad")
    wrk_run pg-files "$api_conns" "$srv_url/api/files" "Authorization: Token $t_lister"
    pg_files=("$wrk_rps" "$wrk_p99" "$wrk_bad")
    stop_mycloud
}

if ((mycloud)); then
    # Settings from the caller's environment would change what is measured.
    for v in "${!MYCLOUD_@}"; do unset "$v"; done
    data=$work/data
    if [[ $main_backend == postgres ]]; then
        start_postgres
        export MYCLOUD_DATABASE_URL=$pg_url
    else
        export MYCLOUD_DATABASE_URL="sqlite://$data/mycloud.db"
    fi
    bin_bytes=$(stat -L -c %s "$bin")
    make_users "$data"
    start_mycloud "$data" main
    log "mycloud at $srv_url (pid $srv_pid, $main_backend), data dir $data"
    token=$(login bench)
    lister_token=$(login lister)
    hdr=(-H "Authorization: Token $token")

    # The disk alone, as the uploads below are measured: each copy written with fsync,
    # then deleted, so the upload figures can be read against what the disk gives then.
    log "the disk alone: dd $big_l with fsync, $up_runs times"
    times=()
    for ((i = 0; i < up_runs; i++)); do
        sync
        t0=$(date +%s.%N)
        dd if="$big_file" of="$work/dd-probe.bin" bs=1M conv=fsync status=none
        times+=("$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { print b - a }')")
        rm -f "$work/dd-probe.bin"
    done
    echo "    dd times (s): ${times[*]}" >>"$raw/transfers.txt"
    my_dd=$(mbps "$big_bytes" "$(printf '%s\n' "${times[@]}" | median)")
    log "  done ($(printf '%s ' "${times[@]}")s)"

    # Uploads: $up_runs each, MB/s of the median time. The disk's speed at absorbing a
    # fresh GiB varies a lot from one minute to the next (dd with fsync here: 0.24 to
    # 1.9 GB/s), so one upload says more about the disk's mood than about the server.
    # Each extra copy is deleted at once; the first raw PUT stays for the downloads.
    log "upload $big_l, raw PUT, $up_runs times"
    rss_begin "$srv_pid"
    times=()
    for ((i = 0; i < up_runs; i++)); do
        sync
        times+=("$(upload 201 -T "$big_file" "$srv_url/api/files?name=big-put-$i.bin")")
        id=$(json file.id <"$work/answer")
        if ((i == 0)); then big_id=$id; else delete_file "$id"; fi
    done
    rss_end
    echo "    raw PUT times (s): ${times[*]}" >>"$raw/transfers.txt"
    my_put=$(mbps "$big_bytes" "$(printf '%s\n' "${times[@]}" | median)") my_rss_put=$rss_peak
    log "  done ($(printf '%s ' "${times[@]}")s); mycloud's RSS now $(rss_now "$srv_pid")"

    log "upload $big_l, multipart POST, $up_runs times"
    rss_begin "$srv_pid"
    times=()
    for ((i = 0; i < up_runs; i++)); do
        sync
        times+=("$(upload 201 -F "file=@$big_file;filename=big-multipart-$i.bin" "$srv_url/api/files")")
        delete_file "$(json file.id <"$work/answer")"
    done
    rss_end
    echo "    multipart times (s): ${times[*]}" >>"$raw/transfers.txt"
    my_mp=$(mbps "$big_bytes" "$(printf '%s\n' "${times[@]}" | median)") my_rss_mp=$rss_peak
    log "  done ($(printf '%s ' "${times[@]}")s); mycloud's RSS now $(rss_now "$srv_pid")"

    log "download $big_l, $dl_runs times"
    my_dl=$(download_median "$srv_url/api/files/$big_id/content" "$big_bytes")
    log "  done; mycloud's RSS now $(rss_now "$srv_pid")"

    upload 201 -T "$par_file" "$srv_url/api/files?name=par.bin" >/dev/null
    par_id=$(json file.id <"$work/answer")
    log "$par_n parallel downloads of $par_l"
    rss_begin "$srv_pid"
    my_par=$(parallel_get "$srv_url/api/files/$par_id/content" "$par_bytes")
    rss_end
    my_rss_par=$rss_peak
    log "  done; mycloud's RSS now $(rss_now "$srv_pid")"

    upload 201 -T "$small_file" "$srv_url/api/files?name=small.bin" >/dev/null
    small_id=$(json file.id <"$work/answer")
    populate_lister "$lister_token"
    my_list_kib=$list_kib
    log "mycloud's RSS after the transfers and uploads: $(rss_now "$srv_pid")"

    wrk_run me "$api_conns" "$srv_url/api/me" "Authorization: Token $token"
    my_me=("$wrk_rps" "$wrk_p99" "$wrk_bad")
    wrk_run files "$api_conns" "$srv_url/api/files" "Authorization: Token $lister_token"
    my_files=("$wrk_rps" "$wrk_p99" "$wrk_bad")
    wrk_run small "$small_conns" "$srv_url/api/files/$small_id/content" "Authorization: Token $token"
    my_small=("$wrk_rps" "$wrk_p99" "$wrk_bad")

    log "idle 2 s after the load"
    sleep 2
    my_idle_load=$(status_kib "$srv_pid" VmRSS)
    log "  mycloud's RSS now $(rss_now "$srv_pid")"
    # Where the idle memory is, mapping by mapping, for whoever wants to shrink it.
    cp "/proc/$srv_pid/smaps" "$raw/idle-smaps.txt" 2>/dev/null || true
    my_hwm=$(status_kib "$srv_pid" VmHWM)
    stop_mycloud

    log "cold start, $cold_runs times, on the data dir of this run"
    python3 bench/helper.py coldstart --runs "$cold_runs" --idle-after 1 -- \
        "$bin" serve --data-dir "$data" --listen '127.0.0.1:{port}' >"$raw/coldstart.txt"
    my_cold=$(awk '{ print $1 }' "$raw/coldstart.txt" | median)
    my_cold_all=$(awk '{ print $1 }' "$raw/coldstart.txt" | paste -sd ' ')
    my_idle_start=$(awk '{ print $2 }' "$raw/coldstart.txt" | median)

    pg_me=() pg_files=() pg_skip=''
    if [[ $backend == both ]]; then
        if have_postgres; then run_pg_api; else pg_skip="SKIPPED: PostgreSQL not installed (apt-get install postgresql)"; fi
    fi
fi

# === peers ==========================================================================
detect_kind() { # URL → dufs | copyparty | nginx | other
    if curl -sS -m 5 "$1/?json" 2>/dev/null | grep -q '"allow_upload"'; then
        echo dufs
    elif curl -sS -m 5 "$1/?ls" 2>/dev/null | grep -q '"dirs"'; then
        echo copyparty
    elif curl -sS -m 5 -I "$1/" 2>/dev/null | grep -qi '^server: *nginx'; then
        echo nginx
    else
        echo other
    fi
}
listing_url() { # KIND URL
    case $1 in
        dufs) echo "$2/bench-list/?json" ;;
        copyparty) echo "$2/bench-list/?ls" ;;
        *) echo "$2/bench-list/" ;;
    esac
}
np=${#peer_urls[@]}
p_put=() p_dl=() p_par=() p_small=() p_list=() p_rss_put=() p_rss_par=() p_note=()
for ((i = 0; i < np; i++)); do
    url=${peer_urls[i]}
    kind=${peer_kinds[i]:-$(detect_kind "$url")}
    peer_kinds[i]=$kind
    [[ -n ${peer_names[i]} ]] || peer_names[i]="$kind at $url"
    pid=${peer_pids[i]}
    list_url=${peer_lists[i]:-$(listing_url "$kind" "$url")}
    [[ $list_url == /* ]] && list_url=$url$list_url
    hdr=()
    log "peer ${peer_names[i]} ($kind, $url${pid:+, pid $pid})"
    curl -sS -m 10 -o /dev/null "$url/" || die "peer $url does not answer"

    # As for mycloud: $up_runs uploads after a sync, the median; only bench.bin is kept.
    log "  upload $big_l, raw PUT, $up_runs times"
    [[ -z $pid ]] || rss_begin "$pid" --tree
    times=()
    for ((j = 0; j < up_runs; j++)); do
        sync # the peer does not fsync: write its dirty pages back now, outside any timing
        name=$([[ $j == 0 ]] && echo bench.bin || echo "bench-$j.bin")
        times+=("$(upload '20[0-9]' -T "$big_file" "$url/$name")")
        if ((j > 0)); then curl -sS -o /dev/null -m 30 -X DELETE "$url/$name" || true; fi
    done
    if [[ -n $pid ]]; then rss_end; p_rss_put[i]=$rss_peak; else p_rss_put[i]=; fi
    echo "    ${peer_names[i]} raw PUT times (s): ${times[*]}" >>"$raw/transfers.txt"
    p_put[i]=$(mbps "$big_bytes" "$(printf '%s\n' "${times[@]}" | median)")
    sync

    log "  download $big_l, $dl_runs times"
    p_dl[i]=$(download_median "$url/bench.bin" "$big_bytes")

    upload '20[0-9]' -T "$par_file" "$url/bench-par.bin" >/dev/null
    sync
    log "  $par_n parallel downloads of $par_l"
    [[ -z $pid ]] || rss_begin "$pid" --tree
    p_par[i]=$(parallel_get "$url/bench-par.bin" "$par_bytes")
    if [[ -n $pid ]]; then rss_end; p_rss_par[i]=$rss_peak; else p_rss_par[i]=; fi

    upload '20[0-9]' -T "$small_file" "$url/bench-1k.bin" >/dev/null
    wrk_run "peer$i-small" "$small_conns" "$url/bench-1k.bin"
    p_small[i]=$(rate_cell "$wrk_rps" "$wrk_p99" "$wrk_bad")

    log "  uploading $list_l small files to $url/bench-list/"
    curl -sS -o /dev/null -X MKCOL "$url/bench-list/" || true
    python3 bench/helper.py populate "$url/bench-list" "$list_n"
    sync
    listed=$(curl -sS "$list_url" | grep -oE 'f[0-9]{4}\.txt' | sort -u | wc -l)
    p_note[i]=
    [[ $listed == "$list_n" ]] || p_note[i]="listing $list_url shows $listed of $list_n files"
    wrk_run "peer$i-list" "$api_conns" "$list_url"
    p_list[i]=$(rate_cell "$wrk_rps" "$wrk_p99" "$wrk_bad")

    # Leave the peer as we found it, as far as it lets us (best effort).
    for f in bench.bin bench-par.bin bench-1k.bin bench-list/; do
        curl -sS -o /dev/null -m 30 -X DELETE "$url/$f" 2>/dev/null || true
    done
done

# === report =========================================================================
mb() { if [[ -n $1 ]]; then echo "$(num "$1") MB/s"; else echo "-"; fi; }
mib() { if [[ -n $1 ]]; then echo "$(kib_to_mib "$1") MiB"; else echo "-"; fi; }
if ((mycloud)); then
    section "mycloud ($main_backend unless marked)"
    row "download $big_l, one client (median of $dl_runs)" "$(mb "$my_dl")" ">= 2,000 MB/s" "$(meets "$my_dl" ge 2000)"
    row "download $par_n x $par_l in parallel, aggregate" "$(mb "$my_par")"
    row "upload $big_l, raw PUT (fsynced, median of $up_runs)" "$(mb "$my_put")" ">= 500 MB/s" "$(meets "$my_put" ge 500)"
    row "upload $big_l, multipart (fsynced, median of $up_runs)" "$(mb "$my_mp")" ">= 500 MB/s" "$(meets "$my_mp" ge 500)"
    row "  (the disk alone: dd with fsync, median of $up_runs)" "$(mb "$my_dd"); PUT $(ratio "$my_put" "$my_dd")x, multipart $(ratio "$my_mp" "$my_dd")x of it"
    row "peak RSS during the raw PUT upload" "$(mib "$my_rss_put")" "<= 32 MiB" "$(meets "$(kib_to_mib "$my_rss_put")" le 32)"
    row "peak RSS during the multipart upload" "$(mib "$my_rss_mp")" "<= 32 MiB" "$(meets "$(kib_to_mib "$my_rss_mp")" le 32)"
    row "peak RSS during the $par_n parallel downloads" "$(mib "$my_rss_par")" "<= 32 MiB" "$(meets "$(kib_to_mib "$my_rss_par")" le 32)"
    row "idle RSS 1 s after start (existing data dir)" "$(mib "$my_idle_start")" "<= 16 MiB" "$(meets "$(kib_to_mib "$my_idle_start")" le 16)"
    row "idle RSS 2 s after all the load above" "$(mib "$my_idle_load")" "<= 16 MiB" "$(meets "$(kib_to_mib "$my_idle_load")" le 16)"
    row "  (lifetime peak, VmHWM, of that server)" "$(mib "$my_hwm")"
    row "GET /api/me, wrk -c$api_conns" "$(rate_cell "${my_me[@]}")" ">= 20,000 req/s" "$(meets "${my_me[0]}" ge 20000)"
    row "GET /api/me p99" "${my_me[1]} ms" "<= 10 ms" "$(meets "${my_me[1]}" le 10)"
    row "GET /api/files ($list_l files, $my_list_kib KiB), wrk -c$api_conns" "$(rate_cell "${my_files[@]}")" ">= 1,000 req/s" "$(meets "${my_files[0]}" ge 1000)"
    row "GET a 1 KiB file's content, wrk -c$small_conns" "$(rate_cell "${my_small[@]}")"
    if ((${#pg_me[@]})); then
        row "postgres: GET /api/me, wrk -c$api_conns" "$(rate_cell "${pg_me[@]}")" ">= 20,000 req/s" "$(meets "${pg_me[0]}" ge 20000)"
        row "postgres: GET /api/me p99" "${pg_me[1]} ms" "<= 10 ms" "$(meets "${pg_me[1]}" le 10)"
        row "postgres: GET /api/files ($list_l files), wrk -c$api_conns" "$(rate_cell "${pg_files[@]}")" ">= 1,000 req/s" "$(meets "${pg_files[0]}" ge 1000)"
    elif [[ -n ${pg_skip:-} ]]; then
        row "postgres: API rates" "$pg_skip"
    fi
    row "cold start to first 200 (median of $cold_runs)" "$my_cold ms" "<= 100 ms" "$(meets "$my_cold" le 100)"
    row "  (each run, ms)" "$my_cold_all"
    row "release binary size" "$(kib_to_mib $((bin_bytes / 1024))) MiB" "<= 20 MiB" "$(meets "$(kib_to_mib $((bin_bytes / 1024)))" le 20)"
fi
printf '%-50s %-30s %-16s %s\n' "figure" "value" "target" "verdict"
printf '%s\n' "-----------------------------------------------------------------------------------------------------------"
printf '%s\n' "${rows[@]}" | sed '1{/^$/d}'

if ((np)); then
    echo
    echo "comparison (every server on the same disk; peers get no token)"
    fmt='%-22s | %-16s | %-16s | %-12s | %-29s | %-29s | %s\n'
    # shellcheck disable=SC2059
    printf "$fmt" server "download $big_l" "${par_n}x$par_l" "upload PUT" "1 KiB file, wrk -c$small_conns" \
        "list $list_l, wrk -c$api_conns" "peak RSS (PUT / ${par_n}xGET)"
    printf '%s\n' "------------------------------------------------------------------------------------------------------------------------------------------------------------------"
    if ((mycloud)); then
        # shellcheck disable=SC2059
        printf "$fmt" "$mycloud_version" "$(mb "$my_dl")" "$(mb "$my_par")" "$(mb "$my_put")" \
            "$(rate_cell "${my_small[@]}")" "$(rate_cell "${my_files[@]}")" \
            "$(mib "$my_rss_put") / $(mib "$my_rss_par")"
    fi
    for ((i = 0; i < np; i++)); do
        # shellcheck disable=SC2059
        printf "$fmt" "${peer_names[i]}" "$(mb "${p_dl[i]}")" "$(mb "${p_par[i]}")" "$(mb "${p_put[i]}")" \
            "${p_small[i]}" "${p_list[i]}" "$(mib "${p_rss_put[i]}") / $(mib "${p_rss_par[i]}")"
        [[ -z ${p_note[i]} ]] || echo "  note: ${p_note[i]}"
    done
    echo "mycloud fsyncs every upload (file, folder, database) before it answers; the peers do not fsync"
    echo "by default, so their upload figures are page-cache writes (each is followed by an untimed sync)."
    echo "mycloud's listing is GET /api/files with a token (JSON); the peers' are their own listing pages."
    if ((mycloud)); then
        d=-1
        for ((i = 0; i < np; i++)); do [[ ${peer_kinds[i]} == dufs ]] && { d=$i; break; }; done
        echo
        if ((d >= 0)); then
            r_dl=$(ratio "$my_dl" "${p_dl[d]}")
            r_put=$(ratio "$my_put" "${p_put[d]}")
            printf '%-50s %-30s %-16s %s\n' "mycloud / dufs, download $big_l" "${r_dl}x" ">= 1.5x" "$(meets "$r_dl" ge 1.5)"
            printf '%-50s %-30s %-16s %s\n' "mycloud / dufs, upload $big_l raw PUT" "${r_put}x" ">= 3x" "$(meets "$r_put" ge 3)"
        else
            echo "mycloud / dufs ratios: no dufs peer in this run (bash bench/compare.sh starts one)"
        fi
    fi
fi
if ((quick)); then
    echo
    echo "QUICK mode: $big_l instead of 1 GiB, $par_l instead of 256 MiB, $list_l files, ${wrk_secs} s of wrk: a smoke test."
fi
echo "raw outputs (wrk, server logs, cold start runs): $raw"
