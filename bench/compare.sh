#!/usr/bin/env bash
# mycloud against dufs, copyparty and nginx, measured the same way in one run.
#
#   bash bench/compare.sh [--quick] [--peers dufs,copyparty,nginx] [other bench/run.sh options]
#
# Installs what is missing (dufs: cargo install --locked into target/bench-peers/dufs;
# copyparty: pip into the venv target/bench-peers/copyparty-venv; nginx: apt-get, as
# root), starts each on a free loopback port with an empty root folder under
# target/bench/ (the same disk as mycloud's data dir), then runs bench/run.sh with them
# as peers, which prints one table. Every peer runs with its defaults plus what it needs
# to accept uploads; none of them fsyncs. See bench/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD

peers=dufs,copyparty,nginx
run_args=()
while (($#)); do
    case $1 in
        --peers) peers=${2:?--peers needs a list such as dufs,nginx}; shift ;;
        -h | --help) sed -n '3,4p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) run_args+=("$1") ;;
    esac
    shift
done

BENCH_T0=$(date +%s)
export BENCH_T0
log() { printf '%4ds  %s\n' "$(($(date +%s) - BENCH_T0))" "$*" >&2; }
die() {
    printf 'compare: %s\n' "$*" >&2
    exit 1
}
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wants() { [[ ,$peers, == *,$1,* ]]; }

cache=$repo/target/bench-peers
bench_root=${MYCLOUD_BENCH_DIR:-$repo/target/bench}
mkdir -p "$cache" "$bench_root"
work=$(mktemp -d "$bench_root/peers.XXXXXX")
pids=()
# shellcheck disable=SC2317  # reached through the trap
cleanup() {
    local p
    for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# wait_http URL PID NAME: until URL answers, or the process dies, or 60 s.
wait_http() {
    local _
    for _ in $(seq 600); do
        if curl -s -o /dev/null -m 1 "$1"; then return 0; fi
        kill -0 "$2" 2>/dev/null || break
        sleep 0.1
    done
    tail -n 20 "$work/$3.log" >&2 || true
    die "$3 did not start (log above)"
}

peer_args=()
add_peer() { # NAME_WITH_VERSION KIND PORT PID
    peer_args+=(--peer "http://127.0.0.1:$3" --peer-name "$1" --peer-kind "$2" --peer-pid "$4")
    log "$1 at http://127.0.0.1:$3 (pid $4), root $work/$2/root"
}

# --- dufs ----------------------------------------------------------------------------
if wants dufs; then
    dufs=$cache/dufs/bin/dufs
    if [[ ! -x $dufs ]]; then
        if command -v dufs >/dev/null; then
            dufs=$(command -v dufs)
        else
            log "installing dufs: cargo install dufs --locked --root $cache/dufs (a few minutes, once)"
            cargo install dufs --locked --root "$cache/dufs" >"$cache/dufs-install.log" 2>&1 ||
                die "cargo install dufs failed: see $cache/dufs-install.log"
        fi
    fi
    mkdir -p "$work/dufs/root"
    port=$(free_port)
    "$dufs" --allow-all --bind 127.0.0.1 --port "$port" "$work/dufs/root" >"$work/dufs.log" 2>&1 &
    pids+=($!)
    wait_http "http://127.0.0.1:$port/" "${pids[-1]}" dufs
    add_peer "$("$dufs" --version)" dufs "$port" "${pids[-1]}"
fi

# --- copyparty -----------------------------------------------------------------------
if wants copyparty; then
    venv=$cache/copyparty-venv
    if [[ ! -x $venv/bin/copyparty ]]; then
        log "installing copyparty: pip install copyparty into $venv (once)"
        { python3 -m venv "$venv" && "$venv/bin/pip" install copyparty; } >"$cache/copyparty-install.log" 2>&1 ||
            die "pip install copyparty failed: see $cache/copyparty-install.log"
    fi
    mkdir -p "$work/copyparty/root" "$work/copyparty/config"
    port=$(free_port)
    # -v SRC:URL:PERMS: the root folder at /, read, write and delete for everyone.
    XDG_CONFIG_HOME=$work/copyparty/config "$venv/bin/copyparty" -i 127.0.0.1 -p "$port" \
        -v "$work/copyparty/root::rwd" >"$work/copyparty.log" 2>&1 &
    pids+=($!)
    wait_http "http://127.0.0.1:$port/" "${pids[-1]}" copyparty
    add_peer "$("$venv/bin/copyparty" --version 2>&1 | awk 'NR == 1 { print $1, $2 }')" copyparty "$port" "${pids[-1]}"
fi

# --- nginx ---------------------------------------------------------------------------
if wants nginx; then
    nginx=$(command -v nginx || echo /usr/sbin/nginx)
    if [[ ! -x $nginx ]]; then
        if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
            log "installing nginx: apt-get install -y nginx"
            apt-get install -y nginx >"$cache/nginx-install.log" 2>&1 || die "apt-get install nginx failed"
            nginx=$(command -v nginx || echo /usr/sbin/nginx)
        else
            die "nginx not found (apt-get install nginx), or leave it out: --peers dufs,copyparty"
        fi
    fi
    n=$work/nginx
    mkdir -p "$n/root" "$n/tmp"
    port=$(free_port)
    user_line=
    if [[ $(id -u) == 0 ]]; then user_line='user root;'; fi
    mime=/etc/nginx/mime.types
    [[ -f $mime ]] || mime=/dev/null
    cat >"$n/nginx.conf" <<EOF
# Written by bench/compare.sh: a static file server with WebDAV PUT, as Debian ships it
# otherwise (worker_processes auto, sendfile, access log on).
$user_line
worker_processes auto;
daemon off;
pid $n/nginx.pid;
error_log $n/error.log;
events { worker_connections 1024; }
http {
    include $mime;
    default_type application/octet-stream;
    sendfile on;
    tcp_nopush on;
    access_log $n/access.log;
    client_body_temp_path $n/tmp/body;
    proxy_temp_path $n/tmp/proxy;
    fastcgi_temp_path $n/tmp/fastcgi;
    uwsgi_temp_path $n/tmp/uwsgi;
    scgi_temp_path $n/tmp/scgi;
    server {
        listen 127.0.0.1:$port;
        root $n/root;
        client_max_body_size 0;
        location / {
            dav_methods PUT DELETE MKCOL;
            create_full_put_path on;
            autoindex on;
            autoindex_format json;
        }
    }
}
EOF
    "$nginx" -e "$n/error.log" -p "$n" -c "$n/nginx.conf" >"$work/nginx.log" 2>&1 &
    pids+=($!)
    wait_http "http://127.0.0.1:$port/" "${pids[-1]}" nginx
    add_peer "nginx $("$nginx" -v 2>&1 | sed -n 's|.*nginx/\([^ ]*\).*|\1|p')" nginx "$port" "${pids[-1]}"
fi

((${#peer_args[@]})) || die "no peers (--peers takes dufs, copyparty, nginx)"
log "peers' roots under $work ($(df -P "$work" | awk 'NR == 2 { print $1 }')), as mycloud's data dir"
status=0
bash bench/run.sh "${run_args[@]}" "${peer_args[@]}" || status=$?
exit "$status"
