#!/usr/bin/env bash
# Upload/download throughput and memory of a release build of mycloud.
#
#   bash bench/throughput.sh [SIZE_MIB] [sqlite|postgres]   (defaults 1024, sqlite)
#
# Builds the release binary, starts it on a throwaway data dir (under $TMPDIR, so the
# figures are those of that disk: uploads are fsynced) and, for postgres, a throwaway
# cluster; uploads one SIZE_MIB file by raw PUT and by multipart POST, downloads it 3
# times and prints MB/s (MB = 10^6 bytes) and the server's resident memory. It is not a
# test: it prints and exits.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/common.sh

size_mib=${1:-1024}
backend=${2:-sqlite}
if ! [[ $size_mib =~ ^[1-9][0-9]*$ ]]; then
    echo "usage: bash bench/throughput.sh [SIZE_MIB] [sqlite|postgres]" >&2
    exit 2
fi
bytes=$((size_mib * 1024 * 1024))

bench_setup "$backend"
avail_kib=$(df -Pk "$work" | awk 'NR == 2 { print $4 }')
if ((avail_kib * 1024 < 3 * bytes + 100 * 1024 * 1024)); then
    echo "need about $((3 * size_mib)) MiB free under $work; not enough" >&2
    exit 1
fi

# --- helpers -------------------------------------------------------------------------
json() { python3 -c 'import json, sys
v = json.load(sys.stdin)
for k in sys.argv[1].split("."): v = v[k]
print(v)' "$1"; }
mbps() { awk -v b="$bytes" -v t="$1" 'BEGIN { printf "%.1f MB/s", b / t / 1e6 }'; }
secs() { awk 'BEGIN { for (i = 1; i < ARGC; i++) printf "%s%.2f", (i > 1 ? " " : ""), ARGV[i]; print " s" }' "$@"; }
mem() { awk -v k="$1:" '$1 == k { printf "%.1f MiB", $2 / 1024 }' "/proc/$server_pid/status"; }
declare -a table=()
row() { table+=("$(printf '%-38s %s' "$1" "$2")"); printf '  %-38s %s\n' "$1" "$2"; }
sample() { row "RSS $1 (VmRSS / VmHWM)" "$(mem VmRSS) / $(mem VmHWM)"; }

echo "creating a $size_mib MiB file of random bytes..."
blob="$work/big.bin"
openssl rand -out "$blob" "$bytes" 2>/dev/null || head -c "$bytes" /dev/urandom >"$blob"

# curl PUTs/POSTs "$1"...; prints "TIME_TOTAL" and leaves the JSON answer in $work/answer.
# 'Expect:' turns off curl's 100-continue handshake, as browsers do.
upload() {
    local out code t
    out=$(curl -sS -o "$work/answer" -w '%{http_code} %{time_total}' -H "$auth" -H 'Expect:' "$@")
    read -r code t <<<"$out"
    if [[ $code != 201 ]]; then
        echo "upload answered $code: $(cat "$work/answer")" >&2
        exit 1
    fi
    echo "$t"
}

echo "measuring (MB = 10^6 bytes)..."
row "file size" "$size_mib MiB ($bytes bytes)"
sample "idle"

t=$(upload -T "$blob" "$url/api/files?name=big.bin")
id=$(json file.id <"$work/answer")
row "upload, raw PUT" "$(mbps "$t")  ($(secs "$t"))"
sample "after PUT"

t=$(upload -F "file=@$blob;filename=big-multipart.bin" "$url/api/files")
row "upload, multipart POST" "$(mbps "$t")  ($(secs "$t"))"
sample "after POST"

times=()
for i in 1 2 3; do
    out=$(curl -sS -o /dev/null -w '%{http_code} %{time_total} %{size_download}' -H "$auth" \
        "$url/api/files/$id/content")
    read -r code t got <<<"$out"
    if [[ $code != 200 || $got != "$bytes" ]]; then
        echo "download $i answered $code with $got bytes" >&2
        exit 1
    fi
    times+=("$t")
done
median=$(printf '%s\n' "${times[@]}" | sort -g | sed -n 2p)
row "download, median of 3" "$(mbps "$median")  ($(secs "${times[@]}"))"
sample "after downloads"

# --- summary -------------------------------------------------------------------------
echo
echo "mycloud throughput ($backend), $(date -u '+%Y-%m-%d %H:%M UTC')"
machine_line
echo "-------------------------------------------------------------------------"
printf '%s\n' "${table[@]}"
echo "-------------------------------------------------------------------------"
echo "MB/s = 10^6 bytes per second of curl's time_total; VmHWM is the lifetime peak RSS."
