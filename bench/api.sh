#!/usr/bin/env bash
# Request rate of the API on a release build: authenticated GET /api/files for a user
# with 1,000 files, and GET /api/me, measured with wrk.
#
#   bash bench/api.sh [sqlite|postgres] [SECONDS]     (defaults sqlite, 10)
#
# Needs wrk (Debian: apt-get install wrk). Each request checks the token (one indexed
# read of the session), so this is the cost of a real authenticated call.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/common.sh

backend=${1:-sqlite}
seconds=${2:-10}
if ! command -v wrk >/dev/null; then
    echo "wrk not found (apt-get install wrk)" >&2
    exit 1
fi

bench_setup "$backend"

echo "uploading 1,000 small files..."
for i in $(seq 1000); do
    printf 'file %d\n' "$i"
done | xargs -P 8 -I{} sh -c 'printf "%s" "{}" | curl -sS -o /dev/null --fail -H "$0" -T - "$1/api/files?name=$(echo {} | tr " " _).txt&comment=bench"' "$auth" "$url"
count=$(curl -sS -H "$auth" "$url/api/files" | python3 -c 'import json, sys; print(len(json.load(sys.stdin)["files"]))')
if [[ $count != 1000 ]]; then
    echo "expected 1000 files, the list has $count" >&2
    exit 1
fi
list_bytes=$(curl -sS -H "$auth" "$url/api/files" | wc -c)

declare -a table=()
measure() {
    local label=$1 path=$2 out rps p50 p99
    out=$(wrk -t 2 -c 16 -d "${seconds}s" --latency -H "$auth" "$url$path")
    rps=$(awk '/^Requests\/sec/ { print $2 }' <<<"$out")
    p50=$(awk '$1 == "50%" { print $2 }' <<<"$out")
    p99=$(awk '$1 == "99%" { print $2 }' <<<"$out")
    if grep -q "Non-2xx" <<<"$out"; then
        echo "$out" >&2
        echo "some requests failed" >&2
        exit 1
    fi
    table+=("$(printf '%-44s %10s req/s   p50 %-8s p99 %s' "$label" "$rps" "$p50" "$p99")")
    echo "  ${table[-1]}"
}
echo "measuring for ${seconds}s each (wrk, 2 threads, 16 connections)..."
measure "GET /api/files (1,000 files, $((list_bytes / 1024)) KiB)" /api/files
measure "GET /api/me" /api/me
measure "GET /api/health (no token, one db ping)" /api/health

echo
echo "mycloud API request rate ($backend), $(date -u '+%Y-%m-%d %H:%M UTC')"
machine_line
echo "-------------------------------------------------------------------------------------"
printf '%s\n' "${table[@]}"
echo "-------------------------------------------------------------------------------------"
echo "wrk shares the machine's CPUs with the server: figures are a floor, not a ceiling."
